package reconcile

import (
	"reflect"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

func TestMatchVariants(t *testing.T) {
	t.Parallel()
	brand := &configs.Brand{Name: "b", Tests: []*configs.Test{
		{ID: "t1", Variants: []*configs.Variant{
			{Key: "by-id", Platform: ads.Meta, AdID: "100", UTM: ads.UTM{Content: "shared"}},
			{Key: "by-utm", Platform: ads.Meta, UTM: ads.UTM{Content: "hook-b"}},
			{Key: "no-ad", Platform: ads.Meta, UTM: ads.UTM{Content: "hook-x"}},
			{Key: "spark", Platform: ads.TikTok, SparkCode: "#v2#code"},
		}},
		{ID: "t2", Variants: []*configs.Variant{
			{Key: "by-item", Platform: ads.Meta, ItemID: "story_9"},
		}},
	}}
	meta := []ads.Ad{
		{ID: "100", Status: "ACTIVE", UTM: ads.UTM{Content: "other"}},
		{ID: "101", Status: "ACTIVE", UTM: ads.UTM{Content: "hook-b"}},
		{ID: "102", Status: "PAUSED", UTM: ads.UTM{Content: "hook-b"}},
		{ID: "103", Status: "ACTIVE", ItemID: "story_9"},
		{ID: "104", Status: "ACTIVE"},
		{ID: "105", Status: "PAUSED"},
	}
	got, h := MatchVariants(brand, ads.Meta, meta)
	type m struct{ test, key, ad, rule string }
	var gotM []m
	for _, g := range got {
		gotM = append(gotM, m{g.TestID, g.VariantKey, g.Ad.ID, g.MatchedBy})
	}
	want := []m{
		{"t1", "by-id", "100", "ad_id"},
		{"t1", "by-utm", "101", "utm_content"},
		{"t1", "by-utm", "102", "utm_content"},
		{"t2", "by-item", "103", "item_id"},
	}
	if !reflect.DeepEqual(gotM, want) {
		t.Errorf("matches:\n got %v\nwant %v", gotM, want)
	}
	if wantU := []VariantRef{{"t1", "no-ad", ads.Meta}}; !reflect.DeepEqual(h.Unmatched, wantU) {
		t.Errorf("unmatched: got %v, want %v", h.Unmatched, wantU)
	}
	// 103 has no UTM and is running (matched by item, but its spend is
	// still untrackable to store orders); 104 likewise; 105 is paused.
	var untagged []string
	for _, a := range h.Untagged {
		untagged = append(untagged, a.ID)
	}
	if want := []string{"103", "104"}; !reflect.DeepEqual(untagged, want) {
		t.Errorf("untagged: got %v, want %v", untagged, want)
	}

	tt := []ads.Ad{{ID: "7", Status: "ENABLE", ItemID: "item-7", UTM: ads.UTM{Content: "spark"}}}
	got, h = MatchVariantsWithItems(brand, ads.TikTok, tt, map[string]string{"#v2#code": "item-7"})
	if len(got) != 1 || got[0].MatchedBy != MatchedByItemID || got[0].VariantKey != "spark" || len(h.Unmatched) != 0 {
		t.Errorf("spark by code: got %+v, hygiene %+v", got, h)
	}
	got, h = MatchVariants(brand, ads.TikTok, tt)
	if len(got) != 0 || len(h.Unmatched) != 1 {
		t.Errorf("spark without item map: got %+v, hygiene %+v", got, h)
	}
}

func TestRunning(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]bool{
		"ACTIVE": true, "ENABLE": true, "AD_STATUS_DELIVERY_OK": true, "WITH_ISSUES": true,
		"PAUSED": false, "DISABLE": false, "DELETED": false, "ARCHIVED": false, "CAMPAIGN_PAUSED": false, "": false,
	} {
		if got := Running(status); got != want {
			t.Errorf("Running(%q) = %v, want %v", status, got, want)
		}
	}
}
