package metafake

import (
	"crypto/hmac"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenExpired reports whether the seeded token's expiry has passed on the
// fake's clock.
func (s *Server) tokenExpired() bool {
	return !s.seed.TokenExpiresAt.IsZero() && !s.now().Before(s.seed.TokenExpiresAt)
}

// expiredMessage is Graph's text for a token past its expiry.
func (s *Server) expiredMessage() string {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		loc = time.UTC
	}
	return "Error validating access token: Session has expired on " +
		s.seed.TokenExpiresAt.In(loc).Format("Monday, 02-Jan-06 15:04:05 MST") + ". The current time is later."
}

// debugToken answers GET /debug_token?input_token=…, authenticated with
// the app access token "<app id>|<app secret>" (or the token itself), as
// Graph documents it: {"data": {app_id, type, application, expires_at,
// data_access_expires_at, is_valid, issued_at, scopes, user_id}}, with
// expires_at 0 for a token that never expires and an "error" object
// inside data for an invalid one.
func (s *Server) debugToken(r *http.Request, params url.Values, hdr http.Header) response {
	auth := params.Get("access_token")
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") || strings.HasPrefix(h, "OAuth ") {
		auth = strings.TrimSpace(h[strings.Index(h, " ")+1:])
	}
	app := s.seed.AppID + "|" + s.seed.AppSecret
	switch {
	case auth == "":
		return s.graphError(http.StatusBadRequest, 104, 0, "An access token is required to request this resource.", "OAuthException", hdr)
	case s.seed.AppID != "" && hmac.Equal([]byte(auth), []byte(app)):
	case s.seed.Token != "" && auth == s.seed.Token && !s.expired && !s.tokenExpired():
	case s.seed.Token == "" && s.seed.AppID == "": // a fake that accepts any token
	default:
		return s.graphError(http.StatusBadRequest, 190, 0, "Invalid OAuth access token - Cannot parse access token", "OAuthException", hdr)
	}
	input := params.Get("input_token")
	if input == "" {
		return s.graphError(http.StatusBadRequest, 100, 0, "(#100) The parameter input_token is required", "OAuthException", hdr)
	}
	exp := s.seed.TokenExpiresAt
	issued := s.seed.TokenIssuedAt
	if issued.IsZero() {
		issued = s.now().Add(-24 * time.Hour)
		if !exp.IsZero() {
			issued = exp.Add(-60 * 24 * time.Hour)
		}
	}
	data := map[string]any{
		"app_id": s.seed.AppID, "type": "SYSTEM_USER", "application": "roasd sandbox",
		"data_access_expires_at": 0, "issued_at": issued.Unix(),
		"scopes":  []string{"ads_read", "ads_management", "business_management", "instagram_basic", "instagram_branded_content_ads_brand"},
		"user_id": "100000000000777",
	}
	if !exp.IsZero() {
		data["expires_at"] = exp.Unix()
	} else {
		data["expires_at"] = 0
	}
	switch {
	case s.seed.Token != "" && input != s.seed.Token:
		data = map[string]any{"is_valid": false, "error": map[string]any{"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"}}
	case s.expired || s.tokenExpired():
		data["is_valid"] = false
		data["error"] = map[string]any{"code": 190, "subcode": 463, "message": s.expiredMessage()}
	default:
		data["is_valid"] = true
	}
	return jsonResponse(http.StatusOK, hdr, map[string]any{"data": data})
}
