package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// OutboxRow is one alert in the outbox. It is an alias of an unnamed struct
// type, identical to notify.OutboxRow, so *DB satisfies notify.Outbox
// without either package importing the other (store_test asserts it).
//
// DedupKey is unique: enqueueing the same key again does nothing unless the
// row was superseded. Rows sharing a non-empty UpdateKey are revisions of
// one Slack message; enqueueing a new revision supersedes the older ones.
// Payload is the JSON the sender renders.
type OutboxRow = struct {
	ID        int64
	DedupKey  string
	UpdateKey string
	Brand     string
	Channel   string
	ThreadKey string
	Kind      string
	Payload   []byte
	// Attempts counts delivery attempts, including the current claim.
	Attempts int
	// PostingSince is when an earlier claim started posting the row to
	// Slack (MarkPosting) without it being acknowledged since; zero when
	// no post was ever started.
	PostingSince time.Time
}

// Outbox row states (AlertState.Status).
const (
	AlertPending = "pending"
	AlertSent    = "sent"
	AlertDead    = "dead"
)

// AlertState is an outbox row as the sender left it, for reports and tests.
type AlertState struct {
	ID           int64
	DedupKey     string
	UpdateKey    string
	Kind         string
	Status       string
	Superseded   bool
	Attempts     int
	LastError    string
	NextAttempt  time.Time
	SlackChannel string
	SlackTS      string
}

// VerdictRow is a verdict as stored: one per brand, test, subject and
// checkpoint, overwritten by later evaluations.
type VerdictRow struct {
	Brand      string
	TestID     string
	Subject    string
	Checkpoint string
	Platform   string
	Verdict    string
	Rule       string
	Reason     string
	// Metrics is a JSON object with the numbers behind the verdict.
	Metrics   []byte
	DecidedOn ads.Date
	// Changes counts how often the verdict changed (read only).
	Changes int
}

// EnqueueAlerts adds rows to the outbox and returns how many were new (or
// revived). A row whose dedup key is already queued or sent is skipped.
func (db *DB) EnqueueAlerts(ctx context.Context, rows []OutboxRow) (int, error) {
	var n int
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		n, err = EnqueueAlertsTx(ctx, tx, rows)
		return err
	})
	return n, err
}

// EnqueueAlertsTx is EnqueueAlerts inside the caller's transaction, so an
// alert is queued if and only if the change it announces is committed.
func EnqueueAlertsTx(ctx context.Context, tx *sqlx.Tx, rows []OutboxRow) (int, error) {
	n := 0
	for _, r := range rows {
		if r.DedupKey == "" || r.Brand == "" || r.Kind == "" {
			return n, fmt.Errorf("enqueueing alert %q: dedup key, brand and kind are required", r.DedupKey)
		}
		payload := string(r.Payload)
		if payload == "" {
			payload = "{}"
		}
		var id int64
		err := tx.QueryRowxContext(ctx, `
			INSERT INTO alert_outbox (dedup_key, update_key, brand, channel, thread_key, kind, payload)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (dedup_key) DO UPDATE SET
				status = 'pending', superseded = false, attempts = 0, last_error = '',
				next_attempt_at = '-infinity', claimed_until = NULL, claimed_by = '',
				channel = EXCLUDED.channel, thread_key = EXCLUDED.thread_key, payload = EXCLUDED.payload
			WHERE alert_outbox.superseded
			RETURNING id`,
			r.DedupKey, r.UpdateKey, r.Brand, r.Channel, r.ThreadKey, r.Kind, payload).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // already queued or delivered
		}
		if err != nil {
			return n, fmt.Errorf("enqueueing alert %s: %w", r.DedupKey, err)
		}
		n++
		if r.UpdateKey == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE alert_outbox SET superseded = true
			WHERE brand = $1 AND update_key = $2 AND id <> $3 AND NOT superseded`,
			r.Brand, r.UpdateKey, id); err != nil {
			return n, fmt.Errorf("superseding older revisions of %s: %w", r.UpdateKey, err)
		}
	}
	return n, nil
}

// SaveVerdictsAndEnqueue stores verdicts and queues their alerts in one
// transaction: either both are committed or neither. It returns how many
// alerts were newly queued.
func (db *DB) SaveVerdictsAndEnqueue(ctx context.Context, verdicts []VerdictRow, alerts []OutboxRow) (int, error) {
	var n int
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, v := range verdicts {
			metrics := string(v.Metrics)
			if metrics == "" {
				metrics = "{}"
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO verdicts (brand, test_id, subject, checkpoint, platform, verdict, rule, reason, metrics, decided_on)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (brand, test_id, subject, checkpoint) DO UPDATE SET
					platform = EXCLUDED.platform, verdict = EXCLUDED.verdict, rule = EXCLUDED.rule,
					reason = EXCLUDED.reason, metrics = EXCLUDED.metrics, decided_on = EXCLUDED.decided_on,
					changes = verdicts.changes + CASE WHEN verdicts.verdict <> EXCLUDED.verdict THEN 1 ELSE 0 END
				WHERE (verdicts.platform, verdicts.verdict, verdicts.rule, verdicts.reason, verdicts.metrics, verdicts.decided_on)
					IS DISTINCT FROM (EXCLUDED.platform, EXCLUDED.verdict, EXCLUDED.rule, EXCLUDED.reason, EXCLUDED.metrics, EXCLUDED.decided_on)`,
				v.Brand, v.TestID, v.Subject, v.Checkpoint, v.Platform, v.Verdict, v.Rule, v.Reason, metrics, v.DecidedOn); err != nil {
				return fmt.Errorf("saving verdict %s/%s/%s@%s: %w", v.Brand, v.TestID, v.Subject, v.Checkpoint, err)
			}
		}
		var err error
		n, err = EnqueueAlertsTx(ctx, tx, alerts)
		return err
	})
	return n, err
}

