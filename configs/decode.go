package configs

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roasd/roasd/ads"
)

// Values an enum key takes, in the order messages list them.
var (
	metaWindows  = []string{"1d_click", "7d_click", "28d_click", "1d_view", "1d_ev"}
	commissionOn = []string{CommissionOnAll, CommissionOnPaid, CommissionOnOrganic}
)

var (
	currencyRE  = regexp.MustCompile(`^[A-Z]{3}$`)
	actRE       = regexp.MustCompile(`^act_[0-9]+$`)
	digitsRE    = regexp.MustCompile(`^[0-9]+$`)
	identRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	shopRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	userGroupRE = regexp.MustCompile(`^S[A-Z0-9]{6,}$`)
	ownerRE     = regexp.MustCompile(`^[UWS][A-Z0-9]{6,}$`)
	channelRE   = regexp.MustCompile(`^(#[a-z0-9][a-z0-9_-]{0,79}|[CG][A-Z0-9]{8,})$`)
	codeRE      = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// brand returns the brand named name, creating it at n on first sight.
func (l *loader) brand(name string, n *yaml.Node) *Brand {
	if b, ok := l.brands[name]; ok {
		return b
	}
	b := &Brand{Name: name, Pos: l.pos(n)}
	l.brands[name] = b
	l.order = append(l.order, b)
	return b
}

// ident checks a name used in ids, UTM values and Slack messages.
func (l *loader) ident(key string, n *yaml.Node) (string, bool) {
	s, ok := l.str(key, n)
	if !ok {
		return "", false
	}
	if !identRE.MatchString(s) {
		l.errorf(n, "%s: %q is not a valid name (use letters, digits, '.', '_' and '-')", key, s)
		return s, false
	}
	return s, true
}

// oneOf decodes a string that must be one of allowed.
func (l *loader) oneOf(key string, n *yaml.Node, what string, allowed ...string) (string, bool) {
	s, ok := l.str(key, n)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		l.errorf(n, "%s: unknown %s %q (want %s)", key, what, s, orList(allowed))
		return "", false
	}
	return s, true
}

// orList renders "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// brandKey names the brand every other key of a file belongs to; a file
// may hold brand settings, creators and tests of that brand.
const brandKey = "brand"

// brandFile is the schema of a configuration file's top-level mapping.
var brandFile = &fieldSet[*Brand]{what: "brand file", fields: []field[*Brand]{
	{key: brandKey, decode: func(*loader, *Brand, *yaml.Node, *yaml.Node) {}}, // read first, by decodeDoc
	{key: "currency", decode: once(func(l *loader, b *Brand, k, v *yaml.Node) {
		if s, ok := l.currency(k.Value, v); ok {
			b.Currency = s
		}
	})},
	{key: "timezone", decode: once(func(l *loader, b *Brand, k, v *yaml.Node) {
		s, ok := l.str(k.Value, v)
		if !ok {
			return
		}
		loc, err := time.LoadLocation(s)
		if err != nil || s == "" || s == "Local" {
			l.errorf(v, "%s: unknown IANA time zone %q (e.g. America/New_York)", k.Value, s)
			return
		}
		b.Timezone, b.Location = s, loc
	})},
	{key: "accounts", decode: once(func(l *loader, b *Brand, _, v *yaml.Node) {
		decodeInto(l, v, accountFields, &b.Accounts)
	})},
	{key: "slack", decode: once(func(l *loader, b *Brand, _, v *yaml.Node) {
		decodeInto(l, v, slackFields, &b.Slack)
	})},
	{key: "restatement_days", decode: once(func(l *loader, b *Brand, k, v *yaml.Node) {
		if d, ok := l.integer(k.Value, v); ok {
			if d < 1 {
				l.errorf(v, "%s: want at least 1 day, got %d", k.Value, d)
				return
			}
			b.RestatementDays = d
		}
	})},
	{key: "refund_horizon_days", decode: once(func(l *loader, b *Brand, k, v *yaml.Node) {
		if d, ok := l.integer(k.Value, v); ok {
			if d < 1 || d > MaxRefundHorizonDays {
				l.errorf(v, "%s: want 1 to %d days, got %d", k.Value, MaxRefundHorizonDays, d)
				return
			}
			b.RefundHorizonDays = d
		}
	})},
	{key: "fx_rates", decode: items(func(l *loader, b *Brand, n *yaml.Node) {
		r := FXRate{Pos: l.pos(n)}
		decodeInto(l, n, fxFields, &r)
		b.FXRates = append(b.FXRates, r)
	})},
	{key: "creators", decode: items(func(l *loader, b *Brand, n *yaml.Node) {
		c := &Creator{Pos: l.pos(n)}
		decodeInto(l, n, creatorFields, c)
		b.Creators = append(b.Creators, c)
	})},
	{key: "tests", decode: items(func(l *loader, b *Brand, n *yaml.Node) {
		b.Tests = append(b.Tests, l.test(n))
	})},
}}

