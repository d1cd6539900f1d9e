package main

import (
	"strings"
	"testing"

	"github.com/roasd/roasd/bench"
)

// TestSlackVolumeOfABusyBrand runs the first sync of a mid-size bench
// brand (20 tests, 100 variants on Meta and TikTok) and holds what reaches
// Slack to issue 16's goal: at most one message per test with a change
// plus one digest per brand, counted as `roasd bench` counts it
// (bench.CountSlack). A cycle right after it, with no new data, posts and
// edits nothing.
func TestSlackVolumeOfABusyBrand(t *testing.T) {
	t.Parallel()
	// Unpaced on both sides: the test counts messages, not seconds.
	e, _ := setupBenchBrand(t, 20, true)
	set, err := loadConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}

	e.runCycle(t, "first sync")
	msgs := e.sb.Slack.Messages()
	calls := e.sb.Slack.Calls()
	f := bench.CountSlack(calls, msgs, 0)
	t.Logf("first sync: %d messages (%d tables, %d replies, %d digests, %d other), %d tests changed; calls %v",
		f.Messages, f.Tables, f.Replies, f.Digests, f.Other, f.TestsChanged, f.Calls)
	if f.Digests != 1 {
		t.Errorf("%d digests, want one for the brand", f.Digests)
	}
	if f.TestsChanged == 0 || f.TestsChanged > len(set.Brands[0].Tests) {
		t.Errorf("%d tests with a change, want 1..%d", f.TestsChanged, len(set.Brands[0].Tests))
	}
	if f.Messages > f.Goal() {
		var list []string
		for _, m := range msgs {
			list = append(list, m.Text)
		}
		t.Errorf("%d messages, more than %d tests with a change + %d digests:\n%s", f.Messages, f.TestsChanged, f.Digests, strings.Join(list, "\n"))
	}

	e.runCycle(t, "no new data")
	again := bench.CountSlack(e.sb.Slack.Calls()[len(calls):], e.sb.Slack.Messages(), len(msgs))
	if again.Messages != 0 || again.Calls["chat.update"] != 0 || again.TestsChanged != 0 {
		t.Errorf("a cycle with no new data: %d messages, %d edits, %d tests changed; want none", again.Messages, again.Calls["chat.update"], again.TestsChanged)
	}
}
