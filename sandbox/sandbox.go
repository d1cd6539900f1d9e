package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// Tokens the sandbox fakes accept. They guard nothing real; roasd must
// still be given them through the usual environment variables.
const (
	MetaToken    = "sandbox-meta-token"
	TikTokToken  = "sandbox-tiktok-token"
	ShopifyToken = "shpat_sandbox"
	SlackToken   = "xoxb-sandbox"
	// SlackSigningSecret is the sandbox Slack app's signing secret: roasd
	// verifies the button clicks the sandbox sends with it.
	SlackSigningSecret = "sandbox-slack-signing-secret"
	// ShopifyClientID and ShopifyClientSecret are the sandbox shop's Dev
	// Dashboard app: set them as SHOPIFY_CLIENT_ID/SHOPIFY_CLIENT_SECRET
	// (and SHOPIFY_ACCESS_TOKEN empty) to try 24-hour client-credentials
	// tokens against the fake.
	ShopifyClientID     = "sandbox-shopify-client-id"
	ShopifyClientSecret = "shpss_sandbox"
)

// Approver is the sandbox's marketer, a member of every approvers' user
// group of the campaign's brand.
var Approver = slackfake.User{ID: "U0SANDANA1", Name: "ana"}

// Sandbox is the four fakes, seeded and served on loopback.
type Sandbox struct {
	// Campaign is the first brand's campaign, Campaigns every brand's (the
	// first is Campaign): each brand has its own Meta ad account, TikTok
	// advertiser, shop and Slack channel on the shared fakes.
	Campaign  *Campaign
	Campaigns []*Campaign
	Meta      *metafake.Server
	TikTok    *tiktokfake.Server
	// Shopify is the first brand's shop, Shops every brand's shop behind
	// one base URL (SHOPIFY_API_URL is a {shop} template).
	Shopify *shopifyfake.Server
	Shops   *shopifyfake.Shops
	Slack   *slackfake.Server
	// URLs maps META_API_URL, TIKTOK_API_URL, SHOPIFY_API_URL and
	// SLACK_API_URL to the fakes' base URLs.
	URLs    map[string]string
	servers []*http.Server
	// down holds the names (META, TIKTOK, SHOPIFY, SLACK) of the fakes in
	// an outage (see Outage).
	down sync.Map
	// shift is how far Advance moved the fakes' clocks, in nanoseconds.
	shift atomic.Int64
	// steps counts Advance calls (new order ids stay unique).
	steps int
	// shopTokens are the static tokens of the shops after the first, each
	// its own (a custom app's token belongs to one shop), by domain in
	// the campaigns' order.
	shopTokens [][2]string
}

// Options tune how the sandbox serves a campaign.
type Options struct {
	// ShopifyRestoreRate and ShopifyMaximum override the cost bucket
	// (default 1000 points/s and 20000 points).
	ShopifyRestoreRate, ShopifyMaximum float64
	// SlackUnpaced lifts the Slack fake's posting rate (one post a second
	// per channel, bursts of 3), for tests about something else that run
	// the daemon with ROASD_SLACK_POST_EVERY=0.
	SlackUnpaced bool
	// TikTokAppQPS, when positive, makes the TikTok fake enforce the
	// app's request quota, shared by every advertiser (40100 beyond it;
	// tiktokfake.Seed.AppQPS).
	TikTokAppQPS int
	// JourneysReady completes every seeded order's customer journey at
	// once instead of 90 minutes after the order, for tests that compare
	// runs made at different real times (the fakes' clock runs on, so a
	// journey would become ready between them).
	JourneysReady bool
}

// New seeds the fakes from c without serving them (tests mount them on
// httptest servers themselves).
func New(c *Campaign) (*Sandbox, error) { return NewWith(c, Options{}) }

// NewWith is New with options.
func NewWith(c *Campaign, o Options) (*Sandbox, error) { return NewAll([]*Campaign{c}, o) }

