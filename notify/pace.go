package notify

import (
	"context"
	"time"
)

// Limits are the request rates the Sender keeps to itself, so a backlog
// is spread out instead of tripping Slack's 429s. Zero durations do not
// pace. The defaults follow Slack's published limits
// (docs.slack.dev/apis/web-api/rate-limits): chat.postMessage about one
// message per second per channel; chat.update and conversations.history /
// conversations.replies Tier 3 (about 50 a minute per workspace).
type Limits struct {
	// PostEvery is the least time between two posts to one channel.
	PostEvery time.Duration
	// UpdateEvery is the least time between two chat.update calls.
	UpdateEvery time.Duration
	// HistoryEvery is the least time between two conversations.history
	// or conversations.replies calls.
	HistoryEvery time.Duration
}

// DefaultLimits are Slack's published rates.
var DefaultLimits = Limits{PostEvery: time.Second, UpdateEvery: 1200 * time.Millisecond, HistoryEvery: 1200 * time.Millisecond}

// pacer spaces calls per key (a channel's posts, a method's calls) on
// a clock it can be given.
type pacer struct {
	next map[string]time.Time
}

// wait blocks until a call under key may be made every interval, then
// reserves the next slot. now and sleep are the Sender's clock. A slot
// later than until (when set) is not waited for: wait returns
// errClaimEnds at once.
func (p *pacer) wait(ctx context.Context, key string, every time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error, until time.Time) error {
	t := now()
	if !until.IsZero() && t.After(until) {
		return errClaimEnds
	}
	if every <= 0 {
		return nil
	}
	if p.next == nil {
		p.next = map[string]time.Time{}
	}
	if at := p.next[key]; t.Before(at) {
		if !until.IsZero() && at.After(until) {
			return errClaimEnds
		}
		if err := sleep(ctx, at.Sub(t)); err != nil {
			return err
		}
		t = at
	}
	p.next[key] = t.Add(every)
	return nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
