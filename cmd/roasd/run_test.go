package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/shopify/shopifyfake"
	"github.com/roasd/roasd/store"
)

var schema = storetest.Schema

// e2e is a database, the sandbox fakes and a config directory.
type e2e struct {
	dsn    string
	sb     *sandbox.Sandbox
	config string
	vars   map[string]string
	db     *store.DB
}

func setupE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{dsn: pgtest.DSN(t, schema), config: t.TempDir()}
	if err := copyExamples(e.config); err != nil {
		t.Fatal(err)
	}
	set, err := loadConfig(e.config)
	if err != nil {
		t.Fatal(err)
	}
	camps, err := sandbox.NewCampaigns(set, 1)
	if err != nil {
		t.Fatal(err)
	}
	camp := camps[0]
	e.sb, err = sandbox.StartAll(camps, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sb.Close() })
	e.vars = map[string]string{
		"DATABASE_URL":           e.dsn,
		"ROASD_NOW":              camp.Now.Format(time.RFC3339),
		"SHOPIFY_WEBHOOK_SECRET": "whsec",
		"ROASD_API_TOKEN":        "api-token",
	}
	for _, line := range e.sb.Env() {
		k, v, _ := strings.Cut(line, "=")
		e.vars[k] = v
	}
	e.db, err = store.Open(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	return e
}

// env returns a cmdEnv seeing only e's variables (never the developer's).
func (e *e2e) env(stdout, stderr io.Writer) *cmdEnv {
	return &cmdEnv{stdout: stdout, stderr: stderr, getenv: func(k string) string { return e.vars[k] }}
}

// snapshot is a canonical dump of the business tables, without ids and
// timestamps that legitimately differ between runs.
func (e *e2e) snapshot(t *testing.T) string {
	t.Helper()
	queries := []string{
		`SELECT platform, account, ad_id, status, kind, utm_content FROM ads ORDER BY 1,2,3`,
		`SELECT platform, account, ad_id, day::text, spend_micros, conversions, conversion_value_micros FROM ad_day_stats ORDER BY 1,2,3,4`,
		`SELECT shop, order_id, net_micros, refunded_micros, cancelled_at IS NOT NULL FROM orders ORDER BY 1,2`,
		`SELECT platform, account, permission_id, status FROM permissions ORDER BY 1,2,3`,
		`SELECT brand, source, source_id, channel, rule, revenue_micros, test_id, variant_key, creator FROM ledger ORDER BY 1,2,3`,
		`SELECT brand, test_id, subject, checkpoint, verdict FROM verdicts ORDER BY 1,2,3,4`,
		`SELECT dedup_key, status FROM alert_outbox ORDER BY 1`,
		`SELECT brand, test_id, variant_key, action, target_id, status FROM platform_actions ORDER BY 1,2,3,4,5`,
	}
	var b strings.Builder
	for _, q := range queries {
		rows, err := e.db.SQL().Queryx(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := 0
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
			n++
		}
		rows.Close()
		fmt.Fprintf(&b, "-- %d rows: %s\n", n, q)
	}
	return b.String()
}

