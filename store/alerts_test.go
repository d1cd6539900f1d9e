package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/store"
)

// The store's outbox is what notify delivers from.
var _ notify.Outbox = (*store.DB)(nil)

// outboxRow is a row factory with overrides.
func outboxRow(key string, mod ...func(*store.OutboxRow)) store.OutboxRow {
	r := store.OutboxRow{DedupKey: key, Brand: "glowco", Channel: "#creator-perf", ThreadKey: "test:t1", Kind: "verdict",
		Payload: []byte(fmt.Sprintf(`{"dedup_key":%q}`, key))}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func withUpdate(u string) func(*store.OutboxRow) { return func(r *store.OutboxRow) { r.UpdateKey = u } }

func states(t *testing.T, db *store.DB) map[string]store.AlertState {
	t.Helper()
	as, err := db.Alerts(context.Background(), "glowco")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.AlertState{}
	for _, a := range as {
		out[a.DedupKey] = a
	}
	return out
}

func TestEnqueueAlertsDedupAndSupersede(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	now := t0

	n, err := db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("v:a:14d:hold", withUpdate("v:a:14d")), outboxRow("g:a")})
	if err != nil || n != 2 {
		t.Fatalf("first enqueue = %d, %v; want 2 new", n, err)
	}
	if n, err := db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("v:a:14d:hold", withUpdate("v:a:14d")), outboxRow("g:a")}); err != nil || n != 0 {
		t.Fatalf("repeat enqueue = %d, %v; want 0 new", n, err)
	}
	claimed, err := db.ClaimAlerts(ctx, "test/1", 10, now, time.Minute)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim = %d rows, %v; want 2", len(claimed), err)
	}
	if err := db.MarkSent(ctx, "test/1", claimed[0].ID, "C1", "111.000001", now); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, "test/1", claimed[1].ID, "C1", "111.000002", now); err != nil {
		t.Fatal(err)
	}
	// The verdict changes: a new revision supersedes the sent one.
	if n, _ := db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("v:a:14d:scale", withUpdate("v:a:14d"))}); n != 1 {
		t.Fatalf("changed verdict enqueued %d rows, want 1", n)
	}
	ch, ts, err := db.SentMessage(ctx, "glowco", "v:a:14d")
	if err != nil || ch != "C1" || ts != "111.000001" {
		t.Fatalf("SentMessage = %q, %q, %v; want C1 111.000001", ch, ts, err)
	}
	st := states(t, db)
	if !st["v:a:14d:hold"].Superseded || st["v:a:14d:scale"].Superseded {
		t.Fatalf("supersede flags wrong: %+v", st)
	}
	c2, _ := db.ClaimAlerts(ctx, "test/1", 10, now, time.Minute)
	if len(c2) != 1 || c2[0].DedupKey != "v:a:14d:scale" || c2[0].UpdateKey != "v:a:14d" {
		t.Fatalf("claim after change = %+v, want only the scale revision", c2)
	}
	db.MarkSent(ctx, "test/1", c2[0].ID, "C1", "111.000001", now)
	// It flips back: the old revision is revived, not ignored.
	if n, _ := db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("v:a:14d:hold", withUpdate("v:a:14d"))}); n != 1 {
		t.Fatalf("flip-back enqueued %d rows, want the old revision revived", n)
	}
	st = states(t, db)
	if st["v:a:14d:hold"].Status != store.AlertPending || st["v:a:14d:hold"].Superseded || !st["v:a:14d:scale"].Superseded {
		t.Fatalf("after flip-back: %+v", st)
	}
	// Same verdict again: nothing.
	if n, _ := db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("v:a:14d:hold", withUpdate("v:a:14d"))}); n != 0 {
		t.Fatalf("repeat of current revision enqueued %d rows, want 0", n)
	}
}

func TestClaimAlertsLeaseAndRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	now := t0
	db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("a"), outboxRow("b"), outboxRow("c")})

	first, _ := db.ClaimAlerts(ctx, "test/1", 2, now, time.Minute)
	if len(first) != 2 || first[0].DedupKey != "a" || first[1].DedupKey != "b" || first[0].Attempts != 1 {
		t.Fatalf("first claim = %+v, want a, b oldest first with attempt 1", first)
	}
	// Leased rows are not claimed again before the lease ends on the
	// database clock, however far the jobs' clock has moved.
	second, _ := db.ClaimAlerts(ctx, "test/1", 10, now.Add(24*time.Hour), time.Minute)
	if len(second) != 1 || second[0].DedupKey != "c" {
		t.Fatalf("second claim = %+v, want only c", second)
	}
	db.MarkSent(ctx, "test/1", second[0].ID, "C1", "1.1", now)
	// The claimer of a and b died: after the lease they come back.
	expireClaims(t, db)
	third, _ := db.ClaimAlerts(ctx, "test/1", 10, now, time.Minute)
	if len(third) != 2 || third[0].Attempts != 2 {
		t.Fatalf("claim after lease = %+v, want a and b at attempt 2", third)
	}
	next := now.Add(5 * time.Minute)
	if err := db.MarkFailed(ctx, "test/1", third[0].ID, "channel_not_found", next, false); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseAlerts(ctx, "test/1", []int64{third[1].ID}, next); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.ClaimAlerts(ctx, "test/1", 10, next.Add(-time.Second), time.Minute); len(got) != 0 {
		t.Fatalf("claimed %d rows before their next attempt", len(got))
	}
	got, _ := db.ClaimAlerts(ctx, "test/1", 10, next, time.Minute)
	if len(got) != 2 || got[0].Attempts != 3 || got[1].Attempts != 2 {
		t.Fatalf("claim at next = %+v, want a at attempt 3 and b at 2 (release is not an attempt)", got)
	}
	st := states(t, db)
	if st["a"].LastError != "channel_not_found" {
		t.Errorf("last error = %q", st["a"].LastError)
	}
	db.MarkFailed(ctx, "test/1", got[0].ID, "gone", next, true)
	if st := states(t, db); st["a"].Status != store.AlertDead {
		t.Errorf("status = %q, want dead", st["a"].Status)
	}
}

// TestReleaseDeadClaims: a restarted replica takes back at once the claims
// its dead predecessors left, and only those: not another replica's, not
// its own current ones.
func TestReleaseDeadClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("a"), outboxRow("b"), outboxRow("c"), outboxRow("d")})
	claim := func(claimant string) {
		t.Helper()
		if got, err := db.ClaimAlerts(ctx, claimant, 1, t0, time.Hour); err != nil || len(got) != 1 {
			t.Fatalf("claim by %s = %v, %v", claimant, got, err)
		}
	}
	claim("r1/dead")  // a: left by r1's earlier process
	claim("r10/live") // b: another replica whose name starts like r1's
	claim("r1/now")   // c: r1's current process
	n, err := db.ReleaseDeadClaims(ctx, "r1", "now")
	if err != nil || n != 1 {
		t.Fatalf("released %d (%v), want 1", n, err)
	}
	got, err := db.ClaimAlerts(ctx, "r1/now", 10, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range got {
		keys = append(keys, r.DedupKey)
	}
	if strings.Join(keys, ",") != "a,d" {
		t.Fatalf("claimable after release = %v, want a (dead claim) and d (never claimed)", keys)
	}
}

func TestClaimAlertsConcurrentClaimersNeverOverlap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	var rows []store.OutboxRow
	for i := range 40 {
		rows = append(rows, outboxRow(fmt.Sprintf("k%02d", i)))
	}
	db.EnqueueAlerts(ctx, rows)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := db.ClaimAlerts(ctx, "test/1", 3, t0, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, r := range got {
					seen[r.DedupKey]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Errorf("claimed %d distinct rows, want 40", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times", k, n)
		}
	}
}

func TestSaveVerdictsAndEnqueueIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	v := store.VerdictRow{Brand: "glowco", TestID: "t1", Subject: "hook-a", Checkpoint: "14d", Verdict: "hold", Reason: "low spend",
		Metrics: []byte(`{"spend":1}`), DecidedOn: ads.MustDate("2026-06-15")}
	// An invalid alert rolls back the verdict too.
	if _, err := db.SaveVerdictsAndEnqueue(ctx, []store.VerdictRow{v}, []store.OutboxRow{{DedupKey: "x"}}); err == nil {
		t.Fatal("want error for an alert without brand and kind")
	}
	if got, _ := db.Verdicts(ctx, "glowco", ""); len(got) != 0 {
		t.Fatalf("verdict saved despite failed enqueue: %+v", got)
	}
	n, err := db.SaveVerdictsAndEnqueue(ctx, []store.VerdictRow{v}, []store.OutboxRow{outboxRow("v:hook-a:14d:hold")})
	if err != nil || n != 1 {
		t.Fatalf("save = %d, %v", n, err)
	}
	v.Verdict, v.Reason = "scale", "top third"
	db.SaveVerdictsAndEnqueue(ctx, []store.VerdictRow{v}, nil)
	v.Reason = "top third again"
	db.SaveVerdictsAndEnqueue(ctx, []store.VerdictRow{v}, nil)
	got, err := db.Verdicts(ctx, "glowco", "t1")
	if err != nil || len(got) != 1 {
		t.Fatalf("verdicts = %+v, %v", got, err)
	}
	if g := got[0]; g.Verdict != "scale" || g.Reason != "top third again" || g.Changes != 1 || g.DecidedOn != v.DecidedOn {
		t.Errorf("stored verdict = %+v, want scale with 1 change", g)
	}
}

func TestSlackThreads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	if ch, ts, err := db.SlackThread(ctx, "glowco", "test:t1"); err != nil || ch != "" || ts != "" {
		t.Fatalf("unknown thread = %q %q %v", ch, ts, err)
	}
	db.SaveSlackThread(ctx, "glowco", "test:t1", "C1", "1.1")
	ch, ts, err := db.SaveSlackThread(ctx, "glowco", "test:t1", "C1", "2.2")
	if err != nil || ch != "C1" || ts != "1.1" {
		t.Fatalf("second save = %q %q %v; the first thread must win", ch, ts, err)
	}
}

