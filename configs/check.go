package configs

import (
	"slices"
	"strings"

	"github.com/roasd/roasd/ads"
)

// Defaults applied to what the YAML leaves out.
const (
	// DefaultRestatementDays is how many trailing days a pull re-reads.
	DefaultRestatementDays = 7
	// DefaultRefundHorizonDays is how long after an order's day its
	// refunds are still expected.
	DefaultRefundHorizonDays = 60
	// MaxRefundHorizonDays bounds refund_horizon_days (a year and a
	// quarter).
	MaxRefundHorizonDays = 460
	// DefaultBudgetStep is the fractional budget raise on scale.
	DefaultBudgetStep = "0.2"
	// ZeroOrderGuardSpend is the least spend, in units of the brand's
	// currency, at which a running variant with no store-confirmed order
	// trips the zero-orders guard; a test's min_spend raises it.
	ZeroOrderGuardSpend = "100"
)

// DefaultCheckpoints are a test's checkpoints in days after its start.
var DefaultCheckpoints = []int{14, 30}

// RetiredMetaWindows are the Meta attribution windows the Ads Insights API
// no longer returns, with the day it stopped (Meta's developer blog,
// "Ads Insights API Metric Availability Updates", 2025-10-16): asked for,
// they come back as nothing, which reads as zero conversions.
var RetiredMetaWindows = map[string]ads.Date{
	"7d_view":  ads.MustDate("2026-01-12"),
	"28d_view": ads.MustDate("2026-01-12"),
}

// DefaultMetaAttributionWindows are the Meta attribution windows read.
var DefaultMetaAttributionWindows = []string{"7d_click", "1d_view"}

