package reconcile

import (
	"sort"
	"strings"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// Match rules, strongest first: an ad is matched to at most one variant, by
// the strongest rule that applies.
const (
	MatchedByAdID       = "ad_id"
	MatchedByItemID     = "item_id"
	MatchedByUTMContent = "utm_content"
)

// VariantMatch says that Ad runs the declared variant TestID/VariantKey.
type VariantMatch struct {
	TestID     string
	VariantKey string
	Ad         ads.Ad
	// MatchedBy is the rule that matched: ad_id, item_id or utm_content.
	MatchedBy string
}

// VariantRef names a declared variant.
type VariantRef struct {
	TestID     string
	VariantKey string
	Platform   ads.Platform
}

// Hygiene lists what cannot be tracked: declared variants no ad runs, and
// running ads without utm_content (their spend can't be tied to revenue).
type Hygiene struct {
	Unmatched []VariantRef
	Untagged  []ads.Ad
}

// MatchVariants maps the ads of one platform to the brand's declared
// variants on that platform, by ad id, then post (item) id, then the
// utm_content in the ad's url tags or landing page.
func MatchVariants(b *configs.Brand, platform ads.Platform, list []ads.Ad) ([]VariantMatch, Hygiene) {
	return MatchVariantsWithItems(b, platform, list, nil)
}

// MatchVariantsWithItems is MatchVariants where sparkItems maps a Spark
// authorization code to the post id it authorized, so a variant declared
// only by its spark_code matches the ads running that post.
func MatchVariantsWithItems(b *configs.Brand, platform ads.Platform, list []ads.Ad, sparkItems map[string]string) ([]VariantMatch, Hygiene) {
	type decl struct {
		test string
		v    *configs.Variant
		item string
	}
	var decls []decl
	for _, t := range b.Tests {
		for _, v := range t.Variants {
			if v.Platform != platform {
				continue
			}
			item := v.ItemID
			if item == "" && v.SparkCode != "" {
				item = sparkItems[v.SparkCode]
			}
			decls = append(decls, decl{test: t.ID, v: v, item: item})
		}
	}
	byAd := map[string]*ads.Ad{}
	for i := range list {
		byAd[list[i].ID] = &list[i]
	}
	taken := map[string]bool{}
	matched := map[int]bool{}
	var out []VariantMatch
	add := func(di int, a *ads.Ad, rule string) {
		taken[a.ID] = true
		matched[di] = true
		out = append(out, VariantMatch{TestID: decls[di].test, VariantKey: decls[di].v.Key, Ad: *a, MatchedBy: rule})
	}
	for di, d := range decls {
		if d.v.AdID == "" {
			continue
		}
		if a, ok := byAd[d.v.AdID]; ok && !taken[a.ID] {
			add(di, a, MatchedByAdID)
		}
	}
	for di, d := range decls {
		if d.v.AdID != "" || d.item == "" {
			continue
		}
		for i := range list {
			if a := &list[i]; !taken[a.ID] && a.ItemID == d.item {
				add(di, a, MatchedByItemID)
			}
		}
	}
	for di, d := range decls {
		if d.v.AdID != "" || d.v.UTM.Content == "" {
			continue
		}
		for i := range list {
			if a := &list[i]; !taken[a.ID] && a.UTM.Content == d.v.UTM.Content {
				add(di, a, MatchedByUTMContent)
			}
		}
	}
	var h Hygiene
	for di, d := range decls {
		if !matched[di] {
			h.Unmatched = append(h.Unmatched, VariantRef{TestID: d.test, VariantKey: d.v.Key, Platform: platform})
		}
	}
	for _, a := range list {
		if a.UTM.Content == "" && Running(a.Status) {
			h.Untagged = append(h.Untagged, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TestID != out[j].TestID {
			return out[i].TestID < out[j].TestID
		}
		if out[i].VariantKey != out[j].VariantKey {
			return out[i].VariantKey < out[j].VariantKey
		}
		return out[i].Ad.ID < out[j].Ad.ID
	})
	return out, h
}

// Running reports whether a platform ad status means the ad can spend:
// Meta ACTIVE / IN_PROCESS / WITH_ISSUES, TikTok ENABLE / AD_STATUS_DELIVERY_OK
// and the like; paused, disabled, deleted, archived and rejected ads are not
// running.
func Running(status string) bool {
	s := strings.ToUpper(status)
	for _, stop := range []string{"PAUSED", "DISABLE", "DELETE", "ARCHIVED", "REJECT", "NOT_DELIVER", "DONE"} {
		if strings.Contains(s, stop) {
			return false
		}
	}
	return s != ""
}
