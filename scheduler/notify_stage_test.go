package scheduler

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
)

// TestNotifyStageDrainsTheOutbox checks that one notify run delivers a
// backlog larger than the sender's batch, each alert once.
func TestNotifyStageDrainsTheOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	fake := slackfake.New("xoxb-test", "creator-perf")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sender := notify.NewSender(notify.NewSlack("xoxb-test", srv.URL+"/api/", nil), db, nil)
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
	run := &Run{Now: time.Now()}
	if err := stage.Run(ctx, &configs.Brand{Name: "glowco"}, run); err != nil {
		t.Fatal(err)
	}
	if got := len(fake.Messages()); got != n {
		t.Fatalf("one notify run delivered %d of %d queued alerts", got, n)
	}
	if run.Rows() != n {
		t.Errorf("run counted %d rows, want %d", run.Rows(), n)
	}
	if err := stage.Run(ctx, &configs.Brand{Name: "glowco"}, &Run{Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := len(fake.Messages()); got != n {
		t.Errorf("a second run posted again: %d messages", got)
	}
}
