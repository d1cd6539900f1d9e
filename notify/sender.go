package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
)

// Outbox is the durable queue the Sender delivers from (the store
// implements it).
type Outbox interface {
	// ClaimAlerts leases up to limit rows due by now to claimant for
	// lease (on the outbox's own clock), oldest first, skipping rows
	// another sender holds.
	ClaimAlerts(ctx context.Context, claimant string, limit int, now time.Time, lease time.Duration) ([]OutboxRow, error)
	// MarkSent acknowledges claimant's delivery of row id as message ts
	// in channel; a row another sender has claimed since is refused with
	// an error.
	MarkSent(ctx context.Context, claimant string, id int64, channel, ts string, now time.Time) error
	// MarkFailed records claimant's failed attempt; the row is retried at
	// next, or given up on when dead. A row claimant no longer holds is
	// left alone and an error returned.
	MarkFailed(ctx context.Context, claimant string, id int64, errText string, next time.Time, dead bool) error
	// ReleaseAlerts hands claimant's claimed rows back untried, due again
	// at next.
	ReleaseAlerts(ctx context.Context, claimant string, ids []int64, next time.Time) error
	// SentMessage returns where the latest revision of message updateKey
	// was delivered, or empty strings.
	SentMessage(ctx context.Context, brand, updateKey string) (channel, ts string, err error)
	// SlackThread returns the first message of thread threadKey, or empty
	// strings.
	SlackThread(ctx context.Context, brand, threadKey string) (channel, ts string, err error)
	// SaveSlackThread records the first message of a thread and returns
	// the one kept (an earlier one wins).
	SaveSlackThread(ctx context.Context, brand, threadKey, channel, ts string) (string, string, error)
	// MarkPosting records, before a claimed batch is delivered, that rows
	// ids may be in Slack from now on (OutboxRow.PostingSince).
	MarkPosting(ctx context.Context, ids []int64, now time.Time) error
	// SlackChannelID returns the channel id an earlier alert addressed to
	// channel was delivered to, or "".
	SlackChannelID(ctx context.Context, channel string) (string, error)
}

// Poster is the part of *slack.Client the Sender uses: posting and
// updating, and reading history to find a post whose acknowledgement was
// lost.
type Poster interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) (msgs []slack.Message, hasMore bool, nextCursor string, err error)
	GetConversationsContext(ctx context.Context, params *slack.GetConversationsParameters) (channels []slack.Channel, nextCursor string, err error)
}

// Sender delivers queued alerts to Slack. Set its fields before the first
// Flush; a Sender is not meant for concurrent Flushes (run several
// Senders instead: the outbox lease keeps them apart).
type Sender struct {
	api    Poster
	outbox Outbox
	log    *slog.Logger

	// Claimant names this process on the rows it claims, as
	// "replica/incarnation" (see store.ReleaseDeadClaims); default "".
	Claimant string
	// Batch is how many rows one Flush claims (default 50).
	Batch int
	// Lease is how long claimed rows stay reserved (default 2m), counted
	// on the outbox's clock (the database's), not on the jobs' now. A
	// batch never outlives its claim: no call starts later than three quarters
	// of the lease after the claim (by Clock), leaving a quarter for the
	// call in flight; the rest of the batch is handed back for the next
	// Flush.
	Lease time.Duration
	// MaxAttempts is how many failed attempts a row gets before it is
	// given up (default 12). Rate limits and outages are not counted
	// against rows other than the one that hit them.
	MaxAttempts int
	// Backoff is the wait after the n-th failed attempt (default 30s
	// doubling up to 1h).
	Backoff func(attempt int) time.Duration
	// ClockSkew is how far Slack's clock may run behind ours: a row whose
	// earlier post was started at T is looked for in messages from
	// T-ClockSkew on (default 5m).
	ClockSkew time.Duration
	// LookupPages bounds the history pages (of LookupPageSize messages)
	// read to find an earlier post (default 50); beyond it the row is
	// posted again, with a warning.
	LookupPages int
	// LookupPageSize is the limit asked of conversations.history and
	// conversations.replies (default 200; Slack may return fewer).
	LookupPageSize int
	// Limits pace the Sender's calls (default DefaultLimits).
	Limits Limits
	// Clock and Sleep are the pacing clock (default time.Now and a timer);
	// tests give a fake clock that Sleep advances.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Waited sums the time spent pacing, and Calls counts the Web API
	// calls made, by method (for bench figures).
	Waited time.Duration
	Calls  map[string]int

	pace pacer
	// claimEnds is the last instant a call may start in the current
	// Flush (zero outside one).
	claimEnds time.Time

	// Dead, when set, is called with the reason (Slack's error code, or
	// "attempts" / "payload") each time a row is given up on, for the
	// daemon's metrics.
	Dead func(reason string)
}

