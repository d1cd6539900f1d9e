package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

const (
	clientID     = "4f1c0e2a9b8d7c6e5f4a3b2c1d0e9f8a"
	clientSecret = "shpss_0123456789abcdef0123456789abcdef"
)

// clock is a settable clock shared by the fake and the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func ccSetup(t *testing.T, secret string) (*shopifyfake.Server, *shopify.Client, *clock) {
	t.Helper()
	clk := &clock{t: base}
	fake := shopifyfake.New(shopifyfake.Seed{
		Shop:     shopifyfake.Shop{Name: "Glowco", Domain: shopDomain, Currency: "USD", Timezone: "America/New_York"},
		ClientID: clientID, ClientSecret: clientSecret, Now: clk.now, RestoreRate: 1e6,
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := shopify.New(shopify.Options{Shop: shopDomain, BaseURL: srv.URL, ClientID: clientID, ClientSecret: secret,
		Now: clk.now, RetryMax: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	return fake, c, clk
}

func count(calls []shopifyfake.Call, op string, status int) int {
	n := 0
	for _, c := range calls {
		if c.Op == op && c.Status == status {
			n++
		}
	}
	return n
}

// TestClientCredentialsTokens: a Dev Dashboard app's client id and secret
// get a 24-hour token (client-credentials grant) that concurrent callers
// share, that is renewed before it expires, and that is renewed once and
// the call repeated when Shopify refuses it.
func TestClientCredentialsTokens(t *testing.T) {
	t.Parallel()
	fake, c, clk := ccSetup(t, clientSecret)
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Shop(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Shop with client credentials: %v", err)
		}
	}
	if got := fake.TokensIssued(); got != 1 {
		t.Fatalf("tokens issued to 8 concurrent callers: got %d, want 1 (one shared renewal)", got)
	}
	if got, want := c.TokenExpiry(), base.Add(86399*time.Second); !got.Equal(want) {
		t.Errorf("token expiry: got %v, want %v (expires_in 86399)", got, want)
	}

	// Nearly 24 hours on: renewed before it expires, no 401 seen.
	clk.advance(24*time.Hour - shopify.TokenRenewBefore)
	if _, err := c.Shop(ctx); err != nil {
		t.Fatalf("Shop near expiry: %v", err)
	}
	if got := fake.TokensIssued(); got != 2 {
		t.Errorf("tokens issued after 23h50m: got %d, want 2 (renewed before expiry)", got)
	}
	if n := count(fake.Calls(), "unknown", http.StatusUnauthorized); n != 0 {
		t.Errorf("401 answers before expiry: got %d, want 0", n)
	}

	// Shopify refuses the token early (rotated secret, clock skew): one
	// 401, one renewal, the call repeated.
	fake.ExpireTokens()
	if _, err := c.Shop(ctx); err != nil {
		t.Fatalf("Shop after the token was refused: %v", err)
	}
	if got := fake.TokensIssued(); got != 3 {
		t.Errorf("tokens issued after a 401: got %d, want 3", got)
	}
	if n := count(fake.Calls(), "unknown", http.StatusUnauthorized); n != 1 {
		t.Errorf("401 answers: got %d, want exactly 1", n)
	}
}

// TestFakeExpiresTokens: the fake answers an expired token the way
// Shopify answers an invalid one, on its own clock.
func TestFakeExpiresTokens(t *testing.T) {
	t.Parallel()
	fake, _, clk := ccSetup(t, clientSecret)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	resp, err := http.PostForm(srv.URL+"/admin/oauth/access_token", map[string][]string{
		"client_id": {clientID}, "client_secret": {clientSecret}, "grant_type": {"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		ExpiresIn   int    `json:"expires_in"`
	}
	decode(t, resp, &tok)
	if tok.AccessToken == "" || tok.ExpiresIn != 86399 {
		t.Fatalf("token answer: got %+v, want an access_token with expires_in 86399", tok)
	}
	query := func() (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/admin/api/2025-07/graphql.json", strings.NewReader(`{"query":"query Shop { shop { name } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Access-Token", tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Errors string `json:"errors"`
		}
		decode(t, resp, &body)
		return resp.StatusCode, body.Errors
	}
	if status, _ := query(); status != http.StatusOK {
		t.Fatalf("fresh token: got HTTP %d, want 200", status)
	}
	clk.advance(24 * time.Hour)
	status, msg := query()
	if status != http.StatusUnauthorized || msg != "[API] Invalid API key or access token (unrecognized login or wrong password)" {
		t.Errorf("token after 24h: got HTTP %d %q, want 401 with Shopify's invalid-token message", status, msg)
	}
}

// TestClientCredentialsRefused: wrong credentials fail as an auth error
// that names neither the secret nor any token.
func TestClientCredentialsRefused(t *testing.T) {
	t.Parallel()
	_, c, _ := ccSetup(t, "shpss_wrong_secret_999")
	_, err := c.Shop(context.Background())
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Kind != ads.KindAuth || ae.Account != shopDomain {
		t.Fatalf("got %v, want an auth APIError for %s", err, shopDomain)
	}
	for _, secret := range []string{"shpss_wrong_secret_999", clientSecret} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text %q contains the client secret", err)
		}
	}
}

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decoding HTTP %d answer: %v", resp.StatusCode, err)
	}
}
