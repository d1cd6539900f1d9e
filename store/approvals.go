package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Approval states of a platform action (ActionRecord.Status).
const (
	// ActionAwaiting is an intent of a test with `actions: approve` that
	// waits for a member of its approvers' group; nothing is sent.
	ActionAwaiting = "awaiting"
	// ActionExpired is an awaiting intent whose question lapsed: the next
	// checkpoint came, or the verdict it was proposed from changed.
	ActionExpired = "expired"
)

// Outcomes of an approval attempt (Decision.Outcome).
const (
	DecisionApproved   = "approved"
	DecisionSkipped    = "skipped"
	DecisionNotAllowed = "not_allowed"
	// DecisionAlready: someone decided it first (a double click, a retried
	// delivery, a second approver); nothing changed.
	DecisionAlready = "already_decided"
	// DecisionExpired: the question lapsed (next checkpoint, changed
	// verdict); nothing changed.
	DecisionExpired = "expired"
	// DecisionUnknown: no such action.
	DecisionUnknown = "unknown_action"
)

// Decision is one approval or skip attempt on an awaiting action.
type Decision struct {
	// Key is the action's idempotency key (ActionKey.String); ID may be
	// given instead (the command line).
	Key ActionKey
	ID  int64
	// UserID is the Slack user id or "cli:<name>"; UserName how it is
	// shown ("@ana").
	UserID, UserName string
	// Via is "slack" or "cli".
	Via string
	// Approve is true to approve, false to skip.
	Approve bool
}

// String is the idempotency key as carried by an approval button:
// brand|test|variant|action|target|checkpoint.
func (k ActionKey) String() string {
	return strings.Join([]string{k.Brand, k.TestID, k.VariantKey, k.Action, k.TargetID, k.Checkpoint}, "|")
}

// ParseActionKey reads an idempotency key written by ActionKey.String.
func ParseActionKey(s string) (ActionKey, error) {
	p := strings.Split(s, "|")
	if len(p) != 6 {
		return ActionKey{}, fmt.Errorf("malformed action key %q", s)
	}
	return ActionKey{Brand: p[0], TestID: p[1], VariantKey: p[2], Action: p[3], TargetID: p[4], Checkpoint: p[5]}, nil
}

// ProposeAction records intent in as awaiting approval by members of
// group, proposed from verdict and lapsing at expires, unless its key
// already has a row (then nothing changes and proposed is false).
func (db *DB) ProposeAction(ctx context.Context, in ActionIntent, verdict, group string, expires, now time.Time) (rec ActionRecord, proposed bool, err error) {
	k := in.ActionKey
	row := db.x.QueryRowxContext(ctx, `
		INSERT INTO platform_actions (brand, test_id, variant_key, platform, account, action, target_id, checkpoint, status,
			claimed_at, target_value, currency, before_value, reason, verdict, approver_group, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting', $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (brand, test_id, variant_key, action, target_id, checkpoint) DO NOTHING
		RETURNING `+actionColumns,
		k.Brand, k.TestID, k.VariantKey, k.Platform, k.Account, k.Action, k.TargetID, k.Checkpoint, now,
		in.Target, in.Currency, in.Before, in.Reason, verdict, group, expires)
	a, err := scanAction(row)
	if errors.Is(err, sql.ErrNoRows) {
		return ActionRecord{}, false, nil
	}
	if err != nil {
		return ActionRecord{}, false, fmt.Errorf("proposing action %s %s: %w", k.Action, k.TargetID, err)
	}
	return a, true, nil
}

