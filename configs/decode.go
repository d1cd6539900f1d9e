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

// Allowed keys of each mapping, in the order the docs list them.
var (
	brandKeys    = []string{"brand", "currency", "timezone", "accounts", "slack", "restatement_days", "refund_horizon_days", "fx_rates", "creators", "tests"}
	accountKeys  = []string{"meta", "tiktok", "shopify"}
	metaKeys     = []string{"ad_account", "business", "page", "instagram", "attribution_windows"}
	fxKeys       = []string{"from", "to", "rate", "since"}
	creatorKeys  = []string{"handle", "instagram", "tiktok", "codes", "links", "fee"}
	feeKeys      = []string{"flat", "commission", "commission_on", "bonuses"}
	bonusKeys    = []string{"date", "amount", "note"}
	testKeys     = []string{"id", "creator", "start", "checkpoints", "target_roas", "floor_roas", "min_spend", "attribution", "actions", "approvers", "owner", "budget_step", "max_daily_budget", "variants"}
	variantKeys  = []string{"key", "platform", "kind", "ad_id", "spark_code", "item_id", "utm"}
	utmKeys      = []string{"source", "medium", "campaign", "content", "term"}
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

func (l *loader) decodeDoc(root *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "a config file holds a mapping (brand:, creators:, tests:), not %s", describe(root))
		return
	}
	// Every other key belongs to the brand, so find it first.
	b := &Brand{} // a stand-in when the brand is missing, to still check the rest
	var brandNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "brand" {
			brandNode = resolve(root.Content[i+1])
			break
		}
	}
	switch {
	case brandNode == nil || (brandNode.Kind == yaml.ScalarNode && brandNode.ShortTag() == "!!null"):
		l.errorf(root, "missing required key \"brand\" (the brand every key in this file belongs to)")
	default:
		if name, ok := l.ident("brand", brandNode); ok {
			b = l.brand(name, brandNode)
		}
	}
	l.fields(root, "brand file", brandKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "brand":
		case "creators":
			for _, n := range l.list(key, v) {
				b.Creators = append(b.Creators, l.creator(n))
			}
		case "tests":
			for _, n := range l.list(key, v) {
				b.Tests = append(b.Tests, l.test(n))
			}
		case "fx_rates":
			for _, n := range l.list(key, v) {
				b.FXRates = append(b.FXRates, l.fxRate(n))
			}
		default:
			if first := l.where(b, key); !first.IsZero() {
				l.errorf(k, "%s of brand %q is already set at %s", key, b.Name, first)
				return
			}
			l.mark(b, key, k)
			l.brandSetting(b, key, v)
		}
	})
}

