package web

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// loginSetup serves a stand-in dashboard behind RequireLogin.
func loginSetup(t *testing.T, token string) (*Login, *httptest.Server) {
	t.Helper()
	dash := http.NewServeMux()
	dash.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<title>roasd dashboard</title>") })
	dash.HandleFunc("GET /dashboard/api/brands", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"brands":["glowco"]}`) })
	dash.HandleFunc("GET /dashboard/static/style.css", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "body{}") })
	l := RequireLogin(dash, token, nil)
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return l, srv
}

// noRedirect is a client with a cookie jar that shows redirects.
func noRedirect(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values, hdr ...string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestLoginProtectsTheDashboard: without a session the page redirects to
// the login form and the JSON API answers 401; the right token logs in
// with an HttpOnly SameSite=Strict cookie; a wrong or tampered one does
// not; logout revokes the session even if its cookie is replayed.
func TestLoginProtectsTheDashboard(t *testing.T) {
	t.Parallel()
	_, srv := loginSetup(t, "s3cret-token")
	c := noRedirect(t)

	if resp, _ := do(t, c, "GET", srv.URL+"/", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("GET / without a session = %d → %q, want 303 → /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := do(t, c, "GET", srv.URL+"/dashboard/api/brands", nil); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "glowco") {
		t.Errorf("API without a session = %d %q, want 401 without data", resp.StatusCode, body)
	}
	if resp, _ := do(t, c, "GET", srv.URL+"/dashboard/static/style.css", nil); resp.StatusCode != 200 {
		t.Errorf("static file without a session = %d, want 200 (the login page uses it)", resp.StatusCode)
	}
	if resp, body := do(t, c, "GET", srv.URL+"/login", nil); resp.StatusCode != 200 || !strings.Contains(body, `name="token"`) {
		t.Errorf("GET /login = %d %.200q, want the form", resp.StatusCode, body)
	}
	if resp, body := do(t, c, "POST", srv.URL+"/login", url.Values{"token": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized ||
		len(resp.Cookies()) != 0 || !strings.Contains(body, "not the daemon's token") {
		t.Errorf("wrong token = %d cookies %v, want 401, no cookie, a message", resp.StatusCode, resp.Cookies())
	}

	resp, _ := do(t, c, "POST", srv.URL+"/login", url.Values{"token": {"s3cret-token"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || len(resp.Cookies()) != 1 {
		t.Fatalf("right token = %d → %q cookies %v, want 303 → / with a cookie", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	ck := resp.Cookies()[0]
	if ck.Name != SessionCookie || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/" {
		t.Errorf("cookie %+v, want %s HttpOnly SameSite=Strict Path=/ (not Secure over plain HTTP)", ck, SessionCookie)
	}
	if strings.Contains(ck.Value, "s3cret") {
		t.Errorf("the cookie holds the token: %q", ck.Value)
	}
	if resp, body := do(t, c, "GET", srv.URL+"/dashboard/api/brands", nil); resp.StatusCode != 200 || !strings.Contains(body, "glowco") {
		t.Errorf("API with a session = %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, c, "GET", srv.URL+"/", nil); resp.StatusCode != 200 {
		t.Errorf("page with a session = %d", resp.StatusCode)
	}

	// Tampered: another expiry with the old signature.
	p, sig, _ := strings.Cut(ck.Value, ".")
	tampered := p[:len(p)-2] + "zz." + sig
	other := &http.Client{}
	if resp, _ := do(t, other, "GET", srv.URL+"/dashboard/api/brands", nil, "Cookie", SessionCookie+"="+tampered); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("tampered cookie = %d, want 401", resp.StatusCode)
	}

	// Logout clears the cookie and revokes the session: replaying it fails.
	if resp, _ := do(t, c, "POST", srv.URL+"/logout", url.Values{}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("logout = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := do(t, c, "GET", srv.URL+"/dashboard/api/brands", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API after logout = %d, want 401", resp.StatusCode)
	}
	if resp, _ := do(t, other, "GET", srv.URL+"/dashboard/api/brands", nil, "Cookie", SessionCookie+"="+ck.Value); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed cookie after logout = %d, want 401", resp.StatusCode)
	}
}

// TestLoginSessionRules: a session expires, is Secure behind TLS, is not
// valid for another token, and repeated failures are throttled.
func TestLoginSessionRules(t *testing.T) {
	t.Parallel()
	l, srv := loginSetup(t, "tok-1")
	c := noRedirect(t)
	resp, _ := do(t, c, "POST", srv.URL+"/login", url.Values{"token": {"tok-1"}}, "X-Forwarded-Proto", "https")
	if len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure {
		t.Fatalf("login behind a TLS proxy: cookies %v, want one Secure cookie", resp.Cookies())
	}
	value := resp.Cookies()[0].Value
	plain := &http.Client{}
	get := func(srvURL string) int {
		r, _ := do(t, plain, "GET", srvURL+"/dashboard/api/brands", nil, "Cookie", SessionCookie+"="+value)
		return r.StatusCode
	}
	if code := get(srv.URL); code != 200 {
		t.Fatalf("fresh session = %d", code)
	}
	_, srv2 := loginSetup(t, "tok-2")
	if code := get(srv2.URL); code != http.StatusUnauthorized {
		t.Errorf("session of another token = %d, want 401", code)
	}
	l.mu.Lock()
	l.now = func() time.Time { return time.Now().Add(SessionTTL + time.Minute) }
	l.mu.Unlock()
	if code := get(srv.URL); code != http.StatusUnauthorized {
		t.Errorf("expired session = %d, want 401", code)
	}

	_, srv3 := loginSetup(t, "tok-3")
	var last int
	for i := 0; i < loginFailures+1; i++ {
		r, _ := do(t, plain, "POST", srv3.URL+"/login", url.Values{"token": {"guess"}})
		last = r.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("login attempt after %d failures in a minute = %d, want 429", loginFailures, last)
	}
}
