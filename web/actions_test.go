package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/store"
)

// TestActionsHandler serves a brand's actions with their logs to a bearer
// holder only, and keeps brands apart.
func TestActionsHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	now := time.Date(2026, 6, 16, 14, 0, 0, 0, time.UTC)
	for _, b := range []struct{ brand, cur, set, target string }{{"glowco", "USD", "set1", "12000"}, {"lunaskin", "JPY", "set9", "9600"}} {
		in := store.ActionIntent{ActionKey: store.ActionKey{Brand: b.brand, TestID: "t1", VariantKey: "hook-a", Platform: "meta", Account: "act_1",
			Action: "set_budget", TargetID: b.set, Checkpoint: "14d"}, Target: b.target, Currency: b.cur, Before: "10000", Reason: "scaled"}
		rec, ok, err := db.ClaimNewAction(ctx, in, "tok", now)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		for _, s := range []store.ActionStep{{Step: store.StepRead, Value: "10000", Outcome: store.StepOK}, {Step: store.StepSend, Value: b.target, Outcome: "sent"},
			{Step: store.StepAnswer, Outcome: store.StepUnknown, Error: "HTTP 500"}, {Step: store.StepReadBack, Value: b.target, Outcome: store.StepOK}} {
			s.ActionID, s.Platform, s.TargetID, s.Action, s.At = rec.ID, "meta", b.set, "set_budget", now
			if err := db.LogActionStep(ctx, "tok", s); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SettleAction(ctx, rec.ID, "tok", store.ActionOutcome{Status: store.ActionApplied, Before: "10000", After: b.target,
			Note: "the answer was lost; read back shows the target"}, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(ActionsHandler(db, "s3cret"))
	t.Cleanup(srv.Close)
	get := func(query, token string) (*http.Response, map[string]json.RawMessage) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/actions"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]json.RawMessage
		json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}
	for _, tc := range []struct {
		name, query, token string
		status             int
	}{
		{"no token", "?brand=glowco", "", http.StatusUnauthorized},
		{"wrong token", "?brand=glowco", "nope", http.StatusUnauthorized},
		{"no brand", "", "s3cret", http.StatusBadRequest},
		{"NUL byte", "?brand=glow%00co", "s3cret", http.StatusBadRequest},
	} {
		if resp, _ := get(tc.query, tc.token); resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	resp, body := get("?brand=lunaskin", "s3cret")
	var acts []ActionJSON
	json.Unmarshal(body["actions"], &acts)
	if resp.StatusCode != http.StatusOK || len(acts) != 1 {
		t.Fatalf("status %d, actions %+v; want lunaskin's one action", resp.StatusCode, acts)
	}
	a := acts[0]
	if a.Status != "applied" || a.TargetAmount != "9600" || a.BeforeAmount != "10000" || a.Currency != "JPY" || a.Sends != 1 ||
		a.ReadBack != "9600" || a.ReadBackAt == nil || len(a.Log) != 4 || a.Log[3].Step != "readback" || a.Note == "" {
		t.Errorf("action = %+v, want applied 10000 → 9600 JPY after one send, read back, with its 4 logged steps", a)
	}
	_, body = get("?brand=glowco&status=failed", "s3cret")
	if string(body["actions"]) != "[]" {
		t.Errorf("status filter: got %s, want []", body["actions"])
	}
}
