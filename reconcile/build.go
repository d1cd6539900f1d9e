package reconcile

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// Input is everything one reconcile pass of a brand works from.
type Input struct {
	Brand *configs.Brand
	// Days restricts the pass to these days (in the brand's time zone):
	// only records on them become ledger rows and only they get daily
	// rows. Nil means every day any record or fee falls on (a full build).
	Days []ads.Date
	// Orders are the brand's store orders (test orders are skipped). Every
	// order given is also known for link deduplication, whatever its day.
	Orders []ads.Order
	// OrderRefs are further known orders (outside Days) that link
	// conversions may duplicate.
	OrderRefs []OrderRef
	// Links are link-platform conversions; those of no brand creator are
	// skipped.
	Links []ads.LinkConversion
	// OrderLinks are further link conversions, of any day, that name
	// orders in Orders; with Links they decide who gets an order no rule
	// attributes (AttrLinkOrder). Only their order references and
	// creators are read; they make no ledger rows.
	OrderLinks []ads.LinkConversion
	// Through is the jobs' today in the brand's time zone: fees accrue
	// through it and no later (see FixedFees). Zero books every fee day.
	Through ads.Date
	// Stats are per-ad daily stats, each in its account's currency; a
	// stat's Day (the ad account's day) is taken as the brand's day.
	Stats []ads.DayStat
	// Ads maps ads to declared variants; stats of other ads are skipped.
	Ads []VariantMatch
	// Fees are FixedFees(Brand, Through), when the caller has them
	// already (a rebuild builds day after day with the same fees); nil
	// means Build computes them.
	Fees []FeeDay
}

// Unattributed is the test and creator of the daily cells that hold what
// no creator claims (see Result.Daily); reports show it as the test, creator,
// variant and, for orders, platform of those rows.
const Unattributed = "(unattributed)"

// Result is a reconcile pass's output for Days.
type Result struct {
	// Days are the days covered: the ledger and daily rows of exactly these
	// days replace what was stored for them.
	Days []ads.Date
	// Ledger rows ordered by day, source, source id.
	Ledger []ads.LedgerLine
	// Daily are the KPI cells (non-zero only) ordered by day and cell.
	Daily []ads.KPICell
	// SkippedLinks counts link conversions of no brand creator.
	SkippedLinks int
	// UnlinkedStats counts stats of ads that run no declared variant.
	UnlinkedStats int
	// Sales are the store's sales of each of Days with orders (see
	// ads.SalesDay), ordered by day.
	Sales []ads.SalesDay
}

// Location returns the brand's reporting time zone: Location when loaded,
// else Timezone loaded now, else UTC when neither is set.
func Location(b *configs.Brand) (*time.Location, error) {
	if b.Location != nil {
		return b.Location, nil
	}
	if b.Timezone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(b.Timezone)
	if err != nil {
		return nil, fmt.Errorf("loading time zone of brand %s: %w", b.Name, err)
	}
	return loc, nil
}

type cellKey struct {
	day                    ads.Date
	test, variant, creator string
	platform               ads.Platform
}

