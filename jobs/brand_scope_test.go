package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/reconcile"
)

// TestBrandChecksReadOnlyTheBrandsAccounts: two brands share a creator.
// The other brand's live grant for that creator does not satisfy this
// brand's need (it has none of its own: "missing"), and the other brand's
// untagged running ad is not reported in this brand's channel; each brand
// hears about its own.
func TestBrandChecksReadOnlyTheBrandsAccounts(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	glowco, lunaskin := actBrands(t)
	for _, b := range glowco.Creators {
		b.Instagram = "jacq.elpaso" // the shared creator's handle
	}
	for _, b := range lunaskin.Creators {
		b.Instagram = "jacq.elpaso"
	}
	glowco.Tests[0].Variants[0].Kind = ads.Whitelisted
	lunaskin.Tests[0].Variants[0].Kind = ads.Whitelisted
	now := actStart.AddDays(3).In(time.UTC).Add(12 * time.Hour)
	if _, err := db.UpsertPermissions(ctx, []ads.Permission{{Platform: ads.Meta, Account: actMetaEU, ID: "perm-eu", Creator: "jacq.elpaso",
		Status: ads.PermissionActive, ExpiresAt: now.Add(90 * 24 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertAds(ctx, []ads.Ad{
		{Platform: ads.Meta, Account: actMeta, ID: "us-untagged", Name: "us", Status: "ACTIVE"},
		{Platform: ads.Meta, Account: actMetaEU, ID: "eu-untagged", Name: "eu", Status: "ACTIVE"},
	}); err != nil {
		t.Fatal(err)
	}
	d := &Deps{DB: db}
	for _, tc := range []struct {
		name        string
		wantMissing bool
		untagged    string
	}{
		{name: "glowco", wantMissing: true, untagged: "us-untagged"},
		{name: "lunaskin", wantMissing: false, untagged: "eu-untagged"},
	} {
		b := glowco
		if tc.name == "lunaskin" {
			b = lunaskin
		}
		perms, hygiene, err := d.permissionAndHygiene(ctx, b, now, ads.DateOf(now, b.Location))
		if err != nil {
			t.Fatal(err)
		}
		missing := false
		for _, p := range perms {
			if p.TestID == b.Tests[0].ID && p.VariantKey == b.Tests[0].Variants[0].Key && p.Kind == reconcile.PermAlertMissing {
				missing = true
			}
		}
		if missing != tc.wantMissing {
			t.Errorf("%s: permission missing = %v, want %v (alerts %+v)", tc.name, missing, tc.wantMissing, perms)
		}
		var untagged []string
		for _, h := range hygiene {
			if h.Kind == reconcile.HygieneUntagged {
				untagged = append(untagged, h.AdID)
			}
		}
		if len(untagged) != 1 || untagged[0] != tc.untagged {
			t.Errorf("%s: untagged ads reported = %v, want only its own %s", tc.name, untagged, tc.untagged)
		}
	}
}

// TestLinkConversionCountsForItsOwnerOnly: two brands share a creator; a
// link conversion owned by one brand is in that brand's ledger only (it
// was organic revenue of both). An unowned conversion (stored before
// owners) is counted by neither until adopted, and adoption leaves a
// shared creator's conversion unowned.
func TestLinkConversionCountsForItsOwnerOnly(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	glowco, lunaskin := actBrands(t)
	at := actStart.AddDays(2).In(time.UTC).Add(15 * time.Hour)
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{
		{Source: "impact", ID: "owned", Creator: "jacqueline", Amount: ads.MustMicros("80"), Currency: "USD", At: at, Brand: "glowco"},
		{Source: "impact", ID: "legacy", Creator: "jacqueline", Amount: ads.MustMicros("20"), Currency: "USD", At: at},
	}))
	now := actStart.AddDays(5).In(time.UTC)
	links := func(b string) []string {
		t.Helper()
		rows, err := db.Ledger(ctx, b, actStart.AddDays(-40), actStart.AddDays(40))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			if r.Source == "link" {
				out = append(out, r.SourceID)
			}
		}
		return out
	}
	lunaskin.FXRates = append(lunaskin.FXRates, configs.FXRate{From: "USD", To: "EUR", Rate: ads.MustRate("0.9"), Since: actStart.AddDays(-60)})
	for _, b := range []*configs.Brand{glowco, lunaskin} {
		if _, err := ReconcileBrand(ctx, db, b, now, true); err != nil {
			t.Fatalf("reconcile %s: %v", b.Name, err)
		}
	}
	if got := links("glowco"); len(got) != 1 || got[0] != "impact:owned" {
		t.Errorf("glowco's link rows = %v, want only impact:owned", got)
	}
	if got := links("lunaskin"); len(got) != 0 {
		t.Errorf("lunaskin's link rows = %v, want none (glowco's conversion, and an unowned one)", got)
	}
	set := &configs.Set{Brands: []*configs.Brand{glowco, lunaskin}}
	if adopted, left, err := db.AdoptLinkConversions(ctx, reconcile.SoleCreatorBrands(set)); err != nil || adopted != 0 || left != 1 {
		t.Errorf("adopt = %d, %d left, %v; want none adopted (jacqueline works for both), 1 left", adopted, left, err)
	}
	glowco.Creators = append(glowco.Creators, &configs.Creator{Handle: "solo"})
	noErr(t)(db.UpsertLinkConversions(ctx, []ads.LinkConversion{{Source: "impact", ID: "solo1", Creator: "solo", Amount: 1, Currency: "USD", At: at}}))
	if adopted, left, err := db.AdoptLinkConversions(ctx, reconcile.SoleCreatorBrands(set)); err != nil || adopted != 1 || left != 1 {
		t.Errorf("adopt = %d, %d left, %v; want solo's adopted by glowco, jacqueline's left", adopted, left, err)
	}
}
