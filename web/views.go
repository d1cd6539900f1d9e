package web

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/platformhttp"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

// VerdictView is a stored verdict in /dashboard/api/verdicts.
type VerdictView struct {
	TestID     string   `json:"test_id"`
	Creator    string   `json:"creator,omitempty"`
	Subject    string   `json:"subject"`
	Checkpoint string   `json:"checkpoint"`
	Platform   string   `json:"platform"`
	Verdict    string   `json:"verdict"`
	Rule       string   `json:"rule"`
	Reason     string   `json:"reason"`
	DecidedOn  ads.Date `json:"decided_on"`
	Changes    int      `json:"changes"`
	// Latest reports whether this is the subject's latest checkpoint.
	Latest  bool            `json:"latest"`
	Metrics json.RawMessage `json:"metrics,omitempty"`
}

// ActionView is a recorded platform action in /dashboard/api/verdicts.
type ActionView struct {
	TestID     string `json:"test_id"`
	Variant    string `json:"variant"`
	Platform   string `json:"platform"`
	Action     string `json:"action"`
	TargetID   string `json:"target_id"`
	Checkpoint string `json:"checkpoint"`
	Status     string `json:"status"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Error      string `json:"error"`
	// Note says how the outcome was learnt (read back, already done,
	// deferred by a guardrail).
	Note       string     `json:"note,omitempty"`
	ClaimedAt  time.Time  `json:"claimed_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// checkpointDays reads "14d" as 14 (unknown labels sort last).
func checkpointDays(label string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(label, "d"))
	if err != nil {
		return math.MaxInt32
	}
	return n
}

func (h *DashboardHandler) verdictsAPI(ctx context.Context, r *http.Request) (any, error) {
	b, err := h.brandOf(ctx, r)
	if err != nil {
		return nil, err
	}
	rows, err := h.src.Verdicts(ctx, b.name, "")
	if err != nil {
		return nil, err
	}
	creatorOf := map[string]string{}
	if b.cfg != nil {
		for _, t := range b.cfg.Tests {
			creatorOf[t.ID] = t.Creator
		}
	}
	out := make([]VerdictView, len(rows))
	latest := map[[2]string]int{}
	for i, v := range rows {
		out[i] = VerdictView{TestID: v.TestID, Creator: creatorOf[v.TestID], Subject: v.Subject, Checkpoint: v.Checkpoint,
			Platform: v.Platform, Verdict: v.Verdict, Rule: v.Rule, Reason: v.Reason, DecidedOn: v.DecidedOn, Changes: v.Changes}
		if json.Valid(v.Metrics) {
			out[i].Metrics = json.RawMessage(v.Metrics)
		}
		k := [2]string{v.TestID, v.Subject}
		if j, ok := latest[k]; !ok || checkpointDays(v.Checkpoint) > checkpointDays(rows[j].Checkpoint) {
			latest[k] = i
		}
	}
	for _, i := range latest {
		out[i].Latest = true
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.TestID != c.TestID {
			return a.TestID < c.TestID
		}
		if a.Subject != c.Subject {
			return a.Subject < c.Subject
		}
		return checkpointDays(a.Checkpoint) > checkpointDays(c.Checkpoint)
	})
	acts, err := h.src.Actions(ctx, b.name)
	if err != nil {
		return nil, err
	}
	av := []ActionView{}
	for i := len(acts) - 1; i >= 0 && len(av) < maxActions; i-- {
		a := acts[i]
		j := actionJSON(a, nil)
		v := ActionView{TestID: a.TestID, Variant: a.VariantKey, Platform: a.Platform, Action: a.Action, TargetID: a.TargetID,
			Checkpoint: a.Checkpoint, Status: a.Status, Before: a.Before, After: a.After, Error: a.Error, Note: a.Note, ClaimedAt: a.ClaimedAt.UTC()}
		if j.BeforeAmount != "" {
			v.Before = j.BeforeAmount + " " + a.Currency
		}
		if j.AfterAmount != "" {
			v.After = j.AfterAmount + " " + a.Currency
		}
		if !a.FinishedAt.IsZero() {
			t := a.FinishedAt.UTC()
			v.FinishedAt = &t
		}
		av = append(av, v)
	}
	pending := []ApprovalView{}
	for _, a := range acts {
		if a.Status != store.ActionAwaiting {
			continue
		}
		j := actionJSON(a, nil)
		v := ApprovalView{ID: a.ID, TestID: a.TestID, Variant: a.VariantKey, Platform: a.Platform, Action: a.Action, TargetID: a.TargetID,
			Checkpoint: a.Checkpoint, Before: a.Before, Target: a.Target, Approvers: a.ApproverGroup, Reason: a.Reason, ExpiresAt: a.ExpiresAt.UTC()}
		if j.BeforeAmount != "" {
			v.Before = j.BeforeAmount + " " + a.Currency
		}
		if j.TargetAmount != "" {
			v.Target = j.TargetAmount + " " + a.Currency
		}
		pending = append(pending, v)
	}
	return map[string]any{"brand": b.name, "verdicts": out, "actions": av, "pending_approvals": pending}, nil
}

