package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
)

// Guardrails on budget writes, per ad set (Meta) or ad group (TikTok).
const (
	// MetaBudgetWritesPerHour is Meta's limit on budget changes of one ad
	// set per rolling hour (more block the ad set for an hour, code 17).
	// Every write roasd sent counts, including those whose answer was
	// lost.
	MetaBudgetWritesPerHour = 4
	// BudgetRaisesPerDay is how many budget raises roasd makes on one ad
	// set or ad group per day of the brand's reporting zone, whatever
	// tests and checkpoints ask for: a day adds at most one step.
	BudgetRaisesPerDay = 1
)

// applyActions carries out the brand's platform actions like payments.
// First it settles the actions left open by earlier runs (pending, unknown,
// or claimed by a run that died): each is read on its platform and
// finished when already at its target, and sent again only when it is not.
// Then, per test, it plans the latest due checkpoint once (earlier due
// checkpoints that never acted are covered by it: a catch-up run takes one
// step, not one per checkpoint): each action is an intent with an
// absolute target computed now and never again. An intent is read before
// it is sent (already at target means done, nothing is sent), a send is
// recorded before it is made, a lost answer is settled by reading back, and
// an action's outcome and its Slack alert commit in one transaction.
func (d *Deps) applyActions(ctx context.Context, b *configs.Brand, target notify.Target, tests []reconcile.TestEvaluation, r *scheduler.Run) error {
	token := claimToken()
	ax := &actionRun{d: d, b: b, target: target, token: token, now: r.Now, currency: map[string]string{}, zone: map[string]string{}}
	open, err := d.DB.ClaimOpenActions(ctx, b.Name, token, r.Now)
	if err != nil {
		return err
	}
	var errs []error
	for _, rec := range open {
		if err := ax.run(ctx, rec); err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			return errors.Join(append(errs, ctx.Err())...)
		}
	}
	defer func() {
		// Whatever happened, the approval messages show it: proposals,
		// decisions, outcomes, expiries.
		if err := ax.refreshApprovals(context.WithoutCancel(ctx)); err != nil {
			d.logger().Error("refreshing approval messages", "brand", b.Name, "err", err)
		}
	}()
	for _, te := range tests {
		recs, err := ax.plan(ctx, te)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, rec := range recs {
			if err := ax.run(ctx, rec); err != nil {
				errs = append(errs, err)
			}
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
		}
	}
	return errors.Join(errs...)
}

func claimToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// actionRun is one run's work on a brand's actions.
type actionRun struct {
	d      *Deps
	b      *configs.Brand
	target notify.Target
	token  string
	now    time.Time
	// currency and zone cache each account's currency and time zone.
	currency, zone map[string]string
	// links and synced are the brand's variant links and synced ads, read
	// once (syncedAds).
	links  []store.VariantAd
	synced map[string]ads.Ad
}

// syncedAds reads the brand's variant links and the synced ads once per
// run (every test planned in the run shares them).
func (ax *actionRun) syncedAds(ctx context.Context) ([]store.VariantAd, map[string]ads.Ad, error) {
	if ax.synced != nil {
		return ax.links, ax.synced, nil
	}
	links, err := brandVariantAds(ctx, ax.d.DB, ax.b)
	if err != nil {
		return nil, nil, err
	}
	synced := map[string]ads.Ad{}
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		as, err := ax.d.DB.Ads(ctx, p, "")
		if err != nil {
			return nil, nil, err
		}
		for _, a := range as {
			synced[string(p)+"/"+a.ID] = a
		}
	}
	ax.links, ax.synced = links, synced
	return links, synced, nil
}

// pausedStatus is the status an ad is paused with on its platform.
func pausedStatus(p string) string {
	if p == string(ads.TikTok) {
		return "DISABLE"
	}
	return "PAUSED"
}