// NewAll seeds the fakes with several brands' campaigns (see
// NewCampaigns; all end at the first's Now) without serving them.
func NewAll(cs []*Campaign, o Options) (*Sandbox, error) {
	if len(cs) == 0 {
		return nil, errors.New("sandbox: no campaign")
	}
	c := cs[0]
	s := &Sandbox{Campaign: c, Campaigns: cs, URLs: map[string]string{}}
	// The fakes' clock starts at the campaign's "now" and runs on (the
	// Shopify cost bucket refills with time).
	offset := time.Until(c.Now)
	now := func() time.Time { return time.Now().Add(offset + time.Duration(s.shift.Load())) }
	meta, tiktok := metaSeed(cs[0], now), tiktokSeed(cs[0], now)
	for i, o := range cs[1:] {
		m, t := metaSeed(o, now), tiktokSeed(o, now)
		meta.Accounts = append(meta.Accounts, m.Accounts...)
		meta.Permissions = append(meta.Permissions, m.Permissions...)
		tiktok.Advertisers = append(tiktok.Advertisers, t.Advertisers...)
		for _, p := range t.SparkPosts {
			if strings.HasPrefix(p.AuthCode, "#v2#bound-") {
				p.AuthCode = fmt.Sprintf("#v2#bound-%d-%s", i+1, strings.TrimPrefix(p.AuthCode, "#v2#bound-"))
			}
			tiktok.SparkPosts = append(tiktok.SparkPosts, p)
		}
	}
	tiktok.AppQPS = o.TikTokAppQPS
	s.Meta = metafake.New(meta)
	s.TikTok = tiktokfake.New(tiktok)
	// Shopify's clock runs from the campaign's Now at the real pace: its
	// query-cost bucket refills with elapsed time, and a frozen clock would
	// never refill it (every cycle after the first would stall on
	// THROTTLED answers).
	started := time.Now()
	shopNow := func() time.Time { return c.Now.Add(time.Since(started) + time.Duration(s.shift.Load())) }
	s.Shops = shopifyfake.NewShops()
	s.Slack = slackfake.New(SlackToken)
	for _, camp := range cs {
		b := camp.Brand
		shopSeed, err := shopifySeed(camp, shopNow)
		if err != nil {
			return nil, err
		}
		if o.ShopifyRestoreRate > 0 {
			shopSeed.RestoreRate = o.ShopifyRestoreRate
		}
		if o.JourneysReady {
			for i := range shopSeed.Orders {
				shopSeed.Orders[i].JourneyReadyAt = time.Time{}
			}
		}
		if o.ShopifyMaximum > 0 {
			shopSeed.MaximumAvailable = o.ShopifyMaximum
		}
		if s.Shops.Shop(shopSeed.Shop.Domain) != nil {
			return nil, fmt.Errorf("sandbox: brands %s and another share shop %s", b.Name, shopSeed.Shop.Domain)
		}
		if len(s.Shops.All()) > 0 {
			// A shop of its own, a token of its own: the first shop's
			// SHOPIFY_ACCESS_TOKEN opens no other (the Dev Dashboard app's
			// client credentials serve every shop, as one app installed
			// on several does).
			shopSeed.AccessToken = ShopifyToken + "_" + strings.TrimSuffix(shopSeed.Shop.Domain, ".myshopify.com")
			s.shopTokens = append(s.shopTokens, [2]string{shopSeed.Shop.Domain, shopSeed.AccessToken})
		}
		shop := shopifyfake.New(shopSeed)
		s.Shops.Add(shop)
		if s.Shopify == nil {
			s.Shopify = shop
		}
		channel := strings.TrimPrefix(b.Slack.Channel, "#")
		if channel == "" {
			channel = "general"
		}
		s.Slack.AddChannel(channel) // two brands may share a channel
		// The approvers' user groups have one member, the sandbox's
		// marketer.
		groups := map[string]bool{b.Slack.Approvers: true}
		for _, t := range b.Tests {
			groups[t.Approvers] = true
		}
		for g := range groups {
			if g != "" {
				s.Slack.SetUserGroup(g, Approver.ID)
			}
		}
	}
	// Message ts follow the same clock, so the sender's search for a post
	// whose acknowledgement was lost (by time since it began posting)
	// finds it.
	s.Slack.Now = now
	// Like Slack, about one post a second per channel (bursts of 3);
	// faster posting is answered 429 with Retry-After.
	if !o.SlackUnpaced {
		s.Slack.PostEvery = time.Second
	}
	return s, nil
}