// TestPlatformActionsActOnce checks the intent life cycle: planned once,
// claimed by one run, swept by the next when its run died, settled with its
// alert in one transaction, and never settled by a run that lost its claim.
func TestPlatformActionsActOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	k := store.ActionKey{Brand: "glowco", TestID: "t1", VariantKey: "hook-a", Platform: "meta", Account: "act_1",
		Action: "set_budget", TargetID: "set1", Checkpoint: "14d"}
	in := store.ActionIntent{ActionKey: k, Target: "12000", Currency: "USD", Before: "10000", Reason: "scaled"}
	rec, ok, err := db.ClaimNewAction(ctx, in, "run1", t0)
	if err != nil || !ok || rec.Status != store.ActionClaimed || rec.Target != "12000" {
		t.Fatalf("first claim = %+v, %v, %v", rec, ok, err)
	}
	in.Target = "14400" // a later run planning from the raised budget
	if _, ok, _ := db.ClaimNewAction(ctx, in, "run2", t0); ok {
		t.Fatal("an intent was planned twice")
	}
	send := store.ActionStep{ActionID: rec.ID, Platform: "meta", TargetID: "set1", Action: "set_budget", Step: store.StepSend, Value: "12000", Outcome: "sent", At: t0}
	if err := db.LogActionStep(ctx, "run1", send); err != nil {
		t.Fatal(err)
	}
	// run1 dies here. A brand's other open rows (another brand's are not
	// touched) are swept by the next run.
	other := in
	other.Brand, other.Target = "lunaskin", "9600"
	if _, ok, err := db.ClaimNewAction(ctx, other, "run9", t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	open, err := db.ClaimOpenActions(ctx, "glowco", "run2", t0.Add(time.Hour))
	if err != nil || len(open) != 1 || open[0].ID != rec.ID || open[0].Sends != 1 || open[0].Target != "12000" || open[0].LastSentAt.IsZero() {
		t.Fatalf("swept = %+v, %v; want the one glowco row, sent once, target 12000", open, err)
	}
	if err := db.LogActionStep(ctx, "run1", send); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("the dead run logging a send: %v, want ErrClaimLost", err)
	}
	if err := db.SettleAction(ctx, rec.ID, "run1", store.ActionOutcome{Status: store.ActionFailed}, t0, nil); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("the dead run settling: %v, want ErrClaimLost", err)
	}
	// A settle whose alert cannot be queued records nothing.
	bad := []store.OutboxRow{{DedupKey: "", Brand: "glowco", Kind: "action"}}
	if err := db.SettleAction(ctx, rec.ID, "run2", store.ActionOutcome{Status: store.ActionApplied, After: "12000"}, t0, bad); err == nil {
		t.Fatal("settled with an alert that could not be queued")
	}
	if err := db.SettleAction(ctx, rec.ID, "run2", store.ActionOutcome{Status: store.ActionApplied, Before: "10000", After: "12000", Note: "read back"},
		t0.Add(time.Hour), []store.OutboxRow{outboxRow("action:glowco:t1:hook-a:set_budget:set1:14d:applied")}); err != nil {
		t.Fatal(err)
	}
	if open, _ := db.ClaimOpenActions(ctx, "glowco", "run3", t0.Add(2*time.Hour)); len(open) != 0 {
		t.Errorf("a settled action was swept again: %+v", open)
	}
	skip := k
	skip.Action, skip.TargetID = "pause_ad", "ad9"
	db.SkipAction(ctx, skip, "ACTIVE", "max budget", t0)
	if _, ok, _ := db.ClaimNewAction(ctx, store.ActionIntent{ActionKey: skip, Target: "PAUSED"}, "run3", t0); ok {
		t.Error("a skipped action was claimable")
	}
	recs, err := db.Actions(ctx, "glowco")
	if err != nil || len(recs) != 2 {
		t.Fatalf("actions = %+v, %v", recs, err)
	}
	if r := recs[0]; r.Status != store.ActionApplied || r.Before != "10000" || r.After != "12000" || r.Sends != 1 || r.Note != "read back" || r.FinishedAt.IsZero() {
		t.Errorf("applied action recorded as %+v", r)
	}
	if r := recs[1]; r.Status != store.ActionSkipped || r.Error != "max budget" {
		t.Errorf("skipped action recorded as %+v", r)
	}
	var alerts int
	db.SQL().Get(&alerts, `SELECT count(*) FROM alert_outbox WHERE kind = 'action' OR dedup_key LIKE 'action:%'`)
	if alerts != 1 {
		t.Errorf("%d action alerts queued, want 1", alerts)
	}
	sends, err := db.ActionSends(ctx, "meta", "set1", "set_budget", t0.Add(-time.Hour))
	if err != nil || sends != 1 {
		t.Errorf("ActionSends = %d, %v; want 1", sends, err)
	}
}

func TestMarkPostingIsReturnedByLaterClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	if _, err := db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("g:a"), outboxRow("g:b", func(r *store.OutboxRow) { r.Channel = "C0000042" })}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.ClaimAlerts(ctx, "test/1", 10, t0, time.Minute)
	if err != nil || len(rows) != 2 {
		t.Fatalf("claim = %d, %v", len(rows), err)
	}
	for _, r := range rows {
		if !r.PostingSince.IsZero() {
			t.Errorf("%s: never posted, PostingSince %s", r.DedupKey, r.PostingSince)
		}
	}
	a, b := rows[0], rows[1]
	// a's post starts; b's claim dies before posting.
	if err := db.MarkPosting(ctx, []int64{a.ID}, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkPosting(ctx, []int64{a.ID}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	expireClaims(t, db)
	rows, err = db.ClaimAlerts(ctx, "test/1", 10, t0.Add(time.Minute), time.Minute)
	if err != nil || len(rows) != 2 {
		t.Fatalf("second claim = %d, %v", len(rows), err)
	}
	want := map[string]time.Time{a.DedupKey: t0, b.DedupKey: {}}
	for _, r := range rows {
		if !r.PostingSince.Equal(want[r.DedupKey]) {
			t.Errorf("%s: PostingSince %s, want %s (the earliest post)", r.DedupKey, r.PostingSince, want[r.DedupKey])
		}
	}
	// Releasing or failing keeps the mark; only the channel id of a sent
	// row resolves its configured channel.
	if err := db.ReleaseAlerts(ctx, "test/1", []int64{a.ID}, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkFailed(ctx, "test/1", b.ID, "boom", t0, false); err != nil {
		t.Fatal(err)
	}
	rows, err = db.ClaimAlerts(ctx, "test/1", 10, t0.Add(3*time.Minute), time.Minute)
	if err != nil || len(rows) != 2 || !rows[0].PostingSince.Equal(t0) {
		t.Fatalf("third claim = %+v, %v", rows, err)
	}
	if id, err := db.SlackChannelID(ctx, "#creator-perf"); err != nil || id != "" {
		t.Errorf("SlackChannelID before any delivery = %q, %v", id, err)
	}
	if err := db.MarkSent(ctx, "test/1", a.ID, "C0000001", "1.000001", t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if id, err := db.SlackChannelID(ctx, "#creator-perf"); err != nil || id != "C0000001" {
		t.Errorf("SlackChannelID = %q, %v; want C0000001", id, err)
	}
	if id, err := db.SlackChannelID(ctx, "#other"); err != nil || id != "" {
		t.Errorf("SlackChannelID(#other) = %q, %v", id, err)
	}
}

// TestOutboxStats: the backlog counts current pending rows (not
// superseded, sent or dead ones); dead rows report the latest error.
func TestOutboxStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	if st, err := db.OutboxStats(ctx); err != nil || st != (store.OutboxStats{}) {
		t.Fatalf("empty outbox: %+v %v", st, err)
	}
	db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("a"), outboxRow("b"), outboxRow("c", withUpdate("u")), outboxRow("d", withUpdate("u"))})
	rows, _ := db.ClaimAlerts(ctx, "test/1", 2, t0, time.Minute)
	db.MarkSent(ctx, "test/1", rows[0].ID, "C1", "1.1", t0)
	db.MarkFailed(ctx, "test/1", rows[1].ID, "posting to #x: channel_not_found", t0, true)
	st, err := db.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Backlog != 1 || st.Oldest.IsZero() || st.Dead != 1 || st.LastDead != "posting to #x: channel_not_found" {
		t.Errorf("stats = %+v, want backlog 1 (d; c superseded), 1 dead", st)
	}
}

// expireClaims ends every outbox claim, as the database clock running
// past them would.
func expireClaims(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.SQL().Exec(`UPDATE alert_outbox SET claimed_until = clock_timestamp() - interval '1 second' WHERE claimed_until IS NOT NULL`); err != nil {
		t.Fatalf("expiring the outbox claims: %v", err)
	}
}

