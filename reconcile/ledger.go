package reconcile

import (
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// Ledger row sources.
const (
	// SourceOrder rows are store orders (SourceID is the order id).
	SourceOrder = "order"
	// SourceLink rows are link-platform conversions (SourceID is
	// "<source>:<conversion id>").
	SourceLink = "link"
)

// Ledger row channels: who gets the row's revenue.
const (
	// ChannelPaid is revenue of a paid variant.
	ChannelPaid = "paid"
	// ChannelOrganic is revenue of a creator's own code or link.
	ChannelOrganic = "organic"
	// ChannelUnattributed is a store order nobody claims.
	ChannelUnattributed = "unattributed"
	// ChannelDuplicate is a link conversion of an order already counted; it
	// carries no revenue.
	ChannelDuplicate = "duplicate"
	// ChannelUnconverted is a store order held out because the brand
	// configures no rate from its currency on its day: zero revenue, its
	// own amount and currency in OrigRevenue and OrigCurrency, the rest of
	// the row as it would be attributed. It counts nowhere until a rate is
	// configured (which rebuilds the ledger).
	ChannelUnconverted = "unconverted"
)

// Attribution rules: every ledger row names the rule that decided it.
const (
	// AttrUTMContent: the order's last-visit utm_content names a declared
	// paid variant.
	AttrUTMContent = "utm_content"
	// AttrDiscountCode: the order redeemed a creator's discount code.
	AttrDiscountCode = "discount_code"
	// AttrTrackingLink: the order's landing page or UTM matches a
	// creator's tracking link.
	AttrTrackingLink = "tracking_link"
	// AttrLinkConversion: a link platform reported a conversion of no
	// known order; it is organic revenue of its creator.
	AttrLinkConversion = "link_conversion"
	// AttrLinkDup: a link conversion of an order the store already
	// reported; not counted again (the order's own row carries the
	// revenue, whoever it is attributed to).
	AttrLinkDup = "link_dup"
	// AttrLinkOrder: a store order no other rule attributed, named by a
	// link conversion of a brand creator: it is organic revenue of that
	// creator (the conversion itself stays a link_dup row, so both are
	// visible). Of several conversions naming the order, the first by
	// source then conversion id decides.
	AttrLinkOrder = "link_order"
	// AttrNone: nothing claims the order.
	AttrNone = "none"
)

// variantDecl is a declared paid variant with its test.
type variantDecl struct {
	test *configs.Test
	v    *configs.Variant
}

// attributor holds the brand's attribution indexes.
type attributor struct {
	brand    *configs.Brand
	byUTM    map[string][]variantDecl // lower(utm content) → variants, declaration order
	codes    map[string]string        // upper(code) → creator handle
	creators []*configs.Creator
	// links are the creators' tracking links, parsed once, in creator
	// then link order.
	links []creatorLink
	// utms memoizes ads.ParseUTM of landing pages, which repeat across
	// orders (an ad's or a creator's link).
	utms map[string]ads.UTM
}

// creatorLink is a creator's tracking link, parsed.
type creatorLink struct {
	handle string
	link   string
	utm    ads.UTM // ads.ParseUTM(link)
	path   string  // linkPath(link), used when utm is zero
	normal string  // normalLink(link)
}

func newAttributor(b *configs.Brand) *attributor {
	a := &attributor{brand: b, byUTM: map[string][]variantDecl{}, codes: map[string]string{}, creators: b.Creators,
		utms: map[string]ads.UTM{}}
	for _, t := range b.Tests {
		for _, v := range t.Variants {
			if c := strings.ToLower(strings.TrimSpace(v.UTM.Content)); c != "" {
				a.byUTM[c] = append(a.byUTM[c], variantDecl{test: t, v: v})
			}
		}
	}
	for _, c := range b.Creators {
		for _, code := range c.Codes {
			k := strings.ToUpper(strings.TrimSpace(code))
			if _, dup := a.codes[k]; !dup && k != "" {
				a.codes[k] = c.Handle
			}
		}
		for _, l := range c.Links {
			cl := creatorLink{handle: c.Handle, link: l, utm: ads.ParseUTM(l), normal: normalLink(l)}
			if cl.utm.IsZero() {
				cl.path = linkPath(l)
			}
			a.links = append(a.links, cl)
		}
	}
	return a
}

// parseUTM is ads.ParseUTM, memoized.
func (a *attributor) parseUTM(s string) ads.UTM {
	if s == "" {
		return ads.UTM{}
	}
	u, ok := a.utms[s]
	if !ok {
		u = ads.ParseUTM(s)
		a.utms[s] = u
	}
	return u
}

// lastVisit is the order's last-visit UTM, completed from its landing page.
func (a *attributor) lastVisit(o *ads.Order) ads.UTM {
	return mergeUTM(o.UTM, a.parseUTM(o.LandingPage))
}

// paidVariant returns the declared variant the last-visit UTM u names
// (preferring one whose utm_campaign matches too).
func (a *attributor) paidVariant(u ads.UTM) (variantDecl, bool) {
	ds := a.byUTM[strings.ToLower(strings.TrimSpace(u.Content))]
	if len(ds) == 0 {
		return variantDecl{}, false
	}
	for _, d := range ds {
		if d.v.UTM.Campaign != "" && strings.EqualFold(d.v.UTM.Campaign, u.Campaign) {
			return d, true
		}
	}
	return ds[0], true
}

// creatorCodes returns the redeemed codes that belong to creators, as
// typed and comma-separated, and their owners likewise; first is the
// owner of the first one ("" when none), the creator a code attributes
// the order to.
func (a *attributor) creatorCodes(o *ads.Order) (codes, owners, first string) {
	for _, c := range o.DiscountCodes {
		if h, ok := a.codes[strings.ToUpper(strings.TrimSpace(c))]; ok {
			if first == "" {
				codes, owners, first = c, h, h
				continue
			}
			codes, owners = codes+","+c, owners+","+h
		}
	}
	return codes, owners, first
}

// redeemers calls fn once for each distinct owner of the creator codes
// the row lists (see ads.LedgerLine.Code).
func redeemers(r *ads.LedgerLine, fn func(owner string)) {
	if r.CodeCreator == "" {
		return
	}
	if !strings.Contains(r.CodeCreator, ",") {
		fn(r.CodeCreator)
		return
	}
	owners := strings.Split(r.CodeCreator, ",")
	for i, h := range owners {
		if !slices.Contains(owners[:i], h) {
			fn(h)
		}
	}
}

// trackingLink returns the creator whose tracking link the order's last
// visit (last the last-visit UTM) or else its first visit matches.
func (a *attributor) trackingLink(o *ads.Order, last ads.UTM) string {
	if len(a.links) == 0 {
		return ""
	}
	if h := a.matchLink(last, o.LandingPage); h != "" {
		return h
	}
	return a.matchLink(mergeUTM(o.FirstUTM, a.parseUTM(o.FirstLandingPage)), o.FirstLandingPage)
}

// matchLink returns the creator of the first tracking link the visit (its
// UTM and landing page) matches.
func (a *attributor) matchLink(visit ads.UTM, page string) string {
	pagePath, havePath := "", false
	for i := range a.links {
		l := &a.links[i]
		if !l.utm.IsZero() {
			if utmMatches(l.utm, visit) {
				return l.handle
			}
			continue
		}
		if l.path == "" {
			continue
		}
		if !havePath {
			pagePath, havePath = linkPath(page), true
		}
		if l.path == pagePath {
			return l.handle
		}
	}
	return ""
}

// policyOf returns a test's attribution policy (utm-first by default).
func policyOf(t *configs.Test) string {
	if t != nil && t.Attribution == configs.CodeFirst {
		return configs.CodeFirst
	}
	return configs.UTMFirst
}

// attribute decides who gets an order. Precedence under utm-first (the
// default): utm_content → discount_code → tracking_link. Under code-first
// (when the paid variant's test sets it): discount_code → utm_content →
// tracking_link. A tracking link is always the weakest claim: its UTM is
// the same signal a paid click carries, so it never beats a variant's
// utm_content. The returned row has no day, currency or revenue yet.
func (a *attributor) attribute(o *ads.Order) ads.LedgerLine {
	r := ads.LedgerLine{Source: SourceOrder, SourceID: o.ID, Channel: ChannelUnattributed, Rule: AttrNone, Policy: configs.UTMFirst}
	last := a.lastVisit(o)
	d, paid := a.paidVariant(last)
	var codeCreator string
	r.Code, r.CodeCreator, codeCreator = a.creatorCodes(o)
	if paid {
		r.Policy = policyOf(d.test)
	}
	switch {
	case paid && codeCreator != "" && r.Policy == configs.CodeFirst, !paid && codeCreator != "":
		r.Channel, r.Rule, r.Creator = ChannelOrganic, AttrDiscountCode, codeCreator
	case paid:
		r.Channel, r.Rule = ChannelPaid, AttrUTMContent
		r.TestID, r.VariantKey, r.Creator, r.Platform = d.test.ID, d.v.Key, d.test.Creator, d.v.Platform
	default:
		if h := a.trackingLink(o, last); h != "" {
			r.Channel, r.Rule, r.Creator = ChannelOrganic, AttrTrackingLink, h
		}
	}
	return r
}

// linkCreator returns the brand creator a link conversion belongs to: by
// handle (or platform handle), else by its link; "" when none.
func (a *attributor) linkCreator(c ads.LinkConversion) string {
	h := strings.TrimPrefix(strings.TrimSpace(c.Creator), "@")
	if h != "" {
		for _, cr := range a.creators {
			if strings.EqualFold(cr.Handle, h) || (cr.Instagram != "" && strings.EqualFold(cr.Instagram, h)) ||
				(cr.TikTok != "" && strings.EqualFold(cr.TikTok, h)) {
				return cr.Handle
			}
		}
	}
	if c.Link == "" {
		return ""
	}
	normal := normalLink(c.Link)
	for _, l := range a.links {
		if l.normal == normal {
			return l.handle
		}
	}
	return a.matchLink(ads.ParseUTM(c.Link), c.Link)
}

func mergeUTM(a, b ads.UTM) ads.UTM {
	pick := func(x, y string) string {
		if x != "" {
			return x
		}
		return y
	}
	return ads.UTM{Source: pick(a.Source, b.Source), Medium: pick(a.Medium, b.Medium),
		Campaign: pick(a.Campaign, b.Campaign), Content: pick(a.Content, b.Content), Term: pick(a.Term, b.Term)}
}

// A visit (its UTM and landing page) matches a creator's tracking link
// (matchLink) when the link has UTM parameters and every parameter it sets
// equals the visit's (case-insensitively), or when the link has none and
// its path (not the bare site root) equals the landing page's path.

// utmMatches reports whether every parameter the link's UTM lu sets equals
// the visit's, case-insensitively.
func utmMatches(lu, visit ads.UTM) bool {
	eq := func(l, v string) bool { return l == "" || strings.EqualFold(l, v) }
	return eq(lu.Source, visit.Source) && eq(lu.Medium, visit.Medium) && eq(lu.Campaign, visit.Campaign) &&
		eq(lu.Content, visit.Content) && eq(lu.Term, visit.Term)
}

// linkPath is the lower-cased path of a URL or path, without a trailing
// slash; "" for the site root or unparsable input.
func linkPath(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	p := u.Path
	if u.Host == "" && u.Scheme == "" && !strings.HasPrefix(p, "/") {
		// "glowco.com/jacq" without a scheme.
		if i := strings.IndexByte(p, '/'); i >= 0 {
			p = p[i:]
		} else {
			p = ""
		}
	}
	return strings.ToLower(strings.TrimRight(p, "/"))
}

// normalLink is a link lower-cased without scheme and trailing slash.
func normalLink(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s = strings.TrimPrefix(s, "www.")
	return strings.TrimRight(s, "/")
}

// OrderRef identifies a store order for link-conversion deduplication.
type OrderRef struct {
	// ID is the order's platform id (Shopify GID); Name its "#1001".
	ID   string
	Name string
}

// orderIndex finds orders by GID, numeric id suffix or name.
type orderIndex map[orderKey]bool

// orderKey is one way to name an order: kind is 'i' (id), 'n' (numeric id
// suffix) or 'm' (lower-cased name without '#').
type orderKey struct {
	kind byte
	s    string
}

// newOrderIndex indexes refs and orders.
func newOrderIndex(refs []OrderRef, orders []ads.Order) orderIndex {
	ix := make(orderIndex, 3*(len(refs)+len(orders)))
	for _, r := range refs {
		ix.add(r.ID, r.Name)
	}
	for i := range orders {
		ix.add(orders[i].ID, orders[i].Name)
	}
	return ix
}

func (ix orderIndex) add(id, name string) {
	if id != "" {
		ix[orderKey{'i', id}] = true
		if n := numericSuffix(id); n != "" {
			ix[orderKey{'n', n}] = true
		}
	}
	if name != "" {
		ix[orderKey{'m', strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))}] = true
	}
}

