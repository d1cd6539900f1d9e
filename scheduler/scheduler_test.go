package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestSetKeepsUnchangedEntries: a reload re-adds only the entries whose
// schedule or scope changed; an unchanged entry keeps its cron phase (its
// entry and next run) but runs the reloaded job.
func TestSetKeepsUnchangedEntries(t *testing.T) {
	t.Parallel()
	s := New(&Runner{}, 0)
	defer s.Stop(time.Second)
	s.cron.Start() // entries get their next run
	ran := ""
	job := func(name, scope, spec, tag string) Job {
		return Job{Name: name, Scope: scope, Spec: spec, Brands: []string{"glowco"},
			Run: func(context.Context, *Run) error { ran = tag; return nil }}
	}
	ids := func() map[string]cron.EntryID {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := map[string]cron.EntryID{}
		for k, e := range s.entries {
			out[k] = e.id
		}
		return out
	}
	perms := job("meta.permissions", "act_1", "@every 6h", "old")
	ads := job("meta.ads", "act_1", "@every 1h", "old")
	if err := s.Set([]Job{perms, ads}); err != nil {
		t.Fatal(err)
	}
	before := ids()
	next := s.cron.Entry(before[entryKey(perms)]).Next

	newPerms := job("meta.permissions", "act_1", "@every 6h", "new") // same schedule, new config
	newAds := job("meta.ads", "act_1", "@every 2h", "new")           // new schedule
	moved := job("meta.insights", "act_2", "@every 30m", "new")      // new scope
	if err := s.Set([]Job{newPerms, newAds, moved}); err != nil {
		t.Fatal(err)
	}
	after := ids()
	if after[entryKey(perms)] != before[entryKey(perms)] || !s.cron.Entry(after[entryKey(perms)]).Next.Equal(next) {
		t.Errorf("unchanged meta.permissions entry was re-added (phase reset): %v → %v", before, after)
	}
	if after[entryKey(ads)] == before[entryKey(ads)] {
		t.Errorf("meta.ads changed schedule but kept its entry")
	}
	if len(after) != 3 || len(s.cron.Entries()) != 3 {
		t.Errorf("entries %v (cron has %d), want 3", after, len(s.cron.Entries()))
	}
	// The kept entry runs the reloaded job.
	s.mu.Lock()
	j := s.jobs[entryKey(perms)]
	s.mu.Unlock()
	if err := j.Run(context.Background(), &Run{}); err != nil || ran != "new" {
		t.Errorf("kept entry runs the %q job, want the reloaded one", ran)
	}
	// Dropping jobs drops their entries.
	if err := s.Set([]Job{newPerms}); err != nil {
		t.Fatal(err)
	}
	if len(s.cron.Entries()) != 1 {
		t.Errorf("after dropping two jobs cron has %d entries, want 1", len(s.cron.Entries()))
	}
}
