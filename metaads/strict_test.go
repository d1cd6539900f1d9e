package metaads_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
)

// TestDeletedAndArchivedAdsCount: Meta hides archived and deleted ads from
// the ads edge and their rows from account-level insights unless a status
// filter names them; their spend must still be read (sync and async).
func TestDeletedAndArchivedAdsCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		asyncDays int
	}{
		{"sync insights", 1000},
		{"async insights", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seed := bigSeed(4, 3)
			seed.Accounts[0].Ads[1].EffectiveStatus = "DELETED"
			seed.Accounts[0].Ads[1].Status = "DELETED"
			seed.Accounts[0].Ads[2].EffectiveStatus = "ARCHIVED"
			b := setup(t, seed, func(o *metaads.Options) { o.AsyncDays = tt.asyncDays })
			list, err := b.client.Ads(t.Context(), testAct)
			if err != nil {
				t.Fatal(err)
			}
			status := map[string]string{}
			for _, a := range list {
				status[a.ID] = a.Status
			}
			if len(list) != 4 || status[seed.Accounts[0].Ads[1].ID] != "DELETED" || status[seed.Accounts[0].Ads[2].ID] != "ARCHIVED" {
				t.Errorf("Ads = %v, want all 4 with the deleted and archived ones", status)
			}
			stats, err := b.client.DayStats(t.Context(), testAct, ads.DateRange{From: day0, To: day0.AddDays(2)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			perAd := map[string]int{}
			for _, s := range stats {
				perAd[s.AdID]++
			}
			for _, ad := range seed.Accounts[0].Ads {
				if perAd[ad.ID] != 3 {
					t.Errorf("ad %s (%s): %d insight rows, want 3", ad.ID, ad.EffectiveStatus, perAd[ad.ID])
				}
			}
		})
	}
}

// TestUsageHeadersAreNotBans: a healthy response's usage headers (9.67%,
// a 100 s reset window) hold nothing back; a throttle pauses only its own
// ad account, for the wait Meta names, and a later call on it fails fast
// instead of sleeping past RetryWaitMax.
func TestUsageHeadersAreNotBans(t *testing.T) {
	t.Parallel()
	seed := bigSeed(1, 0)
	const other = "act_2002"
	seed.Accounts = append(seed.Accounts, metafake.Account{ID: other, Name: "Glowco EU", Currency: "EUR", Timezone: "Europe/Berlin"})
	b := setup(t, seed, func(o *metaads.Options) { o.RetryMax, o.RetryWaitMax = 2, time.Hour })
	b.fake.Usage(9.67, 100*time.Second)
	// Each call gets far less than any wait the headers could ask for.
	call := func(act string) error {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		_, err := b.client.Account(ctx, act)
		return err
	}
	for i := range 3 {
		if err := call(testAct); err != nil {
			t.Fatalf("healthy call %d: %v", i, err)
		}
	}
	if u := b.client.LastUsage(); u.MaxPct != 9.67 || u.RegainIn != 0 {
		t.Errorf("LastUsage = %+v, want 9.67%% and no wait", u)
	}

	b.fake.Throttle(1, 2*time.Hour)
	var ae *ads.APIError
	if err := call(testAct); !errors.As(err, &ae) || ae.Kind != ads.KindRateLimited || ae.RetryAfter != 2*time.Hour {
		t.Fatalf("throttled call: err = %v, want KindRateLimited waiting 2h (estimated_time_to_regain_access 120 min)", err)
	}
	if err := call(other); err != nil {
		t.Errorf("another ad account was held back by the throttle: %v", err)
	}
	before := len(b.fake.Calls())
	if err := call(testAct); !errors.As(err, &ae) || ae.Kind != ads.KindRateLimited || ae.RetryAfter <= time.Hour || ae.Account != testAct {
		t.Errorf("call on the throttled account: err = %v, want KindRateLimited with the time left", err)
	}
	if n := len(b.fake.Calls()) - before; n != 0 {
		t.Errorf("the throttled account was called %d times during its pause", n)
	}
}

// TestReduceDataHalvesThePage: HTTP 500 code 1 "Please reduce the amount
// of data" is answered by halving the page size (not by retrying the same
// size), down to MinPageSize.
func TestReduceDataHalvesThePage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		above      int
		wantErr    bool
		wantLimits []string
	}{
		{"halves until a page fits", 100, false, []string{"500", "250", "125", "62", "62", "62", "62", "62"}},
		{"gives up at the floor", 5, true, []string{"500", "250", "125", "62", "31", "15", "10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bigSeed(300, 0), nil)
			b.fake.ReduceDataAbove(tt.above)
			list, err := b.client.Ads(t.Context(), testAct)
			var ae *ads.APIError
			switch {
			case tt.wantErr && (!errors.As(err, &ae) || ae.Code != 1 || ae.HTTPStatus != 500):
				t.Fatalf("err = %v, want the code 1 error at the floor", err)
			case !tt.wantErr && (err != nil || len(list) != 300):
				t.Fatalf("Ads = %d ads, %v; want 300", len(list), err)
			}
			var limits []string
			for _, c := range b.fake.Calls() {
				limits = append(limits, c.Params.Get("limit"))
			}
			if fmt.Sprint(limits) != fmt.Sprint(tt.wantLimits) {
				t.Errorf("page sizes asked = %v, want %v", limits, tt.wantLimits)
			}
		})
	}
}

// TestThrottleSubcodes: throttle errors carry Meta's subcodes and
// is_transient, and the client keeps them.
func TestThrottleSubcodes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ code, subcode int }{{17, 2446079}, {613, 1487742}} {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			t.Parallel()
			b := setup(t, bigSeed(1, 0), func(o *metaads.Options) { o.RetryMax = -1 })
			b.fake.FailNext(1, 400, tt.code)
			_, err := b.client.Account(t.Context(), testAct)
			var ae *ads.APIError
			if !errors.As(err, &ae) || ae.Kind != ads.KindRateLimited || ae.Code != tt.code || ae.Subcode != tt.subcode {
				t.Errorf("err = %v, want rate limited %d/%d", err, tt.code, tt.subcode)
			}
		})
	}
}

// TestAsyncFailureReason: a failed report run's error_code, error_message
// and user message reach the job error.
func TestAsyncFailureReason(t *testing.T) {
	t.Parallel()
	b := setup(t, bigSeed(2, 10), func(o *metaads.Options) { o.AsyncDays = 7 })
	b.fake.FailAsyncJobs(1000)
	_, err := b.client.DayStats(t.Context(), testAct, ads.DateRange{From: day0, To: day0.AddDays(9)}, nil)
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Kind != ads.KindJobFailed || ae.Code != -2 || ae.Subcode != 2490547 {
		t.Fatalf("err = %v, want KindJobFailed with code -2/2490547", err)
	}
	for _, want := range []string{"too much data", "Report too large: Request a shorter date range", "code -2/2490547"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
