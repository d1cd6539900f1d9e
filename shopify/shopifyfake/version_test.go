package shopifyfake_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/shopify/shopifyfake"
)

// TestServedVersionFallsForward: an unsupported or expired version is
// served as the oldest supported one, as Shopify does.
func TestServedVersionFallsForward(t *testing.T) {
	t.Parallel()
	nov28 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		asked string
		at    time.Time
		want  string
	}{
		{"2026-10", nov28, "2026-10"},
		{"2026-01", nov28, "2026-01"},
		{"2025-07", nov28, "2026-01"}, // roasd's old pin: expired 2026-07-01
		{"2025-10", nov28, "2026-01"}, // expired 2026-10-01
		{"2027-01", nov28, "2026-01"}, // not released yet
		{"unstable-ish", nov28, "2026-01"},
		{"2026-01", time.Date(2027, 1, 1, 14, 59, 0, 0, time.UTC), "2026-01"},
		{"2026-01", time.Date(2027, 1, 1, 15, 0, 0, 0, time.UTC), "2026-04"}, // release notes: until 15:00 UTC
		{"2026-10", time.Date(2027, 10, 16, 15, 0, 0, 0, time.UTC), "2027-01"},
		{"2025-07", time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC), "2025-07"},
	} {
		if got := shopifyfake.ServedVersion(tc.asked, tc.at); got != tc.want {
			t.Errorf("ServedVersion(%s, %s) = %s, want %s", tc.asked, tc.at.Format(time.RFC3339), got, tc.want)
		}
	}
}

// TestAnswersNameTheServedVersion: every GraphQL answer carries the
// version it was served with in X-Shopify-API-Version.
func TestAnswersNameTheServedVersion(t *testing.T) {
	t.Parallel()
	f := shopifyfake.New(shopifyfake.Seed{AccessToken: "tok", Shop: shopifyfake.Shop{Name: "G", Domain: "g.myshopify.com", Currency: "USD", Timezone: "UTC"},
		Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	for asked, want := range map[string]string{"2025-07": "2026-01", "2026-10": "2026-10"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/admin/api/"+asked+"/graphql.json", strings.NewReader(`{"query":"query Shop { shop { name } }"}`))
		req.Header.Set("X-Shopify-Access-Token", "tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Shopify-API-Version") != want {
			t.Errorf("asked %s: HTTP %d served %q, want 200 served %s", asked, resp.StatusCode, resp.Header.Get("X-Shopify-API-Version"), want)
		}
	}
}