// notDelivering reports whether an ad status already stops delivery (a
// pause reaches its target on a deleted or archived ad too).
func notDelivering(status string) bool {
	switch status {
	case "PAUSED", "DISABLE", "DELETED", "DELETE", "ARCHIVED":
		return true
	}
	return false
}

// plan records the intents of a test's latest due checkpoint, unless that
// checkpoint already has recorded actions, and returns the claimed ones.
func (ax *actionRun) plan(ctx context.Context, te reconcile.TestEvaluation) ([]store.ActionRecord, error) {
	cp, ok := te.Latest()
	if !ok {
		return nil, nil
	}
	d, b, t := ax.d, ax.b, te.Test
	have, err := d.DB.ActionCheckpoints(ctx, b.Name, t.ID)
	if err != nil {
		return nil, err
	}
	approve := t.Actions == configs.ActionsApprove
	if approve {
		// Questions of an earlier checkpoint, or whose verdict changed,
		// lapse; a changed verdict is proposed anew below.
		n, err := d.DB.ExpireAwaiting(ctx, b.Name, t.ID, cp.Label, ax.now)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			have[cp.Label] = false
		}
	}
	if have[cp.Label] {
		return nil, nil
	}
	var covered []string
	for _, e := range te.Checkpoints[:len(te.Checkpoints)-1] {
		if !have[e.Label] {
			covered = append(covered, e.Label)
		}
	}
	verdictOf := map[string]string{}
	for _, v := range cp.Verdicts {
		verdictOf[v.Subject] = v.Verdict
	}
	raise := map[string]bool{}
	for _, w := range te.Wants {
		raise[w.Subject] = w.Action == reconcile.ActionSetBudget
	}
	links, synced, err := ax.syncedAds(ctx)
	if err != nil {
		return nil, err
	}
	// Budgets are read live, and only for ad sets running a scaled
	// variant; a TikTok daily budget already scheduled for tomorrow counts
	// as the budget. An ad set with no daily budget of its own may be in a
	// campaign that holds the budget (Meta Advantage+ campaign budget,
	// TikTok campaign budget optimisation or Smart+): then the campaign's
	// budget is read, and the raise is planned on the campaign.
	budgets := map[string]setBudget{}
	// campaignHeld marks the campaigns ("platform/id") that hold their ad
	// sets' budget: as labelled by the last sync, or as read now.
	campaignHeld := map[string]bool{}
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		cs, err := d.DB.Campaigns(ctx, p, "")
		if err != nil {
			return nil, err
		}
		for id, c := range cs {
			if c.BudgetLevel == ads.BudgetAtCampaign {
				campaignHeld[string(p)+"/"+id] = true
			}
		}
	}
	for _, l := range links {
		a := synced[string(l.Platform)+"/"+l.AdID]
		if l.TestID != t.ID || a.AdSetID == "" || !raise[l.VariantKey] {
			continue
		}
		k := string(l.Platform) + "/" + a.AdSetID
		if _, ok := budgets[k]; ok {
			continue
		}
		sb := ax.readSetBudget(ctx, l.Platform, l.Account, a.AdSetID, a.CampaignID)
		if a.CampaignID != "" && sb.err == nil {
			// What the platform says now wins over the last sync's label.
			campaignHeld[string(l.Platform)+"/"+a.CampaignID] = sb.campaign != ""
		}
		if sb.campaign != "" {
			budgets[string(l.Platform)+"/campaign/"+sb.campaign] = sb
		}
		budgets[k] = sb
		if sb.err != nil {
			return nil, fmt.Errorf("planning actions of %s/%s: reading budget of %s ad set %s: %w", b.Name, t.ID, l.Platform, a.AdSetID, sb.err)
		}
	}
	var current []reconcile.AdBudget
	inTest := map[string]bool{}
	for _, l := range links {
		if l.TestID != t.ID {
			continue
		}
		a := synced[string(l.Platform)+"/"+l.AdID]
		inTest[string(l.Platform)+"/"+l.AdID] = true
		ab := reconcile.AdBudget{Subject: l.VariantKey, Platform: l.Platform, Account: l.Account, AdID: l.AdID, AdStatus: a.Status,
			AdSetID: a.AdSetID, CampaignID: a.CampaignID, CampaignBudget: a.CampaignID != "" && campaignHeld[string(l.Platform)+"/"+a.CampaignID]}
		sb, ok := budgets[string(l.Platform)+"/"+a.AdSetID]
		if ab.CampaignBudget {
			sb, ok = budgets[string(l.Platform)+"/campaign/"+a.CampaignID]
		}
		if ok && sb.currency == b.Currency {
			ab.Budget = ads.MinorToMicros(sb.minor, sb.currency)
		}
		current = append(current, ab)
	}
	// A campaign's budget is shared by all its ads: those not in this test
	// count as variants not being scaled, so the campaign is not raised
	// for them.
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		for k, a := range synced {
			if a.Platform != p || inTest[k] || a.CampaignID == "" || !campaignHeld[string(p)+"/"+a.CampaignID] || !reconcile.AdDelivering(a.Status) {
				continue
			}
			if _, raised := budgets[string(p)+"/campaign/"+a.CampaignID]; !raised {
				continue
			}
			current = append(current, reconcile.AdBudget{Subject: "ad " + a.ID + " (not in this test)", Platform: p, Account: a.Account,
				AdID: a.ID, AdStatus: a.Status, AdSetID: a.AdSetID, CampaignID: a.CampaignID, CampaignBudget: true})
		}
	}
	note := ""
	if len(covered) > 0 {
		note = fmt.Sprintf(" (checkpoint %s was also due and never acted on; one step covers them)", strings.Join(covered, ", "))
	}
	var out []store.ActionRecord
	for _, pa := range reconcile.PlanActions(cp.Verdicts, current, t.BudgetStep, t.MaxDailyBudget) {
		key := store.ActionKey{Brand: b.Name, TestID: t.ID, VariantKey: pa.Subject, Platform: string(pa.Platform), Account: pa.Account,
			Action: pa.Action, TargetID: pa.TargetID, Checkpoint: cp.Label}
		in := store.ActionIntent{ActionKey: key, Reason: pa.Reason + note}
		switch pa.Action {
		case reconcile.ActionPauseAd:
			in.Target, in.Before = pausedStatus(string(pa.Platform)), pa.Before
		case reconcile.ActionSetBudget, reconcile.ActionSetCampaignBudget:
			sb := budgets[string(pa.Platform)+"/"+pa.TargetID]
			if pa.Action == reconcile.ActionSetCampaignBudget {
				sb = budgets[string(pa.Platform)+"/campaign/"+pa.TargetID]
				if sb.refuse != "" {
					pa.Skipped = sb.refuse
				}
			}
			if pa.Skipped == "" && sb.currency != b.Currency {
				pa.Skipped = fmt.Sprintf("the account's currency %s is not the brand's %s, in which the maximum budget is set", sb.currency, b.Currency)
			}
			in.Currency = sb.currency
			in.Before = strconv.FormatInt(sb.minor, 10)
			in.Target = strconv.FormatInt(ads.MicrosToMinor(pa.AfterBudget, sb.currency), 10)
		}
		if pa.Skipped != "" {
			var alerts []store.OutboxRow
			if pa.Action == reconcile.ActionSetCampaignBudget {
				// A budget held by a campaign is a setup the marketer can
				// change: say why nothing was raised and what to do.
				rows, err := notify.Rows([]notify.Alert{notify.ActionResultAlert(ax.target, notify.ActionResult{TestID: t.ID, Checkpoint: cp.Label,
					Subject: pa.Subject, Platform: string(pa.Platform), Action: pa.Action, TargetID: pa.TargetID, Outcome: notify.OutcomeNotDone,
					Before: ax.display(store.ActionRecord{ActionKey: key, Currency: in.Currency}, in.Before), After: "unchanged",
					Reason: pa.Reason + note, Error: pa.Skipped})})
				if err != nil {
					return nil, err
				}
				alerts = rows
			}
			if err := d.DB.SkipAction(ctx, key, in.Before, pa.Skipped, ax.now, alerts...); err != nil {
				return nil, err
			}
			continue
		}
		if approve {
			if _, _, err := d.DB.ProposeAction(ctx, in, verdictOf[pa.Subject], t.ApproverGroup(b), approvalExpiry(b, t, cp.Label), ax.now); err != nil {
				return nil, err
			}
			continue
		}
		rec, claimed, err := d.DB.ClaimNewAction(ctx, in, ax.token, ax.now)
		if err != nil {
			return nil, err
		}
		if claimed {
			out = append(out, rec)
		}
	}
	return out, nil
}