// TestClaimExpiryOnTheDatabaseClock: a claim lasts its lease on the
// database clock, whatever the claimants' jobs' clocks say; a claim that
// ran out can be taken over.
func TestClaimExpiryOnTheDatabaseClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("a")})
	if got, err := db.ClaimAlerts(ctx, "r1/a", 10, t0, time.Hour); err != nil || len(got) != 1 {
		t.Fatalf("first claim = %d, %v; want 1", len(got), err)
	}
	var held, withinLease bool
	if err := db.SQL().QueryRow(`SELECT claimed_until > clock_timestamp(), claimed_until <= clock_timestamp() + interval '1 hour'
		FROM alert_outbox WHERE dedup_key = 'a'`).Scan(&held, &withinLease); err != nil {
		t.Fatal(err)
	}
	if !held || !withinLease {
		t.Fatalf("claimed_until in the future: %t, within the 1h lease of the database clock: %t; want both", held, withinLease)
	}
	// A claimant whose jobs' clock runs a year ahead (ROASD_NOW, or a
	// skewed host) does not see the claim as run out.
	if got, err := db.ClaimAlerts(ctx, "r2/b", 10, t0.AddDate(1, 0, 0), time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("claim with the jobs' clock a year ahead = %d, %v; want none while the claim holds", len(got), err)
	}
	expireClaims(t, db)
	// Once it ran out, it is taken over, even by a claimant whose jobs'
	// clock is behind the first one's.
	got, err := db.ClaimAlerts(ctx, "r2/b", 10, t0, time.Hour)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("claim after expiry = %+v, %v; want a at attempt 2", got, err)
	}
}

// TestLapsedClaimantCannotTouchTheRow: once a claim has run out and
// another sender holds the row, the first sender's late acknowledgement,
// failure or release changes nothing; a lapsed claim nobody took over
// can still be acknowledged.
func TestLapsedClaimantCannotTouchTheRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t, template)
	db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("a")})
	first, _ := db.ClaimAlerts(ctx, "r1/old", 10, t0, time.Minute)
	expireClaims(t, db)
	second, _ := db.ClaimAlerts(ctx, "r2/new", 10, t0, time.Minute)
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("claims = %d, %d; want 1, 1", len(first), len(second))
	}
	if err := db.MarkSent(ctx, "r1/old", first[0].ID, "C1", "1.1", t0); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("the lapsed claimant's MarkSent: %v, want ErrClaimLost", err)
	}
	if err := db.MarkFailed(ctx, "r1/old", first[0].ID, "late failure", t0.Add(time.Hour), true); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("the lapsed claimant's MarkFailed: %v, want ErrClaimLost", err)
	}
	if err := db.ReleaseAlerts(ctx, "r1/old", []int64{first[0].ID}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st := states(t, db)["a"]
	if st.Status != store.AlertPending || st.LastError != "" || st.Attempts != 2 || st.SlackTS != "" {
		t.Fatalf("row = %+v; the lapsed claimant changed it", st)
	}
	// Its holder still can.
	if err := db.MarkFailed(ctx, "r2/new", second[0].ID, "boom", t0.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if st := states(t, db)["a"]; st.LastError != "boom" {
		t.Fatalf("holder's failure not recorded: %+v", st)
	}

	// A claim that ran out with nobody taking it over is still its
	// claimant's to acknowledge (the post reached Slack).
	db.EnqueueAlerts(ctx, []store.OutboxRow{outboxRow("b")})
	late, _ := db.ClaimAlerts(ctx, "r1/old", 1, t0, time.Minute)
	if len(late) != 1 || late[0].DedupKey != "b" {
		t.Fatalf("claim of b = %+v", late)
	}
	expireClaims(t, db)
	if err := db.MarkSent(ctx, "r1/old", late[0].ID, "C1", "2.2", t0); err != nil {
		t.Fatalf("late MarkSent of a claim nobody took over: %v", err)
	}
	if st := states(t, db)["b"]; st.Status != store.AlertSent || st.SlackTS != "2.2" {
		t.Fatalf("b = %+v, want sent as 2.2", st)
	}
}
