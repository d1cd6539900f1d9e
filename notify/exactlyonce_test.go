package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

// lostAck is an outbox whose next fail MarkSent calls fail after Slack
// accepted the message: the process "dies" between the post and its
// acknowledgement (the row keeps its lease and is claimed again once it
// runs out).
type lostAck struct {
	notify.Outbox
	mu   sync.Mutex
	fail int
}

func (o *lostAck) MarkSent(ctx context.Context, claimant string, id int64, channel, ts string, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail > 0 {
		o.fail--
		return errors.New("connection to the database lost")
	}
	return o.Outbox.MarkSent(ctx, claimant, id, channel, ts, now)
}

// clock is a settable clock for the fake's message timestamps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// withClock makes the fake stamp messages with a clock set to t.
func (b *bundle) withClock(t time.Time) *clock {
	c := &clock{t: t}
	b.fake.Now = c.Now
	return c
}

// crashingSender is a sender over b's Slack fake whose first n
// acknowledgements are lost.
func (b *bundle) crashingSender(n int) *notify.Sender {
	s := notify.NewSender(notify.NewSlack(botToken, b.url, nil), &lostAck{Outbox: b.db, fail: n}, quiet)
	s.Claimant = "r0/crashed"
	s.Limits = notify.Limits{} // pacing has its own test
	s.Backoff = b.sender.Backoff
	return s
}

// count returns how many calls of each method the fake answered since
// call index from.
func (b *bundle) count(from int) map[string]int {
	out := map[string]int{}
	for _, c := range b.fake.Calls()[from:] {
		out[c.Method]++
	}
	return out
}

func hygiene(adID string) notify.Alert {
	a := notify.HygieneAlert(target, reconcile.HygieneIssue{Kind: reconcile.HygieneUntagged, Platform: ads.Meta, AdID: adID})
	a.ThreadKey = "" // top-level
	return a
}

func guard(subject string) notify.Alert {
	return notify.GuardAlert(target, "t1", "before-30d", reconcile.Guard{Subject: subject, Name: reconcile.GuardZeroOrders, Reason: "no orders"})
}

func TestSenderFindsPostWhoseAckWasLost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// before are delivered normally first; lost is posted, then its
		// acknowledgement is lost.
		before []notify.Alert
		lost   notify.Alert
		// wantLookups are the read calls the recovery makes.
		wantLookups map[string]int
		wantThread  bool // lost is a reply in before[0]'s thread
	}{
		{name: "top-level post", lost: hygiene("1"),
			wantLookups: map[string]int{"conversations.history": 1}},
		{name: "first message of a thread", lost: notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")),
			wantLookups: map[string]int{"conversations.history": 1}},
		{name: "reply in a thread", before: []notify.Alert{notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale"))},
			lost: guard("hook-a"), wantLookups: map[string]int{"conversations.replies": 1}, wantThread: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.withClock(t0)
			if len(tc.before) > 0 {
				b.enqueue(t, tc.before...)
				b.flush(t, t0)
			}
			b.enqueue(t, tc.lost)
			n, err := b.crashingSender(1).Flush(context.Background(), t0)
			if err == nil || n != 0 {
				t.Fatalf("Flush losing the ack = %d, %v; want 0 and an error", n, err)
			}
			if got := len(b.fake.Messages()); got != len(tc.before)+1 {
				t.Fatalf("fake holds %d messages after the post, want %d", got, len(tc.before)+1)
			}
			// The lease still holds the row: nobody posts it meanwhile,
			// however far the jobs' clock runs.
			if n := b.flush(t, t0.Add(b.sender.Lease)); n != 0 {
				t.Fatalf("sent %d while the lease held the row", n)
			}
			b.expireClaims(t)
			mark := len(b.fake.Calls())
			if n := b.flush(t, t0.Add(2*time.Second)); n != 1 {
				t.Fatalf("recovery flush sent %d, want 1 (found)", n)
			}
			msgs := b.fake.Messages()
			if len(msgs) != len(tc.before)+1 {
				t.Fatalf("fake holds %d messages after recovery, want %d: posted twice", len(msgs), len(tc.before)+1)
			}
			got := b.count(mark)
			for m, want := range tc.wantLookups {
				if got[m] != want {
					t.Errorf("%d %s calls, want %d (calls %v)", got[m], m, want, got)
				}
			}
			if got["chat.postMessage"] != 0 {
				t.Errorf("recovery posted %d times", got["chat.postMessage"])
			}
			lostMsg := msgs[len(msgs)-1]
			st := b.states(t)[tc.lost.DedupKey]
			if st.Status != store.AlertSent || st.SlackTS != lostMsg.TS || st.SlackChannel != lostMsg.Channel {
				t.Errorf("row after recovery: %+v, want sent as %s in %s", st, lostMsg.TS, lostMsg.Channel)
			}
			if tc.wantThread && lostMsg.ThreadTS != msgs[0].TS {
				t.Errorf("lost reply's thread %q, want %q", lostMsg.ThreadTS, msgs[0].TS)
			}
			// A thread the lost message started is recorded: the next
			// alert of the test replies in it.
			if tc.lost.ThreadKey != "" && !tc.wantThread {
				b.enqueue(t, guard("hook-z"))
				b.flush(t, t0.Add(time.Hour))
				msgs := b.fake.Messages()
				if len(msgs) != 2 || msgs[1].ThreadTS != msgs[0].TS {
					t.Errorf("next alert not threaded under the recovered message: %+v", msgs)
				}
			}
		})
	}
}