func (l *loader) brandSetting(b *Brand, key string, v *yaml.Node) {
	switch key {
	case "currency":
		if s, ok := l.currency(key, v); ok {
			b.Currency = s
		}
	case "timezone":
		s, ok := l.str(key, v)
		if !ok {
			return
		}
		loc, err := time.LoadLocation(s)
		if err != nil || s == "" || s == "Local" {
			l.errorf(v, "timezone: unknown IANA time zone %q (e.g. America/New_York)", s)
			return
		}
		b.Timezone, b.Location = s, loc
	case "restatement_days":
		if d, ok := l.integer(key, v); ok {
			if d < 1 {
				l.errorf(v, "restatement_days: want at least 1 day, got %d", d)
				return
			}
			b.RestatementDays = d
		}
	case "refund_horizon_days":
		if d, ok := l.integer(key, v); ok {
			if d < 1 || d > MaxRefundHorizonDays {
				l.errorf(v, "refund_horizon_days: want 1 to %d days, got %d", MaxRefundHorizonDays, d)
				return
			}
			b.RefundHorizonDays = d
		}
	case "accounts":
		l.fields(v, "accounts", accountKeys, func(key string, _, v *yaml.Node) {
			// Each platform takes one account (a mapping) or several (a
			// list of mappings).
			items := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				items = l.list(key, v)
				if len(items) == 0 {
					l.errorf(v, "accounts.%s: want at least one account (or leave %s out)", key, key)
				}
			}
			for _, n := range items {
				switch key {
				case "meta":
					if m := l.metaAccount(n); m != nil {
						b.Accounts.Meta = append(b.Accounts.Meta, m)
					}
				case "tiktok":
					if a := l.tiktokAccount(n); a != nil {
						b.Accounts.TikTok = append(b.Accounts.TikTok, a)
					}
				case "shopify":
					if a := l.shopifyAccount(n); a != nil {
						b.Accounts.Shopify = append(b.Accounts.Shopify, a)
					}
				}
			}
		})
	case "slack":
		seen := l.fields(v, "slack", []string{"channel", "approvers", "digest_at", "weekly_digest", "quiet_hours"}, func(key string, _, v *yaml.Node) {
			if key == "quiet_hours" {
				if s, ok := l.str(key, v); ok {
					if _, _, ok := QuietHours(s); !ok {
						l.errorf(v, "quiet_hours: %q is not a range of times (want HH:MM-HH:MM in the brand's timezone, e.g. \"20:00-08:00\")", s)
					}
					b.Slack.QuietHours = s
				}
				return
			}
			if key == "digest_at" {
				if s, ok := l.str(key, v); ok {
					if _, err := time.Parse("15:04", s); err != nil && s != "off" {
						l.errorf(v, "digest_at: %q is not a time of day (want HH:MM in the brand's timezone, e.g. \"09:00\", or \"off\")", s)
					}
					b.Slack.DigestAt = s
				}
				return
			}
			if key == "weekly_digest" {
				if s, ok := l.str(key, v); ok {
					if _, ok := Weekday(s); !ok && s != "off" {
						l.errorf(v, "weekly_digest: %q is not a weekday (want a day such as \"monday\", posted from digest_at in the brand's timezone, or \"off\")", s)
					}
					b.Slack.WeeklyDigest = s
				}
				return
			}
			if key == "approvers" {
				if s, ok := l.str(key, v); ok {
					if !userGroupRE.MatchString(s) {
						l.errorf(v, "approvers: %q is not a Slack user group id (want an id like S0123ABCD: Slack → People → User groups → the group → copy its ID)", s)
					}
					b.Slack.Approvers = s
				}
				return
			}
			if s, ok := l.str(key, v); ok {
				if !channelRE.MatchString(s) {
					l.errorf(v, "channel: %q is not a Slack channel (want \"#name\" or a channel id like C0123ABCD)", s)
				}
				b.Slack.Channel = s
			}
		})
		l.require(v, "slack", seen, "channel")
	}
}

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

func (l *loader) tiktokAccount(n *yaml.Node) *TikTokAccount {
	v, pos, ok := l.idField(n, "accounts.tiktok", "advertiser", digitsRE, "%q is not a TikTok advertiser id (want digits)")
	if !ok {
		return nil
	}
	return &TikTokAccount{Advertiser: v, Pos: pos}
}

func (l *loader) shopifyAccount(n *yaml.Node) *ShopifyAccount {
	v, pos, ok := l.idField(n, "accounts.shopify", "shop", shopRE, "%q is not a Shopify shop domain (want name.myshopify.com)")
	if !ok {
		return nil
	}
	return &ShopifyAccount{Shop: v, Pos: pos}
}

// idField reads an account mapping whose one required key holds an id
// that must match re (bad says why not, given the value): the id and its
// position (the mapping's when the key is missing), and false when the
// mapping has no such key.
func (l *loader) idField(n *yaml.Node, section, key string, re *regexp.Regexp, bad string) (string, Pos, bool) {
	id, pos := "", l.pos(n)
	seen := l.fields(n, section, []string{key}, func(k string, _, v *yaml.Node) {
		if s, ok := l.str(k, v); ok {
			if !re.MatchString(s) {
				l.errorf(v, "%s: "+bad, key, s)
			}
			id, pos = s, l.pos(v)
		}
	})
	l.require(n, section, seen, key)
	return id, pos, seen != nil
}

