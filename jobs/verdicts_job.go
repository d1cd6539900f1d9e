package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// Stage names of the per-brand jobs.
const (
	StageReconcile = "reconcile"
	StageVerdicts  = "verdicts"
	StageNotify    = "notify"
)

// ReconcileStage rebuilds the brand's ledger and KPIs for changed days,
// then queues a Slack alert for each currency pair and day whose orders
// are held out unconverted (once each; see AlertUnconverted).
func ReconcileStage(db *store.DB) Stage {
	return Stage{Name: StageReconcile, Run: func(ctx context.Context, b *configs.Brand, r *scheduler.Run) error {
		n, err := ReconcileBrand(ctx, db, b, r.Now, false)
		r.AddRows(n)
		if err != nil {
			return err
		}
		return AlertUnconverted(ctx, db, b)
	}}
}

// notifyBudget bounds how long one notify run keeps draining the outbox.
const notifyBudget = 5 * time.Minute

// NotifyStage delivers queued alerts to Slack: batch after batch until
// nothing due is left (Slack down or rate limiting reschedules the rest),
// or the run has spent notifyBudget.
func NotifyStage(sender *notify.Sender, m *Metrics) Stage {
	return Stage{Name: StageNotify, Run: func(ctx context.Context, b *configs.Brand, r *scheduler.Run) error {
		start := time.Now()
		for {
			n, err := sender.Flush(ctx, r.Now)
			r.AddRows(int64(n))
			if m != nil {
				m.AlertsSent.Add(float64(n))
			}
			if err != nil || n == 0 || time.Since(start) > notifyBudget {
				return err
			}
		}
	}}
}

// VerdictStage evaluates the brand's tests: verdicts at due checkpoints,
// guards between them, permission and tracking-hygiene alerts, and platform
// actions for tests that opted in. Verdicts and their alerts are stored in
// one transaction, so an alert is queued exactly when its verdict is.
func (d *Deps) VerdictStage(reportURL string) Stage {
	return Stage{Name: StageVerdicts, Run: func(ctx context.Context, b *configs.Brand, r *scheduler.Run) error {
		return d.evaluate(ctx, b, r, reportURL)
	}}
}

