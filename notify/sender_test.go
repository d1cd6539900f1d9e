package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const botToken = "xoxb-test-0000000000-SECRETSECRET"

var (
	t0     = time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	target = notify.Target{Brand: "glowco", Channel: "#creator-perf", Currency: "USD", ReportURL: "https://roasd.example/r"}
)

type bundle struct {
	db     *store.DB
	fake   *slackfake.Server
	url    string
	sender *notify.Sender
}

// setup gives a fresh database, a Slack fake and a Sender between them
// with a fixed backoff of one minute.
func setup(t *testing.T) *bundle {
	t.Helper()
	db := storetest.Open(t)
	fake := slackfake.New(botToken, "creator-perf")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	s := notify.NewSender(notify.NewSlack(botToken, srv.URL+"/api", srv.Client()), db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Claimant = "r1/sender"
	s.Limits = notify.Limits{} // pacing has its own test
	s.Backoff = func(int) time.Duration { return time.Minute }
	return &bundle{db: db, fake: fake, url: srv.URL + "/api/", sender: s}
}

// expireClaims ends every outbox claim, as the database clock running
// past their lease would (claims expire on the database clock, not on the
// now a Flush is given).
func (b *bundle) expireClaims(t *testing.T) {
	t.Helper()
	if _, err := b.db.SQL().Exec(`UPDATE alert_outbox SET claimed_until = clock_timestamp() - interval '1 second' WHERE claimed_until IS NOT NULL`); err != nil {
		t.Fatalf("expiring the outbox claims: %v", err)
	}
}

func verdict(subject, v string) reconcile.Verdict {
	return reconcile.Verdict{Subject: subject, Platform: "meta", Verdict: v, Rule: reconcile.RuleTopThird, Reason: v + " because numbers",
		ROAS: 3.5, Low: 3.1, High: 3.9, Credibility: 0.9, Spend: ads.MustMicros("1000"), Revenue: ads.MustMicros("3500"), Orders: 70, Rank: 1, Of: 3}
}

func (b *bundle) enqueue(t *testing.T, alerts ...notify.Alert) int {
	t.Helper()
	rows, err := notify.Rows(alerts)
	if err != nil {
		t.Fatal(err)
	}
	n, err := b.db.EnqueueAlerts(context.Background(), rows)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (b *bundle) flush(t *testing.T, now time.Time) int {
	t.Helper()
	n, err := b.sender.Flush(context.Background(), now)
	if err != nil {
		t.Fatalf("Flush(%s): %v", now.Format(time.TimeOnly), err)
	}
	return n
}

func (b *bundle) states(t *testing.T) map[string]store.AlertState {
	t.Helper()
	as, err := b.db.Alerts(context.Background(), "glowco")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.AlertState{}
	for _, a := range as {
		out[a.DedupKey] = a
	}
	return out
}

func TestSenderThreadsPerTestAndNeverRepeats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	alerts := []notify.Alert{
		notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")),
		notify.VerdictAlert(target, "t1", "14d", verdict("hook-b", "cut")),
		notify.VerdictAlert(target, "t2", "14d", verdict("hook-z", "hold")),
	}
	if n := b.enqueue(t, alerts...); n != 3 {
		t.Fatalf("enqueued %d, want 3", n)
	}
	if n := b.flush(t, t0); n != 3 {
		t.Fatalf("sent %d, want 3", n)
	}
	msgs := b.fake.Messages()
	if len(msgs) != 3 {
		t.Fatalf("fake holds %d messages, want 3", len(msgs))
	}
	if msgs[0].ThreadTS != "" || msgs[1].ThreadTS != msgs[0].TS || msgs[2].ThreadTS != "" {
		t.Errorf("threads: got %q, %q, %q; want t1's second verdict in reply to %q and t2 top-level",
			msgs[0].ThreadTS, msgs[1].ThreadTS, msgs[2].ThreadTS, msgs[0].TS)
	}
	if !strings.Contains(string(msgs[0].Blocks), "Scale hook-a") || !strings.Contains(msgs[0].Text, "scale because numbers") {
		t.Errorf("first message lacks its content: %s / %s", msgs[0].Text, msgs[0].Blocks)
	}
	// The same alerts at the same checkpoint are never sent again.
	if n := b.enqueue(t, alerts...); n != 0 {
		t.Errorf("re-enqueue queued %d, want 0", n)
	}
	if n := b.flush(t, t0.Add(time.Hour)); n != 0 {
		t.Errorf("second flush sent %d, want 0", n)
	}
	if got := len(b.fake.Messages()); got != 3 {
		t.Errorf("fake holds %d messages after re-run, want 3", got)
	}
}

func TestSenderUpdatesMessageWhenVerdictChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "hold")))
	b.flush(t, t0)
	b.enqueue(t, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")))
	if n := b.flush(t, t0.Add(time.Hour)); n != 1 {
		t.Fatalf("sent %d, want the update", n)
	}
	msgs := b.fake.Messages()
	if len(msgs) != 1 {
		t.Fatalf("fake holds %d messages, want 1 updated in place", len(msgs))
	}
	if msgs[0].Edits != 1 || !strings.Contains(string(msgs[0].Blocks), "Scale hook-a") {
		t.Errorf("message after update: edits %d, blocks %s", msgs[0].Edits, msgs[0].Blocks)
	}
	// A guard in the same thread is a reply, not an update.
	b.enqueue(t, notify.GuardAlert(target, "t1", "before-30d", reconcile.Guard{Subject: "hook-a", Name: reconcile.GuardZeroOrders, Reason: "no orders"}))
	b.flush(t, t0.Add(2*time.Hour))
	msgs = b.fake.Messages()
	if len(msgs) != 2 || msgs[1].ThreadTS != msgs[0].TS {
		t.Errorf("guard not threaded under the test's message: %+v", msgs)
	}
	// The original message was deleted: a new verdict is posted instead.
	b.fake.Fail("chat.update", 1, "message_not_found")
	b.enqueue(t, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "cut")))
	if n := b.flush(t, t0.Add(3*time.Hour)); n != 1 {
		t.Fatalf("sent %d after message_not_found, want 1", n)
	}
	if got := len(b.fake.Messages()); got != 3 {
		t.Errorf("fake holds %d messages, want a new post after message_not_found", got)
	}
}