func TestSenderPostsOnceWhenEarlierPostDidNotReachSlack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.withClock(t0)
	a := hygiene("1")
	b.enqueue(t, a)
	b.fake.Down("chat.postMessage", 1, http.StatusBadGateway)
	if n, err := b.sender.Flush(context.Background(), t0); err == nil || n != 0 {
		t.Fatalf("Flush during outage = %d, %v", n, err)
	}
	mark := len(b.fake.Calls())
	if n := b.flush(t, t0.Add(time.Minute)); n != 1 {
		t.Fatalf("sent %d after the outage, want 1", n)
	}
	if got := b.count(mark); got["conversations.history"] != 1 || got["chat.postMessage"] != 1 {
		t.Errorf("retry calls %v, want one lookup then one post", got)
	}
	if got := len(b.fake.Messages()); got != 1 {
		t.Errorf("fake holds %d messages, want 1", got)
	}
	if st := b.states(t)[a.DedupKey]; st.Status != store.AlertSent || st.SlackTS != b.fake.Messages()[0].TS {
		t.Errorf("row: %+v", st)
	}
}

func TestSenderNeverClaimedRowCostsNoLookup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")), guard("hook-a"), hygiene("1"))
	// A claim that died before posting leaves nothing to look for either.
	b.enqueue(t, hygiene("2"))
	if n := b.flush(t, t0); n != 4 {
		t.Fatalf("sent %d, want 4", n)
	}
	got := b.count(0)
	if len(got) != 1 || got["chat.postMessage"] != 4 {
		t.Errorf("calls %v, want only 4 chat.postMessage", got)
	}

	b.enqueue(t, hygiene("3"))
	if rows, err := b.db.ClaimAlerts(context.Background(), "test/1", 10, t0, b.sender.Lease); err != nil || len(rows) != 1 {
		t.Fatalf("claim = %d, %v", len(rows), err)
	}
	b.expireClaims(t)
	mark := len(b.fake.Calls())
	if n := b.flush(t, t0); n != 1 {
		t.Fatalf("sent %d after the dead claim's lease, want 1", n)
	}
	if got := b.count(mark); len(got) != 1 || got["chat.postMessage"] != 1 {
		t.Errorf("calls after a claim that never posted: %v, want one chat.postMessage", got)
	}
}

func TestSenderLookupPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// pre are delivered just before lost, in the lookup window; lost
		// is posted and its ack lost; after are delivered after it.
		pre    []notify.Alert
		lost   notify.Alert
		after  []notify.Alert
		method string
		// wantPages is how many pages of 2 the lookup reads.
		wantPages int
	}{
		{name: "history", lost: hygiene("lost"), after: []notify.Alert{hygiene("a"), hygiene("b"), hygiene("c")},
			method: "conversations.history", wantPages: 2},
		// The parent comes first, then replies oldest first: older
		// replies are outside the window, so lost is on the first page.
		{name: "replies", lost: guard("lost"), after: []notify.Alert{guard("a"), guard("b"), guard("c"), guard("d")},
			method: "conversations.replies", wantPages: 1},
		// parent+pre0, pre1+pre2, lost.
		{name: "replies later page", pre: []notify.Alert{guard("pre0"), guard("pre1"), guard("pre2")}, lost: guard("lost"),
			method: "conversations.replies", wantPages: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			clk := b.withClock(t0.Add(-time.Hour))
			b.sender.LookupPageSize = 2
			b.sender.ClockSkew = time.Minute
			// Older messages, outside the lookup window.
			var old []notify.Alert
			for i := range 4 {
				old = append(old, hygiene(fmt.Sprint("old", i)))
			}
			if tc.lost.ThreadKey != "" {
				old = append(old, notify.VerdictAlert(target, "t1", "14d", verdict("hook-a", "scale")))
				for i := range 4 {
					old = append(old, guard(fmt.Sprint("old", i)))
				}
			}
			b.enqueue(t, old...)
			b.flush(t, t0.Add(-time.Hour))
			clk.Set(t0)
			if len(tc.pre) > 0 {
				b.enqueue(t, tc.pre...)
				b.flush(t, t0)
			}
			b.enqueue(t, tc.lost)
			if _, err := b.crashingSender(1).Flush(context.Background(), t0); err == nil {
				t.Fatal("ack not lost")
			}
			// The others go out first (the lease still holds the lost row).
			b.enqueue(t, tc.after...)
			b.flush(t, t0.Add(time.Second))
			before := len(b.fake.Messages())
			b.expireClaims(t)
			mark := len(b.fake.Calls())
			if n := b.flush(t, t0.Add(2*time.Second)); n != 1 {
				t.Fatalf("recovery sent %d, want 1", n)
			}
			if got := len(b.fake.Messages()); got != before {
				t.Fatalf("fake holds %d messages, want %d: posted twice", got, before)
			}
			var pages, cursors int
			for _, c := range b.fake.Calls()[mark:] {
				if c.Method != tc.method {
					continue
				}
				pages++
				if c.Params.Get("cursor") != "" {
					cursors++
				}
				if c.Params.Get("include_all_metadata") != "1" || c.Params.Get("limit") != "2" {
					t.Errorf("lookup params %v", c.Params)
				}
				if o := c.Params.Get("oldest"); o != fmt.Sprintf("%d.000000", t0.Add(-time.Minute).Unix()) {
					t.Errorf("oldest = %s, want the earlier post's start less the clock skew", o)
				}
			}
			if pages != tc.wantPages || cursors != pages-1 {
				t.Errorf("%d %s pages (%d with a cursor), want %d", pages, tc.method, cursors, tc.wantPages)
			}
		})
	}
}

func TestSenderLookupFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inject func(b *bundle)
		// wantBlocked: the first retry neither posts nor acknowledges;
		// else the row is posted again (the lookup cannot help).
		wantBlocked bool
		wantMsgs    int
	}{
		{name: "rate limited", inject: func(b *bundle) { b.fake.RateLimit("conversations.history", 1, 3) }, wantBlocked: true, wantMsgs: 1},
		{name: "slack down", inject: func(b *bundle) { b.fake.Down("conversations.history", 1, http.StatusServiceUnavailable) }, wantBlocked: true, wantMsgs: 1},
		{name: "no channels:history scope", inject: func(b *bundle) { b.fake.Scopes = []string{"chat:write"} }, wantMsgs: 2},
		{name: "not in channel", inject: func(b *bundle) { b.fake.Fail("conversations.history", 1, "not_in_channel") }, wantMsgs: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.withClock(t0)
			a := hygiene("1")
			b.enqueue(t, a)
			if _, err := b.crashingSender(1).Flush(context.Background(), t0); err == nil {
				t.Fatal("ack not lost")
			}
			tc.inject(b)
			b.expireClaims(t)
			retry := t0.Add(time.Second)
			n, err := b.sender.Flush(context.Background(), retry)
			if tc.wantBlocked {
				if n != 0 || len(b.fake.Messages()) != 1 {
					t.Fatalf("Flush with the lookup failing = %d, %v; %d messages: posted blind", n, err, len(b.fake.Messages()))
				}
				if st := b.states(t)[a.DedupKey]; st.Status != store.AlertPending {
					t.Fatalf("row %+v, want pending", st)
				}
				if n := b.flush(t, retry.Add(time.Hour)); n != 1 {
					t.Fatalf("sent %d once the lookup works, want 1", n)
				}
			} else if err != nil || n != 1 {
				t.Fatalf("Flush = %d, %v; want the row posted rather than blocked", n, err)
			}
			if got := len(b.fake.Messages()); got != tc.wantMsgs {
				t.Errorf("fake holds %d messages, want %d", got, tc.wantMsgs)
			}
			if st := b.states(t)[a.DedupKey]; st.Status != store.AlertSent || st.SlackTS == "" {
				t.Errorf("row %+v, want sent", st)
			}
			if tc.name == "no channels:history scope" {
				var found bool
				for _, c := range b.fake.Calls() {
					found = found || (c.Method == "conversations.history" && c.Error == "missing_scope")
				}
				if !found {
					t.Error("no missing_scope answer in the call log")
				}
			}
		})
	}
}

