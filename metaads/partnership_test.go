package metaads_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

const testBusiness = "100000000000777"

var (
	beforeRemoval = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	afterRemoval  = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

// partnershipSeed has an approved creator with three media (one ready,
// one ineligible, one without permission), a pending and a revoked one,
// a permission of another brand, and an ad-code post of a creator with no
// account-level permission; the fake's clock reads now.
func partnershipSeed(now time.Time) metafake.Seed {
	granted := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	return metafake.Seed{BusinessID: testBusiness, Now: func() time.Time { return now },
		Accounts: []metafake.Account{{ID: testAct, Currency: "USD"}}, Permissions: []metafake.Permission{
			{ID: "p1", BrandIGID: brandIG, CreatorUsername: "jacq.elpaso", CreatorID: "17841499990000001", Status: "APPROVED", CreatedTime: granted,
				Media: []metafake.Media{
					{ID: "m1", Permalink: "https://www.instagram.com/p/AAA/", HasPermission: true, PostType: "REEL", MediaType: "VIDEO"},
					{ID: "m2", Permalink: "https://www.instagram.com/p/BBB/", HasPermission: true, EligibilityErrors: []string{"Post is too old"}},
					{ID: "m3", Permalink: "https://www.instagram.com/p/CCC/", HasPermission: false},
				}},
			{ID: "p2", BrandIGID: brandIG, CreatorUsername: "sam", CreatorID: "17841499990000002", Status: "PENDING"},
			{ID: "p3", BrandIGID: brandIG, CreatorUsername: "old", CreatorID: "17841499990000003", Status: "REVOKED"},
			{ID: "p4", BrandIGID: "other-brand", CreatorUsername: "x", Status: "APPROVED",
				Media: []metafake.Media{{ID: "mx", HasPermission: true}}},
		}}
}

// TestPermissionsFieldsAndStatusNames: the fake answers only the fields
// asked for (as Graph does), and whichever of status / permission_status
// the edge has is read.
func TestPermissionsFieldsAndStatusNames(t *testing.T) {
	t.Parallel()
	for _, field := range []string{"", "status", "permission_status"} {
		t.Run("edge has "+orBoth(field), func(t *testing.T) {
			t.Parallel()
			seed := partnershipSeed(beforeRemoval)
			seed.PermissionStatusField = field
			b := setup(t, seed, nil)
			got, err := b.client.Permissions(t.Context(), testAct, brandPage, brandIG)
			if err != nil {
				t.Fatal(err)
			}
			want := []ads.Permission{
				{Platform: ads.Meta, Account: testAct, ID: "p1", Creator: "jacq.elpaso", CreatorID: "17841499990000001", Status: ads.PermissionActive,
					GrantedAt: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)},
				{Platform: ads.Meta, Account: testAct, ID: "p2", Creator: "sam", CreatorID: "17841499990000002", Status: ads.PermissionPending},
				{Platform: ads.Meta, Account: testAct, ID: "p3", Creator: "old", CreatorID: "17841499990000003", Status: ads.PermissionRevoked},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d permissions %+v, want %d", len(got), got, len(want))
			}
			for i := range want {
				if !got[i].GrantedAt.Equal(want[i].GrantedAt) {
					t.Errorf("permission %d granted %s, want %s", i, got[i].GrantedAt, want[i].GrantedAt)
				}
				got[i].GrantedAt, want[i].GrantedAt = time.Time{}, time.Time{}
				if got[i] != want[i] {
					t.Errorf("permission %d = %+v, want %+v", i, got[i], want[i])
				}
			}
			for _, c := range b.fake.Calls() {
				if c.Status == 200 && !strings.Contains(c.Params.Get("fields"), "creator_username") {
					t.Errorf("call %s %s asked for fields %q", c.Method, c.Path, c.Params.Get("fields"))
				}
			}
			if none, err := b.client.Permissions(t.Context(), testAct, brandPage, ""); err != nil || none != nil {
				t.Errorf("Permissions without an Instagram account = %v, %v; want nil, nil", none, err)
			}
		})
	}
}

func orBoth(s string) string {
	if s == "" {
		return "both status names"
	}
	return s
}