// Verdicts returns the stored verdicts of a brand's test (all tests when
// testID is empty), ordered by test, checkpoint and subject.
func (db *DB) Verdicts(ctx context.Context, brand, testID string) ([]VerdictRow, error) {
	rows, err := db.x.QueryxContext(ctx, `
		SELECT brand, test_id, subject, checkpoint, platform, verdict, rule, reason, metrics, decided_on, changes
		FROM verdicts WHERE brand = $1 AND ($2 = '' OR test_id = $2)
		ORDER BY test_id, checkpoint, subject`, brand, testID)
	if err != nil {
		return nil, fmt.Errorf("reading verdicts of %s: %w", brand, err)
	}
	defer rows.Close()
	var out []VerdictRow
	for rows.Next() {
		var v VerdictRow
		if err := rows.Scan(&v.Brand, &v.TestID, &v.Subject, &v.Checkpoint, &v.Platform, &v.Verdict, &v.Rule, &v.Reason, &v.Metrics, &v.DecidedOn, &v.Changes); err != nil {
			return nil, fmt.Errorf("reading verdicts of %s: %w", brand, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ClaimAlerts leases up to limit rows due by now (the jobs' clock),
// pending and current, to claimant for lease, oldest first, skipping rows
// another sender holds (FOR UPDATE SKIP LOCKED). The claim's expiry is
// computed and compared on the database clock only, as job leases are
// (AcquireLease): senders whose clocks disagree, or whose jobs' clock is
// pinned with ROASD_NOW, still agree on who holds a row. A sender that
// dies mid-send loses its claim and the rows it had not acknowledged
// (MarkSent) are claimed again afterwards (at once by its own restarted
// replica, see ReleaseDeadClaims). claimant is "replica/incarnation" of
// the sending process.
func (db *DB) ClaimAlerts(ctx context.Context, claimant string, limit int, now time.Time, lease time.Duration) ([]OutboxRow, error) {
	rows, err := db.x.QueryxContext(ctx, `
		WITH due AS (
			SELECT id FROM alert_outbox
			WHERE status = 'pending' AND NOT superseded AND next_attempt_at <= $1
			  AND (claimed_until IS NULL OR claimed_until <= clock_timestamp())
			ORDER BY id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE alert_outbox a SET claimed_until = clock_timestamp() + make_interval(secs => $3), claimed_by = $4, attempts = a.attempts + 1
		FROM due WHERE a.id = due.id
		RETURNING a.id, a.dedup_key, a.update_key, a.brand, a.channel, a.thread_key, a.kind, a.payload, a.attempts, a.posting_since`,
		now, limit, lease.Seconds(), claimant)
	if err != nil {
		return nil, fmt.Errorf("claiming alerts: %w", err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var since sql.NullTime
		if err := rows.Scan(&r.ID, &r.DedupKey, &r.UpdateKey, &r.Brand, &r.Channel, &r.ThreadKey, &r.Kind, &r.Payload, &r.Attempts, &since); err != nil {
			return nil, fmt.Errorf("claiming alerts: %w", err)
		}
		r.PostingSince = since.Time
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claiming alerts: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// MarkPosting records that rows ids are about to be posted to Slack at
// now (one statement for a claimed batch), unless an earlier post was
// already recorded (the earliest is kept). A row claimed again with
// OutboxRow.PostingSince set may be in Slack already and is looked for
// there before it is posted again.
func (db *DB) MarkPosting(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := db.x.ExecContext(ctx, `
		UPDATE alert_outbox SET posting_since = COALESCE(posting_since, $2) WHERE id = ANY($1)`, pq.Array(ids), now)
	if err != nil {
		return fmt.Errorf("marking %d alert(s) posting: %w", len(ids), err)
	}
	return nil
}

// SlackChannelID returns the Slack channel id an earlier alert addressed
// to channel (a name such as "#creator-perf", or an id) was delivered to,
// or "" when none was.
func (db *DB) SlackChannelID(ctx context.Context, channel string) (string, error) {
	var id string
	err := db.x.QueryRowxContext(ctx, `
		SELECT slack_channel FROM alert_outbox
		WHERE channel = $1 AND slack_channel <> ''
		ORDER BY sent_at DESC NULLS LAST, id DESC LIMIT 1`, channel).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("looking up slack channel %s: %w", channel, err)
	}
	return id, nil
}

// MarkSent acknowledges claimant's delivery of row id as Slack message ts
// in channel (and clears its posting mark, see MarkPosting). A claimant
// whose claim ran out may still acknowledge while nobody else has claimed
// the row; once another sender has, it is refused with ErrClaimLost and
// the row left to its new holder (who looks for the post in Slack first).
func (db *DB) MarkSent(ctx context.Context, claimant string, id int64, channel, ts string, now time.Time) error {
	res, err := db.x.ExecContext(ctx, `
		UPDATE alert_outbox SET status = 'sent', slack_channel = $2, slack_ts = $3, sent_at = $4,
			claimed_until = NULL, claimed_by = '', last_error = '', posting_since = NULL
		WHERE id = $1 AND claimed_by = $5`, id, channel, ts, now, claimant)
	if err != nil {
		return fmt.Errorf("marking alert %d sent: %w", id, err)
	}
	return claimHeld(res, "marking alert %d sent by %s: %w", id, claimant)
}

// MarkFailed records claimant's failed attempt: the row is retried at
// next, or given up on when dead. A retried row keeps its posting mark
// (the failed post may have reached Slack); a dead one loses it. A row
// claimant no longer holds (its claim ran out and another sender took it)
// is left to its new holder and ErrClaimLost returned.
func (db *DB) MarkFailed(ctx context.Context, claimant string, id int64, errText string, next time.Time, dead bool) error {
	status := AlertPending
	if dead {
		status = AlertDead
	}
	res, err := db.x.ExecContext(ctx, `
		UPDATE alert_outbox SET status = $2, last_error = $3, next_attempt_at = $4, claimed_until = NULL, claimed_by = '',
			posting_since = CASE WHEN $2 = 'dead' THEN NULL ELSE posting_since END
		WHERE id = $1 AND claimed_by = $5`, id, status, errText, next, claimant)
	if err != nil {
		return fmt.Errorf("marking alert %d failed: %w", id, err)
	}
	return claimHeld(res, "marking alert %d failed by %s: %w", id, claimant)
}

// claimHeld returns ErrClaimLost, wrapped with format and args, when res
// changed no row.
func claimHeld(res sql.Result, format string, id int64, claimant string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf(format, id, claimant, err)
	}
	if n == 0 {
		return fmt.Errorf(format, id, claimant, ErrClaimLost)
	}
	return nil
}

// ReleaseDeadClaims hands back the outbox claims that earlier processes of
// replica left (claimant "replica/…" other than "replica/incarnation"): a
// replica name runs one process at a time, so those processes are dead and
// their rows can be claimed again at once rather than when their lease
// runs out. Rows they may have posted keep posting_since, so they are
// looked for in Slack before being posted again. It returns the number of
// rows released.
func (db *DB) ReleaseDeadClaims(ctx context.Context, replica, incarnation string) (int64, error) {
	res, err := db.x.ExecContext(ctx, `
		UPDATE alert_outbox SET claimed_until = NULL, claimed_by = ''
		WHERE status = 'pending' AND claimed_until IS NOT NULL
		  AND starts_with(claimed_by, $1 || '/') AND claimed_by <> $1 || '/' || $2`, replica, incarnation)
	if err != nil {
		return 0, fmt.Errorf("releasing outbox claims left by earlier processes of %s: %w", replica, err)
	}
	return res.RowsAffected()
}

// ReleaseAlerts hands claimant's claimed rows back untried (their attempt
// is not counted), to be claimed again from next on. Rows claimant no
// longer holds are left alone.
func (db *DB) ReleaseAlerts(ctx context.Context, claimant string, ids []int64, next time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := db.x.ExecContext(ctx, `
		UPDATE alert_outbox SET claimed_until = NULL, claimed_by = '', next_attempt_at = $2, attempts = GREATEST(attempts - 1, 0)
		WHERE id = ANY($1) AND status = 'pending' AND claimed_by = $3`, pq.Array(ids), next, claimant)
	if err != nil {
		return fmt.Errorf("releasing %d alerts: %w", len(ids), err)
	}
	return nil
}

// SentMessage returns the channel and ts of the latest delivered revision
// of the message updateKey of brand, or empty strings when none was sent.
func (db *DB) SentMessage(ctx context.Context, brand, updateKey string) (channel, ts string, err error) {
	err = db.x.QueryRowxContext(ctx, `
		SELECT slack_channel, slack_ts FROM alert_outbox
		WHERE brand = $1 AND update_key = $2 AND update_key <> '' AND slack_ts <> ''
		ORDER BY sent_at DESC, id DESC LIMIT 1`, brand, updateKey).Scan(&channel, &ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("looking up message %s: %w", updateKey, err)
	}
	return channel, ts, nil
}

// SlackThread returns the channel and ts of the first message of thread
// threadKey of brand, or empty strings when it has none yet.
func (db *DB) SlackThread(ctx context.Context, brand, threadKey string) (channel, ts string, err error) {
	err = db.x.QueryRowxContext(ctx, `SELECT channel, ts FROM slack_threads WHERE brand = $1 AND thread_key = $2`,
		brand, threadKey).Scan(&channel, &ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("looking up thread %s: %w", threadKey, err)
	}
	return channel, ts, nil
}

// SaveSlackThread records the first message of a thread. When another
// sender recorded one first, that one is kept and returned.
func (db *DB) SaveSlackThread(ctx context.Context, brand, threadKey, channel, ts string) (string, string, error) {
	if _, err := db.x.ExecContext(ctx, `
		INSERT INTO slack_threads (brand, thread_key, channel, ts) VALUES ($1, $2, $3, $4)
		ON CONFLICT (brand, thread_key) DO NOTHING`, brand, threadKey, channel, ts); err != nil {
		return "", "", fmt.Errorf("saving thread %s: %w", threadKey, err)
	}
	return db.SlackThread(ctx, brand, threadKey)
}

// OutboxStats summarises the outbox for health and metrics.
type OutboxStats struct {
	// Backlog counts the current pending rows; Oldest is when the oldest
	// of them was queued (zero when none).
	Backlog int
	Oldest  time.Time
	// Dead counts rows given up on; LastDead is the error of the latest.
	Dead     int
	LastDead string
}

// OutboxStats reads the outbox's backlog and dead rows (of all brands).
func (db *DB) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var oldest sql.NullTime
	err := db.x.QueryRowxContext(ctx, `
		SELECT count(*) FILTER (WHERE status = 'pending' AND NOT superseded),
			min(created_at) FILTER (WHERE status = 'pending' AND NOT superseded),
			count(*) FILTER (WHERE status = 'dead'),
			COALESCE((SELECT last_error FROM alert_outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 1), '')
		FROM alert_outbox`).Scan(&st.Backlog, &oldest, &st.Dead, &st.LastDead)
	if err != nil {
		return st, fmt.Errorf("reading outbox stats: %w", err)
	}
	st.Oldest = oldest.Time
	return st, nil
}

// Alerts lists a brand's outbox rows in id order.
func (db *DB) Alerts(ctx context.Context, brand string) ([]AlertState, error) {
	rows, err := db.x.QueryxContext(ctx, `
		SELECT id, dedup_key, update_key, kind, status, superseded, attempts, last_error,
			CASE WHEN isfinite(next_attempt_at) THEN next_attempt_at END,
			slack_channel, slack_ts
		FROM alert_outbox WHERE brand = $1 ORDER BY id`, brand)
	if err != nil {
		return nil, fmt.Errorf("listing alerts of %s: %w", brand, err)
	}
	defer rows.Close()
	var out []AlertState
	for rows.Next() {
		var a AlertState
		var next sql.NullTime
		if err := rows.Scan(&a.ID, &a.DedupKey, &a.UpdateKey, &a.Kind, &a.Status, &a.Superseded, &a.Attempts, &a.LastError, &next,
			&a.SlackChannel, &a.SlackTS); err != nil {
			return nil, fmt.Errorf("listing alerts of %s: %w", brand, err)
		}
		a.NextAttempt = next.Time
		out = append(out, a)
	}
	return out, rows.Err()
}

// Platform action states (ActionRecord.Status).
const (
	ActionClaimed = "claimed"
	ActionApplied = "applied"
	ActionFailed  = "failed"
	ActionSkipped = "skipped"
	// ActionPending is an intent not yet reached: planned, or deferred by
	// a guardrail or a rate limit, or sent without effect; the next run
	// reads the platform before sending again.
	ActionPending = "pending"
	// ActionUnknown is an intent whose write may have reached the platform
	// but could not be read back; the next run reads back first.
	ActionUnknown = "unknown"
	// ActionAlready is an intent whose target the platform was already at
	// when read: nothing was sent.
	ActionAlready = "already"
)

// ActionKey identifies one platform action: at most one per brand, test,
// variant, action, target and checkpoint is ever applied.
type ActionKey struct {
	Brand      string
	TestID     string
	VariantKey string
	Platform   string
	Account    string
	// Action is "pause_ad" or "set_budget"; TargetID the ad or ad set id.
	Action     string
	TargetID   string
	Checkpoint string
}

// ActionRecord is a recorded platform action.
type ActionRecord struct {
	ActionKey
	ID     int64
	Status string
	// Before is the state read before acting, After the state it was left
	// in: a status, or a budget (micro-units for rows recorded before
	// targets existed, minor units of Currency otherwise).
	Before     string
	After      string
	Error      string
	ClaimedAt  time.Time
	FinishedAt time.Time
	// Target is the absolute target, computed once when the action was
	// planned: a paused status, or a budget in minor units of Currency.
	Target   string
	Currency string
	Reason   string
	// Note says how the outcome was learnt (read back after a lost
	// answer, already at target, deferred by a guardrail).
	Note string
	// Sends counts writes that may have reached the platform.
	Sends         int
	LastSentAt    time.Time
	ReadbackValue string
	ReadbackAt    time.Time
	// EffectiveFrom is when the platform applies the change, when not at
	// once (a TikTok daily budget: 00:00 the next day, advertiser zone).
	EffectiveFrom string
	// Verdict is the verdict an approval was asked for; ApproverGroup the
	// Slack user group whose members may approve ("" when no approval
	// was asked: `actions: apply`); ExpiresAt when the question lapses.
	Verdict       string
	ApproverGroup string
	ExpiresAt     time.Time
	// DecidedBy is who approved or skipped (a Slack user id, or
	// "cli:<name>"), DecidedName how they are shown ("@ana"), DecidedAt
	// when.
	DecidedBy   string
	DecidedName string
	DecidedAt   time.Time
}

// SkipAction records that action k was planned but not taken, and why,
// unless it was already recorded; alerts (e.g. the refusal, with what to
// do) are queued in the same transaction.
func (db *DB) SkipAction(ctx context.Context, k ActionKey, before, reason string, now time.Time, alerts ...OutboxRow) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
		INSERT INTO platform_actions (brand, test_id, variant_key, platform, account, action, target_id, checkpoint,
			status, before_value, after_value, error, claimed_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'skipped', $9, $9, $10, $11, $11)
		ON CONFLICT (brand, test_id, variant_key, action, target_id, checkpoint) DO NOTHING`,
			k.Brand, k.TestID, k.VariantKey, k.Platform, k.Account, k.Action, k.TargetID, k.Checkpoint, before, reason, now)
		if err != nil {
			return fmt.Errorf("recording skipped action %s %s: %w", k.Action, k.TargetID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 || len(alerts) == 0 {
			return nil
		}
		_, err = EnqueueAlertsTx(ctx, tx, alerts)
		return err
	})
}

// Actions lists a brand's recorded platform actions in id order.
func (db *DB) Actions(ctx context.Context, brand string) ([]ActionRecord, error) {
	return db.queryActions(ctx, `WHERE brand = $1 ORDER BY id`, brand)
}
