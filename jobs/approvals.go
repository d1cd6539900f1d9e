package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// approvalGraceDays is how long the proposals of a test's last checkpoint
// stay open (there is no next checkpoint to end them).
const approvalGraceDays = 7

// approvalExpiry is when a proposal of checkpoint label lapses: at the
// start of the next checkpoint's day in the brand's zone, or
// approvalGraceDays after the last one.
func approvalExpiry(b *configs.Brand, t *configs.Test, label string) time.Time {
	cps := t.Checkpoints
	for i, c := range cps {
		if reconcile.CheckpointLabel(c) != label {
			continue
		}
		if i+1 < len(cps) {
			return t.Start.AddDays(cps[i+1]).In(b.Location)
		}
		return t.Start.AddDays(c + approvalGraceDays).In(b.Location)
	}
	return t.Start.AddDays(cps[len(cps)-1] + approvalGraceDays).In(b.Location)
}

// ApplyDecided is the stage run right after someone approves or skips an
// action (a Slack click, `roasd actions approve`): it finishes the
// brand's open actions — the approved ones among them — by the existing
// path (read, send, read back) and refreshes the approval messages. Its
// name is the verdicts stage's, so it holds the same per-brand lease and
// never runs beside a verdicts run.
func (d *Deps) ApplyDecided(reportURL string) Stage {
	return Stage{Name: StageVerdicts, Run: func(ctx context.Context, b *configs.Brand, r *scheduler.Run) error {
		target := notify.Target{Brand: b.Name, Channel: b.Slack.Channel, Currency: b.Currency, ReportURL: reportURL, Owners: owners(b)}
		return d.applyActions(ctx, b, target, nil, r)
	}}
}

// refreshApprovals queues the current revision of every approval message
// of the brand's tests with `actions: approve`: one per test and
// checkpoint, each proposal with its buttons while it awaits, and its
// outcome once decided. A revision equal to the last one is not queued
// again (its dedup key is its content).
func (ax *actionRun) refreshApprovals(ctx context.Context) error {
	var alerts []notify.Alert
	for _, t := range ax.b.Tests {
		if t.Actions != configs.ActionsApprove {
			continue
		}
		recs, err := ax.d.DB.ApprovalActions(ctx, ax.b.Name, t.ID)
		if err != nil {
			return err
		}
		byCP := map[string][]notify.Proposal{}
		var order []string
		for _, rec := range recs {
			if _, ok := byCP[rec.Checkpoint]; !ok {
				order = append(order, rec.Checkpoint)
			}
			byCP[rec.Checkpoint] = append(byCP[rec.Checkpoint], ax.proposal(rec))
		}
		for _, cp := range order {
			alerts = append(alerts, notify.ApprovalAlert(ax.target, t.ID, cp, byCP[cp]))
		}
	}
	if len(alerts) == 0 {
		return nil
	}
	rows, err := notify.Rows(alerts)
	if err != nil {
		return err
	}
	_, err = ax.d.DB.EnqueueAlerts(ctx, rows)
	return err
}

// change describes an action for people: "budget of ad set 123 120.00 →
// 150.00 USD" or "pause ad 456".
func (ax *actionRun) change(rec store.ActionRecord) string {
	switch rec.Action {
	case reconcile.ActionPauseAd:
		return fmt.Sprintf("pause %s ad %s (%s)", rec.Platform, rec.TargetID, rec.VariantKey)
	case reconcile.ActionSetCampaignBudget:
		return fmt.Sprintf("budget of %s campaign %s %s → %s", rec.Platform, rec.TargetID, ax.display(rec, rec.Before), ax.display(rec, rec.Target))
	}
	set := "ad set"
	if rec.Platform == "tiktok" {
		set = "ad group"
	}
	return fmt.Sprintf("budget of %s %s %s %s → %s", rec.Platform, set, rec.TargetID, ax.display(rec, rec.Before), ax.display(rec, rec.Target))
}

// proposal is rec as its approval message shows it.
func (ax *actionRun) proposal(rec store.ActionRecord) notify.Proposal {
	p := notify.Proposal{Key: rec.ActionKey.String(), ID: rec.ID, Change: ax.change(rec), Reason: rec.Reason, Awaiting: rec.Status == store.ActionAwaiting}
	who := ""
	if rec.DecidedName != "" {
		who = fmt.Sprintf("%s by %s %s", map[bool]string{true: "approved", false: "skipped"}[rec.Status != store.ActionSkipped],
			rec.DecidedName, rec.DecidedAt.In(ax.b.Location).Format("15:04"))
	}
	switch rec.Status {
	case store.ActionAwaiting:
	case store.ActionExpired:
		p.Outcome = "expired"
		if _, why, ok := strings.Cut(rec.Note, "expired: "); ok {
			p.Outcome += " — " + why
		}
		p.Outcome += " — " + ax.change(rec) + ", not sent"
	case store.ActionSkipped:
		p.Outcome = who + " — " + ax.change(rec) + ", not sent"
	case store.ActionApplied:
		p.Outcome = who + " — " + ax.change(rec) + ", applied"
		if rec.EffectiveFrom != "" {
			p.Outcome += " (in effect from " + rec.EffectiveFrom + ")"
		}
	case store.ActionAlready:
		p.Outcome = who + " — " + ax.change(rec) + ", already at the target (nothing sent)"
	case store.ActionFailed:
		p.Outcome = who + " — " + ax.change(rec) + ", failed: " + rec.Error
	default: // pending, claimed, unknown: approved, being applied
		p.Outcome = who + " — " + ax.change(rec) + ", being applied"
		if rec.Note != "" && !strings.HasPrefix(rec.Note, "approved by") {
			p.Outcome += " (" + rec.Note + ")"
		}
	}
	return p
}