// has reports whether ref (a GID, a numeric id or a "#1001" name) names a
// known order. A bare number matches an id suffix or a name.
func (ix orderIndex) has(ref string) bool {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return false
	case strings.HasPrefix(ref, "gid://"):
		return ix[orderKey{'i', ref}] || ix[orderKey{'n', numericSuffix(ref)}]
	case strings.HasPrefix(ref, "#"):
		return ix[orderKey{'m', strings.ToLower(ref[1:])}]
	case isDigits(ref):
		return ix[orderKey{'n', ref}] || ix[orderKey{'m', ref}] || ix[orderKey{'i', ref}]
	}
	return ix[orderKey{'i', ref}] || ix[orderKey{'m', strings.ToLower(ref)}]
}

// linkClaims finds the link conversion that claims an order no rule
// attributed (AttrLinkOrder): each way a conversion's order reference may
// name an order (as orderIndex.has reads it) maps to the first claiming
// conversion, by source then conversion id.
type linkClaims map[orderKey]linkClaim

// linkClaim is a conversion's claim: its rank in (source, id) order and
// its creator.
type linkClaim struct {
	rank    int
	creator string
}

// newLinkClaims indexes the order references of links that belong to a
// brand creator.
func newLinkClaims(a *attributor, links []ads.LinkConversion) linkClaims {
	sorted := make([]ads.LinkConversion, 0, len(links))
	for _, c := range links {
		if strings.TrimSpace(c.OrderID) != "" {
			sorted = append(sorted, c)
		}
	}
	if len(sorted) == 0 {
		return nil
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Source != sorted[j].Source {
			return sorted[i].Source < sorted[j].Source
		}
		return sorted[i].ID < sorted[j].ID
	})
	lc := linkClaims{}
	for rank, c := range sorted {
		if rank > 0 && c.Source == sorted[rank-1].Source && c.ID == sorted[rank-1].ID {
			continue // the same conversion given twice
		}
		h := a.linkCreator(c)
		if h == "" {
			continue
		}
		for _, k := range refKeys(c.OrderID) {
			if _, taken := lc[k]; !taken {
				lc[k] = linkClaim{rank: rank, creator: h}
			}
		}
	}
	return lc
}