func (l *loader) metaAccount(n *yaml.Node) *MetaAccount {
	m := &MetaAccount{Pos: l.pos(n)}
	seen := l.fields(n, "accounts.meta", metaKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "ad_account":
			if s, ok := l.str(key, v); ok {
				if !actRE.MatchString(s) {
					l.errorf(v, "ad_account: %q is not a Meta ad account id (want act_<digits>)", s)
				}
				m.AdAccount = s
				m.Pos = l.pos(v)
			}
		case "business", "page", "instagram":
			if s, ok := l.str(key, v); ok {
				if !digitsRE.MatchString(s) {
					l.errorf(v, "%s: %q is not a numeric id", key, s)
				}
				switch key {
				case "business":
					m.Business = s
				case "page":
					m.Page = s
				default:
					m.Instagram = s
				}
			}
		case "attribution_windows":
			ws, nodes := l.strs(key, v)
			for i, w := range ws {
				if day, gone := RetiredMetaWindows[w]; gone {
					l.errorf(nodes[i], "attribution_windows: Meta stopped returning %q on %s, so its conversions would read as zero; the windows still available are %s",
						w, day, orList(metaWindows))
				} else if !slices.Contains(metaWindows, w) {
					l.errorf(nodes[i], "attribution_windows: unknown window %q (want %s)", w, orList(metaWindows))
				}
			}
			m.AttributionWindows = ws
		}
	})
	l.require(n, "accounts.meta", seen, "ad_account")
	if seen == nil {
		return nil
	}
	return m
}

func (l *loader) fxRate(n *yaml.Node) FXRate {
	r := FXRate{Pos: l.pos(n)}
	seen := l.fields(n, "fx rate", fxKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "from", "to":
			if s, ok := l.currency(key, v); ok {
				if key == "from" {
					r.From = s
				} else {
					r.To = s
				}
				l.mark(r.Pos, key, v)
			}
		case "rate":
			if rt, f, ok := l.rate(key, v); ok {
				if f <= 0 {
					l.errorf(v, "rate: an exchange rate must be above 0, got %s", v.Value)
					return
				}
				r.Rate = rt
			}
		case "since":
			if d, ok := l.date(key, v); ok {
				r.Since = d
			}
		}
	})
	l.require(n, "fx rate", seen, fxKeys...)
	return r
}

func (l *loader) creator(n *yaml.Node) *Creator {
	c := &Creator{Pos: l.pos(n)}
	seen := l.fields(n, "creator", creatorKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "handle":
			if s, ok := l.ident(key, v); ok {
				c.Handle = s
				l.mark(c, key, v)
			}
		case "instagram", "tiktok":
			if s, ok := l.str(key, v); ok {
				s = strings.TrimPrefix(s, "@")
				if key == "instagram" {
					c.Instagram = s
				} else {
					c.TikTok = s
				}
			}
		case "codes":
			codes, nodes := l.strs(key, v)
			for i, code := range codes {
				if !codeRE.MatchString(code) {
					l.errorf(nodes[i], "codes: %q is not a discount code (letters, digits, '_' and '-')", code)
					continue
				}
				c.Codes = append(c.Codes, code)
				l.mark(c, "code:"+strings.ToUpper(code), nodes[i])
			}
		case "links":
			links, nodes := l.strs(key, v)
			for i, s := range links {
				u, err := url.Parse(s)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					l.errorf(nodes[i], "links: %q is not an http(s) URL", s)
					continue
				}
				c.Links = append(c.Links, s)
			}
		case "fee":
			l.fee(&c.Fee, v)
		}
	})
	l.require(n, "creator", seen, "handle")
	return c
}

