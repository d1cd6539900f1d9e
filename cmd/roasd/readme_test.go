package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/store"
)

// lockedBuffer is a bytes.Buffer safe for a background command's writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// shell follows documented shell lines literally, the way sh would, for
// the few forms the docs use: `go build -o bin/roasd ./cmd/roasd`,
// `go run ./cmd/roasd ARGS [> FILE] [&]` (or `bin/roasd ARGS ...`),
// `until grep -q WORD FILE; do sleep 1; done`, `set -a; . ./FILE; set +a`,
// `export NAME=VALUE ...` and `kill %1`. Any other line fails the test, so
// the docs cannot drift from what is exercised. The one substitution is
// DATABASE_URL: an exported one is replaced by dsn (the user's database).
type shell struct {
	t     *testing.T
	dsn   string
	vars  map[string]string
	files map[string]*lockedBuffer
	jobs  []func() // stop and wait for a background job
	// out collects the foreground commands' stdout.
	out bytes.Buffer
}

func newShell(t *testing.T, dsn string) *shell {
	sh := &shell{t: t, dsn: dsn, vars: map[string]string{"DATABASE_URL": dsn}, files: map[string]*lockedBuffer{}}
	t.Cleanup(func() {
		for _, stop := range sh.jobs {
			stop()
		}
	})
	return sh
}

func (sh *shell) env(stdout, stderr io.Writer) *cmdEnv {
	return &cmdEnv{stdout: stdout, stderr: stderr, getenv: func(k string) string { return sh.vars[k] }}
}

var shellComment = regexp.MustCompile(`(^|\s+)#.*$`)

// words splits a command line on blanks, honouring single quotes.
func words(line string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, any = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if any {
				out = append(out, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

// run follows one line.
func (sh *shell) run(ctx context.Context, line string) {
	t := sh.t
	t.Helper()
	line = strings.TrimSpace(shellComment.ReplaceAllString(line, ""))
	if line == "" {
		return
	}
	w := words(line)
	switch {
	case len(w) == 5 && strings.Join(w, " ") == "go build -o bin/roasd ./cmd/roasd":
		// The code under test is the build.
	case (len(w) >= 3 && w[0] == "go" && w[1] == "run" && w[2] == "./cmd/roasd") || w[0] == "bin/roasd":
		args := w[3:]
		if w[0] == "bin/roasd" {
			args = w[1:]
		}
		background := false
		if n := len(args); n > 0 && args[n-1] == "&" {
			background, args = true, args[:n-1]
		}
		var stdout io.Writer = &sh.out
		if n := len(args); n >= 2 && args[n-2] == ">" {
			buf := &lockedBuffer{}
			sh.files[args[n-1]] = buf
			stdout, args = buf, args[:n-2]
		}
		var stderr lockedBuffer
		if !background {
			if code := Main(ctx, sh.env(stdout, &stderr), args); code != 0 {
				t.Fatalf("%s: exit %d\nstderr:\n%s", line, code, stderr.String())
			}
			return
		}
		jctx, cancel := context.WithCancel(ctx)
		done := make(chan int, 1)
		go func() { done <- Main(jctx, sh.env(stdout, &stderr), args) }()
		var once sync.Once
		sh.jobs = append(sh.jobs, func() { once.Do(func() { cancel(); <-done }) })
	case len(w) == 9 && w[0] == "until" && w[1] == "grep" && w[2] == "-q" && strings.HasSuffix(w[4], ";") && strings.Join(w[5:], " ") == "do sleep 1; done":
		buf := sh.files[strings.TrimSuffix(w[4], ";")]
		if buf == nil {
			t.Fatalf("%s: nothing writes that file", line)
		}
		for !strings.Contains(buf.String(), w[3]) {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: %v", line, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	case line == "set -a; . ./sandbox.env; set +a":
		for _, l := range strings.Split(sh.files["sandbox.env"].String(), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				sh.vars[k] = v
			}
		}
	case w[0] == "export":
		for _, kv := range w[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("%s: %q is not NAME=VALUE", line, kv)
			}
			if k == "DATABASE_URL" {
				v = sh.dsn
			}
			sh.vars[k] = v
		}
	case line == "kill %1":
		if len(sh.jobs) == 0 {
			t.Fatalf("%s: no background job", line)
		}
		sh.jobs[0]()
	default:
		t.Fatalf("the test does not know how to follow %q: teach shell.run, or keep the docs to the forms it follows", line)
	}
}

// readmeBlock returns the lines of the first ```sh block after heading in
// README.md (the working directory is the repository root).
func readmeBlock(t *testing.T, heading string) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no heading %q", heading)
	}
	s = s[i:]
	start := strings.Index(s, "```sh\n")
	end := strings.Index(s[start+6:], "```")
	if start < 0 || end < 0 {
		t.Fatalf("README.md: no ```sh block under %q", heading)
	}
	return strings.Split(strings.TrimSpace(s[start+6:start+6+end]), "\n")
}

