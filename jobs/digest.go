package jobs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// StageDigest is the name of the per-brand digest job.
const StageDigest = "digest"

// digestDefault is the brand-local time of the daily digest when the
// config names none.
const digestDefault = "09:00"

// DigestStage queues the brand's daily digest (and, on its weekday, the
// weekly digest for finance) once the brand's digest time of day is
// reached. It is not held back with the verdicts: a brand whose syncs
// fail is not judged, and the digest is where that shows, with the failing
// syncs. It waits only until each of the brand's syncs has finished once
// (a digest of a daemon's first minutes would read nothing), and queues
// once a day (a cursor, and the digests' dedup keys).
func (d *Deps) DigestStage(reportURL string) Stage {
	return Stage{Name: StageDigest, Run: func(ctx context.Context, b *configs.Brand, r *scheduler.Run) error {
		return d.digests(ctx, b, r, reportURL)
	}}
}

// digestTime is the brand's digest time of day in minutes, ok false when
// the digest is off.
func digestTime(b *configs.Brand) (int, bool) {
	at := b.Slack.DigestAt
	if at == "" {
		at = digestDefault
	}
	tod, err := time.Parse("15:04", at)
	if err != nil {
		if _, weekly := configs.Weekday(b.Slack.WeeklyDigest); weekly {
			tod, _ = time.Parse("15:04", digestDefault) // "off": the weekly keeps the default time
			return tod.Hour()*60 + tod.Minute(), true
		}
		return 0, false
	}
	return tod.Hour()*60 + tod.Minute(), true
}

func (d *Deps) digests(ctx context.Context, b *configs.Brand, r *scheduler.Run, reportURL string) error {
	tod, ok := digestTime(b)
	if !ok {
		return nil
	}
	local := r.Now.In(b.Location)
	if local.Hour()*60+local.Minute() < tod {
		return nil
	}
	daily := b.Slack.DigestAt != "off"
	wd, weekly := configs.Weekday(b.Slack.WeeklyDigest)
	weekly = weekly && local.Weekday() == wd
	if !daily && !weekly {
		return nil
	}
	today := ads.DateOf(r.Now, b.Location)
	if done, ok, err := d.DB.DigestQueued(ctx, b.Name); err != nil || (ok && done == today) {
		return err
	}
	failing, ready, err := d.failingSyncs(ctx, b)
	if err != nil || !ready {
		return err
	}
	target := notify.Target{Brand: b.Name, Channel: b.Slack.Channel, Currency: b.Currency, ReportURL: reportURL}
	target.NotBefore = b.Slack.QuietUntil(r.Now, b.Location)
	var alerts []notify.Alert
	if daily {
		a, err := d.dailyDigest(ctx, b, target, r.Now, today, failing)
		if err != nil {
			return err
		}
		alerts = append(alerts, a)
	}
	if weekly {
		a, err := d.weeklyDigest(ctx, b, target, today, len(failing))
		if err != nil {
			return err
		}
		alerts = append(alerts, a)
	}
	for i := range alerts {
		alerts[i].NotBefore = target.NotBefore
	}
	rows, err := notify.Rows(alerts)
	if err != nil {
		return err
	}
	n, err := d.DB.EnqueueAlerts(ctx, rows)
	if err != nil {
		return fmt.Errorf("queueing the digests of %s: %w", b.Name, err)
	}
	r.AddRows(int64(n))
	return d.DB.SetDigestQueued(ctx, b.Name, today)
}

// failingSyncs lists the brand's sync jobs and its reconcile whose newest
// finished run failed, with since when and the latest error; ready is
// false while one of them has never finished a run.
func (d *Deps) failingSyncs(ctx context.Context, b *configs.Brand) (out []notify.FailingSync, ready bool, err error) {
	keys := d.gateKeys(b)
	states, err := d.DB.RunStates(ctx, keys)
	if err != nil {
		return nil, false, fmt.Errorf("reading the sync states of brand %s: %w", b.Name, err)
	}
	streaks, err := d.DB.FailStreaks(ctx, keys)
	if err != nil {
		return nil, false, err
	}
	for _, st := range states {
		if !st.Finished {
			return nil, false, nil
		}
		if st.Latest.Status == store.RunOK {
			continue
		}
		k := store.RunKey{Job: st.Job, Scope: st.Scope}
		s := streaks[k]
		if s.Since.IsZero() {
			s = store.FailStreak{Since: st.Latest.StartedAt, Runs: 1}
		}
		msg := st.Latest.Error
		if msg == "" {
			msg = st.Latest.Status
		}
		out = append(out, notify.FailingSync{Job: st.Job, Scope: st.Scope, Since: s.Since.In(b.Location).Format("2006-01-02 15:04 MST"),
			Runs: s.Runs, Error: msg})
	}
	return out, true, nil
}

