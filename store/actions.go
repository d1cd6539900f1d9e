package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

const actionColumns = `id, brand, test_id, variant_key, platform, account, action, target_id, checkpoint, status,
	before_value, after_value, error, claimed_at, finished_at, target_value, currency, reason, note, sends,
	last_sent_at, readback_value, readback_at, effective_from, verdict, approver_group, expires_at, decided_by, decided_name, decided_at`

func scanAction(rows interface{ Scan(...any) error }) (ActionRecord, error) {
	var a ActionRecord
	var fin, sent, rb, exp, dec sql.NullTime
	err := rows.Scan(&a.ID, &a.Brand, &a.TestID, &a.VariantKey, &a.Platform, &a.Account, &a.Action, &a.TargetID, &a.Checkpoint,
		&a.Status, &a.Before, &a.After, &a.Error, &a.ClaimedAt, &fin, &a.Target, &a.Currency, &a.Reason, &a.Note, &a.Sends,
		&sent, &a.ReadbackValue, &rb, &a.EffectiveFrom, &a.Verdict, &a.ApproverGroup, &exp, &a.DecidedBy, &a.DecidedName, &dec)
	a.FinishedAt, a.LastSentAt, a.ReadbackAt, a.ExpiresAt, a.DecidedAt = fin.Time, sent.Time, rb.Time, exp.Time, dec.Time
	return a, err
}

func (db *DB) queryActions(ctx context.Context, where string, args ...any) ([]ActionRecord, error) {
	rows, err := db.x.QueryxContext(ctx, `SELECT `+actionColumns+` FROM platform_actions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("listing platform actions: %w", err)
	}
	defer rows.Close()
	var out []ActionRecord
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("listing platform actions: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActionIntent is a platform action to record before it is attempted:
// its key, its absolute target and the state it was planned from.
type ActionIntent struct {
	ActionKey
	// Target is a paused status or a budget in minor units of Currency.
	Target   string
	Currency string
	// Before is the state the target was computed from.
	Before string
	Reason string
}

// ClaimNewAction records intent in, claimed under token, unless its key
// already has a row (then claimed is false and nothing changes: an intent
// is planned once).
func (db *DB) ClaimNewAction(ctx context.Context, in ActionIntent, token string, now time.Time) (ActionRecord, bool, error) {
	k := in.ActionKey
	row := db.x.QueryRowxContext(ctx, `
		INSERT INTO platform_actions (brand, test_id, variant_key, platform, account, action, target_id, checkpoint, status,
			claimed_at, claim_token, target_value, currency, before_value, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'claimed', $9, $10, $11, $12, $13, $14)
		ON CONFLICT (brand, test_id, variant_key, action, target_id, checkpoint) DO NOTHING
		RETURNING `+actionColumns,
		k.Brand, k.TestID, k.VariantKey, k.Platform, k.Account, k.Action, k.TargetID, k.Checkpoint, now, token,
		in.Target, in.Currency, in.Before, in.Reason)
	a, err := scanAction(row)
	if errors.Is(err, sql.ErrNoRows) {
		return ActionRecord{}, false, nil
	}
	if err != nil {
		return ActionRecord{}, false, fmt.Errorf("claiming action %s %s: %w", k.Action, k.TargetID, err)
	}
	return a, true, nil
}

// ClaimOpenActions claims, under token, a brand's actions that are not
// settled: pending and unknown ones, and claimed ones, which a run of the
// brand's verdicts (one at a time, under the brand's lease) only finds
// when the run that claimed them died between claim and outcome.
func (db *DB) ClaimOpenActions(ctx context.Context, brand, token string, now time.Time) ([]ActionRecord, error) {
	rows, err := db.x.QueryxContext(ctx, `
		UPDATE platform_actions SET status = 'claimed', claim_token = $2, claimed_at = $3
		WHERE brand = $1 AND status IN ('claimed', 'pending', 'unknown') AND claim_token <> $2
		RETURNING `+actionColumns, brand, token, now)
	if err != nil {
		return nil, fmt.Errorf("claiming open actions of %s: %w", brand, err)
	}
	defer rows.Close()
	var out []ActionRecord
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("claiming open actions of %s: %w", brand, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claiming open actions of %s: %w", brand, err)
	}
	// Oldest first: a batch is finished in the order it was planned.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// ActionCheckpoints names the checkpoints of a brand's test that have
// recorded actions.
func (db *DB) ActionCheckpoints(ctx context.Context, brand, testID string) (map[string]bool, error) {
	var cps []string
	if err := db.x.SelectContext(ctx, &cps, `SELECT DISTINCT checkpoint FROM platform_actions WHERE brand = $1 AND test_id = $2`, brand, testID); err != nil {
		return nil, fmt.Errorf("listing action checkpoints of %s/%s: %w", brand, testID, err)
	}
	out := map[string]bool{}
	for _, c := range cps {
		out[c] = true
	}
	return out, nil
}

// Steps of an action's log (ActionStep.Step).
const (
	StepRead     = "read"
	StepSend     = "send"
	StepReadBack = "readback"
	// StepAnswer is the platform's answer to a send: ok, refused or
	// unknown (lost, 5xx, timeout).
	StepAnswer = "answer"
)

// Outcomes of a logged step (ActionStep.Outcome).
const (
	StepOK      = "ok"
	StepRefused = "refused"
	StepUnknown = "unknown"
	StepError   = "error"
)

// ActionStep is one read, write or read-back made for an action.
type ActionStep struct {
	ActionID int64
	Platform string
	TargetID string
	Action   string
	// Step is StepRead, StepSend, StepAnswer or StepReadBack.
	Step string
	// Value is the state read or the value sent.
	Value   string
	Outcome string
	Error   string
	At      time.Time
}

// ErrClaimLost is returned when a claim is no longer the caller's: an
// action no longer claimed under its token (another run swept it), or an
// outbox row another sender claimed after the caller's claim ran out.
var ErrClaimLost = errors.New("no longer claimed by the caller")

// LogActionStep appends s to the action's log while the action is still
// claimed under token. A send is logged (and counted in sends) before the
// write is made, so a run that dies during the write leaves a row that the
// next run reads back instead of sending blind; a read-back also stores
// the value read.
func (db *DB) LogActionStep(ctx context.Context, token string, s ActionStep) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		q, args := `UPDATE platform_actions SET claimed_at = claimed_at WHERE id = $1 AND status = 'claimed' AND claim_token = $2`,
			[]any{s.ActionID, token}
		switch s.Step {
		case StepSend:
			q = `UPDATE platform_actions SET sends = sends + 1, last_sent_at = $3 WHERE id = $1 AND status = 'claimed' AND claim_token = $2`
			args = append(args, s.At)
		case StepReadBack:
			q = `UPDATE platform_actions SET readback_value = $4, readback_at = $3 WHERE id = $1 AND status = 'claimed' AND claim_token = $2`
			args = append(args, s.At, s.Value)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("logging %s of action %d: %w", s.Step, s.ActionID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("logging %s of action %d: %w", s.Step, s.ActionID, ErrClaimLost)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO platform_action_log (action_id, platform, target_id, action, step, value, outcome, error, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			s.ActionID, s.Platform, s.TargetID, s.Action, s.Step, s.Value, s.Outcome, s.Error, s.At); err != nil {
			return fmt.Errorf("logging %s of action %d: %w", s.Step, s.ActionID, err)
		}
		return nil
	})
}

// ActionOutcome is what became of a claimed action.
type ActionOutcome struct {
	// Status is ActionApplied, ActionAlready, ActionFailed, ActionSkipped
	// (settled), or ActionPending, ActionUnknown (tried again next run).
	Status        string
	Before, After string
	Error         string
	Note          string
	EffectiveFrom string
}

// SettleAction records the outcome of an action claimed under token and
// queues its alerts in the same transaction, so an outcome is announced
// exactly when it is recorded. Pending and unknown outcomes release the
// claim for the next run.
func (db *DB) SettleAction(ctx context.Context, id int64, token string, o ActionOutcome, now time.Time, alerts []OutboxRow) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var fin any = now
		if o.Status == ActionPending || o.Status == ActionUnknown {
			fin = nil
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE platform_actions SET status = $3, before_value = CASE WHEN $4 = '' THEN before_value ELSE $4 END,
				after_value = $5, error = $6, note = $7, effective_from = $8, finished_at = $9, claim_token = ''
			WHERE id = $1 AND status = 'claimed' AND claim_token = $2`,
			id, token, o.Status, o.Before, o.After, o.Error, o.Note, o.EffectiveFrom, fin)
		if err != nil {
			return fmt.Errorf("settling action %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("settling action %d: %w", id, ErrClaimLost)
		}
		_, err = EnqueueAlertsTx(ctx, tx, alerts)
		return err
	})
}

