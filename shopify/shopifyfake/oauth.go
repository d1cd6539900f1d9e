package shopifyfake

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// tokenPath is where apps obtain access tokens (client-credentials grant).
const tokenPath = "/admin/oauth/access_token"

// oauthApp is the Dev Dashboard app installed on the fake shop and the
// access tokens issued to it, with their expiry on the fake's clock.
type oauthApp struct {
	id, secret string
	ttl        time.Duration
	issued     map[string]time.Time
}

// accepts reports whether tok may call the Admin API now: the static
// token, an issued token before its expiry, or (with neither configured)
// any non-empty token.
func (s *Server) accepts(tok string) bool {
	if tok == "" {
		return false
	}
	if s.token != "" && hmac.Equal([]byte(tok), []byte(s.token)) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.creds.issued[tok]; ok {
		return s.now().Before(exp)
	}
	return s.token == "" && s.creds.id == ""
}

// serveToken answers POST /admin/oauth/access_token. Shopify documents a
// form-encoded body (client_id, client_secret,
// grant_type=client_credentials) answered with {"access_token", "scope",
// "expires_in"}; its own libraries send the same fields as JSON, which
// the fake accepts too.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
		return
	}
	var id, secret, grant string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var b struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
			GrantType    string `json:"grant_type"`
		}
		_ = json.NewDecoder(r.Body).Decode(&b)
		id, secret, grant = b.ClientID, b.ClientSecret, b.GrantType
	} else if err := r.ParseForm(); err == nil {
		id, secret, grant = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), r.PostForm.Get("grant_type")
	}
	s.mu.Lock()
	app := s.creds
	now := s.now()
	s.mu.Unlock()
	switch {
	case grant != "client_credentials":
		s.record(Call{Op: "token", Status: http.StatusBadRequest})
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"})
		return
	case app.id == "" || !hmac.Equal([]byte(id), []byte(app.id)) || !hmac.Equal([]byte(secret), []byte(app.secret)):
		s.record(Call{Op: "token", Status: http.StatusBadRequest})
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_client", "error_description": "Client authentication failed: the client id or secret is not valid for this shop"})
		return
	}
	ttl := app.ttl
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	var b [16]byte
	rand.Read(b[:])
	tok := "shpca_" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.creds.issued[tok] = now.Add(ttl)
	s.mu.Unlock()
	s.record(Call{Op: "token", Status: http.StatusOK})
	// Shopify announces one second less than the lifetime (86399 for 24h).
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "scope": "read_orders", "expires_in": int64(ttl/time.Second) - 1})
}

// ExpireTokens makes every access token issued so far expire now (as if
// their 24 hours had passed, or the app's secret had been rotated).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for tok := range s.creds.issued {
		s.creds.issued[tok] = now
	}
}

// TokensIssued is how many access tokens the fake has issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.creds.issued)
}