// dailyDigest is the brand's digest of today: spend, fees and revenue
// yesterday and over the running tests' windows, spend yesterday on
// variants cut at their latest checkpoint (as last judged), permissions
// expiring within 7 days, untagged ads and their spend, failing syncs.
func (d *Deps) dailyDigest(ctx context.Context, b *configs.Brand, target notify.Target, now time.Time, today ads.Date,
	failing []notify.FailingSync) (notify.Alert, error) {
	yesterday := today.AddDays(-1)
	dg := notify.Digest{Day: today.String(), Yesterday: yesterday.String(), FailingSyncs: failing}
	if len(failing) > 0 {
		since, err := d.DB.NotJudgedSince(ctx, b.Name)
		if err != nil {
			return notify.Alert{}, err
		}
		if !since.IsZero() {
			dg.NotJudgedSince = since.In(b.Location).Format("2006-01-02 15:04 MST")
		}
	}
	running := map[string]*configs.Test{}
	windowFrom := yesterday
	for _, t := range b.Tests {
		if !today.Before(t.Start) && !today.After(t.End()) {
			running[t.ID] = t
			dg.Tests++
			if t.Start.Before(windowFrom) {
				windowFrom = t.Start
			}
		}
	}
	// Money at stake: the variants judged cut at their test's latest due
	// checkpoint, as last stored by the verdicts job.
	latest := map[string]string{}
	for _, t := range b.Tests {
		if due := reconcile.DueCheckpoints(t.Start, t.Checkpoints, today); len(due) > 0 {
			latest[t.ID] = reconcile.CheckpointLabel(due[len(due)-1])
		}
	}
	stored, err := d.DB.Verdicts(ctx, b.Name, "")
	if err != nil {
		return notify.Alert{}, err
	}
	cut := map[perfKey]bool{}
	for _, v := range stored {
		if v.Verdict == reconcile.VerdictCut && latest[v.TestID] == v.Checkpoint {
			cut[perfKey{v.TestID, v.Subject}] = true
		}
	}
	kpis, err := d.DB.KPICells(ctx, b.Name, windowFrom, today)
	if err != nil {
		return notify.Alert{}, err
	}
	stake := map[string]bool{}
	for _, k := range kpis {
		if k.Day == yesterday {
			dg.YesterdaySpend += k.Spend
			dg.YesterdayFees += k.Fees()
			dg.YesterdayRevenue += k.Revenue()
			if cut[perfKey{k.TestID, k.VariantKey}] && k.Spend > 0 {
				dg.AtStake += k.Spend
				stake[k.TestID+"/"+k.VariantKey] = true
			}
		}
		if t := running[k.TestID]; t != nil && !k.Day.Before(t.Start) && !k.Day.After(today) {
			dg.WindowSpend += k.Spend
			dg.WindowFees += k.Fees()
			dg.WindowRevenue += k.Revenue()
		}
	}
	for v := range stake {
		dg.AtStakeVariants = append(dg.AtStakeVariants, v)
	}
	sort.Strings(dg.AtStakeVariants)
	perms, hygiene, err := d.permissionAndHygiene(ctx, b, now, today)
	if err != nil {
		return notify.Alert{}, err
	}
	for _, p := range perms {
		if p.Kind == reconcile.PermAlertExpiring && !p.ExpiresAt.IsZero() && p.ExpiresAt.Sub(now) <= 7*24*time.Hour {
			dg.Expiring = append(dg.Expiring, fmt.Sprintf("%s of %s: %s", p.VariantKey, p.TestID, p.Reason))
		}
	}
	if len(running) > 0 {
		dg.UntaggedSince = windowFrom.String()
	}
	spent, err := d.untaggedSpend(ctx, b, &dg, windowFrom, yesterday, today)
	if err != nil {
		return notify.Alert{}, err
	}
	for _, h := range hygiene {
		if h.Kind == reconcile.HygieneUntagged {
			dg.Untagged = append(dg.Untagged, notify.UntaggedAd{Platform: string(h.Platform), AdID: h.AdID, Name: h.AdName,
				Yesterday: spent[adKey{h.Platform, h.AdID}]})
		}
	}
	// The costliest first: the list is cut at 25.
	sort.SliceStable(dg.Untagged, func(i, j int) bool { return dg.Untagged[i].Yesterday > dg.Untagged[j].Yesterday })
	return notify.DigestAlert(target, dg), nil
}