// once wraps the decoding of a brand setting, which one file of the brand
// sets: a second file setting it too is a problem.
func once(decode func(l *loader, b *Brand, k, v *yaml.Node)) func(*loader, *Brand, *yaml.Node, *yaml.Node) {
	return func(l *loader, b *Brand, k, v *yaml.Node) {
		if first := l.where(b, k.Value); !first.IsZero() {
			l.errorf(k, "%s of brand %q is already set at %s", k.Value, b.Name, first)
			return
		}
		l.mark(b, k.Value, k)
		decode(l, b, k, v)
	}
}

func (l *loader) decodeDoc(root *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "a config file holds a mapping (brand:, creators:, tests:), not %s", describe(root))
		return
	}
	if isDaemonDoc(root) {
		l.daemonDoc(root)
		return
	}
	// Every other key belongs to the brand, so find it first.
	b := &Brand{} // a stand-in when the brand is missing, to still check the rest
	var brandNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == brandKey {
			brandNode = resolve(root.Content[i+1])
			break
		}
	}
	switch {
	case brandNode == nil || (brandNode.Kind == yaml.ScalarNode && brandNode.ShortTag() == "!!null"):
		l.errorf(root, "missing required key %q (the brand every key in this file belongs to)", brandKey)
	default:
		if name, ok := l.ident(brandKey, brandNode); ok {
			b = l.brand(name, brandNode)
		}
	}
	decodeInto(l, root, brandFile, b)
}

// accountFields is the schema of accounts: each platform takes one
// account (a mapping) or several (a list of mappings).
var accountFields = &fieldSet[*Accounts]{what: "accounts", fields: []field[*Accounts]{
	{key: "meta", decode: accountList(func(l *loader, a *Accounts, n *yaml.Node) {
		m := &MetaAccount{Pos: l.pos(n)}
		if decodeInto(l, n, metaFields, m) {
			a.Meta = append(a.Meta, m)
		}
	})},
	{key: "tiktok", decode: accountList(func(l *loader, a *Accounts, n *yaml.Node) {
		t := &TikTokAccount{Pos: l.pos(n)}
		if decodeInto(l, n, tiktokFields, t) {
			a.TikTok = append(a.TikTok, t)
		}
	})},
	{key: "shopify", decode: accountList(func(l *loader, a *Accounts, n *yaml.Node) {
		s := &ShopifyAccount{Pos: l.pos(n)}
		if decodeInto(l, n, shopifyFields, s) {
			a.Shopify = append(a.Shopify, s)
		}
	})},
}}

// accountList decodes a platform's one account, or each of a list of
// them, with one.
func accountList(one func(l *loader, a *Accounts, n *yaml.Node)) func(*loader, *Accounts, *yaml.Node, *yaml.Node) {
	return func(l *loader, a *Accounts, k, v *yaml.Node) {
		if v.Kind != yaml.SequenceNode {
			one(l, a, v)
			return
		}
		list := l.list(k.Value, v)
		if len(list) == 0 {
			l.errorf(v, "accounts.%s: want at least one account (or leave %s out)", k.Value, k.Value)
		}
		for _, n := range list {
			one(l, a, n)
		}
	}
}

