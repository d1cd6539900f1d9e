package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/platformhttp"
)

// TokenRenewBefore is how long before its expiry an access token obtained
// with the client-credentials grant is renewed.
const TokenRenewBefore = 10 * time.Minute

// tokens holds the Admin API access token: a static one (a legacy custom
// app's SHOPIFY_ACCESS_TOKEN), or one obtained with the OAuth
// client-credentials grant (a Dev Dashboard app's client id and secret),
// kept only in memory and renewed before it expires. Concurrent callers
// that find the token missing or expiring share one renewal.
type tokens struct {
	static       string
	clientID     string
	clientSecret string
	now          func() time.Time

	mu      sync.Mutex
	current string
	expires time.Time
	pending *renewal
}

// renewal is one client-credentials request in flight; done is closed
// when tok or err is set.
type renewal struct {
	done chan struct{}
	tok  string
	err  error
}

// renews reports whether the token comes from the client-credentials
// grant (and so can be renewed after a 401).
func (t *tokens) renews() bool { return t.static == "" && t.clientID != "" }

// secrets are the values never to appear in errors or logs.
func (t *tokens) secrets() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return []string{t.static, t.clientSecret, t.current}
}

// redact hides the credentials and the query of every URL in s (a bulk
// file's signed URL carries its signature there).
func (t *tokens) redact(s string) string {
	return platformhttp.URLQueries(platformhttp.Secrets(t.secrets()...)(s))
}

// accessToken returns a usable token: the static one, the current one while it
// has more than TokenRenewBefore left, else a renewed one. stale, when
// not empty, is a token the API refused: it is renewed even if its clock
// says it is still good.
func (c *Client) accessToken(ctx context.Context, stale string) (string, error) {
	t := c.tok
	if !t.renews() {
		if t.static == "" {
			return "", c.apiError("access token", 0, ads.KindAuth, "no access token and no client id + secret configured", "")
		}
		return t.static, nil
	}
	t.mu.Lock()
	if t.current != "" && t.current != stale && t.now().Before(t.expires.Add(-TokenRenewBefore)) {
		tok := t.current
		t.mu.Unlock()
		return tok, nil
	}
	r := t.pending
	if r == nil {
		// The renewal is shared: it runs on its own (bounded) so that one
		// caller giving up neither fails it for the others nor waits it out.
		r = &renewal{done: make(chan struct{})}
		t.pending = r
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			tok, exp, err := c.clientCredentials(rctx)
			t.mu.Lock()
			if err == nil {
				t.current, t.expires = tok, exp
			}
			t.pending = nil
			r.tok, r.err = tok, err
			close(r.done)
			t.mu.Unlock()
		}()
	}
	t.mu.Unlock()
	select {
	case <-r.done:
		return r.tok, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// TokenExpiry is when the access token obtained with the client-credentials
// grant expires (zero for a static token or before the first one).
func (c *Client) TokenExpiry() time.Time {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	return c.tok.expires
}

// clientCredentials asks for a new access token: POST
// /admin/oauth/access_token with client_id, client_secret and
// grant_type=client_credentials (form-encoded), answered with
// {"access_token", "scope", "expires_in"} (seconds; 86399 for the 24-hour
// tokens of Dev Dashboard apps).
func (c *Client) clientCredentials(ctx context.Context) (string, time.Time, error) {
	const op = "POST /admin/oauth/access_token"
	form := url.Values{"client_id": {c.tok.clientID}, "client_secret": {c.tok.clientSecret}, "grant_type": {"client_credentials"}}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.base+"/admin/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("building shopify token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	asked := c.tok.now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", time.Time{}, ctx.Err()
		}
		return "", time.Time{}, c.apiError(op, 0, ads.KindTransient, err.Error(), "")
	}
	defer resp.Body.Close()
	trace := resp.Header.Get("X-Request-Id")
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", time.Time{}, c.apiError(op, resp.StatusCode, ads.KindTransient, "reading response: "+err.Error(), trace)
	}
	var body struct {
		AccessToken      string          `json:"access_token"`
		ExpiresIn        int64           `json:"expires_in"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Errors           json.RawMessage `json:"errors"`
	}
	jsonErr := json.Unmarshal(raw, &body)
	if resp.StatusCode != http.StatusOK {
		msg := http.StatusText(resp.StatusCode)
		switch {
		case body.ErrorDescription != "":
			msg = body.Error + ": " + body.ErrorDescription
		case body.Error != "":
			msg = body.Error
		case len(errorsOf(body.Errors)) > 0:
			msg = errorsOf(body.Errors)[0].Message
		}
		kind := kindOfStatus(resp.StatusCode)
		if resp.StatusCode == http.StatusBadRequest {
			kind = ads.KindAuth // invalid_client, invalid_grant: the credentials are wrong
		}
		return "", time.Time{}, c.apiError(op, resp.StatusCode, kind, "obtaining an access token with the client-credentials grant: "+msg, trace)
	}
	if jsonErr != nil || body.AccessToken == "" {
		return "", time.Time{}, c.apiError(op, resp.StatusCode, ads.KindUnknown, "the token answer has no access_token", trace)
	}
	exp := asked.Add(time.Duration(body.ExpiresIn) * time.Second)
	if body.ExpiresIn <= 0 {
		// No expiry given: treat it as the documented 24 hours.
		exp = asked.Add(24 * time.Hour)
	}
	c.log.Info("obtained a shopify access token", "shop", c.shop, "expires", exp.UTC().Format(time.RFC3339))
	return body.AccessToken, exp, nil
}