// setBudget is the budget a scaled variant's ad set draws on, for
// planning: its own, or its campaign's.
type setBudget struct {
	minor    int64
	currency string
	err      error
	// campaign is the campaign holding the budget ("" when the ad set has
	// its own); refuse says why roasd will not raise it, and what to do.
	campaign string
	refuse   string
}

// readSetBudget reads the daily budget an ad set draws on: its own, or,
// when it has none and its campaign holds the budget, the campaign's. Meta campaign budgets are raised like ad-set budgets; TikTok
// campaign budgets (campaign budget optimisation, Smart+) are not changed
// by roasd, so refuse says why and what to do.
func (ax *actionRun) readSetBudget(ctx context.Context, p ads.Platform, account, setID, campaignID string) setBudget {
	st, err := ax.readBudget(ctx, p, account, setID, false)
	sb := setBudget{minor: max(st.minor, st.scheduled), currency: st.currency, err: err}
	if errors.Is(err, metaads.ErrNoDailyBudget) {
		sb.err = nil
	}
	if sb.err != nil || sb.minor > 0 || campaignID == "" {
		return sb
	}
	switch p {
	case ads.Meta:
		cb, err := ax.d.Meta.CampaignBudgetInfo(ctx, account, campaignID)
		if err != nil {
			sb.err = err
			return sb
		}
		if cb.AtCampaign() {
			sb.minor, sb.campaign = cb.Daily, campaignID
		}
	case ads.TikTok:
		c, err := ax.d.TikTok.Campaign(ctx, account, campaignID)
		if err != nil {
			sb.err = err
			return sb
		}
		if c.BudgetLevel == ads.BudgetAtCampaign {
			kind := "campaign budget optimization"
			if c.Automation != "" {
				kind = c.Automation + " (Smart+), which always keeps the budget at the campaign"
			}
			sb.minor, sb.campaign = ads.MicrosToMinor(c.DailyBudget, sb.currency), campaignID
			sb.refuse = fmt.Sprintf("ad group %s has no budget of its own: its campaign %s uses %s, so TikTok refuses ad group budget changes, "+
				"and roasd does not change TikTok campaign budgets. Raise campaign %s's budget in TikTok Ads Manager by hand, "+
				"or run the variant in an ad group with its own daily budget to let roasd raise it", setID, campaignID, kind, campaignID)
		}
	}
	return sb
}

