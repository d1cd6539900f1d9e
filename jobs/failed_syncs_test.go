package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// TestVerdictsWaitForAFailedReconcile: a brand whose latest reconcile
// failed is not judged (its KPI cells may be older than its data), and is
// again once a reconcile succeeds.
func TestVerdictsWaitForAFailedReconcile(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brands[0]
	d := &Deps{DB: db}
	record := func(status string, at time.Time) {
		t.Helper()
		id, err := db.StartRun(ctx, StageReconcile, "brand:"+b.Name, "r1", 1, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRun(ctx, id, status, 0, 0, "boom", at.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 19, 17, 0, 0, 0, time.UTC)
	record(store.RunFailed, t0)
	failed, err := d.NotJudged(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "reconcile brand:"+b.Name) {
		t.Fatalf("failed = %v, want the brand's reconcile", failed)
	}
	record(store.RunOK, t0.Add(time.Minute))
	if failed, err := d.NotJudged(ctx, b); err != nil || len(failed) != 0 {
		t.Fatalf("after a good reconcile: failed = %v, %v; want none", failed, err)
	}
}

// TestVerdictGate: the gate reads the newest finished run of each sync by
// insertion order, however many other runs came after it and whatever
// clock they carry; a sync that never ran or whose first run is still
// running holds the brand back too.
func TestVerdictGate(t *testing.T) {
	t.Parallel()
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brands[0]
	pinned := time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC) // ROASD_NOW: every run has this stamp
	type run struct{ job, status string }
	const perms, insights = "meta.permissions", "meta.insights"
	for _, tc := range []struct {
		name string
		runs []run  // in insertion order; every brand job not named ran ok first
		skip string // a job that never ran
		want string // substring of the one reason, "" for judged
	}{
		{name: "all ok", want: ""},
		{name: "failed permissions pushed out by 300 reconcile and notify runs", runs: append([]run{{perms, store.RunFailed}},
			repeat(run{StageReconcile, store.RunOK}, 300)...), want: perms},
		{name: "same stamp, failure inserted last", runs: []run{{insights, store.RunOK}, {insights, store.RunFailed}}, want: insights + " act_"},
		{name: "same stamp, recovery inserted last", runs: []run{{insights, store.RunFailed}, {insights, store.RunOK}}, want: ""},
		{name: "never ran", skip: perms, want: perms + " act_1234567890 (never ran)"},
		{name: "first run still running", skip: perms, runs: []run{{perms, store.RunRunning}}, want: "(first run still running)"},
		{name: "rerun running after a success", runs: []run{{perms, store.RunRunning}}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t)
			ctx := context.Background()
			d := &Deps{DB: db, Meta: metaClientForGate()}
			record := func(job, scope, status string) {
				id, err := db.StartRun(ctx, job, scope, "r1", 1, pinned)
				if err != nil {
					t.Fatal(err)
				}
				if status != store.RunRunning {
					if err := db.FinishRun(ctx, id, status, 0, 0, "", pinned); err != nil {
						t.Fatal(err)
					}
				}
			}
			scope := func(job string) string {
				if job == StageReconcile || job == StageNotify {
					return "brand:" + b.Name
				}
				return b.Accounts.Meta[0].AdAccount
			}
			for _, k := range d.gateKeys(b) {
				if k.Job != tc.skip {
					record(k.Job, k.Scope, store.RunOK)
				}
			}
			for _, r := range tc.runs {
				record(r.job, scope(r.job), r.status)
			}
			got, err := d.NotJudged(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" && len(got) != 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
				t.Fatalf("NotJudged = %q, want %q", got, tc.want)
			}
		})
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func metaClientForGate() *metaads.Client {
	return metaads.New(metaads.Options{BaseURL: "http://127.0.0.1:1", AccessToken: "unused"})
}

// TestNotJudgedSaysWhyOncePerEpisode: while a brand is held back, its
// channel gets one message naming why (not one per verdicts run); once its
// syncs recover the episode ends, and a later failure is a new message.
// The other brand's channel gets none.
func TestNotJudgedSaysWhyOncePerEpisode(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brands[0]
	d := &Deps{DB: db, Meta: metaClientForGate()}
	stage := d.VerdictStage("")
	t0 := time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)
	held := func() int {
		t.Helper()
		n := 0
		for _, br := range set.Brands {
			list, err := db.Alerts(ctx, br.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range list {
				if strings.HasPrefix(a.DedupKey, "not-judged:") {
					if br.Name != b.Name {
						t.Fatalf("brand %s got %s's message", br.Name, b.Name)
					}
					n++
				}
			}
		}
		return n
	}
	// A fresh database: nothing ever synced.
	for i := range 3 {
		err := stage.Run(ctx, b, &scheduler.Run{Now: t0.Add(time.Duration(i) * time.Hour)})
		if err == nil || !strings.Contains(err.Error(), "never ran") {
			t.Fatalf("verdicts on a fresh database: %v, want held (never ran)", err)
		}
	}
	if n := held(); n != 1 {
		t.Fatalf("messages after three held runs = %d, want 1", n)
	}
	recordRuns(t, d, b, store.RunOK, t0.Add(4*time.Hour))
	if err := stage.Run(ctx, b, &scheduler.Run{Now: t0.Add(5 * time.Hour)}); err != nil {
		t.Fatalf("verdicts after good syncs: %v", err)
	}
	recordRuns(t, d, b, store.RunFailed, t0.Add(6*time.Hour))
	if err := stage.Run(ctx, b, &scheduler.Run{Now: t0.Add(7 * time.Hour)}); err == nil || !strings.Contains(err.Error(), "(failed)") {
		t.Fatalf("verdicts after failed syncs: %v, want held (failed)", err)
	}
	if n := held(); n != 2 {
		t.Fatalf("messages after a second episode = %d, want 2", n)
	}
}
