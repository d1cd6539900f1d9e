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
	// DefaultBudgetStep is the fractional budget raise on scale.
	DefaultBudgetStep = "0.2"
)

// DefaultCheckpoints are a test's checkpoints in days after its start.
var DefaultCheckpoints = []int{14, 30}

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
	if m := b.Accounts.Meta; m != nil && m.AttributionWindows == nil {
		m.AttributionWindows = slices.Clone(DefaultMetaAttributionWindows)
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
	type content struct {
		name string
		pos  Pos
	}
	contents := map[string]content{}
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
				at := l.where(v, "utm.content")
				if first, dup := contents[c]; dup {
					l.probs.add(at, "content: utm_content %q is already used by variant %s at %s", c, first.name, first.pos)
				} else {
					contents[c] = content{t.ID + "/" + v.Key, at}
				}
			}
		}
	}
}

// hasAccount reports whether the brand has an account on platform p.
func (b *Brand) hasAccount(p ads.Platform) bool {
	switch p {
	case ads.Meta:
		return b.Accounts.Meta != nil
	case ads.TikTok:
		return b.Accounts.TikTok != nil
	}
	return false
}
