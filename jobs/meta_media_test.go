package jobs

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// TestMetaMediaFailureKeepsPermissions: when the eligible media can't be
// read (a wrong business id; no business id once the legacy edge is gone),
// meta.permissions still stores the permissions, ends ok with the failure
// recorded as a warning (so verdicts are not withheld), and alerts once
// per failure episode.
func TestMetaMediaFailureKeepsPermissions(t *testing.T) {
	t.Parallel()
	removed := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		business string
		wantWarn string
	}{
		{"wrong business id", "999", "Unsupported get request"},
		{"no business id after the legacy edge is removed", "", "accounts.meta.business"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t)
			ctx := context.Background()
			set, err := configs.LoadExamples()
			if err != nil {
				t.Fatal(err)
			}
			b := *set.Brands[0]
			mc := *b.Accounts.Meta[0]
			b.Accounts.Meta = []*configs.MetaAccount{&mc}
			act, good := mc.AdAccount, mc.Business
			fake := metafake.New(metafake.Seed{Token: "tok", BusinessID: good, Now: func() time.Time { return removed },
				Accounts: []metafake.Account{{ID: act, Currency: "USD"}},
				Permissions: []metafake.Permission{
					{ID: "p1", BrandIGID: mc.Instagram, CreatorUsername: "jacq.elpaso", CreatorID: "1784100001", Status: "APPROVED",
						Media: []metafake.Media{{ID: "m1", HasPermission: true}}},
					{ID: "p2", BrandIGID: mc.Instagram, CreatorUsername: "marcus.glows", CreatorID: "1784100002", Status: "APPROVED"},
				}})
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			d := &Deps{DB: db, Meta: metaads.New(metaads.Options{BaseURL: srv.URL, AccessToken: "tok", RetryMax: -1})}
			runner := newRunner(db, "r1")
			runner.Now = func() time.Time { return removed }
			job := scheduler.Job{Name: "meta.permissions", Scope: act, Run: func(ctx context.Context, r *scheduler.Run) error { return d.metaPermissions(ctx, &b, &mc, r) }}
			alerts := func() int {
				t.Helper()
				list, err := db.Alerts(ctx, b.Name)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, a := range list {
					if a.Kind == "sync" {
						n++
					}
				}
				return n
			}

			mc.Business = tt.business
			for range 2 {
				if err := runner.Execute(ctx, job); err != nil {
					t.Fatalf("meta.permissions failed: %v", err)
				}
			}
			perms, err := db.Permissions(ctx, "meta", act)
			if err != nil {
				t.Fatal(err)
			}
			if len(perms) != 2 || perms[0].Creator != "jacq.elpaso" || perms[1].Creator != "marcus.glows" {
				t.Fatalf("stored permissions = %+v, want both creators", perms)
			}
			runs, err := db.RecentRunsIn(ctx, []string{act}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 2 || runs[0].Status != store.RunOK || !strings.Contains(runs[0].Error, "warning: listing eligible partnership-ad media") ||
				!strings.Contains(runs[0].Error, tt.wantWarn) {
				t.Fatalf("runs = %+v, want ok runs warning about the media (%q)", runs, tt.wantWarn)
			}
			failed, err := d.NotJudged(ctx, &b)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range failed {
				if strings.Contains(f, "meta.permissions") {
					t.Errorf("NotJudged = %v; want meta.permissions not among them (verdicts go on)", failed)
				}
			}
			if n := alerts(); n != 1 {
				t.Errorf("sync alerts after two failing runs = %d, want 1", n)
			}

			// The media come back: stored, and the episode ends.
			mc.Business = good
			if err := runner.Execute(ctx, job); err != nil {
				t.Fatal(err)
			}
			perms, _ = db.Permissions(ctx, "meta", act)
			if len(perms) != 3 || perms[1].ID != "p1:m1" || perms[1].ItemID != "m1" {
				t.Fatalf("stored permissions = %+v, want p1, p1:m1, p2", perms)
			}
			runs, _ = db.RecentRunsIn(ctx, []string{act}, 1)
			if runs[0].Status != store.RunOK || runs[0].Error != "" {
				t.Errorf("healthy run = %+v, want ok without warnings", runs[0])
			}

			// A new failure an hour later is a new episode: one more alert.
			mc.Business = tt.business
			runner.Now = func() time.Time { return removed.Add(time.Hour) }
			if err := runner.Execute(ctx, job); err != nil {
				t.Fatal(err)
			}
			if n := alerts(); n != 2 {
				t.Errorf("sync alerts after a second episode = %d, want 2", n)
			}
		})
	}
}