// budgetState is an ad set's or ad group's budget as read on its
// platform, in minor units of the account currency.
type budgetState struct {
	minor int64
	// scheduled is a TikTok daily budget that takes effect tomorrow (0
	// when none); daily reports a TikTok daily budget mode.
	scheduled int64
	daily     bool
	currency  string
}

func (s budgetState) String() string {
	v := strconv.FormatInt(s.minor, 10)
	if s.scheduled > 0 {
		v += " (scheduled " + strconv.FormatInt(s.scheduled, 10) + ")"
	}
	return v
}

func (ax *actionRun) accountCurrency(ctx context.Context, p ads.Platform, account string) (string, error) {
	k := string(p) + "/" + account
	if c, ok := ax.currency[k]; ok {
		return c, nil
	}
	switch {
	case p == ads.Meta && ax.d.Meta != nil:
		info, err := ax.d.Meta.Account(ctx, account)
		if err != nil {
			return "", err
		}
		ax.currency[k], ax.zone[k] = info.Currency, info.Timezone
	case p == ads.TikTok && ax.d.TikTok != nil:
		info, err := ax.d.TikTok.Advertiser(ctx, account)
		if err != nil {
			return "", err
		}
		ax.currency[k], ax.zone[k] = info.Currency, info.Timezone
	default:
		return "", fmt.Errorf("no %s client to read account %s", p, account)
	}
	return ax.currency[k], nil
}

