package jobs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/scheduler"
)

// TestNotifyStageDrainsTheOutbox checks that one notify run delivers a
// backlog larger than the sender's batch, each alert once.
func TestNotifyStageDrainsTheOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	// One clock for Slack and the sender: the fake holds the sender to
	// Slack's one post per second per channel, and the sender's pacing
	// advances the clock instead of sleeping.
	var mu sync.Mutex
	clock := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	fake := slackfake.New("xoxb-test", "creator-perf")
	fake.Now, fake.PostEvery = now, time.Second
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sender := notify.NewSender(notify.NewSlack("xoxb-test", srv.URL+"/api/", nil), db, nil)
	sender.Clock = now
	sender.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(d)
		return nil
	}
	const n = 130 // more than two batches
	var alerts []notify.Alert
	for i := 0; i < n; i++ {
		alerts = append(alerts, notify.Alert{Brand: "glowco", Channel: "#creator-perf", Kind: notify.KindHygiene,
			DedupKey: fmt.Sprintf("hygiene:glowco:test:%d", i), Title: fmt.Sprintf("alert %d", i), Reason: "backlog"})
	}
	rows, err := notify.Rows(alerts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueAlerts(ctx, rows); err != nil {
		t.Fatal(err)
	}
	stage := NotifyStage(sender, nil)
	run := &scheduler.Run{Now: time.Now()}
	if err := stage.Run(ctx, &configs.Brand{Name: "glowco"}, run); err != nil {
		t.Fatal(err)
	}
	if got := len(fake.Messages()); got != n {
		t.Fatalf("one notify run delivered %d of %d queued alerts", got, n)
	}
	for _, c := range fake.Calls() {
		if c.Status == http.StatusTooManyRequests {
			t.Fatalf("the sender tripped Slack's rate limit: %+v", c)
		}
	}
	// Paced at one post a second: 130 posts take 129 s of the clock.
	if sender.Waited != (n-1)*time.Second || sender.Calls["chat.postMessage"] != n {
		t.Errorf("paced %s over %d posts, want %s", sender.Waited, sender.Calls["chat.postMessage"], (n-1)*time.Second)
	}
	if run.Rows() != n {
		t.Errorf("run counted %d rows, want %d", run.Rows(), n)
	}
	if err := stage.Run(ctx, &configs.Brand{Name: "glowco"}, &scheduler.Run{Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := len(fake.Messages()); got != n {
		t.Errorf("a second run posted again: %d messages", got)
	}
}
