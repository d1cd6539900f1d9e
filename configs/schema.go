// Package configs defines the YAML schema of brands, creators and variant
// tests, loads one file or a directory of files (references across files
// resolve), and validates them, reporting every problem as file:line:col.
package configs

import (
	"slices"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// Attribution policies decide who gets an order's revenue when both a paid
// variant's UTM and a creator's code or link claim it.
const (
	// UTMFirst gives the order to the paid variant its utm_content names.
	UTMFirst = "utm-first"
	// CodeFirst gives the order to the creator whose code or link it used.
	CodeFirst = "code-first"
)

// Action modes of a test.
const (
	// ActionsAlert only posts verdicts to Slack (the default).
	ActionsAlert = "alert"
	// ActionsApply also pauses cut ads and raises budgets of scaled ones.
	ActionsApply = "apply"
	// ActionsApprove proposes the same actions in Slack (and to `roasd
	// actions`); each is made only once a member of the approvers' Slack
	// user group approves it.
	ActionsApprove = "approve"
)

// Commission bases: which attributed revenue a creator's commission is on.
const (
	CommissionOnAll     = "all"
	CommissionOnPaid    = "paid"
	CommissionOnOrganic = "organic"
)

// Pos is where a node was declared.
type Pos struct {
	File string
	Line int
	Col  int
}

// Set is everything loaded from one configuration directory.
type Set struct {
	// Brands, sorted by name; files naming the same brand are merged.
	Brands []*Brand
	// Files lists the files read, in load order.
	Files []string
	// Daemon are the settings of the whole daemon, defaults filled.
	Daemon Daemon
}

// Brand is one advertiser: its accounts, creators and variant tests.
type Brand struct {
	Name string
	// Currency is the brand's reporting currency (ISO 4217).
	Currency string
	// Timezone is the IANA zone days are bucketed in; Location is it loaded.
	Timezone string
	Location *time.Location
	Accounts Accounts
	Slack    Slack
	// RestatementDays is how many trailing days each pull re-reads
	// (default 7).
	RestatementDays int
	// RefundHorizonDays is how many days after an order's day its refunds
	// are still expected (default 60): until then the day's revenue is
	// provisional (reconcile.FinalityOf).
	RefundHorizonDays int
	// FXRates converts other currencies into Currency; a missing rate is an
	// error, never 1:1.
	FXRates  []FXRate
	Creators []*Creator
	Tests    []*Test
	Pos      Pos
}

// Accounts names the brand's platform accounts. Each platform takes one
// account or a list of them (a brand may run several Meta ad accounts or
// TikTok advertisers — regions, agencies — and several Shopify stores);
// none means the platform is not used. Every brand-level read, report and
// gate covers exactly these accounts.
type Accounts struct {
	Meta    []*MetaAccount
	TikTok  []*TikTokAccount
	Shopify []*ShopifyAccount
}

// MetaAccount is a Meta ad account and the brand's identities on Meta.
type MetaAccount struct {
	AdAccount string // act_<digits>
	// Business is the Meta business (Business Manager) id that owns the
	// brand's assets; the eligible partnership-ad media are listed per
	// business (GET /{business}/partnership-ads-advertisable-content).
	Business  string
	Page      string
	Instagram string
	// AttributionWindows, e.g. ["7d_click","1d_view"] (default those two).
	AttributionWindows []string
	Pos                Pos
}

// TikTokAccount is a TikTok advertiser.
type TikTokAccount struct {
	Advertiser string
	Pos        Pos
}

// ShopifyAccount is one of the brand's Shopify stores.
type ShopifyAccount struct {
	Shop string // name.myshopify.com
	Pos  Pos
}

// AdAccounts lists the brand's ad account ids on platform p (Meta ad
// accounts, TikTok advertisers), in configuration order; nil for none.
func (b *Brand) AdAccounts(p ads.Platform) []string {
	var out []string
	switch p {
	case ads.Meta:
		for _, m := range b.Accounts.Meta {
			out = append(out, m.AdAccount)
		}
	case ads.TikTok:
		for _, t := range b.Accounts.TikTok {
			out = append(out, t.Advertiser)
		}
	}
	return out
}

// HasAdAccount reports whether id is one of the brand's ad accounts on p.
func (b *Brand) HasAdAccount(p ads.Platform, id string) bool {
	return id != "" && slices.Contains(b.AdAccounts(p), id)
}

// Shops lists the brand's Shopify shop domains, in configuration order;
// nil for none.
func (b *Brand) Shops() []string {
	var out []string
	for _, s := range b.Accounts.Shopify {
		out = append(out, s.Shop)
	}
	return out
}

// HasShop reports whether shop is one of the brand's Shopify shops
// (domains compare ignoring case).
func (b *Brand) HasShop(shop string) bool {
	for _, s := range b.Accounts.Shopify {
		if shop != "" && strings.EqualFold(s.Shop, shop) {
			return true
		}
	}
	return false
}

// Slack says where the brand's alerts go.
type Slack struct {
	Channel string
	// Approvers is the Slack user group id (S0123ABCD) whose members may
	// approve the brand's proposed actions (tests with `actions:
	// approve`); a test's own approvers win.
	Approvers string
	// DigestAt is the brand-local time of day ("09:00", the default when
	// empty) from which the day's digest is posted; "off" posts none.
	DigestAt string
	// WeeklyDigest is the weekday ("monday") on which, from DigestAt,
	// the weekly digest for finance covers the last ISO week; "" or
	// "off" posts none.
	WeeklyDigest string
	// QuietHours ("20:00-08:00", brand-local) delays posts that are not
	// urgent until it ends; "" has none.
	QuietHours string
}

// Weekday parses a weekday name ("monday", any case) as WeeklyDigest
// takes it; ok is false for anything else ("off", "").
func Weekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()) {
			return d, true
		}
	}
	return 0, false
}