func (l *loader) fee(f *Fee, n *yaml.Node) {
	l.fields(n, "fee", feeKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "flat":
			if m, ok := l.money(key, v); ok {
				if m < 0 {
					l.errorf(v, "flat: a fee must not be negative, got %s", ads.FormatMicros(m, 2))
					return
				}
				f.Flat = m
			}
		case "commission":
			if r, x, ok := l.rate(key, v); ok {
				if x < 0 || x > 1 {
					l.errorf(v, "commission: %s is outside 0..1 (write 15%% as 0.15)", v.Value)
					return
				}
				f.Commission = r
			}
		case "commission_on":
			if s, ok := l.oneOf(key, v, "basis", commissionOn...); ok {
				f.CommissionOn = s
			}
		case "bonuses":
			for _, bn := range l.list(key, v) {
				var b Bonus
				seen := l.fields(bn, "bonus", bonusKeys, func(key string, _, v *yaml.Node) {
					switch key {
					case "date":
						b.Date, _ = l.date(key, v)
					case "amount":
						if m, ok := l.money(key, v); ok {
							if m < 0 {
								l.errorf(v, "amount: a bonus must not be negative, got %s", ads.FormatMicros(m, 2))
								return
							}
							b.Amount = m
						}
					case "note":
						b.Note, _ = l.str(key, v)
					}
				})
				l.require(bn, "bonus", seen, "date", "amount")
				f.Bonuses = append(f.Bonuses, b)
			}
		}
	})
}

func (l *loader) test(n *yaml.Node) *Test {
	t := &Test{Pos: l.pos(n)}
	var floorNode *yaml.Node
	targetOK := false
	keys := map[string]Pos{}
	seen := l.fields(n, "test", testKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "id":
			if s, ok := l.ident(key, v); ok {
				t.ID = s
				l.mark(t, key, v)
			}
		case "creator":
			if s, ok := l.str(key, v); ok {
				t.Creator = s
				l.mark(t, key, v)
			}
		case "start":
			t.Start, _ = l.date(key, v)
		case "checkpoints":
			items := l.list(key, v)
			if items != nil && len(items) == 0 {
				l.errorf(v, "checkpoints: want at least one, e.g. [14d, 30d]")
			}
			prev := 0
			for _, c := range items {
				d, ok := l.duration(key, c)
				switch {
				case !ok:
					continue
				case d <= 0:
					l.errorf(c, "checkpoints: %s must be after the start (more than 0 days)", c.Value)
				case d <= prev:
					l.errorf(c, "checkpoints: %s must come after the previous checkpoint (%d days)", c.Value, prev)
				default:
					prev = d
				}
				t.Checkpoints = append(t.Checkpoints, d)
			}
		case "target_roas":
			if x, ok := l.number(key, v); ok {
				if x <= 0 {
					l.errorf(v, "target_roas: must be above 0, got %s", v.Value)
					return
				}
				t.TargetROAS, targetOK = x, true
			}
		case "floor_roas":
			if x, ok := l.number(key, v); ok {
				if x < 0 {
					l.errorf(v, "floor_roas: must not be negative, got %s", v.Value)
					return
				}
				t.FloorROAS, floorNode = x, v
			}
		case "min_spend", "max_daily_budget":
			if m, ok := l.money(key, v); ok {
				if m < 0 {
					l.errorf(v, "%s: must not be negative, got %s", key, ads.FormatMicros(m, 2))
					return
				}
				if key == "min_spend" {
					t.MinSpend = m
				} else {
					t.MaxDailyBudget = m
				}
			}
		case "attribution":
			t.Attribution, _ = l.oneOf(key, v, "policy", UTMFirst, CodeFirst)
		case "actions":
			t.Actions, _ = l.oneOf(key, v, "mode", ActionsAlert, ActionsApply, ActionsApprove)
			l.mark(t, key, v)
		case "approvers":
			if s, ok := l.str(key, v); ok {
				if !userGroupRE.MatchString(s) {
					l.errorf(v, "approvers: %q is not a Slack user group id (want an id like S0123ABCD)", s)
				}
				t.Approvers = s
			}
		case "owner":
			if s, ok := l.str(key, v); ok {
				if !ownerRE.MatchString(s) {
					l.errorf(v, "owner: %q is not a Slack user or user group id (want U0123ABCD, W0123ABCD or S0123ABCD)", s)
				}
				t.Owner = s
			}
		case "budget_step":
			if r, x, ok := l.rate(key, v); ok {
				if x <= 0 || x > 1 {
					l.errorf(v, "budget_step: %s is outside (0, 1] (0.2 raises a budget by 20%%)", v.Value)
					return
				}
				t.BudgetStep = r
				l.mark(t, key, v)
			}
		case "variants":
			items := l.list(key, v)
			if items != nil && len(items) == 0 {
				l.errorf(v, "variants: a test needs at least one variant")
			}
			for _, vn := range items {
				t.Variants = append(t.Variants, l.variant(vn, keys))
			}
		}
	})
	l.require(n, "test", seen, "id", "creator", "start", "target_roas", "variants")
	if floorNode != nil && targetOK && t.FloorROAS > t.TargetROAS {
		l.errorf(floorNode, "floor_roas: %s is above target_roas %s", floorNode.Value, strconv.FormatFloat(t.TargetROAS, 'f', -1, 64))
	}
	return t
}

