package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/scheduler"
)

// TestFirstSyncsStaggered runs the example brands — glowco (USD, New
// York) and hautwerk (EUR, Berlin), sharing the creator jacqueline —
// against the sandbox with daemon.first_sync_concurrency: 1, through the
// daemon's own runner and job builder: at most one brand is in its first
// sync at any time (the first brand in holds its first syncs until the
// other brand's job is seen waiting), every job of both brands succeeds
// and each brand's cursors are set; the second, steady cycle asks for no
// slot and succeeds too.
func TestFirstSyncsStaggered(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	if err := os.WriteFile(filepath.Join(e.config, "daemon.yaml"), []byte("daemon:\n  first_sync_concurrency: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now, err := pinnedClock(e.env(io.Discard, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDaemon(ctx, e.env(io.Discard, io.Discard), e.dsn, runOptions{config: e.config, replica: "r1", now: now, logLevel: slog.LevelError})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	set, err := loadConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}
	d.useConfig(set)
	if got := d.runner.FirstSyncs.Limit(); got != 1 {
		t.Fatalf("the daemon's first-sync limit is %d, want 1 from daemon.yaml", got)
	}

	var (
		mu      sync.Mutex
		inside  = map[string]int{} // brand → its first-sync jobs running
		most    int
		firsts  = map[string]int{} // brand → first-sync jobs run
		waited  = map[string]int{}
		gate    = make(chan struct{})
		gateOne sync.Once
	)
	d.runner.FirstSyncs.OnWait(func(b string) {
		mu.Lock()
		waited[b]++
		mu.Unlock()
		gateOne.Do(func() { close(gate) })
	})
	// Each first-sync run is counted while it runs (it is a first sync
	// when the runner asked: Job.FirstSync said so before the run).
	wrap := func(list []scheduler.Job) []scheduler.Job {
		for i, j := range list {
			if j.FirstSync == nil {
				continue
			}
			run, first, brand := j.Run, j.FirstSync, strings.Join(j.Brands, ",")
			var isFirst bool
			list[i].FirstSync = func(ctx context.Context) (bool, error) {
				f, err := first(ctx)
				isFirst = f
				return f, err
			}
			list[i].Run = func(ctx context.Context, r *scheduler.Run) error {
				if !isFirst {
					return run(ctx, r)
				}
				mu.Lock()
				inside[brand]++
				firsts[brand]++
				most = max(most, len(inside))
				mu.Unlock()
				defer func() {
					mu.Lock()
					if inside[brand]--; inside[brand] == 0 {
						delete(inside, brand)
					}
					mu.Unlock()
				}()
				<-gate // until the other brand is seen waiting
				return run(ctx, r)
			}
		}
		return list
	}

	if failed := scheduler.RunOnce(ctx, wrap(jobs.Jobs(set, d.deps, nil)), d.runner.Execute); len(failed) != 0 {
		t.Fatalf("first cycle failed: %v", failed)
	}
	if most != 1 {
		t.Errorf("%d brands were in their first sync at once, want 1 (the limit)", most)
	}
	if len(waited) == 0 {
		t.Error("no first sync waited for a slot")
	}
	for _, b := range set.Brands {
		if firsts[b.Name] != 3 { // meta.insights, tiktok.insights, shopify.orders
			t.Errorf("brand %s ran %d first syncs, want 3", b.Name, firsts[b.Name])
		}
		for _, a := range []struct {
			p   ads.Platform
			act string
		}{{ads.Meta, b.Accounts.Meta[0].AdAccount}, {ads.TikTok, b.Accounts.TikTok[0].Advertiser}} {
			if _, ok, err := e.db.InsightsPulled(ctx, a.p, a.act); err != nil || !ok {
				t.Errorf("brand %s: %s insights of %s not pulled (%v); want its first sync done", b.Name, a.p, a.act, err)
			}
		}
		if mark, err := e.db.OrdersMark(ctx, b.Accounts.Shopify[0].Shop); err != nil || mark.IsZero() {
			t.Errorf("brand %s: no order high-water mark (%v); want its first sync done", b.Name, err)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM job_runs WHERE status <> 'ok'`); n != 0 {
		t.Errorf("%d runs did not end ok (a wait must not show as failed)", n)
	}

	// Steady: no first sync, nothing waits.
	d.runner.FirstSyncs.OnWait(func(b string) { t.Errorf("a steady job of %s waited for a first-sync slot", b) })
	firsts = map[string]int{}
	if failed := scheduler.RunOnce(ctx, wrap(jobs.Jobs(set, d.deps, nil)), d.runner.Execute); len(failed) != 0 {
		t.Fatalf("steady cycle failed: %v", failed)
	}
	if len(firsts) != 0 {
		t.Errorf("steady cycle ran first syncs: %v", firsts)
	}
}
