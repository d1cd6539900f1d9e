package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunOnceLanesAndStages(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var order []string
	done := map[string]bool{}
	bStarted := make(chan struct{})
	boom := errors.New("boom")
	step := func(name string, body func() error) func(context.Context, *Run) error {
		return func(context.Context, *Run) error {
			err := body()
			mu.Lock()
			order = append(order, name)
			done[name] = true
			mu.Unlock()
			return err
		}
	}
	isDone := func(names ...string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range names {
			if !done[n] {
				return fmt.Errorf("%s had not finished", n)
			}
		}
		return nil
	}
	jobs := []Job{
		{Name: "a1", Scope: "act_a", Run: step("a1", func() error {
			// Another scope's job runs at the same time: a1 cannot finish
			// before b1 has started.
			select {
			case <-bStarted:
				return nil
			case <-time.After(10 * time.Second):
				return errors.New("b1 never started while a1 ran: scopes are not concurrent")
			}
		})},
		{Name: "a2", Scope: "act_a", Run: step("a2", func() error { return isDone("a1") })},
		{Name: "b1", Scope: "adv_b", Run: step("b1", func() error { close(bStarted); return boom })},
		{Name: "reconcile", Scope: "brand:x", Run: step("reconcile", func() error { return isDone("a1", "a2", "b1") })},
		{Name: "notify", Scope: "brand:x", Run: step("notify", func() error { return isDone("reconcile") })},
	}
	failed := RunOnce(context.Background(), jobs, func(ctx context.Context, j Job) error { return j.Run(ctx, &Run{}) })
	if len(failed) != 1 || failed[0].Job.Name != "b1" || !errors.Is(failed[0].Err, boom) {
		t.Fatalf("failed = %+v, want only b1 with boom", failed)
	}
	if n := len(order); n != 5 || order[3] != "reconcile" || order[4] != "notify" {
		t.Fatalf("order = %v, want the three syncs then reconcile, notify", order)
	}
}

func TestRunOnceCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := 0
	jobs := []Job{{Name: "a", Scope: "act_a"}, {Name: "reconcile", Scope: "brand:x"}}
	failed := RunOnce(ctx, jobs, func(context.Context, Job) error { ran++; return nil })
	if ran != 0 || len(failed) != 2 || !errors.Is(failed[0].Err, context.Canceled) {
		t.Fatalf("ran %d, failed %+v; want nothing run and both failed with context.Canceled", ran, failed)
	}
}

// TestRunOnceSkipsVerdictsAfterAFailedSync: a failed sync of brand x
// withholds x's verdicts only, and the message names x and its sync; brand
// y, synced fine in the same pass, is judged.
func TestRunOnceSkipsVerdictsAfterAFailedSync(t *testing.T) {
	t.Parallel()
	ran := map[string]bool{}
	var mu sync.Mutex
	job := func(name, scope, brand string, err error) Job {
		return Job{Name: name, Scope: scope, Brands: []string{brand}, Gated: name == "verdicts", Run: func(context.Context, *Run) error {
			mu.Lock()
			ran[name+" "+scope] = true
			mu.Unlock()
			return err
		}}
	}
	jobs := []Job{job("shopify.orders", "shop-y", "y", nil), job("shopify.orders", "shop-x", "x", errors.New("database went away")),
		job("reconcile", "brand:y", "y", nil), job("reconcile", "brand:x", "x", nil),
		job("verdicts", "brand:y", "y", nil), job("verdicts", "brand:x", "x", nil),
		job("notify", "brand:y", "y", nil), job("notify", "brand:x", "x", nil)}
	failed := RunOnce(context.Background(), jobs, func(ctx context.Context, j Job) error { return j.Run(ctx, &Run{}) })
	if ran["verdicts"+" brand:x"] || !ran["reconcile"+" brand:x"] || !ran["notify"+" brand:x"] {
		t.Fatalf("ran %v: want x's reconcile and notify, not its verdicts", ran)
	}
	if !ran["verdicts"+" brand:y"] {
		t.Fatalf("ran %v: want y judged (x's failure is not y's)", ran)
	}
	if len(failed) != 2 || failed[1].Job.Key() != "verdicts"+":brand:x" {
		t.Fatalf("failed = %+v, want x's sync and x's skipped verdicts", failed)
	}
	if msg := failed[1].Err.Error(); !strings.Contains(msg, "brand x ") || !strings.Contains(msg, "shop-x") || strings.Contains(msg, "shop-y") {
		t.Fatalf("message %q, want brand x and its shop named", msg)
	}
}

// TestRunOnceReconcileFailureWithholdsItsBrandOnly: a failed reconcile of
// one brand does not withhold another's verdicts.
func TestRunOnceReconcileFailureWithholdsItsBrandOnly(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	ran := map[string]bool{}
	job := func(name, brand string, err error) Job {
		return Job{Name: name, Scope: "brand:" + brand, Brands: []string{brand}, Gated: name == "verdicts", Run: func(context.Context, *Run) error {
			mu.Lock()
			ran[name+" "+brand] = true
			mu.Unlock()
			return err
		}}
	}
	jobs := []Job{job("reconcile", "x", errors.New("boom")), job("reconcile", "y", nil),
		job("verdicts", "x", nil), job("verdicts", "y", nil)}
	failed := RunOnce(context.Background(), jobs, func(ctx context.Context, j Job) error { return j.Run(ctx, &Run{}) })
	if ran["verdicts"+" x"] || !ran["verdicts"+" y"] || len(failed) != 2 {
		t.Fatalf("ran %v, failed %+v: want y judged and x not", ran, failed)
	}
}