// NewSender returns a Sender posting with api from outbox, logging to log
// (slog.Default when nil).
func NewSender(api Poster, outbox Outbox, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.Default()
	}
	return &Sender{api: api, outbox: outbox, log: log, Batch: 50, Lease: 2 * time.Minute, MaxAttempts: 12, Backoff: DefaultBackoff,
		ClockSkew: 5 * time.Minute, LookupPages: 50, LookupPageSize: 200, Limits: DefaultLimits, Clock: time.Now, Sleep: sleepCtx,
		Calls: map[string]int{}}
}

// paced waits for method's turn (posts per channel, other methods per
// workspace) and counts the call.
func (s *Sender) paced(ctx context.Context, method, channel string) error {
	key, every := method, time.Duration(0)
	switch method {
	case "chat.postMessage":
		key, every = method+" "+channel, s.Limits.PostEvery
	case "chat.update":
		every = s.Limits.UpdateEvery
	case "conversations.history", "conversations.replies":
		key, every = "conversations.history", s.Limits.HistoryEvery
	}
	clock, sleep := s.Clock, s.Sleep
	if clock == nil {
		clock = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	start := clock()
	if err := s.pace.wait(ctx, key, every, clock, sleep, s.claimEnds); err != nil {
		return err
	}
	s.Waited += clock().Sub(start)
	if s.Calls == nil {
		s.Calls = map[string]int{}
	}
	s.Calls[method]++
	return nil
}

// DefaultBackoff waits 30s after the first failure, doubling up to 1h.
func DefaultBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// defaultRateLimitWait is used when Slack answers 429 without Retry-After.
const defaultRateLimitWait = 30 * time.Second

// failure classes of a delivery error.
type failure int

const (
	failMessage   failure = iota // this message is bad (channel, blocks): retry it alone
	failRateLimit                // slow down: reschedule everything claimed
	failOutage                   // Slack or the network is down, or auth is broken: stop the batch
)

// Flush claims due alerts and delivers them in order: a reply in the
// test's thread (starting the thread when it has none), or chat.update of
// the earlier revision of the same verdict. Each delivered row is
// acknowledged before the next is sent. On a 429 the rest of the batch is
// rescheduled after Retry-After and Flush returns without error; on an
// outage it is rescheduled with backoff and the error returned. now is
// the single clock reading of this flush.
func (s *Sender) Flush(ctx context.Context, now time.Time) (sent int, err error) {
	clock := s.Clock
	if clock == nil {
		clock = time.Now
	}
	s.claimEnds = clock().Add(s.Lease - s.Lease/4)
	defer func() { s.claimEnds = time.Time{} }()
	rows, err := s.outbox.ClaimAlerts(ctx, s.Claimant, s.Batch, now, s.Lease)
	if err != nil {
		return 0, fmt.Errorf("flushing alerts: %w", err)
	}
	// One statement marks the batch as possibly in Slack from now on; a
	// row this flush then never posts (the process died) costs one lookup
	// when it is claimed again.
	var fresh, all []int64
	for _, r := range rows {
		all = append(all, r.ID)
		if r.PostingSince.IsZero() {
			fresh = append(fresh, r.ID)
		}
	}
	if err := s.outbox.MarkPosting(ctx, fresh, now); err != nil {
		s.release(all, now)
		return 0, fmt.Errorf("flushing alerts: %w", err)
	}
	for i, r := range rows {
		rest := func() []int64 {
			ids := make([]int64, 0, len(rows)-i)
			for _, r := range rows[i:] {
				ids = append(ids, r.ID)
			}
			return ids
		}
		if err := ctx.Err(); err != nil {
			s.release(rest(), now)
			return sent, err
		}
		if at := notBefore(r); at.After(now) {
			s.release([]int64{r.ID}, at) // quiet hours: not an attempt
			continue
		}
		derr := s.deliver(ctx, r, now)
		if derr == nil {
			sent++
			continue
		}
		if errors.Is(derr, errClaimEnds) {
			// Its lookup may have started; the posting mark stays, so
			// the next claim looks again before posting.
			s.log.Info("outbox claim running out; handing the rest of the batch back", "alerts", len(rows)-i)
			s.release(rest(), now)
			return sent, nil
		}
		var ackErr *ackError
		if errors.As(derr, &ackErr) {
			// Delivered but not recorded: keep the lease so it is not
			// re-sent before the store is back, and stop.
			s.release(rest()[1:], now)
			return sent, derr
		}
		if ctx.Err() != nil {
			s.release(rest(), now)
			return sent, ctx.Err()
		}
		class, wait := classify(derr)
		msg := derr.Error()
		switch class {
		case failRateLimit:
			next := now.Add(wait)
			s.log.Warn("slack rate limit; rescheduling alerts", "retry_after", wait, "alerts", len(rows)-i)
			s.release(rest(), next)
			return sent, nil
		case failOutage:
			next := now.Add(s.Backoff(r.Attempts))
			s.log.Error("slack unavailable; rescheduling alerts", "err", msg, "next_attempt", next, "alerts", len(rows)-i)
			s.markFailed(r, msg, next, false)
			s.release(rest()[1:], next)
			return sent, fmt.Errorf("delivering alert %s: %w", r.DedupKey, derr)
		default:
			reason, permanent := Permanent(derr)
			dead := permanent || r.Attempts >= s.MaxAttempts
			if !permanent {
				reason = "attempts"
			}
			next := now.Add(s.Backoff(r.Attempts))
			if dead {
				s.log.Error("alert given up", "dedup_key", r.DedupKey, "attempt", r.Attempts, "reason", reason, "err", msg)
				if s.Dead != nil {
					s.Dead(reason)
				}
			} else {
				s.log.Warn("alert not delivered; retrying", "dedup_key", r.DedupKey, "attempt", r.Attempts, "next_attempt", next, "err", msg)
			}
			s.markFailed(r, msg, next, dead)
		}
	}
	return sent, nil
}

// notBefore is the row's NotBefore, zero when none (or undecodable: the
// delivery reports that).
func notBefore(r OutboxRow) time.Time {
	var a struct {
		NotBefore time.Time `json:"not_before"`
	}
	json.Unmarshal(r.Payload, &a)
	return a.NotBefore
}

// errClaimEnds stops a batch whose claim would run out before its next
// call could start.
var errClaimEnds = errors.New("the outbox claim ends before the next Slack call could start")

// ackError is a message Slack accepted that could not be acknowledged in
// the outbox.
type ackError struct{ err error }

func (e *ackError) Error() string { return e.err.Error() }
func (e *ackError) Unwrap() error { return e.err }

// payloadError is an outbox row that cannot be decoded; it never will be.
type payloadError struct{ err error }

func (e *payloadError) Error() string { return e.err.Error() }
func (e *payloadError) Unwrap() error { return e.err }

func (s *Sender) release(ids []int64, next time.Time) {
	if err := s.outbox.ReleaseAlerts(context.WithoutCancel(context.Background()), s.Claimant, ids, next); err != nil {
		s.log.Error("releasing alerts", "err", err)
	}
}

func (s *Sender) markFailed(r OutboxRow, msg string, next time.Time, dead bool) {
	if err := s.outbox.MarkFailed(context.Background(), s.Claimant, r.ID, msg, next, dead); err != nil {
		s.log.Error("recording failed alert", "dedup_key", r.DedupKey, "err", err)
	}
}

// deliver sends one row and acknowledges it.
func (s *Sender) deliver(ctx context.Context, r OutboxRow, now time.Time) error {
	var a Alert
	if err := json.Unmarshal(r.Payload, &a); err != nil {
		return &payloadError{fmt.Errorf("decoding alert payload: %w", err)}
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(FallbackText(a), false),
		slack.MsgOptionBlocks(Render(a)...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "roasd_alert", EventPayload: map[string]any{"dedup_key": r.DedupKey}}),
	}
	// Acknowledge even if ctx is cancelled right after Slack accepted.
	ack := func(channel, ts string) error {
		if err := s.outbox.MarkSent(context.WithoutCancel(ctx), s.Claimant, r.ID, channel, ts, now); err != nil {
			return &ackError{fmt.Errorf("acknowledging alert %s sent as %s: %w", r.DedupKey, ts, err)}
		}
		return nil
	}
	if r.UpdateKey != "" {
		ch, ts, err := s.outbox.SentMessage(ctx, r.Brand, r.UpdateKey)
		if err != nil {
			return err
		}
		if ts != "" {
			if err := s.paced(ctx, "chat.update", ch); err != nil {
				return err
			}
			_, _, _, err := s.api.UpdateMessageContext(ctx, ch, ts, opts...)
			if err == nil {
				s.log.Info("alert updated", "dedup_key", r.DedupKey, "channel", ch, "ts", ts)
				return ack(ch, ts)
			}
			if code := slackCode(err); code != "message_not_found" && code != "cant_update_message" {
				return fmt.Errorf("updating message %s: %w", ts, err)
			}
			// The earlier message is gone: post a new one.
		}
	}
	channel := r.Channel
	var threadTS string
	// A thread lives in one channel: scope it by the configured channel so
	// a brand moving to another channel starts fresh threads there.
	threadKey := r.Channel + " " + r.ThreadKey
	if r.ThreadKey != "" {
		ch, ts, err := s.outbox.SlackThread(ctx, r.Brand, threadKey)
		if err != nil {
			return err
		}
		if ts != "" {
			channel, threadTS = ch, ts
			opts = append(opts, slack.MsgOptionTS(ts))
		}
	}
	var ch, ts string
	var found bool
	if !r.PostingSince.IsZero() {
		// An earlier claim started posting this row and never
		// acknowledged it: it may be in Slack already.
		var err error
		ch, ts, found, err = s.findPosted(ctx, r, channel, threadTS)
		if err != nil {
			return err
		}
	}
	if found {
		if err := ack(ch, ts); err != nil {
			return err
		}
		s.log.Info("alert found already posted", "dedup_key", r.DedupKey, "channel", ch, "ts", ts)
	} else {
		// Paced per configured channel: a reply names the thread's
		// channel by id, a top-level post by the configured name.
		if err := s.paced(ctx, "chat.postMessage", r.Channel); err != nil {
			return err
		}
		var err error
		ch, ts, err = s.api.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			return fmt.Errorf("posting to %s: %w", channel, err)
		}
		if err := ack(ch, ts); err != nil {
			return err
		}
		s.log.Info("alert sent", "dedup_key", r.DedupKey, "channel", ch, "ts", ts, "thread_ts", threadTS)
	}
	if r.ThreadKey != "" && threadTS == "" {
		if _, _, err := s.outbox.SaveSlackThread(context.WithoutCancel(ctx), r.Brand, threadKey, ch, ts); err != nil {
			s.log.Error("recording slack thread", "thread_key", r.ThreadKey, "err", err)
		}
	}
	return nil
}

