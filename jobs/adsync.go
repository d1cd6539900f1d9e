package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
)

// adAccount is what the ads and insights syncs need of one ad account
// (a Meta ad account, a TikTok advertiser) on its platform. Its methods
// wrap their errors naming the platform's call; metaAdAccount and
// tiktokAdvertiser adapt the metaads and tiktokads clients.
type adAccount interface {
	// platform is the ad platform; id the account's id on it.
	platform() ads.Platform
	id() string
	// info reads the account's name, currency and time zone.
	info(ctx context.Context) (store.Account, error)
	// ads reads the ads changed after since (every ad, deleted ones
	// included, for zero since).
	ads(ctx context.Context, since time.Time) ([]ads.Ad, error)
	// campaigns reads the campaigns changed after since (every one for
	// zero since), labelled with where their budget lives and their
	// automation; currency is the account's.
	campaigns(ctx context.Context, currency string, since time.Time) ([]ads.Campaign, error)
	// adSets reads the ad sets (TikTok: ad groups) changed after since:
	// their ids, campaigns and times.
	adSets(ctx context.Context, since time.Time) ([]adSet, error)
	// adsOf reads every ad of the given campaigns and ad sets (ad
	// groups), as ads does.
	adsOf(ctx context.Context, campaigns, adSets []string) ([]ads.Ad, error)
	// deletedStatus is the status the platform gives a deleted ad.
	deletedStatus() string
	dayStats(ctx context.Context, rng ads.DateRange) ([]ads.DayStat, error)
}

// DefaultAdOverlap is how far before an account's ads (or campaigns) mark
// — the newest updated_time / modify_time listed — the next list starts.
// Both platforms stamp changes to the second and compare "after" the
// given second; their lists are read from indexes that may show a change
// a little after its stamp, and a change in the mark's own second may
// not have been listed yet. Five minutes covers that (as
// DefaultOrderOverlap does for Shopify) and costs only the re-read of the
// objects changed in the five minutes before the mark.
const DefaultAdOverlap = 5 * time.Minute

// adSet is an ad set (TikTok: ad group) as the ads sync lists it.
type adSet struct {
	id, campaign string
	updated      time.Time
}

// FullAdListEvery is how often, at most, the ads sync lists every ad and
// campaign of an account again instead of the changed ones: an ad that
// disappears from the platform's lists (purged after deletion) changes no
// updated_time, and a status the platform derives without touching the ad
// or its parents (a Spark authorization lost) need not move any time; a
// full list sees both.
const FullAdListEvery = 24 * time.Hour

// syncAds stores the account (name, currency, zone), its ads and
// campaigns, and which of the brand's variants each ad runs. The first
// sync of an account lists every ad and campaign, and so does the first
// sync FullAdListEvery after the last full list (on the jobs' clock); the
// other syncs list only what changed since the newest change listed less
// DefaultAdOverlap (store.AdListMarks, per platform and account: two
// brands sharing an account share them). Those syncs also list the ad
// sets (ad groups) changed since the campaigns' mark (which then covers
// the newest of both), and read again every ad of the changed campaigns
// and ad sets: pausing a parent changes the status the platform reports
// for its ads (CAMPAIGN_PAUSED, ADSET_PAUSED; AD_STATUS_CAMPAIGN_DISABLE,
// AD_STATUS_ADGROUP_DISABLE) but not their updated_time / modify_time.
// A full list gives the stored ads it no longer returned the platform's
// deleted status. Variants are matched against every stored ad of the
// account. The marks move only once everything listed (and read again)
// is stored: after a failed call the next sync asks from the same
// instant.
func (d *Deps) syncAds(ctx context.Context, b *configs.Brand, a adAccount, r *scheduler.Run) error {
	p, act := a.platform(), a.id()
	info, err := a.info(ctx)
	if err != nil {
		return err
	}
	if err := d.DB.UpsertAccount(ctx, info); err != nil {
		return err
	}
	marks, err := d.DB.AdListMarks(ctx, p, act)
	if err != nil {
		return err
	}
	full := marks.Full.IsZero() || !r.Now.Before(marks.Full.Add(FullAdListEvery))
	since := func(mark time.Time) time.Time {
		if full || mark.IsZero() {
			return time.Time{}
		}
		return mark.Add(-DefaultAdOverlap)
	}
	list, err := a.ads(ctx, since(marks.Ads))
	if err != nil {
		return err
	}
	n, err := d.DB.UpsertAds(ctx, list)
	r.AddRows(n)
	if err != nil {
		return err
	}
	camps, err := a.campaigns(ctx, info.Currency, since(marks.Campaigns))
	if err != nil {
		return err
	}
	n, err = d.DB.UpsertCampaigns(ctx, camps)
	r.AddRows(n)
	if err != nil {
		return err
	}
	next := store.AdListMarks{Full: marks.Full}
	var sets []adSet
	if !full {
		next.Ads, next.Campaigns = marks.Ads, marks.Campaigns
		// The ad sets share the campaigns' mark (a full list reads every
		// ad, so it lists none).
		if sets, err = a.adSets(ctx, since(marks.Campaigns)); err != nil {
			return err
		}
		again, err := parentsAds(ctx, a, camps, sets)
		if err != nil {
			return err
		}
		n, err := d.DB.UpsertAds(ctx, again)
		r.AddRows(n)
		if err != nil {
			return err
		}
	}
	ids := make([]string, len(list))
	for i, ad := range list {
		ids[i] = ad.ID
		next.Ads = latest(next.Ads, ad.UpdatedAt)
	}
	for _, c := range camps {
		next.Campaigns = latest(next.Campaigns, c.UpdatedAt)
	}
	for _, s := range sets {
		next.Campaigns = latest(next.Campaigns, s.updated)
	}
	if full {
		n, err := d.DB.MarkUnlistedAds(ctx, p, act, ids, a.deletedStatus())
		r.AddRows(n)
		if err != nil {
			return err
		}
		next.Full = r.Now
	}
	stored, err := d.DB.Ads(ctx, p, act)
	if err != nil {
		return err
	}
	var items map[string]string
	if p == ads.TikTok { // only TikTok variants have Spark codes
		if items, err = sparkItems(ctx, d.DB, b); err != nil {
			return err
		}
	}
	matches, _ := reconcile.MatchVariantsWithItems(b, p, stored, items)
	if err := d.DB.ReplaceVariantAds(ctx, b.Name, p, act, links(b.Name, act, matches)); err != nil {
		return err
	}
	return d.DB.SetAdListMarks(ctx, p, act, next)
}