func TestSenderOutboxSurvivesFailedSend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale"))
	b.enqueue(t, a, notify.VerdictAlert(target, "t1", "14d", verdict("hook-b", "cut")))
	b.fake.Down("chat.postMessage", 1, http.StatusServiceUnavailable)

	n, err := b.sender.Flush(context.Background(), t0)
	if err == nil || n != 0 {
		t.Fatalf("Flush during outage = %d, %v; want 0 and an error", n, err)
	}
	st := b.states(t)[a.DedupKey]
	if st.Status != store.AlertPending || st.LastError == "" || !st.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after failed send: %+v, want pending with error and next attempt in 1m", st)
	}
	if n := b.flush(t, t0.Add(30*time.Second)); n != 0 {
		t.Fatalf("sent %d before the backoff ended", n)
	}
	if n := b.flush(t, t0.Add(time.Minute)); n != 2 {
		t.Fatalf("sent %d after the outage, want 2", n)
	}
	if n := b.flush(t, t0.Add(time.Hour)); n != 0 {
		t.Fatalf("sent %d more, want none", n)
	}
	if got := len(b.fake.Messages()); got != 2 {
		t.Errorf("fake holds %d messages, want each alert exactly once", got)
	}
	if st := b.states(t)[a.DedupKey]; st.Status != store.AlertSent || st.SlackTS == "" || st.SlackChannel == "" {
		t.Errorf("after delivery: %+v", st)
	}
}

func TestSenderHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")), notify.VerdictAlert(target, "t1", "14d", verdict("hook-b", "cut")))
	b.fake.RateLimit("chat.postMessage", 1, 7)
	if n := b.flush(t, t0); n != 0 {
		t.Fatalf("sent %d while rate limited", n)
	}
	for k, st := range b.states(t) {
		if st.Status != store.AlertPending || !st.NextAttempt.Equal(t0.Add(7*time.Second)) || st.Attempts != 0 {
			t.Errorf("%s after 429: %+v, want pending, next attempt at Retry-After (7s), no attempt counted", k, st)
		}
	}
	if n := b.flush(t, t0.Add(6*time.Second)); n != 0 {
		t.Fatalf("sent %d before Retry-After elapsed", n)
	}
	if n := b.flush(t, t0.Add(7*time.Second)); n != 2 {
		t.Fatalf("sent %d after Retry-After, want 2", n)
	}
	var posts int
	for _, c := range b.fake.Calls() {
		if c.Method == "chat.postMessage" {
			posts++
		}
	}
	if posts != 3 {
		t.Errorf("%d chat.postMessage calls, want 3 (one 429, then two posts)", posts)
	}
}

func TestSenderDaemonDiesMidSend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")))
	// A sender claims the row and dies before posting.
	if rows, _ := b.db.ClaimAlerts(context.Background(), "test/1", 10, t0, b.sender.Lease); len(rows) != 1 {
		t.Fatal("claim failed")
	}
	// However far the jobs' clock has moved, the claim holds until it
	// runs out on the database clock.
	if n := b.flush(t, t0.Add(2*b.sender.Lease)); n != 0 {
		t.Fatalf("sent %d while another sender held the lease", n)
	}
	b.expireClaims(t)
	if n := b.flush(t, t0.Add(time.Second)); n != 1 {
		t.Fatalf("sent %d after the lease ran out, want 1", n)
	}
	b.expireClaims(t)
	if n := b.flush(t, t0.Add(2*time.Second)); n != 0 || len(b.fake.Messages()) != 1 {
		t.Fatalf("acknowledged alert re-sent: %d more, %d messages", n, len(b.fake.Messages()))
	}
}

func TestSenderBadChannelDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bad := notify.HygieneAlert(notify.Target{Brand: "glowco", Channel: "#no-such-channel"}, reconcile.HygieneIssue{Kind: reconcile.HygieneUntagged, Platform: ads.Meta, AdID: "1"})
	good := notify.HygieneAlert(target, reconcile.HygieneIssue{Kind: reconcile.HygieneUntagged, Platform: ads.Meta, AdID: "2"})
	b.enqueue(t, bad, good)
	var dead []string
	b.sender.Dead = func(code string) { dead = append(dead, code) }
	if n := b.flush(t, t0); n != 1 {
		t.Fatalf("sent %d, want the good one", n)
	}
	// channel_not_found can never pass: dead at the first attempt, not
	// retried MaxAttempts times.
	st := b.states(t)[bad.DedupKey]
	if st.Status != store.AlertDead || st.Attempts != 1 || !strings.Contains(st.LastError, "channel_not_found") {
		t.Fatalf("bad channel: %+v, want dead after 1 attempt", st)
	}
	if len(dead) != 1 || dead[0] != "channel_not_found" {
		t.Errorf("Dead reported %v, want [channel_not_found]", dead)
	}
}

// TestSenderPermanentErrorsDeadAtOnce: each Slack error that can never
// pass kills the row at its first attempt; transient ones are retried
// (issue 23.7).
func TestSenderPermanentErrorsDeadAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		dead bool
	}{
		{"invalid_blocks", true},
		{"channel_not_found", true},
		{"not_in_channel", true},
		{"is_archived", true},
		{"msg_too_long", true},
		{"msg_blocks_too_long", true},
		{"no_text", true},
		{"invalid_metadata_format", true},
		{"restricted_action", true},
		{"message_limit_exceeded", false},
		{"some_new_error", false},
	}
	for _, tc := range tests {
		b := setup(t)
		a := notify.HygieneAlert(target, reconcile.HygieneIssue{Kind: reconcile.HygieneUntagged, Platform: ads.Meta, AdID: "1"})
		b.enqueue(t, a)
		b.fake.Fail("chat.postMessage", 1, tc.code)
		var dead []string
		b.sender.Dead = func(code string) { dead = append(dead, code) }
		b.flush(t, t0)
		st := b.states(t)[a.DedupKey]
		want := store.AlertPending
		if tc.dead {
			want = store.AlertDead
		}
		if st.Status != want || st.Attempts != 1 {
			t.Errorf("%s: %+v, want %s after 1 attempt", tc.code, st, want)
		}
		if tc.dead != (len(dead) == 1) {
			t.Errorf("%s: Dead reported %v", tc.code, dead)
		}
	}
}