// finish checks what spans files (references, duplicates, accounts) once a
// brand is fully merged, and fills defaults.
func (l *loader) finish(b *Brand) {
	complete := !l.broken
	if complete && b.Currency == "" && l.where(b, "currency").IsZero() {
		l.probs.add(b.Pos, "brand %q has no currency (e.g. currency: USD)", b.Name)
	}
	if complete && b.Timezone == "" && l.where(b, "timezone").IsZero() {
		l.probs.add(b.Pos, "brand %q has no timezone (e.g. timezone: America/New_York)", b.Name)
	}
	if b.RestatementDays == 0 {
		b.RestatementDays = DefaultRestatementDays
	}
	if b.RefundHorizonDays == 0 {
		b.RefundHorizonDays = DefaultRefundHorizonDays
	}
	for _, m := range b.Accounts.Meta {
		if m.AttributionWindows == nil {
			m.AttributionWindows = slices.Clone(DefaultMetaAttributionWindows)
		}
	}

	type fxKey struct {
		from, to string
		since    ads.Date
	}
	fx := map[fxKey]Pos{}
	for _, r := range b.FXRates {
		if r.From == "" || r.To == "" {
			continue
		}
		switch {
		case r.From == r.To:
			l.probs.add(l.where(r.Pos, "to"), "to: a rate from %s to itself is not needed", r.From)
		case b.Currency != "" && r.To != b.Currency:
			l.probs.add(l.where(r.Pos, "to"), "to: fx rates convert into the brand currency %s, not %s", b.Currency, r.To)
		}
		k := fxKey{r.From, r.To, r.Since}
		if first, dup := fx[k]; dup {
			l.probs.add(r.Pos, "fx rate %s->%s since %s is already set at %s", r.From, r.To, r.Since, first)
			continue
		}
		fx[k] = r.Pos
	}
	slices.SortStableFunc(b.FXRates, func(x, y FXRate) int { return x.Since.Compare(y.Since) })

	handles := map[string]Pos{}
	type codeOwner struct {
		handle string
		pos    Pos
	}
	codes := map[string]codeOwner{}
	for _, c := range b.Creators {
		if c.Fee.CommissionOn == "" {
			c.Fee.CommissionOn = CommissionOnAll
		}
		if c.Handle != "" {
			if first, dup := handles[c.Handle]; dup {
				l.probs.add(l.where(c, "handle"), "creator %q is already declared at %s", c.Handle, first)
			} else {
				handles[c.Handle] = l.where(c, "handle")
			}
		}
		for _, code := range c.Codes {
			up := strings.ToUpper(code)
			at := l.where(c, "code:"+up)
			if o, dup := codes[up]; dup && at != o.pos {
				l.probs.add(at, "codes: %q is already the code of creator %q at %s", code, o.handle, o.pos)
				continue
			}
			codes[up] = codeOwner{c.Handle, at}
		}
	}

	ids := map[string]Pos{}
	// utm_content values are matched to orders ignoring case and blanks
	// (reconcile), so two variants may not share one that way either.
	type content struct {
		value string
		name  string
		pos   Pos
		start ads.Date
	}
	contents := map[string][]content{}
	var contentOrder []string
	for _, t := range b.Tests {
		if t.ID != "" {
			if first, dup := ids[t.ID]; dup {
				l.probs.add(l.where(t, "id"), "id: test %q is already declared at %s", t.ID, first)
			} else {
				ids[t.ID] = l.where(t, "id")
			}
		}
		if complete && t.Creator != "" && b.Creator(t.Creator) == nil {
			var known []string
			for _, c := range b.Creators {
				if c.Handle != "" {
					known = append(known, c.Handle)
				}
			}
			slices.Sort(known)
			known = slices.Compact(known)
			l.probs.add(l.where(t, "creator"), "creator: %q is not a creator of brand %q (known: %s)", t.Creator, b.Name, strings.Join(known, ", "))
		}
		if t.Attribution == "" {
			t.Attribution = UTMFirst
		}
		if t.Actions == "" {
			t.Actions = ActionsAlert
		}
		if t.Actions == ActionsApprove && t.ApproverGroup(b) == "" {
			at := l.where(t, "actions")
			if at.IsZero() {
				at = t.Pos
			}
			l.probs.add(at, "actions: approve needs who may approve: set slack.approvers of brand %q or approvers of test %q to a Slack user group id (e.g. S0123ABCD)", b.Name, t.ID)
		}
		if t.Actions == ActionsApprove && b.Slack.Channel == "" {
			l.probs.add(t.Pos, "actions: approve posts its proposals to Slack, but brand %q has no slack.channel", b.Name)
		}
		if t.Checkpoints == nil {
			t.Checkpoints = slices.Clone(DefaultCheckpoints)
		}
		if l.where(t, "budget_step").IsZero() {
			t.BudgetStep = ads.MustRate(DefaultBudgetStep)
		}
		for _, v := range t.Variants {
			if complete && v.Platform != "" && !b.hasAccount(v.Platform) {
				l.probs.add(l.where(v, "platform"), "platform: variant runs on %s but brand %q has no accounts.%s", v.Platform, b.Name, v.Platform)
			}
			if c := v.UTM.Content; c != "" {
				k := strings.ToLower(strings.TrimSpace(c))
				if _, seen := contents[k]; !seen {
					contentOrder = append(contentOrder, k)
				}
				contents[k] = append(contents[k], content{c, t.ID + "/" + v.Key, l.where(v, "utm.content"), t.Start})
			}
		}
	}
	// A reused utm_content is reported where it was reused — in the test
	// that starts later (files are read in name order, so a new file may
	// come first), else the later in reading order — naming the first use.
	for _, k := range contentOrder {
		uses := contents[k]
		slices.SortStableFunc(uses, func(a, b content) int { return a.start.Compare(b.start) })
		first := uses[0]
		for _, u := range uses[1:] {
			if u.value == first.value {
				l.probs.add(u.pos, "content: utm_content %q is already used by variant %s at %s", u.value, first.name, first.pos)
			} else {
				l.probs.add(u.pos, "content: utm_content %q is already used by variant %s as %q at %s (orders match utm_content ignoring case)", u.value, first.name, first.value, first.pos)
			}
		}
	}
}

// hasAccount reports whether the brand has an account on platform p.
func (b *Brand) hasAccount(p ads.Platform) bool {
	switch p {
	case ads.Meta:
		return len(b.Accounts.Meta) > 0
	case ads.TikTok:
		return len(b.Accounts.TikTok) > 0
	}
	return false
}

// checkAccounts reports an ad account, advertiser or shop listed twice,
// in one brand or by two: each account's rows belong to exactly one
// brand, so every brand-level read covers only its own accounts.
func (l *loader) checkAccounts(brands []*Brand) {
	type owner struct {
		brand string
		pos   Pos
	}
	seen := map[string]owner{}
	claim := func(b *Brand, what, id string, at Pos) {
		if id == "" {
			return
		}
		k := what + "\x00" + strings.ToLower(id)
		first, dup := seen[k]
		switch {
		case !dup:
			seen[k] = owner{b.Name, at}
		case first.brand == b.Name:
			l.probs.add(at, "%s %s is already listed for brand %q at %s", what, id, b.Name, first.pos)
		default:
			l.probs.add(at, "%s %s already belongs to brand %q at %s; an account or shop belongs to one brand", what, id, first.brand, first.pos)
		}
	}
	for _, b := range brands {
		for _, m := range b.Accounts.Meta {
			claim(b, "meta ad account", m.AdAccount, m.Pos)
		}
		for _, t := range b.Accounts.TikTok {
			claim(b, "tiktok advertiser", t.Advertiser, t.Pos)
		}
		for _, s := range b.Accounts.Shopify {
			claim(b, "shopify shop", s.Shop, s.Pos)
		}
	}
}