// readBudget reads the daily budget of an ad set (ad group), or of a
// campaign when campaign is set (Meta only).
func (ax *actionRun) readBudget(ctx context.Context, p ads.Platform, account, setID string, campaign bool) (budgetState, error) {
	cur, err := ax.accountCurrency(ctx, p, account)
	if err != nil {
		return budgetState{}, err
	}
	st := budgetState{currency: cur}
	switch {
	case campaign && p == ads.Meta:
		var cb metaads.CampaignBudget
		cb, err = ax.d.Meta.CampaignBudgetInfo(ctx, account, setID)
		st.minor = cb.Daily
		if err == nil && cb.Daily == 0 {
			err = fmt.Errorf("reading meta campaign %s budget: %w", setID, metaads.ErrNoDailyBudget)
		}
	case campaign:
		err = fmt.Errorf("roasd does not read %s campaign budgets", p)
	case p == ads.Meta:
		st.minor, err = ax.d.Meta.AdSetDailyBudget(ctx, account, setID)
	case p == ads.TikTok:
		var info tiktokads.AdGroupBudgetState
		info, err = ax.d.TikTok.AdGroupBudgetInfo(ctx, account, setID)
		st.minor, st.scheduled = ads.MicrosToMinor(info.Budget, cur), ads.MicrosToMinor(info.Scheduled, cur)
		st.daily = info.Daily()
	}
	return st, err
}

func (ax *actionRun) readAd(ctx context.Context, p ads.Platform, account, adID string) (string, error) {
	switch {
	case p == ads.Meta && ax.d.Meta != nil:
		return ax.d.Meta.AdStatus(ctx, account, adID)
	case p == ads.TikTok && ax.d.TikTok != nil:
		return ax.d.TikTok.AdStatus(ctx, account, adID)
	}
	return "", fmt.Errorf("no %s client to read ad %s", p, adID)
}

// observed is an action's target as read on its platform.
type observed struct {
	value string
	// reached reports whether the target is reached.
	reached bool
	budget  budgetState
}

func (ax *actionRun) observe(ctx context.Context, rec store.ActionRecord) (observed, error) {
	p := ads.Platform(rec.Platform)
	switch rec.Action {
	case reconcile.ActionPauseAd:
		st, err := ax.readAd(ctx, p, rec.Account, rec.TargetID)
		return observed{value: st, reached: st == rec.Target || notDelivering(st)}, err
	case reconcile.ActionSetBudget, reconcile.ActionSetCampaignBudget:
		want, err := strconv.ParseInt(rec.Target, 10, 64)
		if err != nil {
			return observed{}, fmt.Errorf("action %d has no budget target (%q)", rec.ID, rec.Target)
		}
		st, err := ax.readBudget(ctx, p, rec.Account, rec.TargetID, rec.Action == reconcile.ActionSetCampaignBudget)
		if err == nil && st.currency != rec.Currency {
			err = fmt.Errorf("%s account %s now reports currency %s, the target is in %s", p, rec.Account, st.currency, rec.Currency)
		}
		// A raise is reached once the budget (or a TikTok daily budget
		// scheduled for tomorrow) is at or above the target: roasd never
		// lowers a budget someone raised further.
		return observed{value: st.String(), budget: st, reached: st.minor >= want || (st.daily && st.scheduled >= want)}, err
	}
	return observed{}, fmt.Errorf("action %d: unknown action %q", rec.ID, rec.Action)
}

