package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/store"
)

// TestActionsCommand approves and skips proposals from the command line,
// for two brands in different currencies: each decision is applied at
// most once, and a second one is reported, not applied.
func TestActionsCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t, importTmpl)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 6, 16, 14, 0, 0, 0, time.UTC)
	var ids []int64
	for _, p := range []struct{ brand, cur, variant, action, target, before, after, verdict string }{
		{"glowco", "USD", "hook-a", "set_budget", "2384000000000001", "12000", "15000", "scale"},
		{"lunaskin", "EUR", "eu-b", "pause_ad", "e2", "ACTIVE", "PAUSED", "cut"},
	} {
		if _, err := db.SaveVerdictsAndEnqueue(ctx, []store.VerdictRow{{Brand: p.brand, TestID: "t1", Subject: p.variant, Checkpoint: "14d",
			Platform: "meta", Verdict: p.verdict, Reason: "r", Metrics: []byte("{}"), DecidedOn: ads.MustDate("2026-06-16")}}, nil); err != nil {
			t.Fatal(err)
		}
		in := store.ActionIntent{ActionKey: store.ActionKey{Brand: p.brand, TestID: "t1", VariantKey: p.variant, Platform: "meta", Account: "act_1",
			Action: p.action, TargetID: p.target, Checkpoint: "14d"}, Target: p.after, Before: p.before, Currency: p.cur, Reason: "variant was " + p.verdict}
		rec, ok, err := db.ProposeAction(ctx, in, p.verdict, "S0APPROVERS", now.Add(14*24*time.Hour), now)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		ids = append(ids, rec.ID)
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		env := &cmdEnv{stdout: &out, stderr: &errb, getenv: func(k string) string {
			switch k {
			case "DATABASE_URL":
				return dsn
			case "ROASD_NOW":
				return now.Add(time.Hour).Format(time.RFC3339)
			}
			return ""
		}}
		return Main(ctx, env, args), out.String() + errb.String()
	}
	code, out := run("actions", "list")
	if code != 0 || !strings.Contains(out, "budget of meta 2384000000000001 120.00 USD → 150.00 USD") || !strings.Contains(out, "pause meta ad e2 (eu-b)") {
		t.Fatalf("list = %d\n%s", code, out)
	}
	a, l := fmt.Sprint(ids[0]), fmt.Sprint(ids[1])
	for _, step := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"actions", "approve", "--as", "ana", "--config", "", a}, 0, "action " + a + ": approved\n"},
		{[]string{"actions", "approve", "--as", "ben", "--config", "", a}, 1, "action " + a + ": already decided\n"},
		{[]string{"actions", "skip", "--as", "ben", l}, 0, "action " + l + ": skipped\n"},
		{[]string{"actions", "approve", "--as", "ana", "--config", "", l}, 1, "action " + l + ": already decided\n"},
		{[]string{"actions", "approve", "999999"}, 1, "action 999999: unknown action\n"},
		{[]string{"actions", "list"}, 0, "no actions await approval\n"},
	} {
		code, out := run(step.args...)
		if code != step.code || !strings.HasPrefix(out, step.want) {
			t.Errorf("roasd %s = %d\n%s\nwant %d, %q", strings.Join(step.args, " "), code, out, step.code, step.want)
		}
	}
	for i, want := range []string{store.ActionPending, store.ActionSkipped} {
		rec, err := db.ActionByID(ctx, ids[i])
		if err != nil || rec.Status != want || rec.DecidedName == "" {
			t.Errorf("action %d = %+v, %v; want %s with its decider", ids[i], rec, err, want)
		}
	}
	ds, err := db.ActionDecisions(ctx, "glowco")
	if err != nil || len(ds) != 2 || ds[0].Via != "cli" || ds[0].UserName != "@ana" || ds[1].Outcome != store.DecisionAlready {
		t.Errorf("glowco decisions = %+v, %v", ds, err)
	}
}

// TestSlackClickThroughDaemon: the daemon's public listener takes a
// signed click from the sandbox's Slack, records it, and in the
// background applies the approved action under the brand's lease and
// updates the message; a stranger's click is refused with an ephemeral
// note.
func TestSlackClickThroughDaemon(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setupE2E(t)
	var stderr bytes.Buffer
	if code := Main(ctx, e.env(io.Discard, &stderr), []string{"run", "--once", "--config", e.config}); code != 0 {
		t.Fatalf("run --once: exit %d\n%s", code, stderr.String())
	}
	now, err := pinnedClock(e.env(io.Discard, io.Discard))
	if err != nil || now == nil {
		t.Fatal("no pinned clock", err)
	}
	_, at, _ := serveDaemon(t, e, runOptions{config: e.config, schedules: map[string]string{}, now: now})
	var msg *slackfake.Message
	for _, m := range e.sb.Slack.Messages() {
		if strings.Contains(string(m.Blocks), `"action_id":"roasd_approve"`) {
			msg = &m
			break
		}
	}
	if msg == nil {
		t.Fatal("no approval message with buttons after the cycle")
	}
	press := func(who slackfake.User) {
		t.Helper()
		status, err := e.sb.Slack.Press(slackfake.Click{URL: at.public + "/slack/interactions", Secret: sandbox.SlackSigningSecret, At: now(),
			User: who, Message: *msg, ActionID: notify.ActionIDApprove})
		if err != nil || status != http.StatusOK {
			t.Fatalf("click: %d, %v", status, err)
		}
	}
	press(slackfake.User{ID: "U0STRANGER", Name: "stranger"})
	if eph := e.sb.Slack.Ephemerals(); len(eph) != 1 || !strings.Contains(eph[0].Text, "Not allowed") {
		t.Errorf("ephemerals after a stranger's click = %+v", eph)
	}
	press(sandbox.Approver)
	// The click is answered at once; the action is applied in the
	// background. Wait for it (bounded).
	deadline := time.Now().Add(60 * time.Second)
	for {
		recs, err := e.db.ApprovalActions(ctx, "glowco", "serum-hooks")
		if err != nil {
			t.Fatal(err)
		}
		applied := false
		for _, r := range recs {
			if r.DecidedName == "@"+sandbox.Approver.Name && r.Status == store.ActionApplied && r.Sends == 1 {
				applied = true
			}
		}
		updated := false
		for _, m := range e.sb.Slack.Messages() {
			if m.TS == msg.TS && strings.Contains(string(m.Blocks), "approved by @ana") && strings.Contains(string(m.Blocks), ", applied") {
				updated = true
			}
		}
		if applied && updated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute the approval is not applied (%v) or not shown (%v): %+v", applied, updated, recs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