// ApprovalView is an action awaiting approval in /dashboard/api/verdicts
// (tests with `actions: approve`).
type ApprovalView struct {
	ID         int64  `json:"id"`
	TestID     string `json:"test_id"`
	Variant    string `json:"variant"`
	Platform   string `json:"platform"`
	Action     string `json:"action"`
	TargetID   string `json:"target_id"`
	Checkpoint string `json:"checkpoint"`
	// Before and Target are the state read when planned and the target
	// (budgets with their currency).
	Before string `json:"before"`
	Target string `json:"target"`
	// Approvers is the Slack user group whose members may approve.
	Approvers string    `json:"approvers"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PermissionView is a whitelisting permission in
// /dashboard/api/permissions.
type PermissionView struct {
	Platform string `json:"platform"`
	Account  string `json:"account"`
	ID       string `json:"id"`
	// Creator is the configured creator handle the grant belongs to, when
	// known; Handle is the creator's handle on the platform.
	Creator string `json:"creator"`
	Handle  string `json:"handle"`
	ItemID  string `json:"item_id"`
	// Status is the platform's status, or "expired" once ExpiresAt passed.
	Status    string     `json:"status"`
	GrantedAt *time.Time `json:"granted_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	// DaysLeft is whole days until expiry (negative after it; null when
	// the grant has no expiry).
	DaysLeft *int `json:"days_left"`
	// ExpiringSoon reports whether a live grant expires within the
	// permission warning window (reconcile.DefaultPermissionWarning).
	ExpiringSoon bool `json:"expiring_soon"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (h *DashboardHandler) permissionsAPI(ctx context.Context, r *http.Request) (any, error) {
	b, err := h.brandOf(ctx, r)
	if err != nil {
		return nil, err
	}
	now := h.now()
	out := []PermissionView{}
	if b.cfg == nil {
		return map[string]any{"brand": b.name, "permissions": out, "note": "brand is not in the loaded configuration: its accounts are unknown"}, nil
	}
	type acct struct {
		platform ads.Platform
		id       string
	}
	var accts []acct
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		for _, id := range b.cfg.AdAccounts(p) {
			accts = append(accts, acct{p, id})
		}
	}
	for _, a := range accts {
		ps, err := h.src.Permissions(ctx, a.platform, a.id)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			v := PermissionView{Platform: string(p.Platform), Account: p.Account, ID: p.ID, Handle: p.Creator,
				Creator: creatorFor(b.cfg, p.Platform, p.Creator), ItemID: p.ItemID, Status: string(p.Status),
				GrantedAt: optTime(p.GrantedAt), ExpiresAt: optTime(p.ExpiresAt), RevokedAt: optTime(p.RevokedAt)}
			live := p.Status == ads.PermissionActive || p.Status == ads.PermissionPending
			if e := reconcile.ExpiryOf(p.ExpiresAt, now, reconcile.DefaultPermissionWarning); e.Known {
				v.DaysLeft = &e.DaysLeft
				if e.Passed && live {
					v.Status = string(ads.PermissionExpired)
				}
				v.ExpiringSoon = live && e.Soon
			}
			out = append(out, v)
		}
	}
	// Expiring soon first, then other live grants, then dead ones; each
	// by days left (no expiry last), creator and id.
	rank := func(p PermissionView) int {
		switch {
		case p.ExpiringSoon:
			return 0
		case p.Status == string(ads.PermissionExpired) || p.Status == string(ads.PermissionRevoked) || p.RevokedAt != nil:
			return 2
		}
		return 1
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if ra, rc := rank(a), rank(c); ra != rc {
			return ra < rc
		}
		if (a.DaysLeft == nil) != (c.DaysLeft == nil) {
			return a.DaysLeft != nil
		}
		if a.DaysLeft != nil && *a.DaysLeft != *c.DaysLeft {
			return *a.DaysLeft < *c.DaysLeft
		}
		if a.Creator != c.Creator {
			return a.Creator < c.Creator
		}
		return a.ID < c.ID
	})
	return map[string]any{"brand": b.name, "permissions": out, "warning_days": int(reconcile.DefaultPermissionWarning.Hours() / 24)}, nil
}

// creatorFor finds the configured creator whose platform handle is handle.
func creatorFor(b *configs.Brand, p ads.Platform, handle string) string {
	norm := func(s string) string { return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@")) }
	h := norm(handle)
	if h == "" {
		return ""
	}
	for _, c := range b.Creators {
		ph := c.Instagram
		if p == ads.TikTok {
			ph = c.TikTok
		}
		if norm(ph) == h || norm(c.Handle) == h {
			return c.Handle
		}
	}
	return ""
}

// RunView is a job run in /dashboard/api/runs.
type RunView struct {
	ID         int64      `json:"id"`
	Job        string     `json:"job"`
	Scope      string     `json:"scope"`
	Status     string     `json:"status"`
	Attempt    int        `json:"attempt"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// Duration is the run's wall time, e.g. "1.2s" ("" while running).
	Duration string `json:"duration"`
	Rows     int64  `json:"rows"`
	APICalls int64  `json:"api_calls"`
	Error    string `json:"error"`
}