// send makes the write; scheduled reports a TikTok daily budget that takes
// effect tomorrow.
func (ax *actionRun) send(ctx context.Context, rec store.ActionRecord) (scheduled bool, err error) {
	p := ads.Platform(rec.Platform)
	meta, tiktok := ax.d.Meta, ax.d.TikTok
	if ax.d.MetaWrite != nil {
		meta = ax.d.MetaWrite
	}
	if ax.d.TikTokWrite != nil {
		tiktok = ax.d.TikTokWrite
	}
	switch {
	case p == ads.Meta && meta != nil && rec.Action == reconcile.ActionPauseAd:
		return false, meta.PauseAd(ctx, rec.Account, rec.TargetID)
	case p == ads.TikTok && tiktok != nil && rec.Action == reconcile.ActionPauseAd:
		return false, tiktok.DisableAd(ctx, rec.Account, rec.TargetID)
	case rec.Action == reconcile.ActionSetCampaignBudget && p == ads.Meta && meta != nil:
		minor, err := strconv.ParseInt(rec.Target, 10, 64)
		if err != nil {
			return false, fmt.Errorf("action %d has no budget target (%q)", rec.ID, rec.Target)
		}
		return false, meta.SetCampaignDailyBudget(ctx, rec.Account, rec.TargetID, minor)
	case rec.Action == reconcile.ActionSetBudget:
		minor, err := strconv.ParseInt(rec.Target, 10, 64)
		if err != nil {
			return false, fmt.Errorf("action %d has no budget target (%q)", rec.ID, rec.Target)
		}
		switch {
		case p == ads.Meta && meta != nil:
			return false, meta.SetAdSetDailyBudget(ctx, rec.Account, rec.TargetID, minor)
		case p == ads.TikTok && tiktok != nil:
			return tiktok.SetAdGroupBudget(ctx, rec.Account, rec.TargetID, ads.MinorToMicros(minor, rec.Currency))
		}
	}
	return false, fmt.Errorf("no %s client to %s", p, rec.Action)
}

// refused reports whether err is the platform declining the write (it
// did not happen); retryLater whether it declined for now.
func refused(err error) (final, later bool) {
	var ae *ads.APIError
	if !errors.As(err, &ae) {
		return false, false
	}
	switch ae.Kind {
	case ads.KindInvalid, ads.KindPermission, ads.KindNotFound:
		return true, false
	case ads.KindRateLimited, ads.KindAuth:
		return false, true
	}
	return false, false
}

// guard says why a budget write must wait, or "" when it may be sent.
func (ax *actionRun) guard(ctx context.Context, rec store.ActionRecord) (string, error) {
	if !reconcile.BudgetAction(rec.Action) {
		return "", nil
	}
	d := ax.d
	if rec.Platform == string(ads.Meta) {
		n, err := d.DB.ActionSends(ctx, rec.Platform, rec.TargetID, rec.Action, ax.now.Add(-time.Hour))
		if err != nil {
			return "", err
		}
		if n >= MetaBudgetWritesPerHour {
			return fmt.Sprintf("deferred: %d budget writes to ad set %s in the last hour; Meta allows %d per ad set per hour", n, rec.TargetID, MetaBudgetWritesPerHour), nil
		}
	}
	today := ads.DateOf(ax.now, ax.b.Location)
	changed, err := d.DB.ActionsChanged(ctx, rec.Platform, rec.TargetID, rec.Action, today.In(ax.b.Location), today.AddDays(1).In(ax.b.Location))
	if err != nil {
		return "", err
	}
	var others []string
	for _, c := range changed {
		if c.ID != rec.ID {
			others = append(others, fmt.Sprintf("#%d (%s %s %s)", c.ID, c.TestID, c.VariantKey, c.Checkpoint))
		}
	}
	if len(others) >= BudgetRaisesPerDay {
		return fmt.Sprintf("deferred to tomorrow: the budget of %s was already raised today (%s); at most %d raise per ad set per day",
			rec.TargetID, strings.Join(others, ", "), BudgetRaisesPerDay), nil
	}
	return "", nil
}

