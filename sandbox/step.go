package sandbox

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

// Change is what Advance added to the fakes.
type Change struct {
	// From and To are the fakes' clock before and after.
	From, To time.Time
	// Orders were placed between From and To; Refunds were refunds of
	// recent orders.
	Orders, Refunds int
	// StatRows are the daily ad rows that moved or appeared (today's
	// spend and conversions growing, a new day's first rows).
	StatRows int
	// Restated is the day the platforms restated (every ad's row of it),
	// RestatedRows how many rows that was.
	Restated     ads.Date
	RestatedRows int
	// Revoked is the Spark post whose authorization the creator revoked
	// ("" when the campaign has no Spark code).
	Revoked string
}

// Now is the fakes' clock (Meta's, TikTok's and Slack's; Shopify's runs
// at the same pace from the same instant).
func (s *Sandbox) Now() time.Time {
	return time.Now().Add(time.Until(s.Campaign.Now) + time.Duration(s.shift.Load()))
}

// Advance moves the fakes' clocks on by d and adds what a running
// campaign (the first brand's; other brands' data stays as seeded)
// produces in that time, deterministically for seed: orders
// placed at the campaign's recent daily rate (copies of the last day's
// orders, so their attribution mix is the same), refunds of three recent
// orders, every running ad's daily row for each day up to the new now
// grown to the share of its day elapsed (today's stats moving; after a
// day, a new day), one day inside the restatement window restated for
// every ad (a conversion more, as late conversions arrive) and one Spark
// authorization revoked (the first code that is still active). Zero d
// changes nothing.
func (s *Sandbox) Advance(d time.Duration, seed uint64) (Change, error) {
	return s.advance(d, seed, s.Campaigns[:1])
}

// AdvanceAll is Advance for every brand's campaign: each gets its new
// orders, refunds, moving stats, restated day and revoked Spark post (the
// Change sums them; Restated and Revoked are the first brand's).
func (s *Sandbox) AdvanceAll(d time.Duration, seed uint64) (Change, error) {
	return s.advance(d, seed, s.Campaigns)
}

