package metaads

import (
	"context"
	"net/http"
	"net/url"

	"github.com/roasd/roasd/ads"
)

// AccountInfo is what roasd needs of an ad account: its currency (all
// money is reported in it) and time zone (days are bucketed in it).
type AccountInfo struct {
	ID       string
	Name     string
	Currency string
	Timezone string
}

// Account reads an ad account's name, currency and time zone.
func (c *Client) Account(ctx context.Context, adAccount string) (AccountInfo, error) {
	act := actID(adAccount)
	var a struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Currency string `json:"currency"`
		Timezone string `json:"timezone_name"`
	}
	q := url.Values{"fields": {"id,account_id,name,currency,timezone_name"}}
	if err := c.call(ctx, http.MethodGet, act, act, q, &a); err != nil {
		return AccountInfo{}, err
	}
	if a.Currency == "" {
		return AccountInfo{}, &ads.APIError{Platform: ads.Meta, Account: act, Op: "GET " + act, Kind: ads.KindUnknown,
			Message: "ad account has no currency"}
	}
	if a.ID == "" {
		a.ID = act
	}
	return AccountInfo{ID: actID(a.ID), Name: a.Name, Currency: a.Currency, Timezone: a.Timezone}, nil
}
