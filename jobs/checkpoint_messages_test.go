package jobs

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/scheduler"
)

// TestOneMessagePerTestAndCheckpoint: a checkpoint posts one table per
// test (not one message per variant), actions reply in its thread, a rerun
// with the same numbers posts nothing, and a late change edits the table
// in place and replies with the flipped verdict (issue 16).
func TestOneMessagePerTestAndCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rg := newActionRig(t, "")
	fake := slackfake.New("xoxb-test", "glowco")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sender := notify.NewSender(notify.NewSlack("xoxb-test", srv.URL+"/api/", nil), rg.db, nil)
	sender.Limits = notify.Limits{}
	notifyStage := NotifyStage(sender, nil)
	digestStage := rg.d.DigestStage("")
	cycle := func(now time.Time) {
		t.Helper()
		if err := rg.verdicts(ctx, rg.glowco, now); err != nil {
			t.Fatal(err)
		}
		if err := digestStage.Run(ctx, rg.glowco, &scheduler.Run{Now: now}); err != nil {
			t.Fatal(err)
		}
		if err := notifyStage.Run(ctx, rg.glowco, &scheduler.Run{Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	cycle(day15)
	msgs := fake.Messages()
	var tops, replies, digests []slackfake.Message
	for _, m := range msgs {
		if strings.Contains(m.Text, "without UTM tags") && !strings.Contains(m.Text, "Daily digest") {
			continue // the brand's one hygiene message
		}
		if strings.HasPrefix(m.Text, "Daily digest") {
			digests = append(digests, m)
			continue
		}
		if m.ThreadTS == "" {
			tops = append(tops, m)
		} else {
			replies = append(replies, m)
		}
	}
	// Two tests at 14d: two tables, each with its three variants.
	if len(tops) != 2 {
		t.Fatalf("%d top-level messages, want one per test and checkpoint (2):\n%v", len(tops), texts(tops))
	}
	for _, m := range tops {
		if !strings.Contains(m.Text, "at 14d: 1 scale, 1 cut, 1 refresh") {
			t.Errorf("table message %q does not sum up the checkpoint", m.Text)
		}
		// Issue 18.3: judged on 14 days that are all inside the refund
		// horizon, the checkpoint says it is provisional.
		if !strings.Contains(m.Text, "Provisional: judged only on provisional days (2026-06-01..2026-06-14 may still change: refunds arrive up to 60 days later") {
			t.Errorf("table message %q does not say it is provisional", m.Text)
		}
	}
	stored, err := rg.db.Verdicts(ctx, "glowco", "meta-hooks")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range stored {
		if !strings.Contains(v.Reason, "Provisional: judged only on provisional days") {
			t.Errorf("stored verdict of %s: reason %q does not say it is provisional", v.Subject, v.Reason)
		}
	}
	// One digest a day, at 09:00 brand time (day15 is past it), saying
	// what is at stake.
	if len(digests) != 1 || !strings.Contains(digests[0].Text, "Daily digest — glowco") {
		t.Errorf("digests = %v, want one", texts(digests))
	}
	// Replies: what roasd did (pauses, raises), nothing else.
	if len(replies) == 0 {
		t.Fatal("no action replies in the checkpoint threads")
	}
	for _, m := range replies {
		if !strings.Contains(m.Text, "Paused") && !strings.Contains(m.Text, "budget") {
			t.Errorf("reply %q is not an action outcome", m.Text)
		}
	}
	calls := len(fake.Calls())

	// Same numbers: nothing is posted or edited.
	cycle(day15.Add(time.Hour))
	if got := len(fake.Calls()); got != calls {
		t.Fatalf("a rerun with no change made %d Slack calls", got-calls)
	}

	// Late orders lift hook-c (refresh) of meta-hooks to a scale: its
	// table is edited in place and the flip replies in the thread.
	if _, err := rg.db.SQL().Exec(`UPDATE kpi_daily SET paid_revenue_micros = $1, paid_orders = 160
		WHERE brand = 'glowco' AND test_id = 'meta-hooks' AND variant_key = 'hook-c'`, ads.MustMicros("8000")); err != nil {
		t.Fatal(err)
	}
	before := len(fake.Messages())
	cycle(day15.Add(2 * time.Hour))
	after := fake.Messages()
	var edited int
	for _, m := range after {
		if m.Edits > 0 {
			edited++
			if m.ThreadTS != "" {
				t.Errorf("edited a reply, not the table: %q", m.Text)
			}
		}
	}
	if edited != 1 {
		t.Errorf("%d messages edited, want the meta-hooks table", edited)
	}
	var flips []string
	for _, m := range after[before:] {
		if strings.Contains(m.Text, "flipped") {
			flips = append(flips, m.Text)
			if m.ThreadTS == "" {
				t.Errorf("flip posted top-level: %q", m.Text)
			}
		}
	}
	if !strings.Contains(strings.Join(flips, "\n"), "hook-c flipped from refresh to scale") {
		t.Errorf("flip replies = %v, want hook-c's", flips)
	}
}

func texts(ms []slackfake.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// TestQuietHoursDelayWhatIsNotUrgent: in the brand's quiet hours a
// verdicts run's messages (tables, digest, action outcomes) wait for the
// hours to end, and then the tables start their threads (issue 16d).
func TestQuietHoursDelayWhatIsNotUrgent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rg := newActionRig(t, "")
	b := *rg.glowco
	b.Slack.QuietHours = "09:00-12:00" // day15 is 10:00 in New York
	fake := slackfake.New("xoxb-test", "glowco")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sender := notify.NewSender(notify.NewSlack("xoxb-test", srv.URL+"/api/", nil), rg.db, nil)
	sender.Limits = notify.Limits{}
	notifyStage := NotifyStage(sender, nil)
	if err := rg.verdicts(ctx, &b, day15); err != nil {
		t.Fatal(err)
	}
	if err := rg.d.DigestStage("").Run(ctx, &b, &scheduler.Run{Now: day15}); err != nil {
		t.Fatal(err)
	}
	if err := notifyStage.Run(ctx, &b, &scheduler.Run{Now: day15}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Messages()); n != 0 {
		t.Fatalf("%d messages posted in quiet hours", n)
	}
	// 12:00 in New York: the quiet hours are over.
	if err := notifyStage.Run(ctx, &b, &scheduler.Run{Now: day15.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var tables int
	for _, m := range fake.Messages() {
		if strings.Contains(m.Text, " at 14d: ") && m.ThreadTS == "" {
			tables++
		}
	}
	if tables != 2 {
		t.Errorf("%d checkpoint tables after the quiet hours, want 2", tables)
	}
}