func (d *Deps) evaluate(ctx context.Context, b *configs.Brand, r *scheduler.Run, reportURL string) error {
	target := notify.Target{Brand: b.Name, Channel: b.Slack.Channel, Currency: b.Currency, ReportURL: reportURL, Owners: owners(b)}
	// A verdicts run never posts in the brand's quiet hours; a click on
	// Approve (ApplyDecided) is answered at once.
	target.NotBefore = b.Slack.QuietUntil(r.Now, b.Location)
	if held, err := d.holdVerdicts(ctx, b, target, r); held {
		// Actions already decided are still finished: settling one
		// reads only the platform.
		return errors.Join(err, d.applyActions(ctx, b, target, nil, r))
	} else if err != nil {
		return err
	}
	today := ads.DateOf(r.Now, b.Location)
	if _, ok := earliestStart(b, ""); !ok {
		return nil
	}
	in, err := d.evalInput(ctx, b, r.Now, today)
	if err != nil {
		return err
	}
	ev := reconcile.Evaluate(in)
	// The verdicts as last stored: a verdict that differs is a flip, which
	// needs attention (a reply in the checkpoint's thread).
	stored, err := d.DB.Verdicts(ctx, b.Name, "")
	if err != nil {
		return err
	}
	prior := map[[3]string]store.VerdictRow{}
	for _, v := range stored {
		prior[[3]string{v.TestID, v.Subject, v.Checkpoint}] = v
	}
	// The checkpoint tables queued so far (posted or on their way).
	tables, err := d.DB.UpdateKeys(ctx, b.Name, "checkpoint:")
	if err != nil {
		return err
	}
	// latest is each test's latest due checkpoint: its thread takes the
	// test's guards and permission and hygiene alerts.
	latest := map[string]string{}
	var verdictRows []store.VerdictRow
	var alerts []notify.Alert
	var actionsToApply []reconcile.TestEvaluation

	for _, te := range ev.Tests {
		t := te.Test
		plan := notify.Plan{Apply: t.Actions == configs.ActionsApply, Approve: t.Actions == configs.ActionsApprove}
		for i, cp := range te.Checkpoints {
			latest[t.ID] = cp.Label
			// One message per test and checkpoint; posted once, edited
			// when what it shows changes. Of the checkpoints that fell
			// due unseen (a first sync after several), only the latest
			// is posted: it supersedes the others, and their actions
			// are covered by its own.
			shown := i == len(te.Checkpoints)-1 || tables[notify.CheckpointUpdateKey(b.Name, t.ID, cp.Label)]
			if shown {
				alerts = append(alerts, notify.CheckpointAlert(target, t.ID, cp.Label, plan, cp.Verdicts))
			}
			for _, v := range cp.Verdicts {
				metrics, _ := json.Marshal(v)
				verdictRows = append(verdictRows, store.VerdictRow{Brand: b.Name, TestID: t.ID, Subject: v.Subject, Checkpoint: cp.Label,
					Platform: v.Platform, Verdict: v.Verdict, Rule: v.Rule, Reason: v.Reason, Metrics: metrics, DecidedOn: today})
				if was, ok := prior[[3]string{t.ID, v.Subject, cp.Label}]; ok && shown && was.Verdict != v.Verdict {
					alerts = append(alerts, notify.FlipAlert(target, t.ID, cp.Label, plan, was.Verdict, was.Changes+1, v))
				}
			}
		}
		if te.Acts {
			actionsToApply = append(actionsToApply, te)
		}
		// Guards between checkpoints, while the test runs.
		for _, g := range te.Guards {
			alerts = append(alerts, notify.GuardAlert(target, t.ID, te.GuardPeriod, g))
		}
	}

	for _, p := range ev.Permissions {
		alerts = append(alerts, notify.PermissionAlert(target, p))
	}
	for _, h := range ev.Hygiene {
		if h.Kind == reconcile.HygieneUntagged {
			continue // listed in the daily digest, with their spend
		}
		alerts = append(alerts, notify.HygieneAlert(target, h))
	}
	// In the brand's quiet hours the tests' messages wait for them to end
	// (all of a thread waits, so its table stays its first message);
	// operational alerts (tokens, syncs, versions) do not.
	for i := range alerts {
		alerts[i].NotBefore = target.NotBefore
	}
	// What needs attention on a test replies in its latest checkpoint's
	// thread; before the first checkpoint it starts the test's own.
	for i, a := range alerts {
		if id, ok := strings.CutPrefix(a.ThreadKey, "test:"); ok && latest[id] != "" && a.ThreadKey == notify.TestThread(id) {
			alerts[i].ThreadKey = notify.CheckpointThread(id, latest[id])
		}
	}

	rows, err := notify.Rows(alerts)
	if err != nil {
		return err
	}
	n, err := d.DB.SaveVerdictsAndEnqueue(ctx, verdictRows, rows)
	if err != nil {
		return fmt.Errorf("saving verdicts of %s: %w", b.Name, err)
	}
	r.AddRows(int64(n))

	return d.applyActions(ctx, b, target, actionsToApply, r)
}