// perfKey identifies a variant's KPI cells.
type perfKey struct{ test, variant string }

// adKey names an ad.
type adKey struct {
	platform ads.Platform
	id       string
}

// untaggedSpend sums, in the brand's currency, the spend of the brand's
// ads without UTM tags (utm_content), running or not, yesterday and from
// from through today, and returns each one's spend yesterday. Spend in a
// currency without a configured rate is left out and its currency named.
func (d *Deps) untaggedSpend(ctx context.Context, b *configs.Brand, dg *notify.Digest, from, yesterday, today ads.Date) (map[adKey]int64, error) {
	untagged := map[adKey]bool{}
	var accounts []store.AccountRef
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		for _, acct := range b.AdAccounts(p) {
			if acct == "" {
				continue // "" would read every account
			}
			accounts = append(accounts, store.AccountRef{Platform: p, Account: acct})
			list, err := d.DB.Ads(ctx, p, acct)
			if err != nil {
				return nil, err
			}
			for _, a := range list {
				if a.UTM.Content == "" {
					untagged[adKey{a.Platform, a.ID}] = true
				}
			}
		}
	}
	if len(untagged) == 0 {
		return nil, nil
	}
	spent := map[adKey]int64{}
	stats, err := d.DB.AccountDayStats(ctx, accounts, ads.DateRange{From: from, To: today})
	if err != nil {
		return nil, err
	}
	conv := reconcile.NewConverter(b.Currency, b.FXRates)
	missing := map[string]bool{}
	for _, s := range stats {
		if !untagged[adKey{s.Platform, s.AdID}] || s.Spend == 0 {
			continue
		}
		spend, err := conv.Convert(s.Spend, s.Currency, s.Day)
		if err != nil {
			missing[s.Currency] = true
			continue
		}
		if s.Day == yesterday {
			dg.UntaggedYesterday += spend
			spent[adKey{s.Platform, s.AdID}] += spend
		}
		if dg.UntaggedSince != "" {
			dg.UntaggedWindow += spend
		}
	}
	for c := range missing {
		dg.Unconverted = append(dg.Unconverted, c)
	}
	sort.Strings(dg.Unconverted)
	return spent, nil
}

// weeklyDigest is the brand's weekly digest for finance over the ISO week
// before today's: the report by creator over it.
func (d *Deps) weeklyDigest(ctx context.Context, b *configs.Brand, target notify.Target, today ads.Date, failing int) (notify.Alert, error) {
	monday := today.AddDays(-((int(today.In(time.UTC).Weekday()) + 6) % 7))
	from, to := monday.AddDays(-7), monday.AddDays(-1)
	cells, err := d.DB.KPICells(ctx, b.Name, from, to)
	if err != nil {
		return notify.Alert{}, err
	}
	rep, err := reconcile.Summarize(b.Name, b.Currency, from, to, reconcile.ByCreator, cells)
	if err != nil {
		return notify.Alert{}, fmt.Errorf("summing the week %s..%s of %s: %w", from, to, b.Name, err)
	}
	year, week := from.In(time.UTC).ISOWeek()
	w := notify.Weekly{Week: fmt.Sprintf("%d-W%02d", year, week), From: from.String(), To: to.String()}
	row := func(name string, m ads.KPI) notify.WeeklyRow {
		return notify.WeeklyRow{Creator: name, Spend: m.Spend, Fees: m.Fees(), PaidRevenue: m.PaidRevenue, OrganicRevenue: m.OrganicRevenue}
	}
	for _, r := range rep.Rows {
		name := r.Key[0]
		if name == "" {
			name = "(none)"
		}
		w.Rows = append(w.Rows, row(name, r.KPI))
	}
	w.Total = row("TOTAL", rep.Total.KPI)
	st, err := d.DB.ReconcileState(ctx, b.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return notify.Alert{}, err
	}
	if !st.ReconciledAt.IsZero() {
		w.Reconciled = "reconciled through " + st.ReconciledAt.In(b.Location).Format("2006-01-02 at 15:04 MST")
	}
	if failing > 0 {
		w.Warning = fmt.Sprintf("%d of the brand's syncs are failing (see the daily digest), so the latest days may be incomplete", failing)
	}
	return notify.WeeklyDigestAlert(target, w), nil
}