// parentsAds reads again the ads of the changed campaigns camps and of
// the changed ad sets sets outside them (one ad once, its last read
// kept).
func parentsAds(ctx context.Context, a adAccount, camps []ads.Campaign, sets []adSet) ([]ads.Ad, error) {
	if len(camps) == 0 && len(sets) == 0 {
		return nil, nil
	}
	var campIDs, setIDs []string
	seen := map[string]bool{}
	for _, c := range camps {
		if !seen[c.ID] {
			seen[c.ID] = true
			campIDs = append(campIDs, c.ID)
		}
	}
	setSeen := map[string]bool{}
	for _, s := range sets {
		if !seen[s.campaign] && !setSeen[s.id] {
			setSeen[s.id] = true
			setIDs = append(setIDs, s.id)
		}
	}
	list, err := a.adsOf(ctx, campIDs, setIDs)
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	var out []ads.Ad
	for _, ad := range list {
		if i, ok := at[ad.ID]; ok {
			out[i] = ad
			continue
		}
		at[ad.ID] = len(out)
		out = append(out, ad)
	}
	return out, nil
}

// latest is the later of two times.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// syncInsights stores the account's daily stats over pullRange (the
// restatement window, or from the earliest test on a first pull) and
// records the last day pulled. The account's time zone is the one its ads sync
// stored; it is read from the platform only before that.
func (d *Deps) syncInsights(ctx context.Context, b *configs.Brand, a adAccount, r *scheduler.Run) error {
	p, act := a.platform(), a.id()
	info, ok, err := d.storedAccount(ctx, p, act)
	if err != nil {
		return err
	}
	if !ok {
		ai, err := a.info(ctx)
		if err != nil {
			return err
		}
		info.Timezone = ai.Timezone
	}
	rng, ok, err := d.pullRange(ctx, b, p, act, ads.DateOf(r.Now, zoneOr(info.Timezone, b.Location)))
	if err != nil || !ok {
		return err
	}
	stats, err := a.dayStats(ctx, rng)
	if err != nil {
		return err
	}
	n, err := d.DB.UpsertDayStats(ctx, stats)
	r.AddRows(n)
	if err != nil {
		return err
	}
	return d.DB.SetInsightsPulled(ctx, p, act, rng.To)
}

// metaAdAccount is a Meta ad account read with the metaads client.
type metaAdAccount struct {
	c *metaads.Client
	m *configs.MetaAccount
}

func (d *Deps) metaPlatform(m *configs.MetaAccount) adAccount { return metaAdAccount{c: d.Meta, m: m} }

func (a metaAdAccount) platform() ads.Platform { return ads.Meta }
func (a metaAdAccount) id() string             { return a.m.AdAccount }
func (a metaAdAccount) deletedStatus() string  { return "DELETED" }

func (a metaAdAccount) info(ctx context.Context) (store.Account, error) {
	info, err := a.c.Account(ctx, a.m.AdAccount)
	if err != nil {
		return store.Account{}, fmt.Errorf("reading meta account: %w", err)
	}
	return store.Account{Platform: ads.Meta, ID: a.m.AdAccount, Name: info.Name, Currency: info.Currency, Timezone: info.Timezone}, nil
}

func (a metaAdAccount) ads(ctx context.Context, since time.Time) ([]ads.Ad, error) {
	list, err := a.c.AdsChangedSince(ctx, a.m.AdAccount, since)
	if err != nil {
		return nil, fmt.Errorf("syncing meta ads: %w", err)
	}
	return list, nil
}