// Start seeds the fakes and serves each on its own loopback port.
func Start(c *Campaign) (*Sandbox, error) { return StartWith(c, Options{}) }

// StartWith is Start with options.
func StartWith(c *Campaign, o Options) (*Sandbox, error) { return StartAll([]*Campaign{c}, o) }

// StartAll is NewAll, serving each fake on its own loopback port (every
// brand's shop behind the one Shopify port).
func StartAll(cs []*Campaign, o Options) (*Sandbox, error) {
	s, err := NewAll(cs, o)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		env string
		h   http.Handler
	}{
		{"META_API_URL", s.Meta},
		{"TIKTOK_API_URL", s.TikTok},
		{"SHOPIFY_API_URL", s.Shops},
		{"SLACK_API_URL", s.Slack},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sandbox: listening for %s: %w", f.env, err)
		}
		srv := &http.Server{Handler: s.outageGuard(strings.TrimSuffix(f.env, "_API_URL"), f.h), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		s.servers = append(s.servers, srv)
		url := "http://" + ln.Addr().String()
		switch f.env {
		case "SLACK_API_URL":
			url += "/api/"
		case "SHOPIFY_API_URL":
			url = shopifyfake.ShopURL(url)
		}
		s.URLs[f.env] = url
	}
	return s, nil
}