// ExpireAwaiting settles as expired the awaiting actions of a brand's
// test that are not of checkpoint current (a later checkpoint came), are
// past their expiry, or whose verdict is no longer the stored verdict of
// their subject at their checkpoint. It returns how many expired.
func (db *DB) ExpireAwaiting(ctx context.Context, brand, testID, current string, now time.Time) (int, error) {
	res, err := db.x.ExecContext(ctx, `
		UPDATE platform_actions a SET status = 'expired', finished_at = $4,
			note = CASE WHEN a.checkpoint <> $3 OR a.expires_at <= $4 THEN 'expired: the next checkpoint came before anyone approved'
				ELSE 'expired: the verdict changed before anyone approved' END
		WHERE a.brand = $1 AND a.test_id = $2 AND a.status = 'awaiting'
			AND (a.checkpoint <> $3 OR a.expires_at <= $4 OR NOT EXISTS (
				SELECT 1 FROM verdicts v WHERE v.brand = a.brand AND v.test_id = a.test_id AND v.subject = a.variant_key
					AND v.checkpoint = a.checkpoint AND v.verdict = a.verdict))`, brand, testID, current, now)
	if err != nil {
		return 0, fmt.Errorf("expiring approvals of %s/%s: %w", brand, testID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Decide approves or skips an awaiting action in one guarded statement:
// only a row still awaiting, not expired at now, whose verdict is still
// the stored verdict, changes, so of a double click, a retried delivery
// or two approvers at once exactly one changes it; the others get
// DecisionAlready (or DecisionExpired). An approval makes the row pending
// for the existing path (read, send, read back); a skip settles it.
// allowed false records a refused attempt and changes nothing. Every
// attempt is recorded. It returns the outcome and the row as it is after.
func (db *DB) Decide(ctx context.Context, d Decision, allowed bool, now time.Time) (string, ActionRecord, error) {
	var outcome string
	var rec ActionRecord
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		where, args := `brand = $1 AND test_id = $2 AND variant_key = $3 AND action = $4 AND target_id = $5 AND checkpoint = $6`,
			[]any{d.Key.Brand, d.Key.TestID, d.Key.VariantKey, d.Key.Action, d.Key.TargetID, d.Key.Checkpoint}
		if d.ID != 0 {
			where, args = `id = $1`, []any{d.ID}
		}
		cur, err := scanAction(tx.QueryRowxContext(ctx, `SELECT `+actionColumns+` FROM platform_actions WHERE `+where, args...))
		if errors.Is(err, sql.ErrNoRows) {
			outcome = DecisionUnknown
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading action to decide: %w", err)
		}
		rec = cur
		decision := "skip"
		if d.Approve {
			decision = "approve"
		}
		record := func(o string) error {
			outcome = o
			_, err := tx.ExecContext(ctx, `INSERT INTO action_decisions (action_id, brand, user_id, user_name, via, decision, outcome, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, cur.ID, cur.Brand, d.UserID, d.UserName, d.Via, decision, o, now)
			if err != nil {
				return fmt.Errorf("recording decision on action %d: %w", cur.ID, err)
			}
			return nil
		}
		if !allowed {
			return record(DecisionNotAllowed)
		}
		status, note := ActionPending, "approved by "+d.UserName
		var fin any
		if !d.Approve {
			status, note, fin = ActionSkipped, "skipped by "+d.UserName, now
		}
		row := tx.QueryRowxContext(ctx, `
			UPDATE platform_actions a SET status = $2, note = $3, finished_at = $4, decided_by = $5, decided_name = $6, decided_at = $7
			WHERE a.id = $1 AND a.status = 'awaiting' AND (a.expires_at IS NULL OR a.expires_at > $7)
				AND EXISTS (SELECT 1 FROM verdicts v WHERE v.brand = a.brand AND v.test_id = a.test_id AND v.subject = a.variant_key
					AND v.checkpoint = a.checkpoint AND v.verdict = a.verdict)
			RETURNING `+actionColumns, cur.ID, status, note, fin, d.UserID, d.UserName, now)
		after, err := scanAction(row)
		switch {
		case err == nil:
			rec = after
			if d.Approve {
				return record(DecisionApproved)
			}
			return record(DecisionSkipped)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("deciding action %d: %w", cur.ID, err)
		}
		// Not changed: read what it is now (another decision may have
		// committed since the first read).
		if rec, err = scanAction(tx.QueryRowxContext(ctx, `SELECT `+actionColumns+` FROM platform_actions WHERE id = $1`, cur.ID)); err != nil {
			return fmt.Errorf("reading action %d: %w", cur.ID, err)
		}
		if rec.Status == ActionAwaiting || rec.Status == ActionExpired {
			return record(DecisionExpired)
		}
		return record(DecisionAlready)
	})
	return outcome, rec, err
}

// DecisionRecord is a recorded approval attempt (ActionDecisions).
type DecisionRecord struct {
	ActionID int64     `json:"action_id" db:"action_id"`
	UserID   string    `json:"user_id" db:"user_id"`
	UserName string    `json:"user_name" db:"user_name"`
	Via      string    `json:"via" db:"via"`
	Decision string    `json:"decision" db:"decision"`
	Outcome  string    `json:"outcome" db:"outcome"`
	At       time.Time `json:"at" db:"at"`
}

// ActionDecisions returns every approval or skip attempt on a brand's
// actions, oldest first.
func (db *DB) ActionDecisions(ctx context.Context, brand string) ([]DecisionRecord, error) {
	var out []DecisionRecord
	err := db.x.SelectContext(ctx, &out, `SELECT action_id, user_id, user_name, via, decision, outcome, at
		FROM action_decisions WHERE brand = $1 ORDER BY id`, brand)
	if err != nil {
		return nil, fmt.Errorf("reading approval attempts of %s: %w", brand, err)
	}
	return out, nil
}

// ApprovalActions lists the actions of a brand's test for which approval
// was asked, in id order (all tests when testID is "").
func (db *DB) ApprovalActions(ctx context.Context, brand, testID string) ([]ActionRecord, error) {
	if testID == "" {
		return db.queryActions(ctx, `WHERE brand = $1 AND approver_group <> '' ORDER BY id`, brand)
	}
	return db.queryActions(ctx, `WHERE brand = $1 AND test_id = $2 AND approver_group <> '' ORDER BY id`, brand, testID)
}

// AwaitingActions lists the actions awaiting approval across brands, in
// id order.
func (db *DB) AwaitingActions(ctx context.Context) ([]ActionRecord, error) {
	return db.queryActions(ctx, `WHERE status = 'awaiting' ORDER BY id`)
}

// ActionByID returns the action with id.
func (db *DB) ActionByID(ctx context.Context, id int64) (ActionRecord, error) {
	recs, err := db.queryActions(ctx, `WHERE id = $1`, id)
	if err != nil {
		return ActionRecord{}, err
	}
	if len(recs) == 0 {
		return ActionRecord{}, fmt.Errorf("no action %d", id)
	}
	return recs[0], nil
}

// ActionBrands lists the brands with actions asked for approval.
func (db *DB) ActionBrands(ctx context.Context) ([]string, error) {
	var out []string
	if err := db.x.SelectContext(ctx, &out, `SELECT DISTINCT brand FROM platform_actions WHERE approver_group <> '' ORDER BY brand`); err != nil {
		return nil, fmt.Errorf("listing brands with approvals: %w", err)
	}
	return out, nil
}