func TestSenderAuthFailureKeepsTokenSecret(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fake := slackfake.New("xoxb-the-right-one", "creator-perf")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	s := notify.NewSender(notify.NewSlack(botToken, srv.URL, nil), b.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Limits = notify.Limits{}
	b.enqueue(t, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")), notify.VerdictAlert(target, "t1", "14d", verdict("hook-b", "scale")))
	n, err := s.Flush(context.Background(), t0)
	if err == nil || n != 0 {
		t.Fatalf("Flush with a bad token = %d, %v; want an error", n, err)
	}
	if !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("error %q does not say invalid_auth", err)
	}
	if strings.Contains(err.Error(), botToken) || strings.Contains(err.Error(), "SECRETSECRET") {
		t.Errorf("error leaks the token: %q", err)
	}
	for k, st := range b.states(t) {
		if strings.Contains(st.LastError, "SECRETSECRET") {
			t.Errorf("%s: stored error leaks the token: %q", k, st.LastError)
		}
		if st.Status != store.AlertPending {
			t.Errorf("%s: %s after auth failure, want pending", k, st.Status)
		}
	}
	if calls := len(fake.Calls()); calls != 1 {
		t.Errorf("%d calls after invalid_auth, want the batch stopped after 1", calls)
	}
}

func TestSendersRunningConcurrentlyDeliverOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var alerts []notify.Alert
	for i := range 24 {
		alerts = append(alerts, notify.HygieneAlert(target, reconcile.HygieneIssue{Kind: reconcile.HygieneUntagged, Platform: ads.Meta, AdID: fmt.Sprint(i)}))
	}
	for i := range alerts {
		alerts[i].ThreadKey = "" // top-level, so no thread is raced for
	}
	b.enqueue(t, alerts...)
	var wg sync.WaitGroup
	for range 3 {
		s := notify.NewSender(notify.NewSlack(botToken, b.url, nil), b.db, quiet)
		s.Limits = notify.Limits{}
		s.Batch = 2
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := s.Flush(context.Background(), t0)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := len(b.fake.Messages()); got != 24 {
		t.Errorf("fake holds %d messages, want 24 (each exactly once)", got)
	}
}

// TestSlacktestContent sends through slack-go's own slacktest server and
// checks the wire content is exactly the rendered Block Kit.
func TestSlacktestContent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := slacktest.NewTestServer()
	st.Start()
	t.Cleanup(st.Stop)
	upstream, _ := url.Parse(st.GetAPIURL())
	var mu sync.Mutex
	var forms []url.Values
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(body))
		mu.Lock()
		forms = append(forms, v)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	s := notify.NewSender(notify.NewSlack(botToken, rec.URL, nil), b.db, quiet)
	s.Limits = notify.Limits{}
	a := notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale"))
	b.enqueue(t, a)
	n, err := s.Flush(context.Background(), t0)
	if err != nil || n != 1 {
		t.Fatalf("Flush via slacktest = %d, %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(forms) != 1 {
		t.Fatalf("%d requests, want 1", len(forms))
	}
	f := forms[0]
	want, _ := json.Marshal(notify.Render(a))
	if f.Get("blocks") != string(want) {
		t.Errorf("blocks on the wire:\n got %s\nwant %s", f.Get("blocks"), want)
	}
	if f.Get("channel") != "#creator-perf" || f.Get("text") != notify.FallbackText(a) || f.Get("thread_ts") != "" {
		t.Errorf("form = %v", f)
	}
	if got := b.states(t)[a.DedupKey]; got.Status != store.AlertSent || got.SlackTS == "" {
		t.Errorf("alert after slacktest delivery: %+v", got)
	}
}

// TestSenderNeverPings: names taken from the platforms (ads, variants)
// reach Slack escaped, so "<!channel> sale" notifies nobody (issue 23.8).
func TestSenderNeverPings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hyg := notify.HygieneAlert(target, reconcile.HygieneIssue{Kind: reconcile.HygieneUntagged, Platform: ads.Meta, AdID: "1",
		AdName: "<!channel> sale", Reason: "ad <!channel> sale & <@U024BE7LH> has no utm_content"})
	v := verdict("<!here>", "scale")
	v.Reason = "<!everyone> is the best"
	b.enqueue(t, hyg, notify.VerdictAlert(target, "t1", "14d", v))
	if n := b.flush(t, t0); n != 2 {
		t.Fatalf("sent %d, want 2", n)
	}
	for _, m := range b.fake.Messages() {
		if len(m.Mentions) > 0 {
			t.Errorf("message %q mentions %v", m.Text, m.Mentions)
		}
	}
	if got := b.fake.Messages()[0].Text; !strings.Contains(got, "&lt;!channel&gt; sale &amp;") {
		t.Errorf("fallback text %q not escaped", got)
	}
}

// TestBatchNeverOutlivesItsClaim: a batch paced at a post a second stops
// before its claim could run out and hands the rest back (not counted as
// attempts); the next Flushes deliver them, each exactly once.
func TestBatchNeverOutlivesItsClaim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var alerts []notify.Alert
	for i := range 10 {
		a := notify.HygieneAlert(target, reconcile.HygieneIssue{Kind: reconcile.HygieneUntagged, Platform: ads.Meta, AdID: fmt.Sprint(i)})
		a.ThreadKey = ""
		alerts = append(alerts, a)
	}
	b.enqueue(t, alerts...)
	clock := t0
	b.sender.Clock = func() time.Time { return clock }
	b.sender.Sleep = func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }
	b.sender.Limits = notify.Limits{PostEvery: time.Second}
	b.sender.Lease = 4 * time.Second // calls may start up to 3 s after the claim
	if n := b.flush(t, t0); n != 4 {
		t.Fatalf("first flush sent %d, want 4 (posts at 0, 1, 2 and 3 s)", n)
	}
	pending := 0
	for _, st := range b.states(t) {
		if st.Status == store.AlertPending {
			pending++
			if st.Attempts != 0 {
				t.Errorf("%s: handed back with %d attempts, want 0", st.DedupKey, st.Attempts)
			}
		}
	}
	if pending != 6 {
		t.Fatalf("%d rows pending after the first flush, want 6", pending)
	}
	for range 3 {
		b.flush(t, t0)
	}
	if got := len(b.fake.Messages()); got != 10 {
		t.Errorf("fake holds %d messages, want 10 (each exactly once)", got)
	}
	if b.sender.Calls["chat.postMessage"] != 10 {
		t.Errorf("%d posts, want 10", b.sender.Calls["chat.postMessage"])
	}
}