// metaFields is the schema of a Meta account; its position is its ad
// account's.
var metaFields = &fieldSet[*MetaAccount]{what: "accounts.meta", fields: []field[*MetaAccount]{
	{key: "ad_account", required: true, decode: text(actRE.MatchString, "%q is not a Meta ad account id (want act_<digits>)",
		func(l *loader, m *MetaAccount, s string, v *yaml.Node) { m.AdAccount, m.Pos = s, l.pos(v) })},
	{key: "business", decode: text(digitsRE.MatchString, "%q is not a numeric id",
		func(_ *loader, m *MetaAccount, s string, _ *yaml.Node) { m.Business = s })},
	{key: "page", decode: text(digitsRE.MatchString, "%q is not a numeric id",
		func(_ *loader, m *MetaAccount, s string, _ *yaml.Node) { m.Page = s })},
	{key: "instagram", decode: text(digitsRE.MatchString, "%q is not a numeric id",
		func(_ *loader, m *MetaAccount, s string, _ *yaml.Node) { m.Instagram = s })},
	{key: "attribution_windows", decode: func(l *loader, m *MetaAccount, k, v *yaml.Node) {
		ws, nodes := l.strs(k.Value, v)
		for i, w := range ws {
			if day, gone := RetiredMetaWindows[w]; gone {
				l.errorf(nodes[i], "%s: Meta stopped returning %q on %s, so its conversions would read as zero; the windows still available are %s",
					k.Value, w, day, orList(metaWindows))
			} else if !slices.Contains(metaWindows, w) {
				l.errorf(nodes[i], "%s: unknown window %q (want %s)", k.Value, w, orList(metaWindows))
			}
		}
		m.AttributionWindows = ws
	}},
}}

// tiktokFields is the schema of a TikTok account; its position is its
// advertiser id's.
var tiktokFields = &fieldSet[*TikTokAccount]{what: "accounts.tiktok", fields: []field[*TikTokAccount]{
	{key: "advertiser", required: true, decode: text(digitsRE.MatchString, "%q is not a TikTok advertiser id (want digits)",
		func(l *loader, a *TikTokAccount, s string, v *yaml.Node) { a.Advertiser, a.Pos = s, l.pos(v) })},
}}

// shopifyFields is the schema of a Shopify store; its position is its
// shop domain's.
var shopifyFields = &fieldSet[*ShopifyAccount]{what: "accounts.shopify", fields: []field[*ShopifyAccount]{
	{key: "shop", required: true, decode: text(shopRE.MatchString, "%q is not a Shopify shop domain (want name.myshopify.com)",
		func(l *loader, a *ShopifyAccount, s string, v *yaml.Node) { a.Shop, a.Pos = s, l.pos(v) })},
}}

// slackFields is the schema of a brand's slack settings.
var slackFields = &fieldSet[*Slack]{what: "slack", fields: []field[*Slack]{
	{key: "channel", required: true, decode: text(channelRE.MatchString, `%q is not a Slack channel (want "#name" or a channel id like C0123ABCD)`,
		func(_ *loader, sl *Slack, s string, _ *yaml.Node) { sl.Channel = s })},
	{key: "approvers", decode: text(userGroupRE.MatchString, "%q is not a Slack user group id (want an id like S0123ABCD: Slack → People → User groups → the group → copy its ID)",
		func(_ *loader, sl *Slack, s string, _ *yaml.Node) { sl.Approvers = s })},
	{key: "digest_at", decode: text(func(s string) bool {
		_, err := time.Parse("15:04", s)
		return err == nil || s == "off"
	}, `%q is not a time of day (want HH:MM in the brand's timezone, e.g. "09:00", or "off")`,
		func(_ *loader, sl *Slack, s string, _ *yaml.Node) { sl.DigestAt = s })},
	{key: "weekly_digest", decode: text(func(s string) bool {
		_, ok := Weekday(s)
		return ok || s == "off"
	}, `%q is not a weekday (want a day such as "monday", posted from digest_at in the brand's timezone, or "off")`,
		func(_ *loader, sl *Slack, s string, _ *yaml.Node) { sl.WeeklyDigest = s })},
	{key: "quiet_hours", decode: text(func(s string) bool {
		_, _, ok := QuietHours(s)
		return ok
	}, `%q is not a range of times (want HH:MM-HH:MM in the brand's timezone, e.g. "20:00-08:00")`,
		func(_ *loader, sl *Slack, s string, _ *yaml.Node) { sl.QuietHours = s })},
}}