// refKeys lists the order keys an order reference may name, as
// orderIndex.has matches them.
func refKeys(ref string) []orderKey {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return nil
	case strings.HasPrefix(ref, "gid://"):
		if n := numericSuffix(ref); n != "" {
			return []orderKey{{'i', ref}, {'n', n}}
		}
		return []orderKey{{'i', ref}}
	case strings.HasPrefix(ref, "#"):
		return []orderKey{{'m', strings.ToLower(ref[1:])}}
	case isDigits(ref):
		return []orderKey{{'n', ref}, {'m', ref}, {'i', ref}}
	}
	return []orderKey{{'i', ref}, {'m', strings.ToLower(ref)}}
}

// creatorOf returns the creator of the first conversion naming order o,
// or "" when none does.
func (lc linkClaims) creatorOf(o *ads.Order) string {
	if len(lc) == 0 {
		return ""
	}
	best := linkClaim{rank: -1}
	try := func(k orderKey) {
		if c, ok := lc[k]; ok && (best.rank < 0 || c.rank < best.rank) {
			best = c
		}
	}
	if o.ID != "" {
		try(orderKey{'i', o.ID})
		if n := numericSuffix(o.ID); n != "" {
			try(orderKey{'n', n})
		}
	}
	if o.Name != "" {
		try(orderKey{'m', strings.ToLower(strings.TrimPrefix(strings.TrimSpace(o.Name), "#"))})
	}
	return best.creator
}

func numericSuffix(id string) string {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	return id[i:]
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
