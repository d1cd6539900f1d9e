package platformhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/tiktokads"
)

// TestClientsCountTheirTries: every platform client says on its error how
// many requests it sent for the call, so the job runner does not retry
// what the client already retried.
func TestClientsCountTheirTries(t *testing.T) {
	t.Parallel()
	const retries = 2
	for _, tc := range []struct {
		name string
		call func(base string) error
	}{
		{"meta", func(base string) error {
			c := metaads.New(metaads.Options{BaseURL: base, AccessToken: "tok", RetryMax: retries, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
			_, err := c.Ads(context.Background(), "act_1")
			return err
		}},
		{"tiktok", func(base string) error {
			c := tiktokads.New(tiktokads.Options{BaseURL: base, AccessToken: "tok", RetryMax: retries, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
			_, err := c.Advertiser(context.Background(), "7000")
			return err
		}},
		{"shopify", func(base string) error {
			c := shopify.New(shopify.Options{Shop: "a.myshopify.com", BaseURL: base, AccessToken: "tok", RetryMax: retries, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
			_, err := c.Shop(context.Background())
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sent.Add(1)
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			t.Cleanup(srv.Close)
			err := tc.call(srv.URL)
			var ae *ads.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an *ads.APIError", err)
			}
			if ae.Tries != retries+1 || int(sent.Load()) != ae.Tries {
				t.Errorf("Tries = %d, server saw %d requests; want both %d", ae.Tries, sent.Load(), retries+1)
			}
		})
	}
}