// currency decodes an ISO 4217 code.
func (l *loader) currency(key string, n *yaml.Node) (string, bool) {
	s, ok := l.str(key, n)
	if !ok {
		return "", false
	}
	if !currencyRE.MatchString(s) {
		l.errorf(n, "%s: %q is not a currency code (want 3 upper-case letters, e.g. USD)", key, s)
		return "", false
	}
	return s, true
}

// fxFields is the schema of an exchange rate; every key is required.
var fxFields = &fieldSet[*FXRate]{what: "fx rate", fields: []field[*FXRate]{
	{key: "from", required: true, decode: fxCurrency(func(r *FXRate, s string) { r.From = s })},
	{key: "to", required: true, decode: fxCurrency(func(r *FXRate, s string) { r.To = s })},
	{key: "rate", required: true, decode: func(l *loader, r *FXRate, k, v *yaml.Node) {
		if rt, f, ok := l.rate(k.Value, v); ok {
			if f <= 0 {
				l.errorf(v, "%s: an exchange rate must be above 0, got %s", k.Value, v.Value)
				return
			}
			r.Rate = rt
		}
	}},
	{key: "since", required: true, decode: func(l *loader, r *FXRate, k, v *yaml.Node) {
		if d, ok := l.date(k.Value, v); ok {
			r.Since = d
		}
	}},
}}

// fxCurrency decodes a currency of an exchange rate with set, marking
// where it was written (finish checks the pair).
func fxCurrency(set func(r *FXRate, s string)) func(*loader, *FXRate, *yaml.Node, *yaml.Node) {
	return func(l *loader, r *FXRate, k, v *yaml.Node) {
		if s, ok := l.currency(k.Value, v); ok {
			set(r, s)
			l.mark(r.Pos, k.Value, v)
		}
	}
}

// creatorFields is the schema of a creator.
var creatorFields = &fieldSet[*Creator]{what: "creator", fields: []field[*Creator]{
	{key: "handle", required: true, decode: func(l *loader, c *Creator, k, v *yaml.Node) {
		if s, ok := l.ident(k.Value, v); ok {
			c.Handle = s
			l.mark(c, k.Value, v)
		}
	}},
	{key: "instagram", decode: text(nil, "", func(_ *loader, c *Creator, s string, _ *yaml.Node) {
		c.Instagram = strings.TrimPrefix(s, "@")
	})},
	{key: "tiktok", decode: text(nil, "", func(_ *loader, c *Creator, s string, _ *yaml.Node) {
		c.TikTok = strings.TrimPrefix(s, "@")
	})},
	{key: "codes", decode: func(l *loader, c *Creator, k, v *yaml.Node) {
		codes, nodes := l.strs(k.Value, v)
		for i, code := range codes {
			if !codeRE.MatchString(code) {
				l.errorf(nodes[i], "%s: %q is not a discount code (letters, digits, '_' and '-')", k.Value, code)
				continue
			}
			c.Codes = append(c.Codes, code)
			l.mark(c, "code:"+strings.ToUpper(code), nodes[i])
		}
	}},
	{key: "links", decode: func(l *loader, c *Creator, k, v *yaml.Node) {
		links, nodes := l.strs(k.Value, v)
		for i, s := range links {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				l.errorf(nodes[i], "%s: %q is not an http(s) URL", k.Value, s)
				continue
			}
			c.Links = append(c.Links, s)
		}
	}},
	{key: "fee", decode: func(l *loader, c *Creator, _, v *yaml.Node) {
		decodeInto(l, v, feeFields, &c.Fee)
	}},
}}

