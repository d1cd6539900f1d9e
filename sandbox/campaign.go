// Package sandbox combines the Meta, TikTok, Shopify and Slack fakes and
// seeds them with a simulated 30-day creator campaign that matches a
// configuration (the embedded examples by default): realistic spend,
// platform-reported and store-confirmed conversions, discount-code and
// organic orders, refunds, cancellations, a restatement of recent days, one
// permission about to expire and one untagged ad.
package sandbox

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// Days is the length of the default simulated campaign.
const Days = 30

// Scale sizes a simulated campaign. The zero value is the default campaign
// (Days days, as many orders as the simulated spend and ROAS bring); the
// benchmarks use it for a large brand.
type Scale struct {
	// Days is the campaign length (default Days).
	Days int
	// Orders, when positive, is the exact number of store orders: paid
	// orders are drawn in proportion to the variants' simulated ROAS (at
	// most 90% of Orders) and organic code, link and unattributed orders
	// make up the rest.
	Orders int
}

// Campaign is the simulated truth the fakes are seeded from.
type Campaign struct {
	Brand *configs.Brand
	// Today is the last simulated day; the campaign covers the Days days
	// up to it. Now is noon of Today in the brand's zone.
	Today ads.Date
	Now   time.Time
	// Days is the campaign length (Days unless scaled).
	Days int
	// Ads are the paid ads (one per variant, plus an untagged one per
	// platform used).
	Ads []SimAd
	// Stats are per ad per day, in the brand currency.
	Stats []ads.DayStat
	// Orders are the store's orders, in the brand currency.
	Orders []ads.Order
	// Permissions are the creators' grants as the platforms report them.
	Permissions []ads.Permission
	// SparkCodes maps each declared Spark code to the post it authorizes.
	SparkCodes map[string]SparkPost
	// Bound are Spark posts authorized before the campaign (declared by
	// item id, without a code).
	Bound []SparkPost
}

// SparkPost is the TikTok post behind a Spark authorization code.
type SparkPost struct {
	ItemID   string
	Creator  string
	Identity string
	Start    time.Time
	End      time.Time
}

// SimAd is an ad of the simulation and the variant it runs ("" for the
// untagged one).
type SimAd struct {
	ads.Ad
	TestID      string
	VariantKey  string
	CreatorIG   string
	DailyBudget int64 // micro-units
	// ROAS is the simulated true return on spend of the variant.
	ROAS float64
}

// stableID makes a numeric id of n digits from a name, so reseeding gives
// the same ids.
func stableID(name string, n int) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	v := h.Sum64()
	s := fmt.Sprintf("%d", v)
	for len(s) < n {
		s += fmt.Sprintf("%d", v%7919)
	}
	return "1" + s[:n-1]
}

// NewCampaign simulates a 30-day campaign over set's first brand. The same
// set and seed always give the same campaign.
func NewCampaign(set *configs.Set, seed uint64) (*Campaign, error) {
	return NewScaledCampaign(set, seed, Scale{})
}

// NewScaledCampaign simulates a campaign of the given scale over set's
// first brand. The same set, seed and scale always give the same campaign;
// the zero Scale gives NewCampaign's.
func NewScaledCampaign(set *configs.Set, seed uint64, sc Scale) (*Campaign, error) {
	if len(set.Brands) == 0 {
		return nil, fmt.Errorf("sandbox: the config has no brand")
	}
	return newCampaign(set.Brands[0], seed, sc, time.Time{}, 0)
}

// NewCampaigns simulates the default campaign of every brand of set, in
// the set's order. The first brand's is NewCampaign's (the same numbers
// whether or not other brands are configured); each other brand's is drawn
// from a random stream of its own, with order ids of its own, and ends at
// the first's Now (one clock for every fake), on that instant's day in its
// own zone.
func NewCampaigns(set *configs.Set, seed uint64) ([]*Campaign, error) {
	return NewScaledCampaigns(set, seed, Scale{})
}