// run takes one claimed action to an outcome: read, then (unless the
// target is reached or a guardrail holds it) send, and after an unknown
// answer read back.
func (ax *actionRun) run(ctx context.Context, rec store.ActionRecord) error {
	d := ax.d
	step := func(kind, value, outcome string, err error) error {
		s := store.ActionStep{ActionID: rec.ID, Platform: rec.Platform, TargetID: rec.TargetID, Action: rec.Action, Step: kind,
			Value: value, Outcome: outcome, At: ax.now}
		if err != nil {
			s.Error = err.Error()
		}
		return d.DB.LogActionStep(ctx, ax.token, s)
	}
	// open releases the action for the next run, with no alert.
	open := func(status, note string, cause error) error {
		o := store.ActionOutcome{Status: status, Note: note}
		if cause != nil {
			o.Error = cause.Error()
		}
		if err := d.DB.SettleAction(ctx, rec.ID, ax.token, o, ax.now, nil); err != nil {
			return errors.Join(cause, err)
		}
		return cause
	}
	settle := func(outcome string, before, after observed, note, effective string, cause error) error {
		o := store.ActionOutcome{Status: outcome, Before: before.value, After: after.value, Note: note, EffectiveFrom: effective}
		res := notify.ActionResult{TestID: rec.TestID, Checkpoint: rec.Checkpoint, Subject: rec.VariantKey, Platform: rec.Platform,
			Action: rec.Action, TargetID: rec.TargetID, Outcome: outcome, Before: ax.display(rec, before.value), After: ax.display(rec, after.value),
			Reason: rec.Reason, Note: note, EffectiveFrom: effective}
		if cause != nil {
			o.Error, res.Error = cause.Error(), cause.Error()
		}
		rows, err := notify.Rows([]notify.Alert{notify.ActionResultAlert(ax.target, res)})
		if err != nil {
			return err
		}
		if err := d.DB.SettleAction(ctx, rec.ID, ax.token, o, ax.now, rows); err != nil {
			return errors.Join(cause, err)
		}
		return cause
	}

	if rec.Target == "" {
		// Claimed by a version of roasd that recorded no target and died:
		// what it meant to set is unknown, so nothing is sent.
		return scheduler.Permanent(settle(store.ActionFailed, observed{}, observed{}, "", "",
			fmt.Errorf("%s %s on %s: claimed by a run that recorded no target and died; check the platform by hand", rec.Action, rec.TargetID, rec.Platform)))
	}
	before, err := ax.observe(ctx, rec)
	if lerr := step(store.StepRead, before.value, outcomeOf(err), err); lerr != nil {
		return lerr
	}
	if err != nil {
		status := store.ActionPending
		if rec.Sends > 0 {
			status = store.ActionUnknown
		}
		return open(status, "could not read the platform; tried again next run", fmt.Errorf("%s %s on %s: reading: %w", rec.Action, rec.TargetID, rec.Platform, err))
	}
	if before.reached {
		if rec.Sends > 0 {
			// An earlier run sent it and died or lost the answer: the
			// platform applied it.
			prior := observed{value: rec.Before}
			return settle(store.ActionApplied, prior, before, "the platform had applied it; its answer was lost, so it was read back", ax.effective(rec, before.budget), nil)
		}
		return settle(store.ActionAlready, before, before, "already at the target when read; nothing was sent", "", nil)
	}
	why, err := ax.guard(ctx, rec)
	if err != nil {
		return open(store.ActionPending, "", err)
	}
	if why != "" {
		return open(store.ActionPending, why, nil)
	}

	if err := step(store.StepSend, rec.Target, "sent", nil); err != nil {
		return err
	}
	rec.Sends++
	scheduled, sendErr := ax.send(ctx, rec)
	target := observed{value: rec.Target}
	if sendErr == nil {
		if err := step(store.StepAnswer, rec.Target, store.StepOK, nil); err != nil {
			return err
		}
		eff := ""
		if scheduled {
			eff = ax.effectiveFrom(rec)
		}
		return settle(store.ActionApplied, before, target, "", eff, nil)
	}
	final, later := refused(sendErr)
	switch {
	case final:
		if err := step(store.StepAnswer, "", store.StepRefused, sendErr); err != nil {
			return err
		}
		return scheduler.Permanent(settle(store.ActionFailed, before, before, "", "", fmt.Errorf("%s %s on %s: %w", rec.Action, rec.TargetID, rec.Platform, sendErr)))
	case later:
		if err := step(store.StepAnswer, "", store.StepRefused, sendErr); err != nil {
			return err
		}
		return open(store.ActionPending, "the platform declined for now; tried again next run", fmt.Errorf("%s %s on %s: %w", rec.Action, rec.TargetID, rec.Platform, sendErr))
	}
	// The outcome is unknown (5xx, timeout, lost connection): the write
	// may have been applied. Read back instead of sending again.
	if ctx.Err() != nil {
		return ctx.Err() // the row stays claimed; the next run reads it back
	}
	if err := step(store.StepAnswer, "", store.StepUnknown, sendErr); err != nil {
		return err
	}
	after, err := ax.observe(ctx, rec)
	if lerr := step(store.StepReadBack, after.value, outcomeOf(err), err); lerr != nil {
		return lerr
	}
	if err != nil {
		return open(store.ActionUnknown, "the answer was lost and reading back failed; read back next run",
			fmt.Errorf("%s %s on %s: outcome unknown: %w", rec.Action, rec.TargetID, rec.Platform, sendErr))
	}
	if after.reached {
		return settle(store.ActionApplied, before, after, "the answer was lost ("+shortErr(sendErr)+"); read back shows the target", ax.effective(rec, after.budget), nil)
	}
	return open(store.ActionPending, "the answer was lost and the platform shows "+after.value+"; tried again next run",
		fmt.Errorf("%s %s on %s: %w", rec.Action, rec.TargetID, rec.Platform, sendErr))
}