// feeFields is the schema of a creator's fee.
var feeFields = &fieldSet[*Fee]{what: "fee", fields: []field[*Fee]{
	{key: "flat", decode: func(l *loader, f *Fee, k, v *yaml.Node) {
		if m, ok := l.money(k.Value, v); ok {
			if m < 0 {
				l.errorf(v, "%s: a fee must not be negative, got %s", k.Value, ads.FormatMicros(m, 2))
				return
			}
			f.Flat = m
		}
	}},
	{key: "commission", decode: func(l *loader, f *Fee, k, v *yaml.Node) {
		if r, x, ok := l.rate(k.Value, v); ok {
			if x < 0 || x > 1 {
				l.errorf(v, "%s: %s is outside 0..1 (write 15%% as 0.15)", k.Value, v.Value)
				return
			}
			f.Commission = r
		}
	}},
	{key: "commission_on", decode: func(l *loader, f *Fee, k, v *yaml.Node) {
		if s, ok := l.oneOf(k.Value, v, "basis", commissionOn...); ok {
			f.CommissionOn = s
		}
	}},
	{key: "bonuses", decode: items(func(l *loader, f *Fee, n *yaml.Node) {
		var b Bonus
		decodeInto(l, n, bonusFields, &b)
		f.Bonuses = append(f.Bonuses, b)
	})},
}}

// bonusFields is the schema of a one-off bonus.
var bonusFields = &fieldSet[*Bonus]{what: "bonus", fields: []field[*Bonus]{
	{key: "date", required: true, decode: func(l *loader, b *Bonus, k, v *yaml.Node) {
		b.Date, _ = l.date(k.Value, v)
	}},
	{key: "amount", required: true, decode: func(l *loader, b *Bonus, k, v *yaml.Node) {
		if m, ok := l.money(k.Value, v); ok {
			if m < 0 {
				l.errorf(v, "%s: a bonus must not be negative, got %s", k.Value, ads.FormatMicros(m, 2))
				return
			}
			b.Amount = m
		}
	}},
	{key: "note", decode: text(nil, "", func(_ *loader, b *Bonus, s string, _ *yaml.Node) { b.Note = s })},
}}

// testDraft is a test being decoded, with what its checks across keys
// need.
type testDraft struct {
	t        *Test
	floor    *yaml.Node // floor_roas, when valid
	targetOK bool       // whether target_roas is valid
	keys     map[string]Pos
}