// NewScaledCampaigns is NewCampaigns with every brand's campaign at the
// scale sc (the benchmarks' many brands); the zero Scale gives
// NewCampaigns'.
func NewScaledCampaigns(set *configs.Set, seed uint64, sc Scale) ([]*Campaign, error) {
	first, err := NewScaledCampaign(set, seed, sc)
	if err != nil {
		return nil, err
	}
	out := []*Campaign{first}
	for i, b := range set.Brands[1:] {
		c, err := newCampaign(b, seed, sc, first.Now, i+1)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// newCampaign simulates b's campaign. A zero now ends it at noon of the
// day Days after its first test's start; else it ends at now. The brand's
// index in the set picks its random stream and order ids (0: the stream
// the single-brand sandbox has always used).
func newCampaign(b *configs.Brand, seed uint64, sc Scale, now time.Time, index int) (*Campaign, error) {
	days := sc.Days
	if days <= 0 {
		days = Days
	}
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	var first ads.Date
	for i, t := range b.Tests {
		if i == 0 || t.Start.Before(first) {
			first = t.Start
		}
	}
	if first.IsZero() {
		return nil, fmt.Errorf("sandbox: brand %s has no tests", b.Name)
	}
	today := first.AddDays(days)
	if now.IsZero() {
		now = today.In(loc).Add(12 * time.Hour)
	} else {
		today = ads.DateOf(now, loc)
	}
	c := &Campaign{Brand: b, Today: today, Now: now, Days: days, SparkCodes: map[string]SparkPost{}}
	rng := rand.New(rand.NewPCG(seed, 0x5eed+uint64(index)))
	cur := b.Currency
	if sc.Orders > 0 {
		c.Orders = make([]ads.Order, 0, sc.Orders)
	}

	// Ads: one per declared variant, with a simulated true ROAS spread so
	// the verdicts have something to say: strong, middling, weak, and one
	// low-spend variant.
	roasLadder := []float64{5.2, 1.6, 3.4, 0.6, 4.1, 2.2, 0.9, 6.0, 2.8, 1.2, 3.9, 0.7}
	vi := 0
	for _, t := range b.Tests {
		creator := b.Creator(t.Creator)
		for _, v := range t.Variants {
			a := SimAd{TestID: t.ID, VariantKey: v.Key, ROAS: roasLadder[vi%len(roasLadder)]}
			vi++
			a.Platform, a.Kind, a.Status = v.Platform, v.Kind, "ACTIVE"
			a.ID = v.AdID
			if a.ID == "" {
				digits := 18
				if v.Platform == ads.TikTok {
					digits = 19
				}
				a.ID = stableID(b.Name+"/"+t.ID+"/"+v.Key, digits)
			}
			a.Name = fmt.Sprintf("%s · %s", t.ID, v.Key)
			a.CampaignID = stableID(b.Name+"/campaign/"+t.ID+string(v.Platform), len(a.ID))
			a.AdSetID = stableID(b.Name+"/adset/"+t.ID+"/"+v.Key, len(a.ID))
			utm := v.UTM
			if utm.Content == "" {
				utm.Content = v.Key
			}
			if utm.Source == "" {
				utm.Source = t.Creator
			}
			if utm.Campaign == "" {
				utm.Campaign = t.ID
			}
			utm.Medium = "paid_social"
			a.URLTags = fmt.Sprintf("utm_source=%s&utm_medium=%s&utm_campaign=%s&utm_content=%s", utm.Source, utm.Medium, utm.Campaign, utm.Content)
			a.LinkURL = "https://" + b.Name + ".com/products/serum"
			a.UTM = utm
			switch v.Platform {
			case ads.Meta:
				a.Account = b.Accounts.Meta[0].AdAccount
				a.ItemID = b.Accounts.Meta[0].Page + "_" + stableID("post/"+a.ID, 16)
				if v.Kind == ads.Whitelisted && creator != nil {
					a.CreatorIdentity = stableID("ig/"+creator.Instagram, 17)
					a.CreatorIG = creator.Instagram
				}
			case ads.TikTok:
				a.Account = b.Accounts.TikTok[0].Advertiser
				a.LinkURL += "?" + a.URLTags
				a.URLTags = ""
				a.ItemID = v.ItemID
				if v.Kind == ads.Spark && v.SparkCode == "" && v.ItemID != "" {
					// Authorized earlier, outside roasd: the post is already
					// bound to the advertiser.
					handle := ""
					if creator != nil {
						handle = creator.TikTok
					}
					start := today.AddDays(-days - 5).In(loc)
					// Authorized for the campaign and two months beyond
					// it (90 days from start for the default campaign).
					c.Bound = append(c.Bound, SparkPost{ItemID: v.ItemID, Creator: handle, Identity: stableID("identity/"+handle, 19),
						Start: start, End: start.AddDate(0, 0, days+60)})
					a.CreatorIdentity = stableID("identity/"+handle, 19)
				}
				if v.SparkCode != "" {
					if a.ItemID == "" {
						a.ItemID = stableID("item/"+v.SparkCode, 19)
					}
					handle := ""
					if creator != nil {
						handle = creator.TikTok
					}
					start := today.AddDays(-days - 5).In(loc)
					c.SparkCodes[v.SparkCode] = SparkPost{ItemID: a.ItemID, Creator: handle, Identity: stableID("identity/"+handle, 19),
						Start: start, End: start.AddDate(0, 0, days+30)}
					a.CreatorIdentity = c.SparkCodes[v.SparkCode].Identity
				}
			}
			a.DailyBudget = ads.MustMicros("100")
			c.Ads = append(c.Ads, a)
		}
	}
	// One untagged ad, on the first platform the brand uses: spend that
	// can't be tracked.
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		var acct string
		switch {
		case p == ads.Meta && len(b.Accounts.Meta) > 0:
			acct = b.Accounts.Meta[0].AdAccount
		case p == ads.TikTok && len(b.Accounts.TikTok) > 0:
			acct = b.Accounts.TikTok[0].Advertiser
		default:
			continue
		}
		digits := map[ads.Platform]int{ads.Meta: 18, ads.TikTok: 19}[p]
		a := SimAd{ROAS: 1.0}
		a.Platform, a.Account, a.Kind, a.Status = p, acct, ads.Standard, "ACTIVE"
		a.ID = stableID(b.Name+"/untagged/"+string(p), digits)
		a.Name = "evergreen retargeting (no UTM)"
		a.CampaignID = stableID(b.Name+"/campaign/evergreen/"+string(p), digits)
		a.AdSetID = stableID(b.Name+"/adset/evergreen/"+string(p), digits)
		a.LinkURL = "https://" + b.Name + ".com/"
		a.DailyBudget = ads.MustMicros("60")
		c.Ads = append(c.Ads, a)
		break // one untagged ad in all
	}

	// Daily stats and the paid orders behind them.
	orderSeq, idBase := 1000, int64(5_500_000_000+100_000_000*index)
	newOrder := func(day ads.Date, sum int64) ads.Order {
		orderSeq++
		at := day.In(loc).Add(time.Duration(8+rng.IntN(14))*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		if at.After(c.Now) {
			// Today's evening has not come yet: the order was placed
			// overnight instead.
			at = at.Add(-12 * time.Hour)
		}
		return ads.Order{
			Shop: shopOf(b), ID: fmt.Sprintf("gid://shopify/Order/%d", idBase+int64(orderSeq)), Name: fmt.Sprintf("#%d", orderSeq),
			CreatedAt: at.UTC(), UpdatedAt: at.UTC(), Currency: cur, Gross: sum, Net: sum,
		}
	}
	// A target order count scales the paid orders' rate (expected orders
	// per ad-day are about 1.44 × ROAS at the mean spend and basket).
	lambda := 1.0
	if sc.Orders > 0 {
		expected := 0.0
		for _, a := range c.Ads {
			expected += 1.44 * a.ROAS * float64(days)
		}
		if limit := 0.9 * float64(sc.Orders); expected > limit {
			lambda = limit / expected
		}
	}
	testByID := map[string]*configs.Test{}
	for _, t := range b.Tests {
		if _, dup := testByID[t.ID]; !dup {
			testByID[t.ID] = t
		}
	}
	for ai, a := range c.Ads {
		lowSpend := ai == 3 // one variant barely spends: it must be held, never cut
		test := testByID[a.TestID]
		var creator *configs.Creator
		if test != nil {
			creator = b.Creator(test.Creator)
		}
		for d := 0; d < days; d++ {
			day := today.AddDays(-days + 1 + d)
			if test != nil && day.Before(test.Start) {
				continue
			}
			// Money is simulated in whole cents (integers); only the
			// expected order count is a float.
			spendCents := int64(4500 + rng.IntN(9000))
			if lowSpend {
				spendCents = int64(100 + rng.IntN(300))
			}
			spend := spendCents * 10_000
			impr := spendCents * 1000 / int64(800+rng.IntN(600))
			clicks := impr * int64(80+rng.IntN(120)) / 10_000
			eng := impr * int64(300+rng.IntN(400)) / 10_000
			aovCents := int64(4500 + rng.IntN(3500))
			n := poisson(rng, lambda*float64(spendCents)*a.ROAS/float64(aovCents))
			var value int64
			for k := 0; k < n; k++ {
				amt := aovCents * int64(70+rng.IntN(60)) / 100 * 10_000
				o := newOrder(day, amt)
				if a.VariantKey != "" {
					o.UTM = a.UTM
					o.LandingPage = a.LinkURL
					o.FirstUTM = a.UTM
					if creator != nil && len(creator.Codes) > 0 && rng.IntN(10) < 3 {
						// Paid click that also used the creator's code: the
						// order must still count once.
						o.DiscountCodes = []string{creator.Codes[0]}
						o.Discounts = amt * 15 / 100
						o.Net = amt - o.Discounts
					}
				}
				c.Orders = append(c.Orders, o)
				value += o.Net
			}
			// Platforms over-report: view-through and modelled conversions.
			overPct := int64(115 + rng.IntN(35))
			if ai == 1 {
				overPct = 320 // one variant the platform flatters a lot
			}
			conv := (int64(n)*overPct + 50) / 100
			c.Stats = append(c.Stats, ads.DayStat{
				Platform: a.Platform, Account: a.Account, AdID: a.ID, Day: day, Currency: cur,
				Spend: spend, Impressions: impr, Clicks: clicks, Engagements: eng, Views: impr * 6 / 10,
				Conversions: conv, ConversionValue: value * overPct / 100,
			})
		}
	}

	// Organic orders: creators' codes and links, and unattributed orders.
	for d := 0; d < days; d++ {
		day := today.AddDays(-days + 1 + d)
		for _, cr := range b.Creators {
			for k := poisson(rng, 1.4); k > 0; k-- {
				amt := int64(4000+rng.IntN(5000)) * 10_000
				o := newOrder(day, amt)
				if len(cr.Codes) > 0 && rng.IntN(3) > 0 {
					o.DiscountCodes = []string{cr.Codes[rng.IntN(len(cr.Codes))]}
					o.Discounts = amt * 15 / 100
					o.Net = amt - o.Discounts
				} else if len(cr.Links) > 0 {
					o.LandingPage = cr.Links[0]
					o.UTM = ads.ParseUTM(cr.Links[0])
				}
				c.Orders = append(c.Orders, o)
			}
		}
		for k := poisson(rng, 4); k > 0; k-- {
			c.Orders = append(c.Orders, newOrder(day, int64(3000+rng.IntN(7000))*10_000))
		}
	}
	c.Orders = append(c.Orders, messyOrders(b, days, today, newOrder)...)
	// Fill up to a target count with organic orders spread evenly over
	// the days: two thirds through creators' codes and links, the rest
	// unattributed.
	for i, missing := 0, sc.Orders-len(c.Orders); i < missing; i++ {
		day := today.AddDays(-days + 1 + i*days/missing)
		amt := int64(4000+rng.IntN(5000)) * 10_000
		o := newOrder(day, amt)
		if len(b.Creators) > 0 && rng.IntN(3) > 0 {
			cr := b.Creators[rng.IntN(len(b.Creators))]
			if len(cr.Codes) > 0 && rng.IntN(2) == 0 {
				o.DiscountCodes = []string{cr.Codes[rng.IntN(len(cr.Codes))]}
				o.Discounts = amt * 15 / 100
				o.Net = amt - o.Discounts
			} else if len(cr.Links) > 0 {
				o.LandingPage = cr.Links[0]
				o.UTM = ads.ParseUTM(cr.Links[0])
			}
		}
		c.Orders = append(c.Orders, o)
	}
	sort.Slice(c.Orders, func(i, j int) bool { return c.Orders[i].CreatedAt.Before(c.Orders[j].CreatedAt) })
	// Refunds (5%) and cancellations (2%), a day or two after purchase;
	// one due after Now has not happened yet.
	for i := range c.Orders {
		o := &c.Orders[i]
		switch r := rng.IntN(100); {
		case r < 2 && !o.CreatedAt.Add(26*time.Hour).After(c.Now):
			o.CancelledAt = o.CreatedAt.Add(26 * time.Hour)
			o.UpdatedAt = o.CancelledAt
			o.Refunded = o.Gross - o.Discounts
			o.Net = 0
		case r >= 2 && r < 7 && !o.CreatedAt.Add(49*time.Hour).After(c.Now):
			o.UpdatedAt = o.CreatedAt.Add(49 * time.Hour)
			o.Refunded = (o.Gross - o.Discounts) / 2
			o.Refunded -= o.Refunded % 10_000
			o.Net = o.Gross - o.Discounts - o.Refunded
		}
	}

	// Permissions: Meta partnership permissions per creator with an
	// Instagram handle; the first expires within a week of Today.
	if len(b.Accounts.Meta) > 0 {
		for i, cr := range b.Creators {
			if cr.Instagram == "" {
				continue
			}
			granted := today.AddDays(-days - 10).In(loc)
			exp := today.AddDays(90).In(loc)
			if i == 0 {
				exp = today.AddDays(5).In(loc)
			}
			c.Permissions = append(c.Permissions, ads.Permission{
				Platform: ads.Meta, Account: b.Accounts.Meta[0].AdAccount, ID: stableID("perm/"+cr.Handle, 16),
				Creator: cr.Instagram, CreatorID: stableID("ig/"+cr.Instagram, 17), Status: ads.PermissionActive,
				GrantedAt: granted.UTC(), ExpiresAt: exp.UTC(),
			})
		}
	}
	return c, nil
}

// Restate changes the last days' numbers the way platforms do when late
// conversions arrive: conversions and value up, spend corrected slightly.
// It returns the restated stats.
func (c *Campaign) Restate(days int) []ads.DayStat {
	from := c.Today.AddDays(-days + 1)
	var out []ads.DayStat
	for i := range c.Stats {
		s := &c.Stats[i]
		if s.Day.Before(from) {
			continue
		}
		s.Conversions++
		s.ConversionValue += ads.MustMicros("52.40")
		s.Spend += ads.MustMicros("0.37")
		out = append(out, *s)
	}
	return out
}

func shopOf(b *configs.Brand) string {
	if len(b.Accounts.Shopify) > 0 {
		return b.Accounts.Shopify[0].Shop
	}
	return b.Name + ".myshopify.com"
}

// poisson draws from a Poisson distribution (Knuth; fine for small means).
func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// messyOrders are the orders real shops send that tidy seeds miss (issue
// 23): test orders (`test: true`, never revenue), orders carrying several
// discount codes (a creator's and a shop-wide one), and orders whose
// landing URL is messy (upper-case UTM keys, a stray `%`, a `;`). They
// are placed by day number, not drawn, so the rest of the seed is
// unchanged; newOrder's own draws only move order times.
func messyOrders(b *configs.Brand, days int, today ads.Date, newOrder func(ads.Date, int64) ads.Order) []ads.Order {
	if len(b.Creators) == 0 {
		return nil
	}
	var out []ads.Order
	for d := 0; d < days; d++ {
		day := today.AddDays(-days + 1 + d)
		cr := b.Creators[d%len(b.Creators)]
		amt := int64(5200+100*(d%9)) * 10_000
		switch {
		case d%7 == 3 && len(cr.Codes) > 0:
			o := newOrder(day, amt)
			o.Test = true
			o.DiscountCodes = []string{cr.Codes[0]}
			out = append(out, o)
		case d%5 == 1 && len(cr.Codes) > 0:
			o := newOrder(day, amt)
			o.DiscountCodes = []string{"FREESHIP", cr.Codes[0]}
			o.Discounts = amt * 15 / 100
			o.Net = amt - o.Discounts
			out = append(out, o)
		case d%4 == 2 && len(cr.Links) > 0:
			o := newOrder(day, amt)
			o.LandingPage = messyURL(cr.Links[0])
			o.UTM = ads.ParseUTM(o.LandingPage)
			out = append(out, o)
		}
	}
	return out
}

// messyURL is link as real traffic mangles it: upper-case UTM keys and a
// promo parameter with a stray `%` and a `;`.
func messyURL(link string) string {
	sep := "?"
	if strings.Contains(link, "?") {
		sep = "&"
	}
	return strings.ReplaceAll(link, "utm_", "UTM_") + sep + "promo=50%off;ref=story"
}