// Build attributes orders and link conversions into ledger rows and
// computes the daily KPI cells and store sales of in.Days (every day when
// nil). It is a pure function of in: the same input gives the same Result,
// so reconciling some days and rebuilding everything agree day by day. An
// order whose currency has no configured rate on its day is held out as a
// ChannelUnconverted ledger row; any other amount that needs a rate the
// brand does not configure (spend, a link conversion) fails the pass.
//
// The daily cells (ads.KPICell, Result.Daily) each hold the KPIs of one
// day and one (test, variant, creator, platform) cell. Paid revenue, paid
// orders, spend and platform numbers sit on the variant's cell; organic
// revenue, organic orders, flat fees and bonuses on the creator's cell
// (variant and platform empty); commission on the cell whose revenue it is
// on. A code redemption sits on the paid
// variant's cell when the code's owner is that variant's creator, else on
// the owner's creator cell.
//
// Ruling (issue 24): a creator cell's test is the creator's test running
// that day; on a day when several of the creator's tests run, the
// creator's organic revenue, organic orders, redemptions and the
// commission on that revenue are split evenly between them (Amortize: the
// odd micro or count goes to the test that started first, then by id),
// never given to one of them; on a day when none runs the test is empty.
// The by-creator view is unaffected: the parts sum to the creator's day.
//
// Unattributed cells (test and creator Unattributed, no variant) hold what
// no creator claims, so that the brand's totals tie to the platforms' spend
// and the shop's orders: the spend and platform numbers of ads that run no
// declared variant (on their platform), and the revenue and count of store
// orders nobody claims (as organic revenue and orders, no platform).
func Build(in Input) (Result, error) {
	b := in.Brand
	if b == nil {
		return Result{}, fmt.Errorf("reconciling: no brand")
	}
	if b.Currency == "" {
		return Result{}, fmt.Errorf("reconciling brand %s: no reporting currency", b.Name)
	}
	loc, err := Location(b)
	if err != nil {
		return Result{}, err
	}
	conv := NewConverter(b.Currency, b.FXRates)
	cur := conv.Currency()
	var want map[ads.Date]bool
	if in.Days != nil {
		want = map[ads.Date]bool{}
		for _, d := range in.Days {
			want[d] = true
		}
	}
	seen := map[ads.Date]bool{}
	keep := func(d ads.Date) bool {
		if want != nil && !want[d] {
			return false
		}
		seen[d] = true
		return true
	}
	var res Result
	att := newAttributor(b)
	var claims linkClaims // who gets an order no rule attributes
	if len(in.Links)+len(in.OrderLinks) > 0 {
		claims = newLinkClaims(att, append(append([]ads.LinkConversion(nil), in.Links...), in.OrderLinks...))
	}

	// Orders. Each order is attributed on its own, so they are taken in
	// input order; the ledger is sorted below (stably, so equal keys keep
	// the order a sort by id would give them too).
	res.Ledger = make([]ads.LedgerLine, 0, len(in.Orders)+len(in.Links))
	sales := map[ads.Date]*ads.SalesDay{}
	for i := range in.Orders {
		o := &in.Orders[i]
		if o.Test {
			continue
		}
		day := ads.DateOf(o.CreatedAt, loc)
		if !keep(day) {
			continue
		}
		r := att.attribute(o)
		if r.Channel == ChannelUnattributed {
			if h := claims.creatorOf(o); h != "" {
				r.Channel, r.Rule, r.Creator = ChannelOrganic, AttrLinkOrder, h
			}
		}
		r.Day, r.Currency, r.OrigCurrency, r.OrigRevenue = day, cur, o.Currency, o.Net
		sale, err := saleOf(o, conv, day)
		var missing *MissingRateError
		switch {
		case errors.As(err, &missing):
			// Held out, not failed: the rest of the brand reconciles.
			r.Channel = ChannelUnconverted
			res.Ledger = append(res.Ledger, r)
			continue
		case err != nil:
			return Result{}, fmt.Errorf("converting order %s: %w", orderLabel(*o), err)
		}
		r.Revenue = sale.Net
		r.Counted = r.Revenue > 0
		res.Ledger = append(res.Ledger, r)
		sd := sales[day]
		if sd == nil {
			sd = &ads.SalesDay{Day: day, Currency: cur}
			sales[day] = sd
		}
		addSale(sd, sale, r.Channel)
	}
	res.Sales = sortedSales(sales)

	// Link conversions.
	links := append([]ads.LinkConversion(nil), in.Links...)
	sort.SliceStable(links, func(i, j int) bool {
		if links[i].Source != links[j].Source {
			return links[i].Source < links[j].Source
		}
		return links[i].ID < links[j].ID
	})
	var known orderIndex // built on the first link that names an order
	for _, c := range links {
		handle := att.linkCreator(c)
		if handle == "" {
			res.SkippedLinks++
			continue
		}
		day := ads.DateOf(c.At, loc)
		if !keep(day) {
			continue
		}
		r := ads.LedgerLine{Source: SourceLink, SourceID: c.Source + ":" + c.ID, Day: day, Creator: handle,
			Policy: configs.UTMFirst, Currency: cur, OrigCurrency: c.Currency, OrigRevenue: c.Amount}
		if known == nil && strings.TrimSpace(c.OrderID) != "" {
			known = newOrderIndex(in.OrderRefs, in.Orders)
		}
		if known.has(c.OrderID) {
			r.Channel, r.Rule = ChannelDuplicate, AttrLinkDup
		} else {
			r.Channel, r.Rule = ChannelOrganic, AttrLinkConversion
			if r.Revenue, err = conv.Convert(c.Amount, c.Currency, day); err != nil {
				return Result{}, fmt.Errorf("converting link conversion %s:%s: %w", c.Source, c.ID, err)
			}
			r.Counted = r.Revenue > 0
		}
		res.Ledger = append(res.Ledger, r)
	}
	sortLedger(res.Ledger)
	if len(res.Ledger) == 0 {
		res.Ledger = nil
	}

	cells := map[cellKey]*ads.KPI{}
	cell := func(k cellKey) *ads.KPI {
		m := cells[k]
		if m == nil {
			m = &ads.KPI{}
			cells[k] = m
		}
		return m
	}

	// Revenue. Paid revenue goes to the variant's cell; organic revenue,
	// and redemptions of codes whose owner does not get the paid revenue,
	// are summed per creator and day first, then split between the
	// creator's tests running that day (below).
	type creatorDay struct {
		creator string
		day     ads.Date
	}
	organic := map[creatorDay]*ads.KPI{}
	organicOf := func(creator string, day ads.Date) *ads.KPI {
		k := creatorDay{creator, day}
		m := organic[k]
		if m == nil {
			m = &ads.KPI{}
			organic[k] = m
		}
		return m
	}
	for i := range res.Ledger {
		r := &res.Ledger[i]
		var paid *ads.KPI
		switch r.Channel {
		case ChannelPaid:
			paid = cell(cellKey{r.Day, r.TestID, r.VariantKey, r.Creator, r.Platform})
			paid.PaidRevenue += r.Revenue
			if r.Counted {
				paid.PaidOrders++
			}
		case ChannelOrganic:
			m := organicOf(r.Creator, r.Day)
			m.OrganicRevenue += r.Revenue
			if r.Counted {
				m.OrganicOrders++
			}
		case ChannelUnattributed:
			m := cell(cellKey{day: r.Day, test: Unattributed, creator: Unattributed})
			m.OrganicRevenue += r.Revenue
			if r.Counted {
				m.OrganicOrders++
			}
		}
		if !r.Counted || (r.Channel != ChannelPaid && r.Channel != ChannelOrganic) {
			continue
		}
		redeemers(r, func(owner string) {
			if paid != nil && owner == r.Creator {
				paid.Redemptions++
				return
			}
			organicOf(owner, r.Day).Redemptions++
		})
	}

	// Commission, on each cell's own revenue: paid cells now, a creator's
	// organic revenue per day before it is split between tests.
	fees := map[string]configs.Fee{}
	for _, c := range b.Creators {
		fees[c.Handle] = c.Fee
	}
	for k, m := range cells {
		f, ok := fees[k.creator]
		if !ok || f.Commission.IsZero() {
			continue
		}
		m.Commission += f.Commission.Apply(commissionBase(f.CommissionOn, m.PaidRevenue, m.OrganicRevenue))
	}
	testsOf := map[string][]*configs.Test{}
	for k, m := range organic {
		if f, ok := fees[k.creator]; ok && !f.Commission.IsZero() {
			m.Commission = f.Commission.Apply(commissionBase(f.CommissionOn, 0, m.OrganicRevenue))
		}
		ts, ok := testsOf[k.creator]
		if !ok {
			ts = creatorTests(b, k.creator)
			testsOf[k.creator] = ts
		}
		ids := testsOn(ts, k.day)
		if len(ids) == 0 {
			c := cell(cellKey{day: k.day, creator: k.creator})
			*c = c.Add(*m)
			continue
		}
		rev, orders := Amortize(m.OrganicRevenue, len(ids)), Amortize(m.OrganicOrders, len(ids))
		red, com := Amortize(m.Redemptions, len(ids)), Amortize(m.Commission, len(ids))
		for j, id := range ids {
			c := cell(cellKey{day: k.day, test: id, creator: k.creator})
			c.OrganicRevenue += rev[j]
			c.OrganicOrders += orders[j]
			c.Redemptions += red[j]
			c.Commission += com[j]
		}
	}

	// Spend and platform numbers.
	type adKey struct {
		platform ads.Platform
		id       string
	}
	variantOf := map[adKey]VariantMatch{}
	for _, vm := range in.Ads {
		variantOf[adKey{vm.Ad.Platform, vm.Ad.ID}] = vm
	}
	tests := map[string]*configs.Test{}
	for _, t := range b.Tests {
		tests[t.ID] = t
	}
	for _, s := range in.Stats {
		vm, ok := variantOf[adKey{s.Platform, s.AdID}]
		if !ok {
			// An ad that runs no declared variant (an untagged
			// retargeting ad): its spend is the brand's all the same.
			res.UnlinkedStats++
			vm = VariantMatch{TestID: Unattributed}
		}
		if !keep(s.Day) {
			continue
		}
		creator := ""
		if !ok {
			creator = Unattributed
		} else if t := tests[vm.TestID]; t != nil {
			creator = t.Creator
		}
		spend, err := conv.Convert(s.Spend, s.Currency, s.Day)
		if err != nil {
			return Result{}, fmt.Errorf("converting spend of %s ad %s: %w", s.Platform, s.AdID, err)
		}
		value, err := conv.Convert(s.ConversionValue, s.Currency, s.Day)
		if err != nil {
			return Result{}, fmt.Errorf("converting conversion value of %s ad %s: %w", s.Platform, s.AdID, err)
		}
		m := cell(cellKey{s.Day, vm.TestID, vm.VariantKey, creator, s.Platform})
		m.Spend += spend
		m.PlatformValue += value
		m.PlatformConversions += s.Conversions
		m.Impressions += s.Impressions
		m.Clicks += s.Clicks
		m.Engagements += s.Engagements
		m.Views += s.Views
	}

	// Flat fees and bonuses.
	fixed := in.Fees
	if fixed == nil {
		fixed = FixedFees(b, in.Through)
	}
	for _, f := range fixed {
		if !keep(f.Day) {
			continue
		}
		m := cell(cellKey{day: f.Day, test: f.TestID, creator: f.Creator})
		m.FlatFees += f.Flat
		m.Bonuses += f.Bonus
	}

	for k, m := range cells {
		if m.IsZero() {
			continue
		}
		res.Daily = append(res.Daily, ads.KPICell{Day: k.day, TestID: k.test, VariantKey: k.variant, Creator: k.creator,
			Platform: k.platform, Currency: cur, KPI: *m})
	}
	SortDaily(res.Daily)
	if want != nil {
		res.Days = sortedDays(want)
	} else {
		res.Days = sortedDays(seen)
	}
	return res, nil
}