func TestEligibleMedia(t *testing.T) {
	t.Parallel()
	perm := ads.Permission{Platform: ads.Meta, Account: testAct, ID: "p1", Creator: "jacq.elpaso", CreatorID: "17841499990000001", Status: ads.PermissionActive}
	media := func(id string) ads.Permission {
		p := perm
		p.ID, p.ItemID = "p1:"+id, id
		return p
	}
	perms := []ads.Permission{perm,
		{Platform: ads.Meta, Account: testAct, ID: "p2", Creator: "sam", CreatorID: "17841499990000002", Status: ads.PermissionPending}}
	tests := []struct {
		name     string
		business string
		now      time.Time
		want     []ads.Permission
		wantErr  error
		wantPath string
	}{
		{"successor edge with a business id", testBusiness, afterRemoval, []ads.Permission{media("m1")}, nil, "/" + testBusiness + "/partnership-ads-advertisable-content"},
		{"successor edge before the removal too", testBusiness, beforeRemoval, []ads.Permission{media("m1")}, nil, "/" + testBusiness + "/partnership-ads-advertisable-content"},
		{"legacy edge without a business id before the removal", "", beforeRemoval, []ads.Permission{media("m1")}, nil, "/" + brandIG + "/branded_content_advertisable_medias"},
		{"no business id after the removal", "", afterRemoval, nil, metaads.ErrNoBusiness, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, partnershipSeed(tt.now), nil)
			got, err := b.client.EligibleMedia(t.Context(), metaads.MediaQuery{AdAccount: testAct, Business: tt.business, Instagram: brandIG, Now: tt.now}, perms)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("EligibleMedia = %+v\nwant %+v", got, tt.want)
			}
			calls := b.fake.Calls()
			if tt.wantPath == "" && len(calls) != 0 {
				t.Errorf("made %d calls, want none", len(calls))
			}
			for _, c := range calls {
				if c.Method == "POST" && c.Params.Has("batch") {
					continue // the legacy edge is read in Graph batches
				}
				if !strings.HasSuffix(c.Path, tt.wantPath) || c.Status != 200 {
					t.Errorf("call %s %s answered %d, want 200 on %s", c.Method, c.Path, c.Status, tt.wantPath)
				}
				if c.Params.Get("fields") == "" {
					t.Errorf("call %s asked for no fields", c.Path)
				}
			}
		})
	}
}

// TestLegacyMediaEdgeRemoved: from 2026-12-01 on the fake's clock the
// legacy edge answers Graph's "Unsupported get request" error.
func TestLegacyMediaEdgeRemoved(t *testing.T) {
	t.Parallel()
	b := setup(t, partnershipSeed(afterRemoval), nil)
	// Bypass the client's date check: ask the fake directly.
	resp, body := get(t, b.srv.URL+"/v25.0/"+brandIG+"/branded_content_advertisable_medias?creator_username=jacq.elpaso&fields=id", testToken)
	if resp != 400 || !strings.Contains(body, `"code":100`) || !strings.Contains(body, `"error_subcode":33`) ||
		!strings.Contains(body, `"type":"GraphMethodException"`) ||
		!strings.Contains(body, "Unsupported get request. Object with ID '"+brandIG+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation") {
		t.Errorf("removed edge answered %d %s", resp, body)
	}
	b2 := setup(t, partnershipSeed(afterRemoval.Add(-time.Second)), nil)
	if resp, body := get(t, b2.srv.URL+"/v25.0/"+brandIG+"/branded_content_advertisable_medias?creator_username=jacq.elpaso&fields=id", testToken); resp != 200 {
		t.Errorf("legacy edge a second before the removal answered %d %s", resp, body)
	}
}

// TestEligibleMediaPaging: pages of at most 50, forward only, until a
// page without paging.
func TestEligibleMediaPaging(t *testing.T) {
	t.Parallel()
	seed := partnershipSeed(afterRemoval)
	seed.Permissions[0].Media = nil
	for i := range 123 {
		seed.Permissions[0].Media = append(seed.Permissions[0].Media, metafake.Media{ID: "m" + strconv.Itoa(i), HasPermission: true})
	}
	b := setup(t, seed, nil)
	perm := ads.Permission{Platform: ads.Meta, Account: testAct, ID: "p1", Creator: "jacq.elpaso", CreatorID: "17841499990000001", Status: ads.PermissionActive}
	got, err := b.client.EligibleMedia(t.Context(), metaads.MediaQuery{AdAccount: testAct, Business: testBusiness, Instagram: brandIG, Page: brandPage, Now: afterRemoval}, []ads.Permission{perm})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 123 {
		t.Fatalf("got %d media, want 123", len(got))
	}
	calls := b.fake.Calls()
	if len(calls) != 3 {
		t.Errorf("calls = %d, want 3 pages of 50", len(calls))
	}
	for _, c := range calls {
		if c.Params.Get("limit") != "50" || c.Params.Has("before") || c.Params.Get("fb_page_id") != brandPage {
			t.Errorf("call %s params %v", c.Path, c.Params)
		}
	}
}

// TestEligibleMediaWithoutPermission: content the brand may run through
// an ad code or post-level permission, from a creator with no
// account-level permission, is kept under its own id.
func TestEligibleMediaWithoutPermission(t *testing.T) {
	t.Parallel()
	b := setup(t, partnershipSeed(afterRemoval), nil)
	got, err := b.client.EligibleMedia(t.Context(), metaads.MediaQuery{AdAccount: testAct, Business: testBusiness, Instagram: brandIG, Now: afterRemoval}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []ads.Permission{{Platform: ads.Meta, Account: testAct, ID: "content:m1", Creator: "jacq.elpaso", CreatorID: "17841499990000001", ItemID: "m1", Status: ads.PermissionActive}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("EligibleMedia = %+v, want %+v", got, want)
	}
}

// get performs a GET with a bearer token and returns status and body.
func get(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