func (e *e2e) count(t *testing.T, q string) int {
	t.Helper()
	var n int
	if err := e.db.SQL().Get(&n, q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestRunOnceEndToEnd(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := Main(ctx, e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "warn"}); code != 0 {
		t.Fatalf("run --once exit %d\nstderr:\n%s", code, errOut.String())
	}
	for _, c := range []struct {
		what string
		q    string
		min  int
	}{
		{"meta ads", `SELECT count(*) FROM ads WHERE platform = 'meta'`, 5},
		{"tiktok ads", `SELECT count(*) FROM ads WHERE platform = 'tiktok'`, 4},
		{"variant links", `SELECT count(*) FROM variant_ads`, 10},
		{"daily stats", `SELECT count(*) FROM ad_day_stats`, 200},
		{"orders", `SELECT count(*) FROM orders`, 500},
		{"spark permissions", `SELECT count(*) FROM permissions WHERE platform = 'tiktok'`, 3},
		{"meta permissions", `SELECT count(*) FROM permissions WHERE platform = 'meta' AND item_id = ''`, 3},
		// From partnership-ads-advertisable-content, per business.
		{"meta eligible media", `SELECT count(*) FROM permissions WHERE platform = 'meta' AND item_id <> ''`, 3},
		{"ledger rows", `SELECT count(*) FROM ledger`, 500},
		{"paid ledger rows", `SELECT count(*) FROM ledger WHERE channel = 'paid'`, 100},
		{"verdicts", `SELECT count(*) FROM verdicts`, 8},
		{"alerts sent", `SELECT count(*) FROM alert_outbox WHERE status = 'sent'`, 10},
		{"successful runs", `SELECT count(*) FROM job_runs WHERE status = 'ok'`, 10},
	} {
		if got := e.count(t, c.q); got < c.min {
			t.Errorf("%s: %d rows, want at least %d", c.what, got, c.min)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM job_runs WHERE status <> 'ok' OR error <> ''`); n != 0 {
		runs, _ := e.db.RecentRuns(ctx, "", 50)
		t.Errorf("%d runs did not succeed: %+v", n, runs)
	}
	// Every order is in the ledger at most once (the primary key says so),
	// and every non-test order is in it.
	if n := e.count(t, `SELECT count(*) FROM orders o WHERE NOT test AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.source_id = o.order_id)`); n != 0 {
		t.Errorf("%d orders missing from the ledger", n)
	}
	if len(e.sb.Slack.Messages()) == 0 {
		t.Fatal("no Slack messages posted")
	}
	// spf-routine opts into actions: its cut variant's ad was paused on
	// the platform, once, with before/after recorded.
	if n := e.count(t, `SELECT count(*) FROM platform_actions WHERE action = 'pause_ad' AND status = 'applied' AND before_value <> '' AND after_value <> ''`); n < 1 {
		t.Errorf("applied pause actions: %d, want at least 1", n)
	}
	paused := e.count(t, `SELECT count(*) FROM platform_actions WHERE status = 'applied'`)

	// The next cycle syncs the paused status back; from then on a cycle
	// changes nothing, acts on nothing and posts nothing.
	run := func(n int) {
		t.Helper()
		if code := Main(ctx, e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "warn"}); code != 0 {
			t.Fatalf("run %d: exit %d\nstderr:\n%s", n, code, errOut.String())
		}
	}
	run(2)
	before, msgs := e.snapshot(t), len(e.sb.Slack.Messages())
	run(3)
	if after := e.snapshot(t); after != before {
		t.Errorf("third run changed the database:\n%s", diffLines(before, after))
	}
	if got := len(e.sb.Slack.Messages()); got != msgs {
		t.Errorf("third run posted %d more Slack messages", got-msgs)
	}
	if got := e.count(t, `SELECT count(*) FROM platform_actions WHERE status = 'applied'`); got != paused {
		t.Errorf("applied actions went from %d to %d on reruns", paused, got)
	}
}

func TestRunOnceFailsClearlyOnExpiredToken(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	e.sb.Meta.ExpireToken()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "error"})
	if code == 0 {
		t.Fatal("run --once succeeded with an expired Meta token")
	}
	msg := errOut.String()
	for _, want := range []string{"meta.permissions", "act_1234567890", "auth error", "code 190"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error output lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, sandbox.MetaToken) {
		t.Error("error output contains the access token")
	}
	// The failure is recorded, and the other platforms still synced.
	// One failed run per brand's ad account (auth errors are not
	// retried).
	if n := e.count(t, `SELECT count(*) FROM job_runs WHERE job = 'meta.ads' AND status = 'failed' AND error LIKE '%190%'`); n != len(e.sb.Campaigns) {
		t.Errorf("failed meta.ads runs recorded: %d, want %d, one per ad account (auth errors are not retried)", n, len(e.sb.Campaigns))
	}
	if n := e.count(t, `SELECT count(*) FROM ads WHERE platform = 'tiktok'`); n == 0 {
		t.Error("tiktok ads were not synced while meta failed")
	}
}

// serveDaemon runs the daemon in the background until the test ends.
// Unless o says otherwise, both listeners are on loopback ports of their
// own.
func serveDaemon(t *testing.T, e *e2e, o runOptions) (*daemon, listening, func() error) {
	t.Helper()
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	o.listen, o.replica = "127.0.0.1:0", "test-replica"
	if o.privateListen == "" {
		o.privateListen = "127.0.0.1:0"
	} else if o.privateListen == "off" {
		o.privateListen = ""
	}
	if o.reload == 0 {
		o.reload = 50 * time.Millisecond
	}
	if o.grace == 0 {
		o.grace = 200 * time.Millisecond
	}
	d, err := newDaemon(ctx, e.env(&logs, &logs), e.dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	d.serving = make(chan listening, 1)
	set, err := loadConfig(o.config)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.serve(ctx, set) }()
	var url listening
	select {
	case url = <-d.serving:
	case err := <-done:
		t.Fatalf("daemon stopped: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not start")
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("daemon did not stop")
		}
	}
	t.Cleanup(func() {
		stop()
		d.close()
	})
	return d, url, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReloadKeepsLastGoodConfig(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	d, at, _ := serveDaemon(t, e, runOptions{config: e.config, schedules: map[string]string{}})
	url, private := at.public, at.private
	if code, body := get(t, private+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	// The Meta token's expiry is read at start (the sandbox token never
	// expires) and shown without the token.
	waitFor(t, "the meta token check at start", func() bool {
		_, body := get(t, private+"/readyz")
		return strings.Contains(body, "meta token: valid, never expires")
	})
	if _, body := get(t, private+"/metrics"); !strings.Contains(body, `roasd_token_expiry_seconds{platform="meta"} +Inf`) {
		t.Error("/metrics lacks the meta token expiry")
	}
	// Nothing has synced yet: /readyz says why the brand is not judged.
	if _, body := get(t, private+"/readyz"); !strings.Contains(body, "brand glowco not judged until its data is complete: meta.permissions act_1234567890 (never ran)") {
		t.Errorf("/readyz does not say why glowco is not judged: %s", body)
	}
	if _, body := get(t, private+"/readyz"); strings.Contains(body, sandbox.MetaToken) {
		t.Errorf("/readyz shows the token: %s", body)
	}
	// The report API and the webhooks are mounted on the daemon.
	if code, _ := get(t, url+"/api/v1/report?from=2026-10-01&to=2026-11-30&by=creator"); code != http.StatusUnauthorized {
		t.Errorf("report API without a token = %d, want 401", code)
	}
	order := strings.TrimPrefix(e.sb.Campaign.Orders[0].ID, "gid://shopify/Order/")
	if err := e.sb.Shopify.SendWebhook(context.Background(), url+"/webhooks/shopify", "whsec", "orders/updated", order); err != nil {
		t.Errorf("signed Shopify webhook: %v", err)
	}
	if n := e.count(t, `SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("orders after one webhook: %d, want 1", n)
	}
	if err := e.sb.Shopify.SendWebhook(context.Background(), url+"/webhooks/shopify", "wrong-secret", "orders/updated", order); err == nil {
		t.Error("webhook signed with the wrong secret was accepted")
	}
	// Correctly signed, but from a shop no brand configures: refused,
	// nothing stored, counted.
	stranger := []byte(`{"id":77,"name":"#77","created_at":"2026-11-01T10:00:00Z","updated_at":"2026-11-01T10:00:00Z",` +
		`"currency":"USD","subtotal_price":"10.00","total_discounts":"0.00","refunds":[]}`)
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/shopify", bytes.NewReader(stranger))
	req.Header.Set("X-Shopify-Topic", "orders/create")
	req.Header.Set("X-Shopify-Shop-Domain", "stranger.myshopify.com")
	req.Header.Set("X-Shopify-Webhook-Id", "stranger-1")
	req.Header.Set("X-Shopify-Hmac-Sha256", shopifyfake.Sign("whsec", stranger))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("webhook of an unconfigured shop = %d, want 403", resp.StatusCode)
	}
	if n := e.count(t, `SELECT count(*) FROM orders WHERE shop = 'stranger.myshopify.com'`); n != 0 {
		t.Errorf("orders of an unconfigured shop stored: %d", n)
	}
	if _, body := get(t, private+"/metrics"); !strings.Contains(body, `roasd_webhooks_refused_total{platform="shopify",reason="unknown_shop"} 1`) {
		t.Error("/metrics does not count the refused webhook")
	}
	good := d.config()
	if good.Brand("glowco").Test("serum-hooks") == nil {
		t.Fatal("example config lacks serum-hooks")
	}

	// A broken file: reported, last good config kept, gauge at 0.
	broken := filepath.Join(e.config, "zz-broken.yaml")
	if err := os.WriteFile(broken, []byte("brand: glowco\ntests:\n  - id: new-test\n    creator: nobody\n    start: 2026-13-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "config gauge to drop", func() bool {
		_, body := get(t, private+"/metrics")
		return strings.Contains(body, "roasd_config_last_reload_successful 0")
	})
	if d.config() != good {
		t.Fatal("a broken config replaced the last good one")
	}
	if code, _ := get(t, private+"/readyz"); code != 200 {
		t.Fatal("daemon not ready after a failed reload")
	}

	// Fixed: the new test is in force.
	if err := os.WriteFile(broken, []byte("brand: glowco\ntests:\n  - id: new-test\n    creator: priya\n    start: 2026-11-01\n    target_roas: 2\n    floor_roas: 1\n    variants:\n      - key: nt-meta\n        platform: meta\n        kind: whitelisted\n        utm: {content: new-test-meta}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reload of the fixed config", func() bool {
		return d.config().Brand("glowco").Test("new-test") != nil
	})
	if _, body := get(t, private+"/metrics"); !strings.Contains(body, "roasd_config_last_reload_successful 1") {
		t.Error("config gauge not back to 1")
	}
}

func TestShutdownMidRunAbandonsCleanly(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	e.sb.Meta.Latency(20 * time.Second) // every Meta call hangs
	every := map[string]string{}
	for name := range map[string]bool{"meta.permissions": true} {
		every[name] = "@every 1s"
	}
	_, _, stop := serveDaemon(t, e, runOptions{config: e.config, schedules: every})
	waitFor(t, "a meta job to start", func() bool {
		return e.count(t, `SELECT count(*) FROM job_runs WHERE job = 'meta.permissions' AND status = 'running'`) > 0
	})
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("shutdown took %v with a 200ms grace", took)
	}
	if n := e.count(t, `SELECT count(*) FROM job_runs WHERE status = 'running'`); n != 0 {
		t.Errorf("%d runs left 'running' after shutdown", n)
	}
	if n := e.count(t, `SELECT count(*) FROM job_runs WHERE job = 'meta.permissions' AND status = 'abandoned'`); n == 0 {
		t.Error("the interrupted run was not recorded as abandoned")
	}
	if n := e.count(t, `SELECT count(*) FROM leases`); n != 0 {
		t.Errorf("%d leases left behind", n)
	}
}