// campaigns are labelled with where their budget lives (Advantage+
// campaign budget) and their Advantage+ state.
func (a metaAdAccount) campaigns(ctx context.Context, currency string, since time.Time) ([]ads.Campaign, error) {
	camps, err := a.c.CampaignsChangedSince(ctx, a.m.AdAccount, currency, since)
	if err != nil {
		return nil, fmt.Errorf("syncing meta campaigns: %w", err)
	}
	return camps, nil
}

func (a metaAdAccount) adSets(ctx context.Context, since time.Time) ([]adSet, error) {
	list, err := a.c.AdSetsChangedSince(ctx, a.m.AdAccount, since)
	if err != nil {
		return nil, fmt.Errorf("listing meta ad sets: %w", err)
	}
	out := make([]adSet, len(list))
	for i, s := range list {
		out[i] = adSet{id: s.ID, campaign: s.CampaignID, updated: s.UpdatedAt}
	}
	return out, nil
}

func (a metaAdAccount) adsOf(ctx context.Context, campaigns, adSets []string) ([]ads.Ad, error) {
	list, err := a.c.AdsOfParents(ctx, a.m.AdAccount, campaigns, adSets)
	if err != nil {
		return nil, fmt.Errorf("re-reading the ads of %d changed meta campaigns and %d ad sets: %w", len(campaigns), len(adSets), err)
	}
	return list, nil
}

func (a metaAdAccount) dayStats(ctx context.Context, rng ads.DateRange) ([]ads.DayStat, error) {
	stats, err := a.c.DayStats(ctx, a.m.AdAccount, rng, a.m.AttributionWindows)
	if err != nil {
		return nil, fmt.Errorf("pulling meta insights %s..%s: %w", rng.From, rng.To, err)
	}
	return stats, nil
}

// tiktokAdvertiser is a TikTok advertiser read with the tiktokads client.
type tiktokAdvertiser struct {
	c   *tiktokads.Client
	adv string
}

func (d *Deps) tiktokPlatform(adv string) adAccount { return tiktokAdvertiser{c: d.TikTok, adv: adv} }

func (a tiktokAdvertiser) platform() ads.Platform { return ads.TikTok }
func (a tiktokAdvertiser) id() string             { return a.adv }

// deletedStatus is what /ad/get/ reports for a deleted ad
// (operation_status/secondary_status, as tiktokads stores every status),
// so a purged ad reads the same as one still listed deleted.
func (a tiktokAdvertiser) deletedStatus() string { return "DELETE/AD_STATUS_DELETE" }

func (a tiktokAdvertiser) info(ctx context.Context) (store.Account, error) {
	info, err := a.c.Advertiser(ctx, a.adv)
	if err != nil {
		return store.Account{}, fmt.Errorf("reading tiktok advertiser: %w", err)
	}
	return store.Account{Platform: ads.TikTok, ID: a.adv, Name: info.Name, Currency: info.Currency, Timezone: info.Timezone}, nil
}

func (a tiktokAdvertiser) ads(ctx context.Context, since time.Time) ([]ads.Ad, error) {
	list, err := a.c.AdsModifiedAfter(ctx, a.adv, since)
	if err != nil {
		return nil, fmt.Errorf("syncing tiktok ads: %w", err)
	}
	return list, nil
}

// campaigns are labelled with where their budget lives (campaign budget
// optimisation, Smart+) and their automation type; TikTok's call takes no
// currency.
func (a tiktokAdvertiser) campaigns(ctx context.Context, _ string, since time.Time) ([]ads.Campaign, error) {
	camps, err := a.c.CampaignsModifiedAfter(ctx, a.adv, since)
	if err != nil {
		return nil, fmt.Errorf("syncing tiktok campaigns: %w", err)
	}
	return camps, nil
}

func (a tiktokAdvertiser) adSets(ctx context.Context, since time.Time) ([]adSet, error) {
	list, err := a.c.AdGroupsModifiedAfter(ctx, a.adv, since)
	if err != nil {
		return nil, fmt.Errorf("listing tiktok ad groups: %w", err)
	}
	out := make([]adSet, len(list))
	for i, g := range list {
		out[i] = adSet{id: g.ID, campaign: g.CampaignID, updated: g.UpdatedAt}
	}
	return out, nil
}

func (a tiktokAdvertiser) adsOf(ctx context.Context, campaigns, adGroups []string) ([]ads.Ad, error) {
	list, err := a.c.AdsOfParents(ctx, a.adv, campaigns, adGroups)
	if err != nil {
		return nil, fmt.Errorf("re-reading the ads of %d changed tiktok campaigns and %d ad groups: %w", len(campaigns), len(adGroups), err)
	}
	return list, nil
}

func (a tiktokAdvertiser) dayStats(ctx context.Context, rng ads.DateRange) ([]ads.DayStat, error) {
	stats, err := a.c.DayStats(ctx, a.adv, rng)
	if err != nil {
		return nil, fmt.Errorf("pulling tiktok report %s..%s: %w", rng.From, rng.To, err)
	}
	return stats, nil
}
