package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Authorized reports whether r carries "Authorization: Bearer <token>"
// (compared in constant time). An empty token authorizes nothing.
func Authorized(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && tokenEqual(strings.TrimSpace(got), token)
}

// tokenEqual compares got with token in constant time (of their hashes,
// so the length leaks nothing either); an empty token matches nothing.
func tokenEqual(got, token string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && token != ""
}

// RequireBearer serves h only to requests carrying the bearer token; the
// others get 401.
func RequireBearer(h http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Authorized(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roasd"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <ROASD_API_TOKEN>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Dashboard login.
const (
	// SessionCookie is the name of the dashboard's session cookie.
	SessionCookie = "roasd_session"
	// SessionTTL is how long a dashboard login lasts.
	SessionTTL = 12 * time.Hour
	// loginFailures is how many failed logins are allowed per minute
	// (across all clients) before /login answers 429.
	loginFailures = 10
)

// Login puts a login form in front of h (the dashboard): a browser
// without a valid session is sent to GET /login, which posts the
// ROASD_API_TOKEN to POST /login; a match (constant-time) sets an
// HttpOnly, SameSite=Strict session cookie (Secure when the request came
// over TLS or through a proxy saying X-Forwarded-Proto: https) holding an
// expiry and a random id signed with a key derived from the token, so
// changing the token ends every session. POST /logout revokes the session
// and clears the cookie. The dashboard's static files need no session;
// its JSON API answers 401 without one.
type Login struct {
	next  http.Handler
	token string
	key   []byte
	log   *slog.Logger

	mu       sync.Mutex
	now      func() time.Time
	revoked  map[string]time.Time // session id -> its expiry
	failures []time.Time          // failed logins in the last minute
}

// RequireLogin returns h behind a login form checking token (see Login).
func RequireLogin(h http.Handler, token string, log *slog.Logger) *Login {
	if log == nil {
		log = slog.Default()
	}
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("roasd dashboard session v1"))
	return &Login{next: h, token: token, key: m.Sum(nil), log: log, now: time.Now, revoked: map[string]time.Time{}}
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>roasd · log in</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/static/style.css">
</head>
<body class="login">
<main>
<form method="post" action="/login" class="card login-card">
  <h1>roasd</h1>
  <p class="hint">Log in with the daemon's API token (<code>ROASD_API_TOKEN</code>).</p>
  {{if .Failed}}<p class="error" role="alert">That token is not the daemon's token.</p>{{end}}
  <label>Token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
  <button type="submit">Log in</button>
</form>
</main>
</body>
</html>
`))

// ServeHTTP implements http.Handler.
func (l *Login) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	switch {
	case r.URL.Path == "/login" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		l.page(w, http.StatusOK, r.URL.Query().Get("failed") != "")
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		l.login(w, r)
	case r.URL.Path == "/logout" && r.Method == http.MethodPost:
		l.logout(w, r)
	case r.URL.Path == "/login" || r.URL.Path == "/logout":
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case strings.HasPrefix(r.URL.Path, "/dashboard/static/"):
		l.next.ServeHTTP(w, r)
	case l.session(r) != "":
		l.next.ServeHTTP(w, r)
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	default:
		hd.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"log in at /login"}`))
	}
}

func (l *Login) page(w http.ResponseWriter, status int, failed bool) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	loginPage.Execute(w, struct{ Failed bool }{failed})
}

func (l *Login) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad login form", http.StatusBadRequest)
		return
	}
	if !l.allowAttempt() {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "too many failed logins; wait a minute", http.StatusTooManyRequests)
		return
	}
	if !tokenEqual(r.PostForm.Get("token"), l.token) {
		l.failed()
		l.log.Warn("dashboard login failed", "remote", r.RemoteAddr)
		l.page(w, http.StatusUnauthorized, true)
		return
	}
	exp := l.clock().Add(SessionTTL)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: l.sign(exp), Path: "/", Expires: exp,
		MaxAge: int(SessionTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (l *Login) logout(w http.ResponseWriter, r *http.Request) {
	if id := l.session(r); id != "" {
		l.mu.Lock()
		now := l.now()
		for k, exp := range l.revoked {
			if now.After(exp) {
				delete(l.revoked, k)
			}
		}
		l.revoked[id] = now.Add(SessionTTL)
		l.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// clock is the current time (l.now under the lock: tests set it).
func (l *Login) clock() time.Time {
	l.mu.Lock()
	now := l.now
	l.mu.Unlock()
	return now()
}

// secure reports whether the client reached us over TLS.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sign makes a session value: base64(id || expiry) "." base64(HMAC).
func (l *Login) sign(exp time.Time) string {
	payload := make([]byte, 24)
	rand.Read(payload[:16])
	binary.BigEndian.PutUint64(payload[16:], uint64(exp.Unix()))
	m := hmac.New(sha256.New, l.key)
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// session returns the id of r's valid session, or "".
func (l *Login) session(r *http.Request) string {
	if l.token == "" {
		return ""
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	p, s, ok := strings.Cut(c.Value, ".")
	if !ok {
		return ""
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	sig, err2 := base64.RawURLEncoding.DecodeString(s)
	if err1 != nil || err2 != nil || len(payload) != 24 {
		return ""
	}
	m := hmac.New(sha256.New, l.key)
	m.Write(payload)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return ""
	}
	if l.clock().Unix() >= int64(binary.BigEndian.Uint64(payload[16:])) {
		return ""
	}
	id := base64.RawURLEncoding.EncodeToString(payload[:16])
	l.mu.Lock()
	_, gone := l.revoked[id]
	l.mu.Unlock()
	if gone {
		return ""
	}
	return id
}

// allowAttempt reports whether a login may be tried now (fewer than
// loginFailures failures in the last minute).
func (l *Login) allowAttempt() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := l.now().Add(-time.Minute)
	kept := l.failures[:0]
	for _, t := range l.failures {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	l.failures = kept
	return len(l.failures) < loginFailures
}

func (l *Login) failed() {
	l.mu.Lock()
	l.failures = append(l.failures, l.now())
	l.mu.Unlock()
}
