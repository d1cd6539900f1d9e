package jobs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/web"
)

const (
	slackSecret  = "8f742231b10e8888abcd99yyyzzz85a5"
	glowApprover = "S0GLOWAPPR"
	lunaApprover = "S0LUNAAPPR"
)

var (
	ana = slackfake.User{ID: "U0ANA00001", Name: "ana"}
	ben = slackfake.User{ID: "U0BEN00002", Name: "ben"}
	eve = slackfake.User{ID: "U0EVE00003", Name: "eve"}
)

// approvalRig is the action rig with glowco's meta-hooks and lunaskin's
// luna-hooks under `actions: approve` (glowco's approvers per brand,
// lunaskin's per test), the Slack fake, the sender and roasd's
// interactivity endpoint.
type approvalRig struct {
	*actionRig
	slack  *slackfake.Server
	sender *notify.Sender
	url    string
	mu     sync.Mutex
	now    time.Time
}

func newApprovalRig(t *testing.T) *approvalRig {
	t.Helper()
	ar := &approvalRig{actionRig: newActionRig(t, ""), now: day15}
	ar.glowco.Slack.Approvers = glowApprover
	ar.glowco.Test("meta-hooks").Actions = configs.ActionsApprove
	lt := ar.lunaskin.Test("luna-hooks")
	lt.Actions, lt.Approvers = configs.ActionsApprove, lunaApprover
	ar.slack = slackfake.New("xoxb-test", "#glowco", "#luna")
	ar.slack.Scopes = []string{"chat:write", "channels:history", "usergroups:read"}
	ar.slack.SetUserGroup(glowApprover, ana.ID, ben.ID)
	ar.slack.SetUserGroup(lunaApprover, ana.ID, ben.ID)
	slackSrv := httptest.NewServer(ar.slack)
	t.Cleanup(slackSrv.Close)
	api := notify.NewSlack("xoxb-test", slackSrv.URL+"/api/", nil)
	ar.sender = notify.NewSender(api, ar.db, nil)
	ar.sender.Limits = notify.Limits{}
	h := web.SlackInteractions{Secret: slackSecret, Now: ar.clock, Approval: ar.db,
		Members: notify.Approvers{API: api}.Members, Ephemeral: notify.Approvers{API: api}.Ephemeral}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ar.url = srv.URL
	return ar
}

func (ar *approvalRig) clock() time.Time {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.now
}