// syncBuffer is a bytes.Buffer safe for the daemon's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// diffLines shows the lines of b not in a and vice versa.
func diffLines(a, b string) string {
	in := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for l, n := range ma {
		if mb[l] < n {
			out = append(out, "- "+l)
		}
	}
	for l, n := range mb {
		if ma[l] < n {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 40 {
		out = append(out[:40], "…")
	}
	return strings.Join(out, "\n")
}

func TestRunOnceDoesNotJudgeOnMissingData(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	e.vars["SHOPIFY_ACCESS_TOKEN"] = "shpat_revoked"
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "error"}); code == 0 {
		t.Fatal("run --once succeeded with a revoked Shopify token")
	}
	if !strings.Contains(errOut.String(), "not judging brand glowco until its syncs recover") || !strings.Contains(errOut.String(), "shopify.orders glowco.myshopify.com") {
		t.Errorf("stderr does not say why verdicts were withheld:\n%s", errOut.String())
	}
	if n := e.count(t, `SELECT count(*) FROM verdicts WHERE brand = 'glowco'`); n != 0 {
		t.Errorf("%d verdicts were made without the store's orders", n)
	}
	for _, m := range e.sb.Slack.Messages() {
		if strings.HasPrefix(m.Text, "Cut ") || strings.HasPrefix(m.Text, "Scale ") {
			t.Errorf("verdict posted on missing data: %s", m.Text)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM platform_actions WHERE brand = 'glowco'`); n != 0 {
		t.Errorf("%d platform actions taken on missing data", n)
	}
	// hautwerk's shop has a token of its own (SHOPIFY_ACCESS_TOKEN_HAUTWERK):
	// glowco's revoked one withholds nothing of hautwerk's.
	if strings.Contains(errOut.String(), "not judging brand hautwerk") {
		t.Errorf("glowco's revoked Shopify token withheld hautwerk's verdicts:\n%s", errOut.String())
	}
	if n := e.count(t, `SELECT count(*) FROM verdicts WHERE brand = 'hautwerk'`); n == 0 {
		t.Error("hautwerk was not judged")
	}
}

func TestRunOnceFailsWhileSlackIsDown(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	e.sb.Outage("SLACK", true)
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "error"}); code == 0 {
		t.Fatal("run --once succeeded while Slack was down")
	}
	if !strings.Contains(errOut.String(), "not delivered yet") || !strings.Contains(errOut.String(), "503") {
		t.Errorf("stderr does not mention the undelivered alerts:\n%s", errOut.String())
	}
	queued := e.count(t, `SELECT count(*) FROM alert_outbox WHERE status = 'pending' AND NOT superseded`)
	if queued == 0 {
		t.Fatal("no alerts queued")
	}
	// Slack is back: the next run delivers every queued alert, once. The
	// outbox holds them until their backoff is over, so move the clock on.
	e.sb.Outage("SLACK", false)
	e.db.SQL().MustExec(`UPDATE alert_outbox SET next_attempt_at = '2000-01-01', claimed_until = NULL WHERE status = 'pending'`)
	errOut.Reset()
	if code := Main(context.Background(), e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "error"}); code != 0 {
		t.Fatalf("run after Slack recovered: exit %d\n%s", code, errOut.String())
	}
	seen := map[string]int{}
	for _, m := range e.sb.Slack.Messages() {
		seen[m.Channel+": "+m.Text]++ // each brand posts to its own channel
	}
	for text, n := range seen {
		if n > 1 {
			t.Errorf("posted %d times: %s", n, text)
		}
	}
	if got := len(e.sb.Slack.Messages()); got < queued {
		t.Errorf("%d messages delivered after recovery, want at least the %d queued", got, queued)
	}
}

func TestBadSparkCodeDoesNotHideTheOthers(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	extra := "brand: glowco\ntests:\n  - id: bad-code\n    creator: priya\n    start: 2026-11-01\n    target_roas: 2\n    floor_roas: 1\n    variants:\n      - key: bc-spark\n        platform: tiktok\n        kind: spark\n        spark_code: \"#v2#bm90LWEtcmVhbC1jb2Rl\"\n        utm: {content: bad-code-spark}\n"
	if err := os.WriteFile(filepath.Join(e.config, "zz-bad-code.yaml"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--log-level", "error"}); code == 0 {
		t.Fatal("run --once succeeded with an unknown Spark code")
	}
	if !strings.Contains(errOut.String(), "authorizing spark code of bad-code/bc-spark") {
		t.Errorf("stderr does not name the bad code's variant:\n%s", errOut.String())
	}
	if n := e.count(t, `SELECT count(*) FROM permissions WHERE platform = 'tiktok'`); n < 3 {
		t.Errorf("only %d Spark permissions synced: one bad code hid the others", n)
	}
}

// TestRestartTakesBackDeadClaims: alerts a killed process of this replica
// had claimed (its lease still running) go out in the restarted run, not
// after the lease; another replica's claims are left alone.
func TestRestartTakesBackDeadClaims(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	e.sb.Outage("SLACK", true)
	var out, errOut bytes.Buffer
	args := []string{"run", "--once", "--config", e.config, "--log-level", "error", "--replica", "r1"}
	if code := Main(context.Background(), e.env(&out, &errOut), args); code == 0 {
		t.Fatal("run --once succeeded while Slack was down")
	}
	e.sb.Outage("SLACK", false)
	// A process of r1 claimed every queued alert for a long lease and died.
	e.db.SQL().MustExec(`UPDATE alert_outbox SET next_attempt_at = '2000-01-01', claimed_until = '9999-01-01', claimed_by = 'r1/dead' WHERE status = 'pending'`)
	errOut.Reset()
	if code := Main(context.Background(), e.env(&out, &errOut), args); code != 0 {
		t.Fatalf("restarted run left the dead process's claims: exit %d\n%s", code, errOut.String())
	}
	if n := e.count(t, `SELECT count(*) FROM alert_outbox WHERE status = 'pending' AND NOT superseded`); n != 0 {
		t.Fatalf("%d alerts still pending after the restarted run", n)
	}
	// Another replica's live claim is not taken.
	e.db.SQL().MustExec(`UPDATE alert_outbox SET status = 'pending', claimed_until = '9999-01-01', claimed_by = 'r2/live' WHERE id = (SELECT min(id) FROM alert_outbox)`)
	errOut.Reset()
	if code := Main(context.Background(), e.env(&out, &errOut), args); code == 0 || !strings.Contains(errOut.String(), "not delivered yet") {
		t.Fatalf("run took another replica's claim: exit %d\n%s", code, errOut.String())
	}
}