// Env returns the environment roasd needs to use the sandbox: the four
// base URLs (Shopify's a template with {shop}, where roasd puts each
// shop's domain) and the sandbox tokens (SHOPIFY_ACCESS_TOKEN for the
// first shop, SHOPIFY_ACCESS_TOKEN_<SHOP> for each other), as KEY=VALUE
// lines in a stable order.
func (s *Sandbox) Env() []string {
	var out []string
	for _, k := range []string{"META_API_URL", "TIKTOK_API_URL", "SHOPIFY_API_URL", "SLACK_API_URL"} {
		if v, ok := s.URLs[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	out = append(out,
		"META_ACCESS_TOKEN="+MetaToken,
		"TIKTOK_ACCESS_TOKEN="+TikTokToken,
		"SHOPIFY_ACCESS_TOKEN="+ShopifyToken,
	)
	for _, st := range s.shopTokens {
		out = append(out, shopify.ShopEnvKey("SHOPIFY_ACCESS_TOKEN_", st[0])+"="+st[1])
	}
	return append(out,
		"SLACK_BOT_TOKEN="+SlackToken,
		"SLACK_SIGNING_SECRET="+SlackSigningSecret,
	)
}

// Restate applies a platform restatement of the last days to the fakes (as
// late conversions arrive) and returns how many daily rows changed.
func (s *Sandbox) Restate(days int) int {
	n := 0
	var stats []ads.DayStat
	for _, c := range s.Campaigns {
		stats = append(stats, c.Restate(days)...)
	}
	for _, st := range stats {
		switch st.Platform {
		case ads.Meta:
			s.Meta.SetInsight(st.Account, metaInsight(st))
		case ads.TikTok:
			s.TikTok.SetReport(st.Account, tiktokRow(st))
		}
		n++
	}
	return n
}

// Outage takes a served fake (META, TIKTOK, SHOPIFY or SLACK) down, so that
// every request gets HTTP 503 with an HTML body as from a load balancer, or
// brings it back. The fake records nothing while down.
func (s *Sandbox) Outage(name string, down bool) {
	if down {
		s.down.Store(name, true)
	} else {
		s.down.Delete(name)
	}
}

func (s *Sandbox) outageGuard(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, down := s.down.Load(name); down {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1></body></html>\n")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ShopifyHandler is what serves SHOPIFY_API_URL (every brand's shop under
// /shops/{domain}, bulk operation result files included), for tests that
// mount it themselves: address it with shopifyfake.ShopURL.
func (s *Sandbox) ShopifyHandler() http.Handler { return s.Shops }

// Calls counts the requests each fake received, keyed META, TIKTOK,
// SHOPIFY and SLACK (a Graph batch request is one; its operations are
// recorded by the Meta fake as Batched calls besides).
func (s *Sandbox) Calls() map[string]int {
	meta := 0
	for _, c := range s.Meta.Calls() {
		if !c.Batched {
			meta++
		}
	}
	shop := 0
	for _, c := range s.Shops.Calls() {
		if !strings.HasPrefix(c.Op, "webhook ") { // sent by Shopify, not made by roasd
			shop++
		}
	}
	return map[string]int{"META": meta, "TIKTOK": len(s.TikTok.Calls()), "SHOPIFY": shop, "SLACK": len(s.Slack.Calls())}
}

// SubscribeBulkFinish makes every shop deliver bulk_operations/finish to
// url (a daemon's /webhooks/shopify), signed with secret, as the app's
// configuration subscribes it; it replaces any earlier subscription to
// that topic.
func (s *Sandbox) SubscribeBulkFinish(url, secret string) error {
	for _, shop := range s.Shops.All() {
		shop.Unsubscribe(shopifyfake.TopicBulkOperationsFinish)
		if err := shop.Subscribe(shopifyfake.Subscription{Topic: shopifyfake.TopicBulkOperationsFinish, URI: url, Secret: secret}); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	return nil
}

// Close stops serving and removes the Shopify fake's bulk operation
// files.
func (s *Sandbox) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Shutdown(ctx))
	}
	if s.Shops != nil {
		errs = append(errs, s.Shops.Close())
	}
	return errors.Join(errs...)
}

func metaInsight(st ads.DayStat) metafake.Insight {
	return metafake.Insight{
		AdID: st.AdID, Day: st.Day.String(), SpendMicros: st.Spend, Impressions: st.Impressions, Clicks: st.Clicks,
		InlinePostEngagement: st.Engagements,
		Actions:              []metafake.Action{{Type: "omni_purchase", Value: st.Conversions, Windows: map[string]int64{"7d_click": st.Conversions * 8 / 10, "1d_view": st.Conversions - st.Conversions*8/10}}},
		ActionValues:         []metafake.Action{{Type: "omni_purchase", Value: st.ConversionValue, Windows: map[string]int64{"7d_click": st.ConversionValue * 8 / 10, "1d_view": st.ConversionValue - st.ConversionValue*8/10}}},
	}
}

// lastEdited is when the campaign's nth ad of a platform (from 1) was last
// edited: the first three days before Now, each next one seven minutes
// earlier (ads are set up one after another), so that an incremental
// list's overlap reads few of them again.
func lastEdited(c *Campaign, n int) time.Time {
	return c.Now.Add(-72*time.Hour - time.Duration(n-1)*7*time.Minute)
}

func metaSeed(c *Campaign, now func() time.Time) metafake.Seed {
	b := c.Brand
	seed := metafake.Seed{Token: MetaToken, Now: now}
	if len(b.Accounts.Meta) == 0 {
		return seed
	}
	m := b.Accounts.Meta[0] // the sandbox simulates the brand's first ad account
	seed.BusinessID = m.Business
	acct := metafake.Account{ID: m.AdAccount, Name: b.Name + " — paid social", Currency: b.Currency, Timezone: b.Timezone}
	n, camps := 0, map[string]bool{}
	for _, a := range c.Ads {
		if a.Platform != ads.Meta {
			continue
		}
		n++
		if !camps[a.CampaignID] {
			// The ad's campaign, an ordinary one (budgets on its ad
			// sets), set up before its first ad.
			camps[a.CampaignID] = true
			acct.Campaigns = append(acct.Campaigns, metafake.Campaign{ID: a.CampaignID, Name: a.CampaignID, Status: "ACTIVE",
				UpdatedTime: lastEdited(c, n).Add(-time.Minute)})
		}
		// The ad's ad set, set up a minute before it (with its campaign,
		// for a campaign's first ad).
		acct.AdSets = append(acct.AdSets, metafake.AdSet{ID: a.AdSetID, CampaignID: a.CampaignID, Name: a.Name + " ad set", Status: "ACTIVE",
			DailyBudget: ads.MicrosToMinor(a.DailyBudget, b.Currency), UpdatedTime: lastEdited(c, n).Add(-time.Minute)})
		cr := metafake.Creative{ID: stableID("creative/"+a.ID, 18), URLTags: a.URLTags, Link: a.LinkURL}
		switch a.Kind {
		case ads.Whitelisted:
			// A partnership ad: runs as the creator, sponsored by the brand.
			cr.InstagramUserID = a.CreatorIdentity
			cr.SponsorID = m.Instagram
			cr.ObjectStoryID = a.ItemID
			cr.EffectiveObjectStoryID = a.ItemID
			cr.SourceInstagramMediaID = stableID("media/"+a.ID, 17)
		case ads.Dark:
			// Built from an object_story_spec: an unpublished page post.
			cr.PageID = m.Page
			cr.EffectiveObjectStoryID = a.ItemID
		default:
			cr.ObjectStoryID = a.ItemID
			cr.EffectiveObjectStoryID = a.ItemID
		}
		acct.Ads = append(acct.Ads, metafake.Ad{ID: a.ID, Name: a.Name, AdSetID: a.AdSetID, CampaignID: a.CampaignID,
			Status: "ACTIVE", EffectiveStatus: a.Status, UpdatedTime: lastEdited(c, n), Creative: cr})
	}
	for _, st := range c.Stats {
		if st.Platform == ads.Meta {
			acct.Insights = append(acct.Insights, metaInsight(st))
		}
	}
	seed.Accounts = []metafake.Account{acct}
	for _, p := range c.Permissions {
		if p.Platform != ads.Meta {
			continue
		}
		seed.Permissions = append(seed.Permissions, metafake.Permission{
			ID: p.ID, BrandIGID: m.Instagram, CreatorUsername: p.Creator, CreatorID: p.CreatorID, Status: "APPROVED",
			CreatedTime: p.GrantedAt,
			Media: []metafake.Media{{ID: stableID("media/"+p.ID, 17), Permalink: "https://www.instagram.com/p/" + p.ID[:8] + "/", HasPermission: true,
				MediaType: "VIDEO", PostType: "REEL", CreatedTime: c.Now.Add(-20 * 24 * time.Hour)}},
		})
	}
	return seed
}

func tiktokRow(st ads.DayStat) tiktokfake.ReportRow {
	return tiktokfake.ReportRow{
		AdID: st.AdID, Day: st.Day.String(), SpendMicros: st.Spend, Impressions: st.Impressions, Clicks: st.Clicks,
		Likes: st.Engagements * 7 / 10, Comments: st.Engagements / 10, Shares: st.Engagements / 10,
		Follows:    st.Engagements - st.Engagements*7/10 - 2*(st.Engagements/10),
		VideoPlays: st.Views, Conversions: st.Conversions, Purchases: st.Conversions, PurchaseValueMicros: st.ConversionValue,
	}
}

func tiktokSeed(c *Campaign, now func() time.Time) tiktokfake.Seed {
	b := c.Brand
	seed := tiktokfake.Seed{Token: TikTokToken, Now: now}
	if len(b.Accounts.TikTok) == 0 {
		return seed
	}
	advID := b.Accounts.TikTok[0].Advertiser // the sandbox simulates the brand's first advertiser
	adv := tiktokfake.Advertiser{ID: advID, Name: b.Name + " TikTok", Currency: b.Currency, Timezone: b.Timezone}
	n, camps := 0, map[string]bool{}
	for _, a := range c.Ads {
		if a.Platform != ads.TikTok {
			continue
		}
		n++
		if !camps[a.CampaignID] {
			camps[a.CampaignID] = true
			adv.Campaigns = append(adv.Campaigns, tiktokfake.Campaign{ID: a.CampaignID, Name: a.CampaignID,
				CreateTime: c.Now.Add(-40 * 24 * time.Hour), ModifyTime: lastEdited(c, n).Add(-time.Minute)})
		}
		adv.AdGroups = append(adv.AdGroups, tiktokfake.AdGroup{ID: a.AdSetID, CampaignID: a.CampaignID, Name: a.Name + " ad group",
			BudgetMode: tiktokfake.BudgetModeDay, BudgetMicros: a.DailyBudget, ModifyTime: lastEdited(c, n).Add(-time.Minute)})
		ad := tiktokfake.Ad{ID: a.ID, Name: a.Name, AdGroupID: a.AdSetID, CampaignID: a.CampaignID, LandingPageURL: a.LinkURL,
			CreateTime: c.Now.Add(-40 * 24 * time.Hour), ModifyTime: lastEdited(c, n)}
		if a.Kind == ads.Spark {
			ad.IdentityType, ad.IdentityID, ad.TikTokItemID, ad.DarkPost = tiktokfake.IdentityAuthCode, a.CreatorIdentity, a.ItemID, true
		} else {
			ad.IdentityType, ad.IdentityID, ad.VideoID = tiktokfake.IdentityCustomizedUser, stableID("brand-identity/"+advID, 19), "v10033g50000"+a.ID[:8]
		}
		adv.Ads = append(adv.Ads, ad)
	}
	for _, st := range c.Stats {
		if st.Platform == ads.TikTok {
			adv.Report = append(adv.Report, tiktokRow(st))
		}
	}
	seed.Advertisers = []tiktokfake.Advertiser{adv}
	codes := make([]string, 0, len(c.SparkCodes))
	for code := range c.SparkCodes {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	// One authorization about to lapse, on a test still running at Today
	// (roasd must warn a week ahead): the first such code.
	expiring := ""
	for _, t := range b.Tests {
		if c.Today.After(t.End()) {
			continue
		}
		for _, v := range t.Variants {
			if _, ok := c.SparkCodes[v.SparkCode]; ok && (expiring == "" || v.SparkCode < expiring) {
				expiring = v.SparkCode
			}
		}
	}
	if expiring == "" && len(codes) > 0 {
		expiring = codes[0]
	}
	for _, code := range codes {
		p := c.SparkCodes[code]
		end := p.End
		if code == expiring {
			end = c.Today.AddDays(5).In(b.Location)
		}
		seed.SparkPosts = append(seed.SparkPosts, tiktokfake.SparkPost{
			AuthCode: code, ItemID: p.ItemID, Text: "my morning routine ✨ #glowup", IdentityID: p.Identity, TikTokName: p.Creator,
			AuthStatus: tiktokfake.AuthAuthorized, AuthStart: p.Start, AuthEnd: end,
		})
	}
	for i, p := range c.Bound {
		seed.SparkPosts = append(seed.SparkPosts, tiktokfake.SparkPost{
			AuthCode: fmt.Sprintf("#v2#bound-%d", i), ItemID: p.ItemID, Text: "night cream, honest review", IdentityID: p.Identity,
			TikTokName: p.Creator, Advertiser: advID, AuthStatus: tiktokfake.AuthAuthorized, AuthStart: p.Start, AuthEnd: p.End,
		})
	}
	return seed
}

// shipping is what the sandbox shop charges for shipping an order.
const shipping = 4_950_000

// salesTax is the sandbox shop's 8 % sales tax on an amount of micros,
// rounded to the cent.
func salesTax(v int64) int64 { return (v*8/100 + 5_000) / 10_000 * 10_000 }

func shopifySeed(c *Campaign, now func() time.Time) (shopifyfake.Seed, error) {
	b := c.Brand
	seed := shopifyfake.Seed{
		Shop:        shopifyfake.Shop{Name: b.Name, Domain: shopOf(b), Currency: b.Currency, Timezone: b.Timezone},
		AccessToken: ShopifyToken, ClientID: ShopifyClientID, ClientSecret: ShopifyClientSecret, Now: now,
		// A generous bucket so a 30-day backfill doesn't stall the demo;
		// throttling is still modelled and tested.
		MaximumAvailable: 20000, RestoreRate: 1000,
	}
	seed.Orders = make([]shopifyfake.Order, 0, len(c.Orders))
	for _, o := range c.Orders {
		so := shopifyOrder(o)
		seed.Orders = append(seed.Orders, so)
	}
	return seed, nil
}