// section returns the text of out after the line starting with title, up
// to the next "── " title (or the end).
func section(out, title string) string {
	i := strings.Index(out, title)
	if i < 0 {
		return ""
	}
	s := out[i:]
	s = s[strings.Index(s, "\n")+1:]
	if j := strings.Index(s, "\n── "); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSpace(s)
}

// reconciledMinute drops the minute of "reconciled through DAY at TIME": the
// reconcile runs seconds after the pinned clock starts.
var reconciledMinute = regexp.MustCompile(`(reconciled through \d{4}-\d{2}-\d{2}) at \d{2}:\d{2} \w+`)

func sameReport(t *testing.T, what, got, want string) {
	t.Helper()
	got = reconciledMinute.ReplaceAllString(strings.TrimSpace(got), "$1")
	want = reconciledMinute.ReplaceAllString(strings.TrimSpace(want), "$1")
	if got != want {
		t.Errorf("%s: the report differs from the demo's:\n%s", what, diffLines(want, got))
	}
}

// dump renders what a cycle decided, for comparing two databases.
func dump(t *testing.T, dsn string) string {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT brand, test_id, subject, checkpoint, verdict FROM verdicts ORDER BY 1,2,3,4`,
		`SELECT platform, account, permission_id, status FROM permissions ORDER BY 1,2,3`,
		`SELECT dedup_key, status FROM alert_outbox ORDER BY 1`,
		`SELECT brand, test_id, variant_key, action, target_id, status FROM platform_actions ORDER BY 1,2,3,4,5`,
	} {
		var rows []string
		if err := db.SQL().Select(&rows, `SELECT concat_ws(' ', VARIADIC ARRAY(SELECT x::text FROM json_each_text(row_to_json(t)) AS j(k, x))) FROM (`+q+`) t`); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		b.WriteString(strings.Join(rows, "\n") + "\n-- " + q + "\n")
	}
	return b.String()
}

// TestREADMEPathReproducesDemo runs `roasd demo --once`, then follows the
// commands the demo prints and README's step-by-step block literally, and
// checks that both reach the demo's data and reproduce it exactly; and
// that everything the cycle says or shows is on its pinned clock, never
// the machine's (the campaign ends before today). Not parallel: it works
// from the repository root, as README's commands do.
func TestREADMEPathReproducesDemo(t *testing.T) {
	t.Chdir("../..")
	ctx := t.Context()
	wall := time.Now().Format(time.DateOnly)
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	camp, err := sandbox.NewCampaign(set, 1)
	if err != nil {
		t.Fatal(err)
	}

	// The demo as README gives it, on a database of the user's
	// (DATABASE_URL set).
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	// (Markdown may wrap the command: a line break is a blank.)
	demoCmd := regexp.MustCompile("`(go\\s+run\\s+./cmd/roasd\\s+demo\\s+--once)`").FindSubmatch(readme)
	if demoCmd == nil {
		t.Fatal("README.md no longer shows `go run ./cmd/roasd demo --once`")
	}
	demoDSN := pgtest.DSN(t, schema)
	dsh := newShell(t, demoDSN)
	dsh.run(ctx, strings.Join(strings.Fields(string(demoCmd[1])), " "))
	out := dsh.out.String()
	// One report per brand of the examples.
	tables := map[string]string{}
	for _, b := range set.Brands {
		if tables[b.Name] = section(out, "── Blended ROAS by creator, "+b.Name+","); tables[b.Name] == "" {
			t.Fatalf("the demo printed no report of %s:\n%s", b.Name, out)
		}
	}
	reportOf := func(cmd string) (string, string) {
		m := regexp.MustCompile(`--brand (\S+)`).FindStringSubmatch(cmd)
		if m == nil {
			t.Fatalf("%q names no brand (the examples have %d)", cmd, len(set.Brands))
		}
		return m[1], tables[m[1]]
	}

	// One clock: the demo's messages are on the campaign's clock.
	if strings.Contains(out, wall) {
		t.Errorf("the demo's output mentions today's date %s (the wall clock); its clock is %s:\n%s", wall, camp.Now, out)
	}
	slack := section(out, "── Slack:")
	if strings.Contains(slack, "expired") {
		t.Errorf("a permission was judged expired on the wall clock:\n%s", slack)
	}
	twoBrands(t, set, slack, tables)
	// The sandbox's lapsing Spark authorization ends 5 days after the
	// campaign's last day: 4½ days from its clock, whatever today is.
	if want := "expires " + camp.Today.AddDays(5).String() + " (in 4 days)"; !strings.Contains(slack, want) {
		t.Errorf("the Slack log lacks the expiry warning %q on the campaign's clock:\n%s", want, slack)
	}
	// The brand's daily digest is in the Slack log, with the untagged
	// ads it lists (issue 16).
	if !strings.Contains(slack, "Daily digest — ") || !strings.Contains(slack, "Untagged spend: ") {
		t.Errorf("the Slack log lacks the daily digest with its untagged spend:\n%s", slack)
	}
	// The demo clicks Approve on serum-hooks' first proposal: a signed
	// request to roasd's endpoint; the raise is made and the buttons give
	// way to the outcome.
	if !regexp.MustCompile(`approved by @ana 12:00 — budget of meta ad set \d+ 100\.00 USD → 120\.00 USD, applied`).MatchString(out) {
		t.Errorf("the demo does not show its approval applied:\n%s", section(out, "· clicking Approve"))
	}
	// The Slack log shows threads as Slack does: the pause of spf-routine's
	// cut variant is in spf-routine's thread.
	lines := strings.Split(slack, "\n")
	for i, l := range lines {
		if !strings.Contains(l, "Paused ad") {
			continue
		}
		j := i
		for j > 0 && strings.HasPrefix(lines[j], " ") {
			j--
		}
		if !strings.Contains(lines[j], "spf-routine") {
			t.Errorf("%q is printed in the thread of %q, want spf-routine's", l, lines[j])
		}
	}

	// The demo says how to reach its data; its commands work as printed.
	access := section(out, "── Reach the demo's data")
	sh := newShell(t, demoDSN)
	ran := 0
	reports := map[string]bool{}
	for _, l := range strings.Split(access, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "go run") || strings.HasPrefix(l, "export") {
			sh.out.Reset()
			sh.run(ctx, l)
			ran++
		}
		if strings.HasPrefix(l, "go run ./cmd/roasd report ") {
			brand, table := reportOf(l)
			sameReport(t, "the demo's printed report command of "+brand, sh.out.String(), table)
			reports[brand] = true
		}
	}
	if ran == 0 || len(reports) != len(set.Brands) || !strings.Contains(access, "bearer token demo") {
		t.Errorf("the demo does not say how to reach its data (a report command per brand, API token):\n%s", access)
	}

	// README's step-by-step path, literally, on a fresh database.
	readmeDSN := pgtest.DSN(t, schema)
	rsh := newShell(t, readmeDSN)
	reports = map[string]bool{}
	for _, l := range readmeBlock(t, "## Step by step: sandbox, `run --once`, report") {
		// What the reports print is compared; other commands' output
		// (the actions listed and approved) is not.
		rsh.out.Reset()
		rsh.run(ctx, l)
		if strings.HasPrefix(l, "bin/roasd report ") {
			brand, table := reportOf(l)
			sameReport(t, "README's path, report of "+brand, rsh.out.String(), table)
			reports[brand] = true
		}
	}
	if len(reports) != len(set.Brands) {
		t.Errorf("README's path reports on %v, want every brand of the examples", reports)
	}
	if got, want := dump(t, readmeDSN), dump(t, demoDSN); got != want {
		t.Errorf("README's path decided differently from the demo:\n%s", diffLines(want, got))
	}

	// The dashboard's panels, on the jobs' clock (as `roasd run` wires it
	// with README's environment).
	o, err := parseRunFlags(rsh.env(io.Discard, io.Discard), nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.now, err = pinnedClock(rsh.env(io.Discard, io.Discard)); err != nil || o.now == nil {
		t.Fatalf("README's environment pins no clock (ROASD_NOW=%q): %v", rsh.vars["ROASD_NOW"], err)
	}
	d, err := newDaemon(ctx, rsh.env(io.Discard, io.Discard), readmeDSN, o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	d.set = set
	dash := d.dashboardHandler()
	rec := httptest.NewRecorder()
	dash.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard/api/brands", nil))
	for _, b := range set.Brands {
		if !strings.Contains(rec.Body.String(), `"`+b.Name+`"`) {
			t.Errorf("the dashboard's brands do not list %s: %s", b.Name, rec.Body.String())
		}
	}
	for _, bp := range []struct{ brand, panel string }{{set.Brands[0].Name, "brands"}, {set.Brands[0].Name, "series"}, {set.Brands[0].Name, "verdicts"},
		{set.Brands[0].Name, "permissions"}, {set.Brands[0].Name, "runs"}, {set.Brands[1].Name, "series"}, {set.Brands[1].Name, "permissions"}} {
		brand, panel := url.QueryEscape(bp.brand), bp.panel
		rec := httptest.NewRecorder()
		dash.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard/api/"+panel+"?brand="+brand, nil))
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Errorf("panel %s: HTTP %d: %s", panel, rec.Code, body)
			continue
		}
		if strings.Contains(body, wall) {
			t.Errorf("panel %s shows today's date %s (the wall clock), its clock is %s: %s", panel, wall, camp.Now, body)
		}
		if panel != "permissions" {
			continue
		}
		var perms struct {
			Permissions []struct {
				ID       string `json:"id"`
				Status   string `json:"status"`
				DaysLeft *int   `json:"days_left"`
			} `json:"permissions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &perms); err != nil {
			t.Fatal(err)
		}
		for _, p := range perms.Permissions {
			if p.Status == "expired" || (p.DaysLeft != nil && *p.DaysLeft < 0) {
				t.Errorf("permission %s is %s with %v days left on the campaign's clock %s", p.ID, p.Status, *p.DaysLeft, camp.Now)
			}
		}
	}
}