func (l *loader) variant(n *yaml.Node, keys map[string]Pos) *Variant {
	v := &Variant{Pos: l.pos(n)}
	var kindNode, sparkNode, itemNode *yaml.Node
	seen := l.fields(n, "variant", variantKeys, func(key string, _, val *yaml.Node) {
		switch key {
		case "key":
			s, ok := l.ident(key, val)
			if !ok {
				return
			}
			if first, dup := keys[s]; dup {
				l.errorf(val, "key: variant %q is already in this test at %s", s, first)
				return
			}
			keys[s] = l.pos(val)
			v.Key = s
		case "platform":
			if s, ok := l.oneOf(key, val, "platform", string(ads.Meta), string(ads.TikTok)); ok {
				v.Platform = ads.Platform(s)
				l.mark(v, key, val)
			}
		case "kind":
			if s, ok := l.oneOf(key, val, "kind", string(ads.Whitelisted), string(ads.Spark), string(ads.Dark)); ok {
				v.Kind, kindNode = ads.Kind(s), val
			}
		case "ad_id", "item_id":
			s, ok := l.str(key, val)
			if !ok {
				return
			}
			if !digitsRE.MatchString(s) {
				l.errorf(val, "%s: %q is not a numeric id", key, s)
			}
			if key == "ad_id" {
				v.AdID = s
			} else {
				v.ItemID, itemNode = s, val
			}
		case "spark_code":
			if s, ok := l.str(key, val); ok {
				v.SparkCode, sparkNode = s, val
			}
		case "utm":
			l.fields(val, "utm", utmKeys, func(key string, _, u *yaml.Node) {
				s, ok := l.str(key, u)
				if !ok {
					return
				}
				switch key {
				case "source":
					v.UTM.Source = s
				case "medium":
					v.UTM.Medium = s
				case "campaign":
					v.UTM.Campaign = s
				case "content":
					v.UTM.Content = s
					l.mark(v, "utm.content", u)
				case "term":
					v.UTM.Term = s
				}
			})
		}
	})
	l.require(n, "variant", seen, "key", "platform", "kind")
	if v.Platform == "" || v.Kind == "" {
		return v // already reported
	}
	switch {
	case v.Kind == ads.Spark && v.Platform != ads.TikTok:
		l.errorf(kindNode, "kind: spark ads run on tiktok; on %s use whitelisted or dark", v.Platform)
	case v.Kind == ads.Whitelisted && v.Platform != ads.Meta:
		l.errorf(kindNode, "kind: whitelisted ads run on meta; on tiktok a creator's post runs as kind spark")
	case v.Kind == ads.Spark && v.SparkCode == "" && v.ItemID == "" && v.AdID == "":
		l.errorf(n, "variant %q: a spark variant needs spark_code, item_id or ad_id to find its ad", v.Key)
	case v.Kind != ads.Spark && v.AdID == "" && v.UTM.Content == "":
		l.errorf(n, "variant %q: a %s variant needs ad_id or utm content so its ads can be matched", v.Key, v.Kind)
	}
	if sparkNode != nil && v.Kind != ads.Spark {
		l.errorf(sparkNode, "spark_code: only spark variants have a Spark authorization code")
	}
	if itemNode != nil && v.Platform != ads.TikTok {
		l.errorf(itemNode, "item_id: only tiktok variants have a TikTok post item_id")
	}
	return v
}