// flush delivers every queued alert.
func (ar *approvalRig) flush(t *testing.T) {
	t.Helper()
	for {
		n, err := ar.sender.Flush(context.Background(), ar.clock())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// approvalMessage is the Slack message of brand's approval for checkpoint.
func (ar *approvalRig) approvalMessage(t *testing.T, channel, title string) slackfake.Message {
	t.Helper()
	for _, m := range ar.slack.Messages() {
		if strings.Contains(m.Text, title) {
			return m
		}
	}
	t.Fatalf("no Slack message %q; messages: %d", title, len(ar.slack.Messages()))
	return slackfake.Message{}
}

func (ar *approvalRig) press(t *testing.T, m slackfake.Message, who slackfake.User, actionID, key string) int {
	t.Helper()
	status, err := ar.slack.Press(slackfake.Click{URL: ar.url, Secret: slackSecret, At: ar.clock(), User: who, Message: m, ActionID: actionID, Value: key})
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// applyDecided runs what the daemon runs after a decision.
func (ar *approvalRig) applyDecided(t *testing.T, b *configs.Brand) {
	t.Helper()
	if err := ar.d.ApplyDecided("").Run(context.Background(), b, &scheduler.Run{Now: ar.clock()}); err != nil {
		t.Fatal(err)
	}
}

func keyOf(rec store.ActionRecord) string { return rec.ActionKey.String() }

func (ar *approvalRig) decisions(t *testing.T, brand string) []string {
	t.Helper()
	ds, err := ar.db.ActionDecisions(context.Background(), brand)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.UserName+" "+d.Decision+" "+d.Outcome)
	}
	return out
}

// TestApprovalLoop runs the whole loop: the verdict proposes actions and
// moves nothing; Slack shows them with buttons; a forged or stale request
// and a non-member change nothing (the non-member is told and recorded);
// a double click pauses once; an approved raise whose platform answer is
// lost is read back and applied once; each outcome replaces its buttons;
// the next checkpoint expires what nobody decided.
func TestApprovalLoop(t *testing.T) {
	t.Parallel()
	ar := newApprovalRig(t)
	ctx := context.Background()
	if err := ar.verdicts(ctx, ar.glowco, day15); err != nil {
		t.Fatal(err)
	}
	raise, pause2, pause4 := ar.action(t, "glowco", setScale), ar.action(t, "glowco", "m2"), ar.action(t, "glowco", "m4")
	for _, a := range []store.ActionRecord{raise, pause2, pause4} {
		if a.Status != store.ActionAwaiting || a.Sends != 0 || a.ApproverGroup != glowApprover {
			t.Fatalf("proposed action = %+v, want awaiting approval by %s, nothing sent", a, glowApprover)
		}
	}
	if got := ar.metaBudget(t, setScale); got != 10000 || ar.metaStatus(t, "m2") != "ACTIVE" {
		t.Fatalf("money moved before approval: budget %d, m2 %s", got, ar.metaStatus(t, "m2"))
	}
	// The TikTok test of the same brand still applies at once.
	if a := ar.action(t, "glowco", "k2"); a.Status != store.ActionApplied {
		t.Errorf("tiktok-hooks (actions: apply) pause = %s, want applied", a.Status)
	}
	// The dashboard lists what waits.
	set := &configs.Set{Brands: []*configs.Brand{ar.glowco, ar.lunaskin}}
	rec := httptest.NewRecorder()
	web.Dashboard(ar.db, func() *configs.Set { return set }, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard/api/verdicts?brand=glowco", nil))
	var dash struct {
		Pending []web.ApprovalView `json:"pending_approvals"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &dash); err != nil || len(dash.Pending) != 3 {
		t.Errorf("dashboard pending approvals = %d (%v), want 3: %s", len(dash.Pending), err, rec.Body.String())
	} else if p := dash.Pending[0]; p.TargetID != setScale || p.Before != "100.00 USD" || p.Target != "120.00 USD" || p.Approvers != glowApprover {
		t.Errorf("dashboard shows the raise as %+v", p)
	}
	ar.flush(t)
	msg := ar.approvalMessage(t, "#glowco", "Approve actions — meta-hooks, checkpoint 14d")
	for _, want := range []string{`"action_id":"roasd_approve"`, `"action_id":"roasd_skip"`, `"action_id":"roasd_approve_all"`, keyOf(raise), "100.00 USD → 120.00 USD"} {
		if !strings.Contains(string(msg.Blocks), want) {
			t.Errorf("approval message lacks %s:\n%s", want, msg.Blocks)
		}
	}

	// A forged signature and a replayed (stale) request are refused.
	payload, err := ar.slack.Payload(slackfake.Click{At: ar.clock(), User: ana, Message: msg, ActionID: notify.ActionIDApprove, Value: keyOf(raise)})
	if err != nil {
		t.Fatal(err)
	}
	body := "payload=" + strings.ReplaceAll(string(payload), "&", "%26")
	for _, tc := range []struct {
		name, secret string
		at           time.Time
	}{{"bad signature", "not-the-secret", ar.clock()}, {"stale", slackSecret, ar.clock().Add(-6 * time.Minute)}, {"future", slackSecret, ar.clock().Add(6 * time.Minute)}} {
		req, _ := http.NewRequest(http.MethodPost, ar.url, strings.NewReader(body))
		req.Header.Set("X-Slack-Request-Timestamp", itoa(tc.at.Unix()))
		req.Header.Set("X-Slack-Signature", slackfake.Sign(tc.secret, tc.at, []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tc.name, resp.StatusCode)
		}
	}
	if d := ar.decisions(t, "glowco"); len(d) != 0 || ar.action(t, "glowco", setScale).Status != store.ActionAwaiting {
		t.Fatalf("a refused request changed something: decisions %v", d)
	}

	// A non-member is told, recorded, and changes nothing.
	if st := ar.press(t, msg, eve, notify.ActionIDApprove, keyOf(raise)); st != http.StatusOK {
		t.Fatalf("non-member click answered %d", st)
	}
	if a := ar.action(t, "glowco", setScale); a.Status != store.ActionAwaiting {
		t.Fatalf("a non-member's click made the raise %s", a.Status)
	}
	if eph := ar.slack.Ephemerals(); len(eph) != 1 || eph[0].User != eve.ID || !strings.Contains(eph[0].Text, "Not allowed") {
		t.Errorf("ephemerals = %+v, want one 'Not allowed' to eve", eph)
	}

	// A double click on the pause applies it once.
	for range 2 {
		if st := ar.press(t, msg, ana, notify.ActionIDApprove, keyOf(pause2)); st != http.StatusOK {
			t.Fatalf("click answered %d", st)
		}
	}
	// The raise is approved, and Meta's answer to it is lost (500 after
	// applying).
	if st := ar.press(t, msg, ben, notify.ActionIDApprove, keyOf(raise)); st != http.StatusOK {
		t.Fatalf("click answered %d", st)
	}
	want := []string{"@eve approve not_allowed", "@ana approve approved", "@ana approve already_decided", "@ben approve approved"}
	if got := ar.decisions(t, "glowco"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("decisions = %v, want %v", got, want)
	}
	ar.metaPx.set("500", 0, 100, nil)
	ar.applyDecided(t, ar.glowco)
	ar.applyDecided(t, ar.glowco) // a second kick changes nothing
	if got := ar.metaBudget(t, setScale); got != 12000 {
		t.Errorf("budget after approval = %d, want 12000", got)
	}
	if a := ar.action(t, "glowco", setScale); a.Status != store.ActionApplied || a.Sends != 1 || !strings.Contains(a.Note, "answer was lost") {
		t.Errorf("approved raise = %+v, want applied after one send, read back", a)
	}
	if a := ar.action(t, "glowco", "m2"); a.Status != store.ActionApplied || a.Sends != 1 || ar.metaStatus(t, "m2") != "PAUSED" {
		t.Errorf("double-clicked pause = %+v, want applied once", a)
	}
	writes := 0
	for _, c := range ar.meta.Calls() {
		if c.Method == http.MethodPost && (strings.HasSuffix(c.Path, "/m2") || strings.HasSuffix(c.Path, "/"+setScale)) {
			writes++
		}
	}
	if writes != 2 {
		t.Errorf("%d writes reached Meta, want 2 (one pause, one raise)", writes)
	}
	ar.metaPx.set("", 0, 0, nil)
	ar.flush(t)
	msg = ar.approvalMessage(t, "#glowco", "Approve actions — meta-hooks, checkpoint 14d")
	for _, want := range []string{"approved by @ben 10:00 — budget of meta ad set " + setScale + " 100.00 USD → 120.00 USD, applied",
		"approved by @ana 10:00 — pause meta ad m2 (hook-b), applied"} {
		if !strings.Contains(string(msg.Blocks), want) {
			t.Errorf("updated message lacks %q:\n%s", want, msg.Blocks)
		}
	}
	if msg.Edits == 0 || strings.Contains(string(msg.Blocks), keyOf(raise)) {
		t.Errorf("the raise's buttons were not replaced (edits %d):\n%s", msg.Edits, msg.Blocks)
	}
	if _, err := ar.slack.Payload(slackfake.Click{At: ar.clock(), User: ana, Message: msg, ActionID: notify.ActionIDApprove, Value: keyOf(raise)}); err == nil {
		t.Error("the decided raise still has an Approve button")
	}

	// The next checkpoint expires the pause nobody decided.
	ar.mu.Lock()
	ar.now = day31
	ar.mu.Unlock()
	if err := ar.verdicts(ctx, ar.glowco, day31); err != nil {
		t.Fatal(err)
	}
	recs, err := ar.db.Actions(ctx, "glowco")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range recs {
		if a.TargetID != "m4" {
			continue
		}
		// The 14d question lapses; the 30d checkpoint asks anew.
		want := map[string]string{"14d": store.ActionExpired, "30d": store.ActionAwaiting}[a.Checkpoint]
		if a.Status != want || a.Sends != 0 {
			t.Errorf("pause of m4 at %s after the 30d checkpoint came = %s with %d sends, want %s, nothing sent", a.Checkpoint, a.Status, a.Sends, want)
		}
	}
	ar.flush(t)
	msg = ar.approvalMessage(t, "#glowco", "Approve actions — meta-hooks, checkpoint 14d")
	if !strings.Contains(string(msg.Blocks), "expired — the next checkpoint came") {
		t.Errorf("expired proposal not shown as expired:\n%s", msg.Blocks)
	}
}

// TestApprovalRaceAndChangedVerdict: two approvers clicking at once apply
// a raise once; a click on a proposal whose verdict changed since (the
// message not yet updated) changes nothing and says it expired.
func TestApprovalRaceAndChangedVerdict(t *testing.T) {
	t.Parallel()
	ar := newApprovalRig(t)
	ctx := context.Background()
	if err := ar.verdicts(ctx, ar.lunaskin, day15); err != nil {
		t.Fatal(err)
	}
	ar.flush(t)
	msg := ar.approvalMessage(t, "#luna", "Approve actions — luna-hooks, checkpoint 14d")
	raise := ar.action(t, "lunaskin", setEU)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := ana
			if i%2 == 1 {
				who = ben
			}
			ar.press(t, msg, who, notify.ActionIDApprove, keyOf(raise))
		}()
	}
	wg.Wait()
	approved := 0
	for _, d := range ar.decisions(t, "lunaskin") {
		if strings.HasSuffix(d, " approved") {
			approved++
		}
	}
	if approved != 1 {
		t.Fatalf("%d approvals recorded, want 1: %v", approved, ar.decisions(t, "lunaskin"))
	}
	ar.applyDecided(t, ar.lunaskin)
	if got := ar.metaBudget(t, setEU); got != 9600 {
		t.Errorf("budget %d, want 9600 (raised once)", got)
	}

	// eu-b's results improve: its verdict is no longer cut, and the
	// verdicts run expires the pause before its message is updated.
	if _, err := ar.db.SQL().Exec(`UPDATE kpi_daily SET paid_revenue_micros = paid_revenue_micros * 10 WHERE brand = 'lunaskin' AND variant_key = 'eu-b'`); err != nil {
		t.Fatal(err)
	}
	ar.mu.Lock()
	ar.now = day15.Add(time.Hour)
	ar.mu.Unlock()
	var pauses []store.ActionRecord
	recs, _ := ar.db.Actions(ctx, "lunaskin")
	for _, r := range recs {
		if r.VariantKey == "eu-b" {
			pauses = append(pauses, r)
		}
	}
	if len(pauses) == 0 {
		t.Fatal("no pause proposed for eu-b")
	}
	if err := ar.verdicts(ctx, ar.lunaskin, ar.clock()); err != nil {
		t.Fatal(err)
	}
	if st := ar.press(t, msg, ana, notify.ActionIDApprove, keyOf(pauses[0])); st != http.StatusOK {
		t.Fatalf("click answered %d", st)
	}
	if a := ar.action(t, "lunaskin", pauses[0].TargetID); a.Status != store.ActionExpired || a.Sends != 0 {
		t.Errorf("pause after the verdict changed = %+v, want expired, nothing sent", a)
	}
	eph := ar.slack.Ephemerals()
	if len(eph) == 0 || !strings.Contains(eph[len(eph)-1].Text, "expired") {
		t.Errorf("ephemerals = %+v, want an 'expired' note", eph)
	}
	ar.flush(t)
	msg = ar.approvalMessage(t, "#luna", "Approve actions — luna-hooks, checkpoint 14d")
	if !strings.Contains(string(msg.Blocks), "expired — the verdict changed") {
		t.Errorf("message does not show the expiry:\n%s", msg.Blocks)
	}
}

// TestApproveAll: one Approve all by a member approves every awaiting
// proposal of the test's checkpoint; a non-member's Approve all changes
// nothing.
func TestApproveAll(t *testing.T) {
	t.Parallel()
	ar := newApprovalRig(t)
	if err := ar.verdicts(context.Background(), ar.glowco, day15); err != nil {
		t.Fatal(err)
	}
	ar.flush(t)
	msg := ar.approvalMessage(t, "#glowco", "Approve actions — meta-hooks, checkpoint 14d")
	for _, who := range []slackfake.User{eve, ana} {
		if st := ar.press(t, msg, who, notify.ActionIDApproveAll, ""); st != http.StatusOK {
			t.Fatalf("Approve all answered %d", st)
		}
	}
	want := []string{"@eve approve not_allowed", "@eve approve not_allowed", "@eve approve not_allowed",
		"@ana approve approved", "@ana approve approved", "@ana approve approved"}
	if got := ar.decisions(t, "glowco"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("decisions = %v, want %v", got, want)
	}
	if eph := ar.slack.Ephemerals(); len(eph) != 1 || eph[0].User != eve.ID {
		t.Errorf("ephemerals = %+v, want one note to eve for her Approve all", eph)
	}
	ar.applyDecided(t, ar.glowco)
	if got := ar.metaBudget(t, setScale); got != 12000 || ar.metaStatus(t, "m2") != "PAUSED" {
		t.Errorf("after Approve all: budget %d, m2 %s; want 12000, PAUSED", got, ar.metaStatus(t, "m2"))
	}
	if a := ar.action(t, "glowco", "m4"); a.Status != store.ActionAlready || a.Sends != 0 {
		t.Errorf("m4 (already paused) = %+v, want already, nothing sent", a)
	}
	ar.flush(t)
	msg = ar.approvalMessage(t, "#glowco", "Approve actions — meta-hooks, checkpoint 14d")
	if strings.Contains(string(msg.Blocks), `"type":"actions"`) {
		t.Errorf("buttons left after everything was decided:\n%s", msg.Blocks)
	}
}