func outcomeOf(err error) string {
	if err != nil {
		return store.StepError
	}
	return store.StepOK
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// effective is when a budget target found reached takes effect: tomorrow
// when it is only scheduled.
func (ax *actionRun) effective(rec store.ActionRecord, st budgetState) string {
	want, _ := strconv.ParseInt(rec.Target, 10, 64)
	if rec.Action == reconcile.ActionSetBudget && st.daily && st.minor < want && st.scheduled >= want {
		return ax.effectiveFrom(rec)
	}
	return ""
}

// effectiveFrom is when TikTok applies a daily budget scheduled now: 00:00
// the next day in the advertiser's zone.
func (ax *actionRun) effectiveFrom(rec store.ActionRecord) string {
	zone := ax.zone[rec.Platform+"/"+rec.Account]
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc, zone = time.UTC, "UTC"
	}
	t := ax.now.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).Format("2006-01-02 15:04") + " " + zone
}

// display shows a recorded value for people: a budget in minor units as
// money with its currency.
func (ax *actionRun) display(rec store.ActionRecord, v string) string {
	if !reconcile.BudgetAction(rec.Action) || rec.Currency == "" {
		return v
	}
	num, rest, _ := strings.Cut(v, " ")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return v
	}
	s := ads.FormatMicros(ads.MinorToMicros(n, rec.Currency), ads.MinorUnitExponent(rec.Currency)) + " " + rec.Currency
	if rest != "" {
		if sched, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(rest, "(scheduled "), ")"), 10, 64); err == nil {
			s += " (" + ads.FormatMicros(ads.MinorToMicros(sched, rec.Currency), ads.MinorUnitExponent(rec.Currency)) + " scheduled)"
		}
	}
	return s
}
