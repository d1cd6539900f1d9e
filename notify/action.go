package notify

import (
	"fmt"

	"github.com/roasd/roasd/reconcile"
)

// Outcomes of a platform action (ActionResult.Outcome).
const (
	// OutcomeApplied: roasd changed the platform (confirmed by its answer,
	// or by reading it back after the answer was lost).
	OutcomeApplied = "applied"
	// OutcomeAlready: the platform was already at the target; nothing was
	// sent.
	OutcomeAlready = "already"
	// OutcomeFailed: the platform refused the change.
	OutcomeFailed = "failed"
	// OutcomeNotDone: roasd did not make the change (a budget it cannot
	// raise); Error says why and what to do.
	OutcomeNotDone = "not done"
)

// ActionResult is what became of a platform action, for its alert.
type ActionResult struct {
	TestID, Checkpoint, Subject string
	Platform                    string
	// Action is reconcile.ActionPauseAd, ActionSetBudget or
	// ActionSetCampaignBudget.
	Action   string
	TargetID string
	// Outcome is OutcomeApplied, OutcomeAlready or OutcomeFailed.
	Outcome string
	// Before and After are shown as they are (a status, or a budget with
	// its currency).
	Before, After string
	Reason        string
	// Note says how the outcome was learnt (e.g. read back after a lost
	// answer).
	Note string
	// EffectiveFrom is when the platform applies the change, when not at
	// once (a TikTok daily budget).
	EffectiveFrom string
	// Error is the platform's refusal (OutcomeFailed).
	Error string
}

// ActionResultAlert announces what became of a platform action. Its dedup
// key is the action's key and outcome, so an action is announced once
// whichever run settles it.
func ActionResultAlert(t Target, a ActionResult) Alert {
	var what string
	switch {
	case a.Action == reconcile.ActionSetBudget && a.EffectiveFrom != "":
		what = "Scheduled daily budget of ad group " + a.TargetID
	case a.Action == reconcile.ActionSetBudget && a.Platform == "tiktok":
		what = "Raised budget of ad group " + a.TargetID
	case a.Action == reconcile.ActionSetBudget:
		what = "Raised daily budget of ad set " + a.TargetID
	case a.Action == reconcile.ActionSetCampaignBudget:
		what = "Raised daily budget of campaign " + a.TargetID
	default:
		what = "Paused ad " + a.TargetID
	}
	if a.Outcome == OutcomeNotDone {
		what = "Budget of " + a.TargetID + " not raised"
		if a.Action == reconcile.ActionSetCampaignBudget {
			what = "Budget of campaign " + a.TargetID + " not raised"
		}
	}
	word := map[string]string{OutcomeApplied: "done", OutcomeAlready: "already done", OutcomeFailed: "failed", OutcomeNotDone: "action needed"}[a.Outcome]
	if word == "" {
		word = a.Outcome
	}
	reason := a.Reason
	switch {
	case a.Outcome == OutcomeFailed:
		reason += "; the platform refused: " + a.Error
	case a.Outcome == OutcomeNotDone:
		reason += "; not done: " + a.Error
	case a.Note != "":
		reason += "; " + a.Note
	}
	fields := []Field{{"Before", a.Before}, {"After", a.After}}
	if a.EffectiveFrom != "" {
		reason += fmt.Sprintf("; TikTok applies a daily budget change from the next day: in effect from %s", a.EffectiveFrom)
		fields = append(fields, Field{"Takes effect", a.EffectiveFrom})
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, ThreadKey: CheckpointThread(a.TestID, a.Checkpoint), Kind: KindAction, Mention: t.mention(a.TestID), NotBefore: t.NotBefore,
		DedupKey:  fmt.Sprintf("action:%s:%s:%s:%s:%s:%s:%s", t.Brand, a.TestID, a.Subject, a.Action, a.TargetID, a.Checkpoint, a.Outcome),
		Title:     fmt.Sprintf("%s (%s) — %s", what, word, a.Subject),
		Reason:    reason,
		Fields:    fields,
		Context:   contextLine(t.Brand, a.TestID, "checkpoint "+a.Checkpoint, a.Platform),
		ReportURL: t.ReportURL,
	}
}