// testFields is the schema of a variant test.
var testFields = &fieldSet[*testDraft]{what: "test", fields: []field[*testDraft]{
	{key: "id", required: true, decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		if s, ok := l.ident(k.Value, v); ok {
			d.t.ID = s
			l.mark(d.t, k.Value, v)
		}
	}},
	{key: "creator", required: true, decode: text(nil, "", func(l *loader, d *testDraft, s string, v *yaml.Node) {
		d.t.Creator = s
		l.mark(d.t, "creator", v)
	})},
	{key: "start", required: true, decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		d.t.Start, _ = l.date(k.Value, v)
	}},
	{key: "checkpoints", decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		list := l.list(k.Value, v)
		if list != nil && len(list) == 0 {
			l.errorf(v, "%s: want at least one, e.g. [14d, 30d]", k.Value)
		}
		prev := 0
		for _, c := range list {
			n, ok := l.duration(k.Value, c)
			switch {
			case !ok:
				continue
			case n <= 0:
				l.errorf(c, "%s: %s must be after the start (more than 0 days)", k.Value, c.Value)
			case n <= prev:
				l.errorf(c, "%s: %s must come after the previous checkpoint (%d days)", k.Value, c.Value, prev)
			default:
				prev = n
			}
			d.t.Checkpoints = append(d.t.Checkpoints, n)
		}
	}},
	{key: "target_roas", required: true, decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		if x, ok := l.number(k.Value, v); ok {
			if x <= 0 {
				l.errorf(v, "%s: must be above 0, got %s", k.Value, v.Value)
				return
			}
			d.t.TargetROAS, d.targetOK = x, true
		}
	}},
	{key: "floor_roas", decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		if x, ok := l.number(k.Value, v); ok {
			if x < 0 {
				l.errorf(v, "%s: must not be negative, got %s", k.Value, v.Value)
				return
			}
			d.t.FloorROAS, d.floor = x, v
		}
	}},
	{key: "min_spend", decode: nonNegativeMoney(func(t *Test, m int64) { t.MinSpend = m })},
	{key: "attribution", decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		d.t.Attribution, _ = l.oneOf(k.Value, v, "policy", UTMFirst, CodeFirst)
	}},
	{key: "actions", decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		d.t.Actions, _ = l.oneOf(k.Value, v, "mode", ActionsAlert, ActionsApply, ActionsApprove)
		l.mark(d.t, k.Value, v)
	}},
	{key: "approvers", decode: text(userGroupRE.MatchString, "%q is not a Slack user group id (want an id like S0123ABCD)",
		func(_ *loader, d *testDraft, s string, _ *yaml.Node) { d.t.Approvers = s })},
	{key: "owner", decode: text(ownerRE.MatchString, "%q is not a Slack user or user group id (want U0123ABCD, W0123ABCD or S0123ABCD)",
		func(_ *loader, d *testDraft, s string, _ *yaml.Node) { d.t.Owner = s })},
	{key: "budget_step", decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		if r, x, ok := l.rate(k.Value, v); ok {
			if x <= 0 || x > 1 {
				l.errorf(v, "%s: %s is outside (0, 1] (0.2 raises a budget by 20%%)", k.Value, v.Value)
				return
			}
			d.t.BudgetStep = r
			l.mark(d.t, k.Value, v)
		}
	}},
	{key: "max_daily_budget", decode: nonNegativeMoney(func(t *Test, m int64) { t.MaxDailyBudget = m })},
	{key: "variants", required: true, decode: func(l *loader, d *testDraft, k, v *yaml.Node) {
		list := l.list(k.Value, v)
		if list != nil && len(list) == 0 {
			l.errorf(v, "%s: a test needs at least one variant", k.Value)
		}
		for _, n := range list {
			d.t.Variants = append(d.t.Variants, l.variant(n, d.keys))
		}
	}},
}}

// nonNegativeMoney decodes an amount of a test that must not be negative
// with set.
func nonNegativeMoney(set func(t *Test, m int64)) func(*loader, *testDraft, *yaml.Node, *yaml.Node) {
	return func(l *loader, d *testDraft, k, v *yaml.Node) {
		if m, ok := l.money(k.Value, v); ok {
			if m < 0 {
				l.errorf(v, "%s: must not be negative, got %s", k.Value, ads.FormatMicros(m, 2))
				return
			}
			set(d.t, m)
		}
	}
}

func (l *loader) test(n *yaml.Node) *Test {
	d := &testDraft{t: &Test{Pos: l.pos(n)}, keys: map[string]Pos{}}
	decodeInto(l, n, testFields, d)
	if t := d.t; d.floor != nil && d.targetOK && t.FloorROAS > t.TargetROAS {
		l.errorf(d.floor, "floor_roas: %s is above target_roas %s", d.floor.Value, strconv.FormatFloat(t.TargetROAS, 'f', -1, 64))
	}
	return d.t
}

// variantDraft is a variant being decoded, with what its checks across
// keys need.
type variantDraft struct {
	v                 *Variant
	keys              map[string]Pos // the test's variant keys so far
	kind, spark, item *yaml.Node     // where kind, spark_code and item_id were written
}