// permanentCodes are Slack errors a message can never get past by being
// sent again: its blocks, text or metadata are refused, or the channel
// does not take it (docs.slack.dev reference/methods/chat.postMessage and
// chat.update, "Errors").
var permanentCodes = map[string]bool{
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true, "msg_blocks_too_long": true,
	"no_text": true, "too_many_attachments": true, "invalid_attachments": true,
	"invalid_metadata_format": true, "invalid_metadata_schema": true, "metadata_too_large": true,
	"metadata_must_be_sent_from_app": true, "channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"restricted_action": true, "restricted_action_read_only_channel": true, "restricted_action_thread_only_channel": true,
	"restricted_action_non_threadable_channel": true, "cannot_reply_to_message": true, "invalid_arguments": true,
	"invalid_arg_name": true, "invalid_array_arg": true, "invalid_charset": true, "edit_window_closed": true,
	"too_many_contact_cards": true, "team_access_not_granted": true, "duplicate_channel_not_found": true,
}

// Permanent reports whether a delivery error can never pass when the same
// message is sent again, and its reason (the Slack error code, or
// "payload" for an undecodable outbox row).
func Permanent(err error) (string, bool) {
	var pe *payloadError
	if errors.As(err, &pe) {
		return "payload", true
	}
	code := slackCode(err)
	return code, permanentCodes[code]
}

// classify says what a delivery error means for the rest of the batch.
func classify(err error) (failure, time.Duration) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		if rl.RetryAfter <= 0 {
			return failRateLimit, defaultRateLimitWait
		}
		return failRateLimit, rl.RetryAfter
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code == http.StatusTooManyRequests {
			return failRateLimit, defaultRateLimitWait
		}
		return failOutage, 0
	}
	switch slackCode(err) {
	case "ratelimited", "rate_limited":
		return failRateLimit, defaultRateLimitWait
	case "not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "no_permission",
		"missing_scope", "org_login_required", "ekm_access_denied", "internal_error", "fatal_error",
		"service_unavailable", "request_timeout", "team_added_to_org":
		return failOutage, 0
	case "":
	default:
		return failMessage, 0
	}
	var pe *payloadError
	if errors.As(err, &pe) {
		return failMessage, 0
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
		return failOutage, 0
	}
	return failOutage, 0
}

// slackCode returns the Slack "error" code of err, or "".
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// defaultHTTPTimeout bounds one Slack call, well inside the default lease.
const defaultHTTPTimeout = 30 * time.Second