// QuietHours parses "HH:MM-HH:MM" into minutes of the day.
func QuietHours(s string) (from, to int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	fa, err1 := time.Parse("15:04", strings.TrimSpace(a))
	fb, err2 := time.Parse("15:04", strings.TrimSpace(b))
	if !found || err1 != nil || err2 != nil || fa.Equal(fb) {
		return 0, 0, false
	}
	return fa.Hour()*60 + fa.Minute(), fb.Hour()*60 + fb.Minute(), true
}

// QuietUntil is when the quiet hours that now falls in end, in loc, or
// the zero time when now is not in quiet hours.
func (s Slack) QuietUntil(now time.Time, loc *time.Location) time.Time {
	from, to, ok := QuietHours(s.QuietHours)
	if !ok {
		return time.Time{}
	}
	local := now.In(loc)
	m := local.Hour()*60 + local.Minute()
	in := (from < to && m >= from && m < to) || (from > to && (m >= from || m < to))
	if !in {
		return time.Time{}
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), to/60, to%60, 0, 0, loc)
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// FXRate is an explicit exchange rate: 1 From = Rate To, valid from Since
// (inclusive) until the next rate for the same pair.
type FXRate struct {
	From  string
	To    string
	Rate  ads.Rate
	Since ads.Date
	Pos   Pos
}

// Creator is an influencer the brand works with.
type Creator struct {
	Handle    string
	Instagram string
	TikTok    string
	Codes     []string
	Links     []string
	Fee       Fee
	Pos       Pos
}

// Fee is what the brand pays a creator besides media spend.
type Fee struct {
	// Flat is a fixed fee in micro-units of the brand currency, amortized per
	// day over each of the creator's test windows.
	Flat int64
	// Commission is a rate on attributed revenue (0..1); CommissionOn is
	// all (default), paid or organic.
	Commission   ads.Rate
	CommissionOn string
	Bonuses      []Bonus
}

// Bonus is a one-off payment to a creator on a date.
type Bonus struct {
	Date   ads.Date
	Amount int64 // micro-units of the brand currency
	Note   string
}

// Test is a variant test: one creator's content run as several paid
// variants, judged at checkpoints.
type Test struct {
	ID      string
	Creator string
	Start   ads.Date
	// Checkpoints are offsets from Start (default 14 and 30 days); a
	// checkpoint N judges the N days Start … Start+N−1 and is reached on
	// day Start+N. The test window is the N days of the last checkpoint
	// (see End).
	Checkpoints []int // days
	TargetROAS  float64
	FloorROAS   float64
	// MinSpend in micro-units of the brand currency: below it a variant is
	// held, never cut.
	MinSpend    int64
	Attribution string // utm-first (default) | code-first
	Actions     string // alert (default) | apply | approve
	// Approvers is the Slack user group id whose members may approve this
	// test's actions ("" takes the brand's slack.approvers).
	Approvers string
	// Owner is the Slack user (U…/W…) or user group (S…) mentioned on
	// this test's items that need action; "" mentions no one.
	Owner string
	// BudgetStep is the fractional budget raise on scale (default 0.2);
	// MaxDailyBudget caps it (micro-units; 0 = no raise allowed).
	BudgetStep     ads.Rate
	MaxDailyBudget int64
	Variants       []*Variant
	Pos            Pos
}

// ApproverGroup is the Slack user group whose members may approve the
// test's proposed actions: its own, else its brand's.
func (t *Test) ApproverGroup(b *Brand) string {
	if t.Approvers != "" {
		return t.Approvers
	}
	return b.Slack.Approvers
}

// End is the last day of the test window. A test lasts N days, N its last
// checkpoint (default 30): its window is Start … Start+N−1, both
// inclusive — the days its last verdict judges, the days its creator's
// flat fee is amortized over and the days its reports count.
func (t *Test) End() ads.Date {
	return t.Start.AddDays(t.Days() - 1)
}

// Days is how many days the test lasts: its last checkpoint (Load gives
// a test without checkpoints DefaultCheckpoints).
func (t *Test) Days() int {
	last := DefaultCheckpoints[len(DefaultCheckpoints)-1]
	if n := len(t.Checkpoints); n > 0 {
		last = t.Checkpoints[n-1]
	}
	return max(last, 1)
}

// Window is the test's days, Start … End() inclusive.
func (t *Test) Window() ads.DateRange {
	return ads.DateRange{From: t.Start, To: t.End()}
}

// Variant is one paid version of the creator's content.
type Variant struct {
	Key      string
	Platform ads.Platform
	Kind     ads.Kind
	// AdID pins the variant to an ad; otherwise ads are matched by Spark
	// ItemID or UTM content.
	AdID string
	// SparkCode is the creator's TikTok Spark authorization code.
	SparkCode string
	ItemID    string
	UTM       ads.UTM
	Pos       Pos
}

// Creator returns the brand's creator with that handle, or nil.
func (b *Brand) Creator(handle string) *Creator {
	for _, c := range b.Creators {
		if c.Handle == handle {
			return c
		}
	}
	return nil
}
