package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
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