func (s *Sandbox) advance(d time.Duration, seed uint64, cs []*Campaign) (Change, error) {
	if d <= 0 {
		return Change{}, nil
	}
	s.steps++
	step := s.steps
	ch := Change{From: s.Now()}
	s.shift.Add(int64(d))
	ch.To = ch.From.Add(d)
	for i, c := range cs {
		// The first brand draws from the stream it always has.
		rng := rand.New(rand.NewPCG(seed, uint64(step)|uint64(i)<<32))
		shop := s.Shops.Shop(shopOf(c.Brand))
		if shop == nil {
			return ch, fmt.Errorf("sandbox: brand %s has no shop", c.Brand.Name)
		}
		one, err := s.advanceBrand(c, shop, rng, step, ch.From, ch.To)
		if i == 0 {
			ch.Restated, ch.Revoked = one.Restated, one.Revoked
		}
		ch.Orders += one.Orders
		ch.Refunds += one.Refunds
		ch.StatRows += one.StatRows
		ch.RestatedRows += one.RestatedRows
		if err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// advanceBrand adds to the fakes what c's campaign produces between from
// and to, placing its orders in shop.
func (s *Sandbox) advanceBrand(c *Campaign, shop *shopifyfake.Server, rng *rand.Rand, step int, from, to time.Time) (Change, error) {
	ch := Change{From: from, To: to}
	d := to.Sub(from)
	loc := c.Brand.Location

	// Orders at the campaign's daily rate, copied from its last day.
	var recent []ads.Order
	for _, o := range c.Orders {
		if ads.DateOf(o.CreatedAt, loc) == c.Today && o.CancelledAt.IsZero() {
			recent = append(recent, o)
		}
	}
	if len(recent) > 0 && c.Days > 0 {
		n := int(float64(len(c.Orders)) / float64(c.Days) * d.Hours() / 24)
		for i := range n {
			tmpl := recent[rng.IntN(len(recent))]
			at := ch.From.Add(time.Duration(i) * d / time.Duration(n)).Add(time.Second)
			id := fmt.Sprintf("%d%06d%07d", 9, step, i)
			so := shopifyOrder(tmpl)
			so.ID, so.Name = id, fmt.Sprintf("#S%d-%d", step, i+1)
			so.CreatedAt, so.UpdatedAt, so.Refunds = at, at, nil
			if so.FirstVisit != nil {
				v := *so.FirstVisit
				v.OccurredAt = at.Add(-20 * time.Minute)
				so.FirstVisit, so.LastVisit = &v, &v
				// Its journey completes a while after it, not after
				// its template's.
				so.JourneyReadyAt = at.Add(journeyDelay)
			}
			if err := shop.UpsertOrder(so); err != nil {
				return ch, fmt.Errorf("sandbox: placing order %s: %w", id, err)
			}
			ch.Orders++
		}
		// A few refunds of the last day's orders.
		for i, j := range rng.Perm(len(recent)) {
			if i == 3 {
				break
			}
			o := recent[j]
			if _, err := shop.Refund(strings.TrimPrefix(o.ID, "gid://shopify/Order/"), "5.00", ch.To.Add(-time.Minute)); err != nil {
				return ch, fmt.Errorf("sandbox: refunding order %s: %w", o.ID, err)
			}
			ch.Refunds++
		}
	}

	// Every ad with a row on the campaign's last day keeps running: its
	// rows up to the new now grow with the share of the day elapsed.
	last := map[string]ads.DayStat{}
	rows := map[string]ads.DayStat{}
	key := func(st ads.DayStat) string { return string(st.Platform) + "/" + st.AdID + "/" + st.Day.String() }
	for _, st := range c.Stats {
		if st.Day == c.Today {
			last[string(st.Platform)+"/"+st.AdID] = st
		}
	}
	share := func(day ads.Date, at time.Time) float64 {
		start := day.In(loc)
		f := at.Sub(start).Hours() / 24
		return min(max(f, 0), 1)
	}
	var adKeys []string
	for k := range last {
		adKeys = append(adKeys, k)
	}
	sort.Strings(adKeys)
	for _, k := range adKeys {
		tmpl := last[k]
		for day := ads.DateOf(ch.From, loc); !day.After(ads.DateOf(ch.To, loc)); day = day.AddDays(1) {
			before, after := share(day, ch.From), share(day, ch.To)
			if after <= before {
				continue
			}
			st := tmpl
			st.Day = day
			grow := func(v int64) int64 { return int64(float64(v) * after) }
			st.Spend, st.Impressions, st.Clicks = grow(tmpl.Spend), grow(tmpl.Impressions), grow(tmpl.Clicks)
			st.Engagements, st.Views = grow(tmpl.Engagements), grow(tmpl.Views)
			st.Conversions, st.ConversionValue = grow(tmpl.Conversions), grow(tmpl.ConversionValue)
			rows[key(st)] = st
		}
	}
	// One day inside the restatement window is restated.
	ch.Restated = ads.DateOf(ch.To, loc).AddDays(-3)
	for _, st := range c.Stats {
		if st.Day == ch.Restated {
			st.Conversions++
			st.ConversionValue += 41_500_000
			rows[key(st)] = st
			ch.RestatedRows++
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		st := rows[k]
		switch st.Platform {
		case ads.Meta:
			s.Meta.SetInsight(st.Account, metaInsight(st))
		case ads.TikTok:
			s.TikTok.SetReport(st.Account, tiktokRow(st))
		}
	}
	ch.StatRows = len(rows) - ch.RestatedRows

	// One creator revokes a Spark authorization.
	codes := make([]string, 0, len(c.SparkCodes))
	for code := range c.SparkCodes {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if p, ok := s.TikTok.Spark(code); ok && (p.AuthStatus == "" || p.AuthStatus == "AUTHORIZED") {
			s.TikTok.RevokeSpark(code)
			ch.Revoked = p.ItemID
			break
		}
	}
	return ch, nil
}

// journeyDelay is how long after an order the sandbox's Shopify completes
// its customer journey (customerJourneySummary.ready).
const journeyDelay = 90 * time.Minute

// shopifyOrder is o as the Shopify fake holds it.
func shopifyOrder(o ads.Order) shopifyfake.Order {
	so := shopifyfake.Order{
		ID: strings.TrimPrefix(o.ID, "gid://shopify/Order/"), Name: o.Name, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		CancelledAt: o.CancelledAt, LineItems: ads.FormatMicros(o.Gross, 2), Discounts: ads.FormatMicros(o.Discounts, 2),
		DiscountCodes: o.DiscountCodes, Test: o.Test,
		// Tax and shipping are charged and refunded as a shop does;
		// neither is revenue, so the campaign's figures stand.
		Tax: ads.FormatMicros(salesTax(o.Gross-o.Discounts), 2), Shipping: ads.FormatMicros(shipping, 2),
	}
	if o.Refunded > 0 {
		r := shopifyfake.Refund{ID: stableID("refund/"+o.ID, 12), CreatedAt: o.UpdatedAt,
			LineItems: ads.FormatMicros(o.Refunded, 2), LineItemsTax: ads.FormatMicros(salesTax(o.Refunded), 2)}
		if o.Refunded >= o.Gross-o.Discounts {
			r.Shipping = ads.FormatMicros(shipping, 2) // a whole order refunded: its shipping too
		}
		so.Refunds = []shopifyfake.Refund{r}
	}
	if o.LandingPage != "" || !o.UTM.IsZero() {
		v := &shopifyfake.Visit{LandingPage: o.LandingPage, OccurredAt: o.CreatedAt.Add(-20 * time.Minute),
			Source: o.UTM.Source, Medium: o.UTM.Medium, Campaign: o.UTM.Campaign, Content: o.UTM.Content, Term: o.UTM.Term}
		so.FirstVisit, so.LastVisit = v, v
		// As on a real shop, the journey is complete only a while after
		// the order (issue 22.4): the sync re-reads it until it is.
		so.JourneyReadyAt = o.CreatedAt.Add(journeyDelay)
	}
	return so
}
