package metaads_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

// TestLegacyMediaInBatches: a brand without a business id reads each
// creator's media from the legacy edge in Graph batches of at most 50
// operations — 120 creators take 3 requests — with the same result as
// one call per creator; the fake records every operation.
func TestLegacyMediaInBatches(t *testing.T) {
	t.Parallel()
	seed := partnershipSeed(beforeRemoval)
	seed.Permissions = nil
	var perms []ads.Permission
	for i := range 120 {
		id, name := fmt.Sprintf("p%03d", i), fmt.Sprintf("creator%03d", i)
		seed.Permissions = append(seed.Permissions, metafake.Permission{ID: id, BrandIGID: brandIG, CreatorUsername: name, Status: "APPROVED",
			Media: []metafake.Media{{ID: "m" + id, HasPermission: true}, {ID: "x" + id, HasPermission: false}}})
		perms = append(perms, ads.Permission{Platform: ads.Meta, Account: testAct, ID: id, Creator: name, Status: ads.PermissionActive})
	}
	b := setup(t, seed, nil)
	got, err := b.client.EligibleMedia(t.Context(), metaads.MediaQuery{AdAccount: testAct, Instagram: brandIG, Now: beforeRemoval}, perms)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 || got[0].ID != "p000:mp000" || got[119].ItemID != "mp119" {
		t.Fatalf("got %d media (%v…), want one per creator", len(got), got[:min(2, len(got))])
	}
	requests, ops := 0, 0
	for _, c := range b.fake.Calls() {
		switch {
		case c.Batched:
			ops++
			if !strings.HasSuffix(c.Path, "/branded_content_advertisable_medias") || c.Status != 200 || c.Params.Get("fields") == "" {
				t.Errorf("batched %s %s answered %d, fields %q", c.Method, c.Path, c.Status, c.Params.Get("fields"))
			}
		default:
			requests++
			if c.Method != http.MethodPost || !c.Params.Has("batch") {
				t.Errorf("unbatched call %s %s", c.Method, c.Path)
			}
		}
	}
	if requests != 3 || ops != 120 {
		t.Errorf("%d requests carrying %d operations, want 3 carrying 120", requests, ops)
	}
}

// TestFakeBatch: the fake serves POST / with batch= as Graph does: in
// order, each operation answered (and failing) on its own, headers
// dropped with include_headers=false, more than 50 operations refused, a
// bad token refused for the whole batch.
func TestFakeBatch(t *testing.T) {
	t.Parallel()
	b := setup(t, partnershipSeed(beforeRemoval), nil)
	post := func(token string, ops []string, extra url.Values) (int, string) {
		t.Helper()
		var items []string
		for _, op := range ops {
			items = append(items, fmt.Sprintf(`{"method":"GET","relative_url":%q}`, op))
		}
		form := url.Values{"batch": {"[" + strings.Join(items, ",") + "]"}}
		for k, v := range extra {
			form[k] = v
		}
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/v25.0/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		all, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(all)
	}
	code, body := post(testToken, []string{testAct + "?fields=currency", "nosuchnode/nosuchedge"}, url.Values{"include_headers": {"false"}})
	if code != 200 || !strings.Contains(body, `"code":200`) || !strings.Contains(body, `\"currency\":\"USD\"`) ||
		!strings.Contains(body, `"code":400`) || strings.Contains(body, `"headers"`) {
		t.Errorf("batch answered %d: %s", code, body)
	}
	many := make([]string, metafake.MaxBatch+1)
	for i := range many {
		many[i] = testAct + "?fields=currency"
	}
	if code, body := post(testToken, many, nil); code != 400 || !strings.Contains(body, "Maximum batch size is 50") {
		t.Errorf("51 operations answered %d: %s", code, body)
	}
	if code, _ := post("bad-token", []string{testAct}, nil); code == 200 {
		t.Errorf("a batch with a bad token answered 200")
	}
}