// ActionSends counts the writes logged for a platform target's action
// kind at or after since (every send, whatever its outcome: a write
// whose answer was lost may still count on the platform).
func (db *DB) ActionSends(ctx context.Context, platform, targetID, action string, since time.Time) (int, error) {
	var n int
	err := db.x.GetContext(ctx, &n, `
		SELECT count(*) FROM platform_action_log
		WHERE platform = $1 AND target_id = $2 AND action = $3 AND step = 'send' AND at >= $4`, platform, targetID, action, since)
	if err != nil {
		return 0, fmt.Errorf("counting writes to %s %s: %w", platform, targetID, err)
	}
	return n, nil
}

// ActionsChanged lists the actions of a kind on a platform target that
// changed it (applied after at least one send) in [from, to), oldest first.
func (db *DB) ActionsChanged(ctx context.Context, platform, targetID, action string, from, to time.Time) ([]ActionRecord, error) {
	return db.queryActions(ctx, `WHERE platform = $1 AND target_id = $2 AND action = $3 AND status = 'applied' AND sends > 0
		AND finished_at >= $4 AND finished_at < $5 ORDER BY finished_at, id`, platform, targetID, action, from, to)
}

// ActionLogEntry is a logged step of an action (ActionLog).
type ActionLogEntry struct {
	ActionID int64     `json:"action_id" db:"action_id"`
	Step     string    `json:"step" db:"step"`
	Value    string    `json:"value" db:"value"`
	Outcome  string    `json:"outcome" db:"outcome"`
	Error    string    `json:"error,omitempty" db:"error"`
	At       time.Time `json:"at" db:"at"`
}

// ActionLog returns the logged steps of a brand's actions, by action then
// in order.
func (db *DB) ActionLog(ctx context.Context, brand string) ([]ActionLogEntry, error) {
	var out []ActionLogEntry
	err := db.x.SelectContext(ctx, &out, `
		SELECT l.action_id, l.step, l.value, l.outcome, l.error, l.at
		FROM platform_action_log l JOIN platform_actions a ON a.id = l.action_id
		WHERE a.brand = $1 ORDER BY l.action_id, l.id`, brand)
	if err != nil {
		return nil, fmt.Errorf("reading the action log of %s: %w", brand, err)
	}
	return out, nil
}
