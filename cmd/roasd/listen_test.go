package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/roasd/roasd/sandbox"
)

// req sends method path (with an optional bearer token) and returns the
// status and body; redirects are not followed.
func req(t *testing.T, c *http.Client, method, u, bearer string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, _ := http.NewRequest(method, u, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type probe struct {
	method, path, bearer string
	want                 int
	body                 string
}

func check(t *testing.T, c *http.Client, base, where string, probes []probe) {
	t.Helper()
	for _, p := range probes {
		code, body := req(t, c, p.method, base+p.path, p.bearer, nil)
		if code != p.want || !strings.Contains(body, p.body) {
			t.Errorf("%s %s %s = %d %.150q, want %d containing %q", where, p.method, p.path, code, body, p.want, p.body)
		}
	}
}

// TestPublicListenerServesOnlyWebhooksAndAPI: by default the public
// listener answers only the webhooks and the bearer API — the dashboard,
// its data, /metrics and the probes are on the private listener, where the
// dashboard still needs a login.
func TestPublicListenerServesOnlyWebhooksAndAPI(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	_, at, _ := serveDaemon(t, e, runOptions{config: e.config, schedules: map[string]string{}})
	c := browser(t)
	check(t, c, at.public, "public", []probe{
		{"GET", "/", "", 404, ""},
		{"GET", "/dashboard/api/brands", "", 404, ""},
		{"GET", "/dashboard/api/series?brand=glowco", "", 404, ""},
		{"GET", "/metrics", "", 404, ""},
		{"GET", "/healthz", "", 404, ""},
		{"GET", "/readyz", "", 404, ""},
		{"GET", "/login", "", 404, ""},
		{"GET", "/api/v1/report?from=2026-10-01&to=2026-11-30", "", 401, ""},
		{"GET", "/api/v1/report?brand=glow%00co&from=2026-10-01&to=2026-11-30", "api-token", 400, "NUL"},
		// Slack's approval clicks: an unsigned request is refused before
		// its body is read.
		{"POST", "/slack/interactions", "", 401, "missing Slack signature"},
	})
	check(t, c, at.private, "private", []probe{
		{"GET", "/healthz", "", 200, "ok"},
		{"GET", "/readyz", "", 200, "ready"},
		{"GET", "/metrics", "", 200, "roasd_config_last_reload_successful 1"},
		{"GET", "/", "", 303, ""},
		{"GET", "/dashboard/api/brands", "", 401, "log in"},
	})
	if code, _ := req(t, c, "POST", at.private+"/login", "", url.Values{"token": {"api-token"}}); code != http.StatusSeeOther {
		t.Fatalf("login on the private listener = %d, want 303", code)
	}
	check(t, c, at.private, "private, logged in", []probe{
		{"GET", "/", "", 200, "<title>roasd"},
		{"GET", "/dashboard/api/brands", "", 200, `"glowco"`},
	})

	// A webhook from a shop no brand configures is refused before its body
	// is read, and counted.
	order := strings.TrimPrefix(e.sb.Campaign.Orders[0].ID, "gid://shopify/Order/")
	if err := e.sb.Shopify.SendWebhook(context.Background(), at.public+"/webhooks/shopify", "whsec", "orders/updated", order); err != nil {
		t.Errorf("signed webhook of the configured shop: %v", err)
	}
	r, _ := http.NewRequest("POST", at.public+"/webhooks/shopify", strings.NewReader("{}"))
	r.Header.Set("X-Shopify-Hmac-Sha256", "bm90IGEgcmVhbCBzaWduYXR1cmUgYnV0IDMyIGJ5dGU=")
	r.Header.Set("X-Shopify-Shop-Domain", "stranger.myshopify.com")
	r.Header.Set("X-Shopify-Topic", "orders/create")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("webhook of an unknown shop = %d, want 403", resp.StatusCode)
	}
	if _, body := req(t, c, "GET", at.private+"/metrics", "", nil); !strings.Contains(body, `roasd_http_rejected_total{reason="precheck",route="shopify"} 1`) {
		t.Errorf("/metrics does not count the refused webhook")
	}
}

// TestOneListener: with --private-listen off everything is on the public
// listener, the dashboard behind its login and /metrics behind the bearer
// token.
func TestOneListener(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	_, at, _ := serveDaemon(t, e, runOptions{config: e.config, privateListen: "off", schedules: map[string]string{}})
	if at.private != "" {
		t.Fatalf("private listener %q with --private-listen off", at.private)
	}
	c := browser(t)
	check(t, c, at.public, "public", []probe{
		{"GET", "/", "", 303, ""},
		{"GET", "/dashboard/api/brands", "", 401, ""},
		{"GET", "/metrics", "", 401, ""},
		{"GET", "/metrics", "api-token", 200, "roasd_config_last_reload_successful"},
		{"GET", "/healthz", "", 200, "ok"},
		{"GET", "/readyz", "", 200, "ready"},
	})
	if code, _ := req(t, c, "POST", at.public+"/login", "", url.Values{"token": {sandbox.MetaToken}}); code != http.StatusUnauthorized {
		t.Errorf("login with another secret = %d, want 401", code)
	}
	if code, _ := req(t, c, "POST", at.public+"/login", "", url.Values{"token": {"api-token"}}); code != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303", code)
	}
	check(t, c, at.public, "public, logged in", []probe{
		{"GET", "/dashboard/api/brands", "", 200, `"glowco"`},
	})
}
