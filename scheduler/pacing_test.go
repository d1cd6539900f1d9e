package scheduler

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// TestTikTokLanesShareTheAppQuota: three advertisers' lanes call TikTok at
// once against a fake that enforces the app-wide quota as TikTok does
// (40100 beyond it, whichever advertiser asks). Unpaced they are refused;
// through one app pacer under the quota none is.
func TestTikTokLanesShareTheAppQuota(t *testing.T) {
	t.Parallel()
	advs := []string{"7100000000000000001", "7100000000000000002", "7100000000000000003"}
	seed := tiktokfake.Seed{Token: "tok", AppQPS: 10}
	for _, a := range advs {
		seed.Advertisers = append(seed.Advertisers, tiktokfake.Advertiser{ID: a, Currency: "USD", Timezone: "UTC"})
	}
	for _, tc := range []struct {
		name    string
		pacer   *AppPacer
		refused bool
	}{
		{name: "unpaced", refused: true},
		{name: "one app pacer at 6/s", pacer: NewAppPacer(6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tiktokfake.New(seed))
			defer srv.Close()
			o := tiktokads.Options{BaseURL: srv.URL, AccessToken: "tok", HTTPClient: srv.Client(), RetryMax: -1}
			if tc.pacer != nil {
				o.Pacer = tc.pacer
			}
			c := tiktokads.New(o)
			var mu sync.Mutex
			refused := 0
			var wg sync.WaitGroup
			for _, a := range advs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 4 {
						_, err := c.Ads(context.Background(), a)
						var apiErr *ads.APIError
						if errors.As(err, &apiErr) && apiErr.Code == tiktokfake.CodeRateLimited {
							mu.Lock()
							refused++
							mu.Unlock()
						} else if err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if (refused > 0) != tc.refused {
				t.Errorf("%d calls refused with 40100, want refusals: %v", refused, tc.refused)
			}
		})
	}
}

// TestAppPacerDividesAmongReplicas: with n live replicas each spaces its
// calls n times as far apart, so together they keep the app's budget.
func TestAppPacerDividesAmongReplicas(t *testing.T) {
	t.Parallel()
	p := NewAppPacer(8)
	for _, tc := range []struct {
		replicas int
		want     time.Duration
	}{{1, 125 * time.Millisecond}, {2, 250 * time.Millisecond}, {4, 500 * time.Millisecond}, {0, 125 * time.Millisecond}} {
		p.SetReplicas(tc.replicas)
		if got := p.Interval(); got != tc.want {
			t.Errorf("%d replicas: interval %v, want %v", tc.replicas, got, tc.want)
		}
	}
	if NewAppPacer(0).Wait(context.Background()) != nil || NewAppPacer(0).Interval() != 0 {
		t.Error("a zero budget should not pace")
	}
}

// TestLiveReplicas counts the replicas whose replica lease is current.
func TestLiveReplicas(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		if err := db.AcquireLease(ctx, "replica:"+name, name, 90*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// c stopped renewing long ago.
	if _, err := db.SQL().Exec(`UPDATE leases SET expires_at = clock_timestamp() - interval '10 minutes' WHERE name = 'replica:c'`); err != nil {
		t.Fatal(err)
	}
	if err := db.AcquireLease(ctx, "meta.ads:act_1", "d", time.Hour); err != nil { // a job lease is no replica
		t.Fatal(err)
	}
	if n, err := db.LiveReplicas(ctx); err != nil || n != 2 {
		t.Fatalf("live replicas = %d, %v; want 2 (a and b; c's lease expired)", n, err)
	}
}