// variantFields is the schema of a test's variant.
var variantFields = &fieldSet[*variantDraft]{what: "variant", fields: []field[*variantDraft]{
	{key: "key", required: true, decode: func(l *loader, d *variantDraft, k, v *yaml.Node) {
		s, ok := l.ident(k.Value, v)
		if !ok {
			return
		}
		if first, dup := d.keys[s]; dup {
			l.errorf(v, "%s: variant %q is already in this test at %s", k.Value, s, first)
			return
		}
		d.keys[s] = l.pos(v)
		d.v.Key = s
	}},
	{key: "platform", required: true, decode: func(l *loader, d *variantDraft, k, v *yaml.Node) {
		if s, ok := l.oneOf(k.Value, v, "platform", string(ads.Meta), string(ads.TikTok)); ok {
			d.v.Platform = ads.Platform(s)
			l.mark(d.v, k.Value, v)
		}
	}},
	{key: "kind", required: true, decode: func(l *loader, d *variantDraft, k, v *yaml.Node) {
		if s, ok := l.oneOf(k.Value, v, "kind", string(ads.Whitelisted), string(ads.Spark), string(ads.Dark)); ok {
			d.v.Kind, d.kind = ads.Kind(s), v
		}
	}},
	{key: "ad_id", decode: text(digitsRE.MatchString, "%q is not a numeric id",
		func(_ *loader, d *variantDraft, s string, _ *yaml.Node) { d.v.AdID = s })},
	{key: "spark_code", decode: text(nil, "",
		func(_ *loader, d *variantDraft, s string, v *yaml.Node) { d.v.SparkCode, d.spark = s, v })},
	{key: "item_id", decode: text(digitsRE.MatchString, "%q is not a numeric id",
		func(_ *loader, d *variantDraft, s string, v *yaml.Node) { d.v.ItemID, d.item = s, v })},
	{key: "utm", decode: func(l *loader, d *variantDraft, _, v *yaml.Node) {
		decodeInto(l, v, utmFields, d.v)
	}},
}}

// utmFields is the schema of a variant's UTM parameters.
var utmFields = &fieldSet[*Variant]{what: "utm", fields: []field[*Variant]{
	{key: "source", decode: text(nil, "", func(_ *loader, v *Variant, s string, _ *yaml.Node) { v.UTM.Source = s })},
	{key: "medium", decode: text(nil, "", func(_ *loader, v *Variant, s string, _ *yaml.Node) { v.UTM.Medium = s })},
	{key: "campaign", decode: text(nil, "", func(_ *loader, v *Variant, s string, _ *yaml.Node) { v.UTM.Campaign = s })},
	{key: "content", decode: text(nil, "", func(l *loader, v *Variant, s string, n *yaml.Node) {
		v.UTM.Content = s
		l.mark(v, "utm.content", n)
	})},
	{key: "term", decode: text(nil, "", func(_ *loader, v *Variant, s string, _ *yaml.Node) { v.UTM.Term = s })},
}}

func (l *loader) variant(n *yaml.Node, keys map[string]Pos) *Variant {
	d := &variantDraft{v: &Variant{Pos: l.pos(n)}, keys: keys}
	decodeInto(l, n, variantFields, d)
	v := d.v
	if v.Platform == "" || v.Kind == "" {
		return v // already reported
	}
	switch {
	case v.Kind == ads.Spark && v.Platform != ads.TikTok:
		l.errorf(d.kind, "kind: spark ads run on tiktok; on %s use whitelisted or dark", v.Platform)
	case v.Kind == ads.Whitelisted && v.Platform != ads.Meta:
		l.errorf(d.kind, "kind: whitelisted ads run on meta; on tiktok a creator's post runs as kind spark")
	case v.Kind == ads.Spark && v.SparkCode == "" && v.ItemID == "" && v.AdID == "":
		l.errorf(n, "variant %q: a spark variant needs spark_code, item_id or ad_id to find its ad", v.Key)
	case v.Kind != ads.Spark && v.AdID == "" && v.UTM.Content == "":
		l.errorf(n, "variant %q: a %s variant needs ad_id or utm content so its ads can be matched", v.Key, v.Kind)
	}
	if d.spark != nil && v.Kind != ads.Spark {
		l.errorf(d.spark, "spark_code: only spark variants have a Spark authorization code")
	}
	if d.item != nil && v.Platform != ads.TikTok {
		l.errorf(d.item, "item_id: only tiktok variants have a TikTok post item_id")
	}
	return v
}