// sortLedger orders ledger rows by day, source, source id, stably.
func sortLedger(rows []ads.LedgerLine) {
	sortStable(rows, func(a, b *ads.LedgerLine) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.SourceID, b.SourceID)
	})
}

// SortDaily orders daily rows by day, test, variant, creator, platform,
// stably.
func SortDaily(rows []ads.KPICell) {
	sortStable(rows, func(a, b *ads.KPICell) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		if c := strings.Compare(a.TestID, b.TestID); c != 0 {
			return c
		}
		if c := strings.Compare(a.VariantKey, b.VariantKey); c != 0 {
			return c
		}
		if c := strings.Compare(a.Creator, b.Creator); c != 0 {
			return c
		}
		return strings.Compare(string(a.Platform), string(b.Platform))
	})
}

// sortStable orders rows by compare, stably. It sorts positions rather
// than the (large) rows, with the position as the last key, and then
// moves each row once.
func sortStable[T any](rows []T, compare func(a, b *T) int) {
	idx := make([]int32, len(rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(i, j int32) int {
		if c := compare(&rows[i], &rows[j]); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	permute(rows, idx)
}

// permute rearranges rows in place so that rows[k] becomes the old
// rows[idx[k]], following each cycle of the permutation; idx is consumed.
func permute[T any](rows []T, idx []int32) {
	for k := range idx {
		if idx[k] < 0 || int(idx[k]) == k {
			continue
		}
		tmp := rows[k]
		j := k
		for {
			src := int(idx[j])
			idx[j] = -1
			if src == k {
				rows[j] = tmp
				break
			}
			rows[j] = rows[src]
			j = src
		}
	}
}

func sortedDays(set map[ads.Date]bool) []ads.Date {
	out := make([]ads.Date, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

func orderLabel(o ads.Order) string {
	if o.Name != "" {
		return strings.TrimSpace(o.Name)
	}
	return o.ID
}

// ledgerVersion changes when attribution or KPI rules change, so stored
// ledgers are rebuilt.
const ledgerVersion = "ledger/3"

// Fingerprint identifies everything a reconcile depends on besides the
// source records: the rules' version, the brand's currency, zone, rates,
// creators (codes, links, fees), tests and variants, and the variant→ad
// links. When it changes, stored ledgers must be rebuilt in full.
func Fingerprint(b *configs.Brand, links []VariantMatch) string {
	h := sha256.New()
	w := func(parts ...any) {
		for _, p := range parts {
			fmt.Fprintf(h, "%v\x1f", p)
		}
		h.Write([]byte{'\n'})
	}
	zone := b.Timezone
	if b.Location != nil {
		zone = b.Location.String()
	}
	w(ledgerVersion, b.Name, b.Currency, zone)
	for _, r := range b.FXRates {
		w("fx", r.From, r.To, r.Rate.String(), r.Since)
	}
	for _, c := range b.Creators {
		w("creator", c.Handle, c.Instagram, c.TikTok, strings.Join(c.Codes, ","), strings.Join(c.Links, ","),
			c.Fee.Flat, c.Fee.Commission.String(), c.Fee.CommissionOn)
		for _, bo := range c.Fee.Bonuses {
			w("bonus", bo.Date, bo.Amount)
		}
	}
	for _, t := range b.Tests {
		w("test", t.ID, t.Creator, t.Start, t.End(), t.Attribution)
		for _, v := range t.Variants {
			w("variant", v.Key, v.Platform, v.UTM.Content, v.UTM.Campaign)
		}
	}
	keys := make([]string, 0, len(links))
	for _, l := range links {
		keys = append(keys, fmt.Sprintf("%s\x1f%s\x1f%s\x1f%s", l.TestID, l.VariantKey, l.Ad.Platform, l.Ad.ID))
	}
	sort.Strings(keys)
	for _, k := range keys {
		w("ad", k)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
