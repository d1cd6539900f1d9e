package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/store"
)

// ActionSource lists recorded platform actions and their logged steps;
// *store.DB implements it.
type ActionSource interface {
	Actions(ctx context.Context, brand string) ([]store.ActionRecord, error)
	ActionLog(ctx context.Context, brand string) ([]store.ActionLogEntry, error)
}

// ActionJSON is one platform action in GET /api/v1/actions: the intent
// (absolute target), its outcome, and every read, write and read-back made
// for it. Budgets are in minor units of Currency; the *_amount fields show
// them in major units ("120.00").
type ActionJSON struct {
	ID         int64  `json:"id"`
	TestID     string `json:"test_id"`
	Variant    string `json:"variant"`
	Checkpoint string `json:"checkpoint"`
	Platform   string `json:"platform"`
	Account    string `json:"account"`
	// Action is pause_ad, set_budget or set_campaign_budget; TargetID the
	// ad, ad set, ad group or campaign.
	Action   string `json:"action"`
	TargetID string `json:"target_id"`
	// Status is applied, already (the target was reached before roasd
	// acted), failed, skipped, pending or unknown (to be read back),
	// claimed (in flight), awaiting (approval) or expired (never
	// approved).
	Status       string     `json:"status"`
	Target       string     `json:"target"`
	Currency     string     `json:"currency,omitempty"`
	TargetAmount string     `json:"target_amount,omitempty"`
	Before       string     `json:"before"`
	BeforeAmount string     `json:"before_amount,omitempty"`
	After        string     `json:"after"`
	AfterAmount  string     `json:"after_amount,omitempty"`
	Reason       string     `json:"reason"`
	Note         string     `json:"note,omitempty"`
	Error        string     `json:"error,omitempty"`
	Sends        int        `json:"sends"`
	ReadBack     string     `json:"read_back,omitempty"`
	ReadBackAt   *time.Time `json:"read_back_at,omitempty"`
	// EffectiveFrom is when the platform applies the change, when not at
	// once (a TikTok daily budget: 00:00 the next day, advertiser zone).
	EffectiveFrom string `json:"effective_from,omitempty"`
	// Approvers is the Slack user group asked to approve (tests with
	// `actions: approve`; status awaiting until decided, expired when the
	// question lapsed); DecidedBy who approved or skipped ("@ana"), and
	// when.
	Approvers  string                 `json:"approvers,omitempty"`
	ExpiresAt  *time.Time             `json:"expires_at,omitempty"`
	DecidedBy  string                 `json:"decided_by,omitempty"`
	DecidedAt  *time.Time             `json:"decided_at,omitempty"`
	ClaimedAt  time.Time              `json:"claimed_at"`
	FinishedAt *time.Time             `json:"finished_at,omitempty"`
	Log        []store.ActionLogEntry `json:"log"`
}

// ActionsHandler serves GET /api/v1/actions?brand=B[&status=S] with the
// same bearer token as the report API: the brand's platform actions, newest
// first, with their logs.
func ActionsHandler(src ActionSource, token string) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		gotSum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if subtle.ConstantTimeCompare(gotSum[:], want[:]) != 1 || !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roasd"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <ROASD_API_TOKEN>", http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		brand, status := q.Get("brand"), q.Get("status")
		if brand == "" || strings.ContainsRune(brand+status, 0) {
			http.Error(w, "brand is required: /api/v1/actions?brand=NAME[&status=applied]", http.StatusBadRequest)
			return
		}
		recs, err := src.Actions(r.Context(), brand)
		if err != nil {
			http.Error(w, "reading actions failed", http.StatusInternalServerError)
			return
		}
		steps, err := src.ActionLog(r.Context(), brand)
		if err != nil {
			http.Error(w, "reading actions failed", http.StatusInternalServerError)
			return
		}
		logOf := map[int64][]store.ActionLogEntry{}
		for _, s := range steps {
			logOf[s.ActionID] = append(logOf[s.ActionID], s)
		}
		out := []ActionJSON{}
		for i := len(recs) - 1; i >= 0; i-- {
			a := recs[i]
			if status != "" && a.Status != status {
				continue
			}
			out = append(out, actionJSON(a, logOf[a.ID]))
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"brand": brand, "actions": out})
	})
}

func actionJSON(a store.ActionRecord, log []store.ActionLogEntry) ActionJSON {
	v := ActionJSON{ID: a.ID, TestID: a.TestID, Variant: a.VariantKey, Checkpoint: a.Checkpoint, Platform: a.Platform, Account: a.Account,
		Action: a.Action, TargetID: a.TargetID, Status: a.Status, Target: a.Target, Currency: a.Currency, Before: a.Before, After: a.After,
		Reason: a.Reason, Note: a.Note, Error: a.Error, Sends: a.Sends, ReadBack: a.ReadbackValue, EffectiveFrom: a.EffectiveFrom,
		ClaimedAt: a.ClaimedAt.UTC(), Log: log}
	if v.Log == nil {
		v.Log = []store.ActionLogEntry{}
	}
	if (a.Action == "set_budget" || a.Action == "set_campaign_budget") && a.Currency != "" {
		amount := func(s string) string {
			n, err := strconv.ParseInt(strings.Fields(s + " x")[0], 10, 64)
			if err != nil {
				return ""
			}
			return ads.FormatMicros(ads.MinorToMicros(n, a.Currency), ads.MinorUnitExponent(a.Currency))
		}
		v.TargetAmount, v.BeforeAmount, v.AfterAmount = amount(a.Target), amount(a.Before), amount(a.After)
	}
	if !a.ReadbackAt.IsZero() {
		t := a.ReadbackAt.UTC()
		v.ReadBackAt = &t
	}
	if !a.FinishedAt.IsZero() {
		t := a.FinishedAt.UTC()
		v.FinishedAt = &t
	}
	v.Approvers, v.DecidedBy = a.ApproverGroup, a.DecidedName
	if !a.ExpiresAt.IsZero() && a.ApproverGroup != "" {
		t := a.ExpiresAt.UTC()
		v.ExpiresAt = &t
	}
	if !a.DecidedAt.IsZero() {
		t := a.DecidedAt.UTC()
		v.DecidedAt = &t
	}
	return v
}
