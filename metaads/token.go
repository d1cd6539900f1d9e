package metaads

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/roasd/roasd/ads"
)

// TokenInfo is what debug_token reports about the access token.
type TokenInfo struct {
	// Valid reports whether Meta still accepts the token.
	Valid bool
	// Type is e.g. "SYSTEM_USER" or "USER".
	Type string
	// ExpiresAt is when the token expires; zero when it never does
	// (expires_at 0).
	ExpiresAt time.Time
	// DataAccessExpiresAt is when the token's data access expires; zero
	// when never.
	DataAccessExpiresAt time.Time
	Scopes              []string
	// Problem is the error debug_token reports about an invalid token.
	Problem string
}

// DebugToken reads the access token's validity and expiry: GET
// /debug_token?input_token=<token> with the app access token
// "<app id>|<app secret>" (reference meta-api.md §1), or, without an app
// id or secret, with the token itself. Meta answers expires_at 0 for a
// token that does not expire.
func (c *Client) DebugToken(ctx context.Context) (TokenInfo, error) {
	auth, proof, account := c.token, c.proof, "token"
	if c.appID != "" && c.appSecret != "" {
		auth = c.appID + "|" + c.appSecret
		proof, account = AppSecretProof(auth, c.appSecret), "app:"+c.appID
	}
	var out struct {
		Data struct {
			IsValid             bool     `json:"is_valid"`
			Type                string   `json:"type"`
			ExpiresAt           int64    `json:"expires_at"`
			DataAccessExpiresAt int64    `json:"data_access_expires_at"`
			Scopes              []string `json:"scopes"`
			Error               *struct {
				Code    int    `json:"code"`
				Subcode int    `json:"subcode"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"data"`
	}
	params := url.Values{"input_token": {c.token}}
	if err := c.callAs(ctx, auth, proof, http.MethodGet, account, "debug_token", params, &out); err != nil {
		return TokenInfo{}, fmt.Errorf("reading the meta token's expiry: %w", err)
	}
	d := out.Data
	info := TokenInfo{Valid: d.IsValid, Type: d.Type, Scopes: d.Scopes}
	if d.ExpiresAt > 0 {
		info.ExpiresAt = time.Unix(d.ExpiresAt, 0).UTC()
	}
	if d.DataAccessExpiresAt > 0 {
		info.DataAccessExpiresAt = time.Unix(d.DataAccessExpiresAt, 0).UTC()
	}
	if d.Error != nil {
		info.Problem = c.redact(d.Error.Message)
	}
	if d.Type == "" && !d.IsValid && d.Error == nil {
		return info, &ads.APIError{Platform: ads.Meta, Account: account, Op: "GET debug_token", Kind: ads.KindUnknown,
			Message: "debug_token answered without data"}
	}
	return info, nil
}