func (h *DashboardHandler) runsAPI(ctx context.Context, r *http.Request) (any, error) {
	b, err := h.brandOf(ctx, r)
	if err != nil {
		return nil, err
	}
	limit := defaultRuns
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRuns {
			return nil, badRequest("limit %q: want 1..%d", v, maxRuns)
		}
		limit = n
	}
	scopes := []string{"brand:" + b.name}
	if b.cfg != nil {
		scopes = append(scopes, b.cfg.AdAccounts(ads.Meta)...)
		scopes = append(scopes, b.cfg.AdAccounts(ads.TikTok)...)
		scopes = append(scopes, b.cfg.Shops()...)
	}
	runs, err := h.src.RecentRunsIn(ctx, scopes, limit)
	if err != nil {
		return nil, err
	}
	out := make([]RunView, len(runs))
	for i, j := range runs {
		out[i] = RunView{ID: j.ID, Job: j.Job, Scope: j.Scope, Status: j.Status, Attempt: j.Attempt, StartedAt: j.StartedAt.UTC(),
			Rows: j.Rows, APICalls: j.APICalls, Error: platformhttp.Credentials(j.Error)}
		if j.FinishedAt.Valid {
			f := j.FinishedAt.Time.UTC()
			out[i].FinishedAt = &f
			out[i].Duration = f.Sub(j.StartedAt).Round(time.Millisecond).String()
		}
	}
	return map[string]any{"brand": b.name, "runs": out}, nil
}