// TestSlackLogThreads: the demo prints the channel as Slack shows it, each
// reply under the root of the thread it was posted to, however the posts
// interleave.
func TestSlackLogThreads(t *testing.T) {
	t.Parallel()
	s := slackfake.New("", "#alerts")
	post := func(text, thread string) string {
		t.Helper()
		form := url.Values{"channel": {"#alerts"}, "text": {text}}
		if thread != "" {
			form.Set("thread_ts", thread)
		}
		req := httptest.NewRequest(http.MethodPost, "/api/chat.postMessage", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer xoxb-test")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var resp struct {
			OK bool   `json:"ok"`
			TS string `json:"ts"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || !resp.OK {
			t.Fatalf("posting %q: %s", text, rec.Body.String())
		}
		return resp.TS
	}
	a := post("test A verdict", "")
	b := post("untagged ad", "")
	post("A: paused ad", a)
	c := post("test C verdict", "")
	post("C: guard", c)
	post("B: reply", b)
	var buf bytes.Buffer
	printSlack(&buf, s)
	want := `
── Slack: 6 messages posted ──
test A verdict
    ↳ A: paused ad
untagged ad
    ↳ B: reply
test C verdict
    ↳ C: guard
`
	if got := buf.String(); got != want {
		t.Errorf("Slack log:\n%s\nwant:\n%s", got, want)
	}
}

// twoBrands checks the demo's two example brands on its surfaces: each
// brand's Slack messages in its own channel and currency, a digest each,
// and the shared creator's report row in each brand's currency with
// numbers of its own.
func twoBrands(t *testing.T, set *configs.Set, slack string, tables map[string]string) {
	t.Helper()
	if len(set.Brands) != 2 {
		t.Fatalf("the examples have %d brands, want 2", len(set.Brands))
	}
	channels := map[string]string{}
	cur := ""
	for _, l := range strings.Split(slack, "\n") {
		if strings.HasPrefix(l, "· ") {
			break // the demo's next step (the approval click)
		}
		if strings.HasPrefix(l, "[#") && strings.HasSuffix(l, "]") {
			cur = strings.Trim(l, "[]")
			continue
		}
		channels[cur] += l + "\n"
	}
	var jacq []string
	for i, b := range set.Brands {
		other := set.Brands[1-i]
		msgs := channels[b.Slack.Channel]
		if !strings.Contains(msgs, "Daily digest — "+b.Name+",") || !strings.Contains(msgs, " "+b.Currency) ||
			strings.Contains(msgs, " "+other.Currency+" ") || strings.Contains(msgs, "Daily digest — "+other.Name) {
			t.Errorf("channel %s: want %s's messages and digest in %s only:\n%s", b.Slack.Channel, b.Name, b.Currency, msgs)
		}
		table := tables[b.Name]
		if !strings.Contains(table, "currency "+b.Currency) {
			t.Errorf("%s's report is not in %s:\n%s", b.Name, b.Currency, table)
		}
		row := ""
		for _, l := range strings.Split(table, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == "jacqueline" {
				row = strings.Join(f[1:], " ")
			}
		}
		if !strings.Contains(row, " "+b.Currency) {
			t.Errorf("%s's report: the shared creator's row %q is not in %s", b.Name, row, b.Currency)
		}
		jacq = append(jacq, strings.ReplaceAll(row, b.Currency, ""))
	}
	if jacq[0] == jacq[1] {
		t.Errorf("the shared creator has the same numbers in both brands: %s", jacq[0])
	}
}