// holdVerdicts reports whether the brand must not be judged now (see
// NotJudged). When held, it queues one Slack message per episode saying
// why and returns the run's (permanent) error; when not, it ends the
// episode.
func (d *Deps) holdVerdicts(ctx context.Context, b *configs.Brand, target notify.Target, r *scheduler.Run) (bool, error) {
	reasons, err := d.NotJudged(ctx, b)
	if err != nil {
		return true, err
	}
	since, err := d.DB.NotJudgedSince(ctx, b.Name)
	if err != nil {
		return true, err
	}
	if len(reasons) == 0 {
		if !since.IsZero() {
			return false, d.DB.SetNotJudgedSince(ctx, b.Name, time.Time{})
		}
		return false, nil
	}
	if since.IsZero() {
		since = r.Now.Truncate(time.Second)
		if err := d.DB.SetNotJudgedSince(ctx, b.Name, since); err != nil {
			return true, err
		}
	}
	row, err := notify.NotJudgedAlert(target, since.UTC().Format(time.RFC3339), reasons).Row()
	if err != nil {
		return true, err
	}
	if _, err := d.DB.EnqueueAlerts(ctx, []store.OutboxRow{row}); err != nil {
		return true, err
	}
	// Verdicts on missing data would cut good variants and flip back
	// after the next good sync; wait for the data instead.
	return true, scheduler.Permanent(fmt.Errorf("not judging brand %s until its syncs recover: %s", b.Name, strings.Join(reasons, ", ")))
}

// evalInput loads what the evaluation rules judge b on at now (today in
// b's zone): the windows its tests are judged on, summed by variant in the
// database, and the synced grants and ads.
func (d *Deps) evalInput(ctx context.Context, b *configs.Brand, now time.Time, today ads.Date) (reconcile.EvalInput, error) {
	in := reconcile.EvalInput{Brand: b, Now: now, Today: today, Sums: map[reconcile.Window]map[string]ads.KPI{}}
	wins := reconcile.Windows(b, today)
	kw := make([]store.KPIWindow, len(wins))
	for i, w := range wins {
		kw[i] = store.KPIWindow{TestID: w.TestID, From: w.From, To: w.To}
	}
	sums, err := d.DB.WindowSums(ctx, b.Name, kw)
	if err != nil {
		return in, err
	}
	for i, w := range wins {
		in.Sums[w] = sums[i]
	}
	in.Synced, err = d.synced(ctx, b)
	return in, err
}

// synced reads what the syncs stored of b's grants and ads: only the
// brand's own accounts' (another brand's grant for the same creator must
// not satisfy, or trip, this brand's need, and its untagged ads are not
// this brand's news).
func (d *Deps) synced(ctx context.Context, b *configs.Brand) (reconcile.Synced, error) {
	s := reconcile.Synced{AdCounts: map[reconcile.VariantID]int{}}
	links, err := brandVariantAds(ctx, d.DB, b)
	if err != nil {
		return s, err
	}
	for _, l := range links {
		s.AdCounts[reconcile.VariantID{TestID: l.TestID, VariantKey: l.VariantKey}]++
	}
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		for _, acct := range b.AdAccounts(p) {
			if acct == "" {
				continue // "" would read every account
			}
			ps, err := d.DB.Permissions(ctx, p, acct)
			if err != nil {
				return s, err
			}
			s.Permissions = append(s.Permissions, ps...)
			as, err := d.DB.Ads(ctx, p, acct)
			if err != nil {
				return s, err
			}
			s.Ads = append(s.Ads, as...)
		}
	}
	// The posts the Spark codes authorized.
	s.SparkItems, err = sparkItems(ctx, d.DB, b)
	if err != nil {
		return s, err
	}
	return s, nil
}

// permissionAndHygiene checks the synced grants against the variants that
// need them, and the synced ads against the declared variants
// (reconcile.Track).
func (d *Deps) permissionAndHygiene(ctx context.Context, b *configs.Brand, now time.Time, today ads.Date) ([]reconcile.PermissionAlert, []reconcile.HygieneIssue, error) {
	s, err := d.synced(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	tr := reconcile.Track(b, now, today, s)
	return tr.Permissions, tr.Hygiene, nil
}

// owners maps b's test ids to their owners, for mentions on what needs
// action.
func owners(b *configs.Brand) map[string]string {
	out := map[string]string{}
	for _, t := range b.Tests {
		if t.Owner != "" {
			out[t.ID] = t.Owner
		}
	}
	return out
}