// TestSenderLookupResolvesChannelName checks the lookup reads history by
// channel id when alerts are configured by name and nothing was delivered
// there yet (conversations.list), and that channel names are never sent
// to conversations.history.
func TestSenderLookupResolvesChannelName(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.withClock(t0)
	a := hygiene("1")
	b.enqueue(t, a)
	if _, err := b.crashingSender(1).Flush(context.Background(), t0); err == nil {
		t.Fatal("ack not lost")
	}
	b.expireClaims(t)
	if n := b.flush(t, t0.Add(time.Second)); n != 1 || len(b.fake.Messages()) != 1 {
		t.Fatalf("recovery sent %d, %d messages", n, len(b.fake.Messages()))
	}
	got := b.count(0)
	if got["conversations.list"] != 1 || got["conversations.history"] != 1 {
		t.Errorf("calls %v, want one conversations.list then one conversations.history", got)
	}
	for _, c := range b.fake.Calls() {
		if c.Method == "conversations.history" && !strings.HasPrefix(c.Params.Get("channel"), "C") {
			t.Errorf("history asked by name: %v", c.Params)
		}
	}
}

// takeover is an outbox where, between Slack accepting a post and its
// acknowledgement, the sender's claim runs out and another sender claims
// the row (before runs once, at the first MarkSent).
type takeover struct {
	notify.Outbox
	before func()
}

func (o *takeover) MarkSent(ctx context.Context, claimant string, id int64, channel, ts string, now time.Time) error {
	if f := o.before; f != nil {
		o.before = nil
		f()
	}
	return o.Outbox.MarkSent(ctx, claimant, id, channel, ts, now)
}

// TestStaleClaimantCannotAcknowledge: a sender whose claim ran out and was
// taken over while its post was in flight cannot acknowledge the row: its
// MarkSent is refused and its batch stops. The new holder finds the post
// in Slack instead of posting it again, so the alert reaches Slack once
// and is recorded once.
func TestStaleClaimantCannotAcknowledge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.withClock(t0)
	first, second := hygiene("1"), hygiene("2")
	b.enqueue(t, first, second)
	out := &takeover{Outbox: b.db}
	stale := notify.NewSender(notify.NewSlack(botToken, b.url, nil), out, quiet)
	stale.Claimant = "r0/stale"
	stale.Limits = notify.Limits{}
	var took int
	out.before = func() {
		b.expireClaims(t)
		took = b.flush(t, t0)
	}
	n, err := stale.Flush(context.Background(), t0)
	if !errors.Is(err, store.ErrClaimLost) || n != 0 {
		t.Fatalf("stale sender's Flush = %d, %v; want 0 and ErrClaimLost", n, err)
	}
	if took != 2 {
		t.Fatalf("the new holder sent %d, want 2 (one found in Slack, one posted)", took)
	}
	msgs := b.fake.Messages()
	if len(msgs) != 2 {
		t.Fatalf("fake holds %d messages, want 2: an alert posted twice", len(msgs))
	}
	if got := b.count(0)["chat.postMessage"]; got != 2 {
		t.Errorf("%d chat.postMessage calls, want 2", got)
	}
	st := b.states(t)
	if s := st[first.DedupKey]; s.Status != store.AlertSent || s.SlackTS != msgs[0].TS {
		t.Errorf("first row %+v, want sent as the stale sender's post %s", s, msgs[0].TS)
	}
	if s := st[second.DedupKey]; s.Status != store.AlertSent || s.SlackTS != msgs[1].TS {
		t.Errorf("second row %+v, want sent as %s", s, msgs[1].TS)
	}
}
