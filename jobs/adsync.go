package jobs

import (
	"context"
	"fmt"

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
	ads(ctx context.Context) ([]ads.Ad, error)
	// campaigns reads the campaigns, labelled with where their budget
	// lives and their automation; currency is the account's.
	campaigns(ctx context.Context, currency string) ([]ads.Campaign, error)
	dayStats(ctx context.Context, rng ads.DateRange) ([]ads.DayStat, error)
}

// syncAds stores the account (name, currency, zone), its ads and
// campaigns, and which of the brand's variants each ad runs.
func (d *Deps) syncAds(ctx context.Context, b *configs.Brand, a adAccount, r *scheduler.Run) error {
	p, act := a.platform(), a.id()
	info, err := a.info(ctx)
	if err != nil {
		return err
	}
	if err := d.DB.UpsertAccount(ctx, info); err != nil {
		return err
	}
	list, err := a.ads(ctx)
	if err != nil {
		return err
	}
	n, err := d.DB.UpsertAds(ctx, list)
	r.AddRows(n)
	if err != nil {
		return err
	}
	camps, err := a.campaigns(ctx, info.Currency)
	if err != nil {
		return err
	}
	n, err = d.DB.UpsertCampaigns(ctx, camps)
	r.AddRows(n)
	if err != nil {
		return err
	}
	var items map[string]string
	if p == ads.TikTok { // only TikTok variants have Spark codes
		if items, err = sparkItems(ctx, d.DB, b); err != nil {
			return err
		}
	}
	matches, _ := reconcile.MatchVariantsWithItems(b, p, list, items)
	return d.DB.ReplaceVariantAds(ctx, b.Name, p, act, links(b.Name, act, matches))
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

func (a metaAdAccount) info(ctx context.Context) (store.Account, error) {
	info, err := a.c.Account(ctx, a.m.AdAccount)
	if err != nil {
		return store.Account{}, fmt.Errorf("reading meta account: %w", err)
	}
	return store.Account{Platform: ads.Meta, ID: a.m.AdAccount, Name: info.Name, Currency: info.Currency, Timezone: info.Timezone}, nil
}

func (a metaAdAccount) ads(ctx context.Context) ([]ads.Ad, error) {
	list, err := a.c.Ads(ctx, a.m.AdAccount)
	if err != nil {
		return nil, fmt.Errorf("syncing meta ads: %w", err)
	}
	return list, nil
}

// campaigns are labelled with where their budget lives (Advantage+
// campaign budget) and their Advantage+ state.
func (a metaAdAccount) campaigns(ctx context.Context, currency string) ([]ads.Campaign, error) {
	camps, err := a.c.Campaigns(ctx, a.m.AdAccount, currency)
	if err != nil {
		return nil, fmt.Errorf("syncing meta campaigns: %w", err)
	}
	return camps, nil
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

func (a tiktokAdvertiser) info(ctx context.Context) (store.Account, error) {
	info, err := a.c.Advertiser(ctx, a.adv)
	if err != nil {
		return store.Account{}, fmt.Errorf("reading tiktok advertiser: %w", err)
	}
	return store.Account{Platform: ads.TikTok, ID: a.adv, Name: info.Name, Currency: info.Currency, Timezone: info.Timezone}, nil
}

func (a tiktokAdvertiser) ads(ctx context.Context) ([]ads.Ad, error) {
	list, err := a.c.Ads(ctx, a.adv)
	if err != nil {
		return nil, fmt.Errorf("syncing tiktok ads: %w", err)
	}
	return list, nil
}

// campaigns are labelled with where their budget lives (campaign budget
// optimisation, Smart+) and their automation type; TikTok's call takes no
// currency.
func (a tiktokAdvertiser) campaigns(ctx context.Context, _ string) ([]ads.Campaign, error) {
	camps, err := a.c.Campaigns(ctx, a.adv)
	if err != nil {
		return nil, fmt.Errorf("syncing tiktok campaigns: %w", err)
	}
	return camps, nil
}

func (a tiktokAdvertiser) dayStats(ctx context.Context, rng ads.DateRange) ([]ads.DayStat, error) {
	stats, err := a.c.DayStats(ctx, a.adv, rng)
	if err != nil {
		return nil, fmt.Errorf("pulling tiktok report %s..%s: %w", rng.From, rng.To, err)
	}
	return stats, nil
}
