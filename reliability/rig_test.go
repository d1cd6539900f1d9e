package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/store"
)

var schema = storetest.Schema

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	var err error
	binDir, err = os.MkdirTemp("", "roasd-reliability-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(binDir)
	os.Exit(code)
}

// roasd builds the roasd binary once per test process.
func roasd(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "roasd")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/roasd/roasd/cmd/roasd").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// soak reports whether the long variants run (ROASD_SOAK=1, `make soak`).
func soak() bool { return os.Getenv("ROASD_SOAK") == "1" }

// rig is a database, the sandbox fakes seeded with the example campaign
// and a config directory: what one `roasd run --once` needs.
type rig struct {
	dsn    string
	config string
	camp   *sandbox.Campaign
	sb     *sandbox.Sandbox
	db     *store.DB
	env    []string
	// born and skew make the jobs' clock: it starts at the campaign's Now
	// when the rig is made and runs on across processes (each run passes
	// ROASD_NOW = Now + time since born + skew), as a restarted daemon's
	// clock would.
	born time.Time
	skew time.Duration
}

// newRig sets up a fresh database (dsn "" for a pgtest one) and sandbox.
func newRig(t *testing.T, dsn string) *rig {
	t.Helper()
	if dsn == "" {
		dsn = pgtest.DSN(t, schema)
	}
	r := &rig{dsn: dsn, config: t.TempDir(), born: time.Now()}
	src := filepath.Join("..", "configs", "examples")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.config, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := configs.Load(r.config)
	if err != nil {
		t.Fatal(err)
	}
	// Every brand of the examples, each on its own accounts, shop and
	// channel; r.camp is the first's.
	camps, err := sandbox.NewCampaigns(set, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.camp = camps[0]
	// A wide Shopify cost bucket: the tests re-read every order many
	// times and are about crashes, not throttling (which has its own case).
	if r.sb, err = sandbox.StartAll(camps, sandbox.Options{ShopifyRestoreRate: 1e9, ShopifyMaximum: 1e9, SlackUnpaced: true,
		// Runs compared with each other happen minutes apart in real
		// time; a journey completing between them is not under test.
		JourneysReady: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sb.Close() })
	// Crashes, not Slack's pace, are under test: the sender does not wait
	// between posts (and the fake does not hold it to Slack's rate).
	r.env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "DATABASE_URL=" + dsn, "ROASD_SLACK_POST_EVERY=0"}, r.sb.Env()...)
	if r.db, err = store.Open(context.Background(), dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	return r
}

// command is `roasd run --once` against the rig. The replica name is
// fixed, as a restarted daemon on the same host would be configured: a
// lease left by a killed process is then taken over at once (with the
// default host-pid name it blocks the job until the lease expires).
func (r *rig) command(t *testing.T, ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	all := append([]string{"run", "--once", "--config", r.config, "--replica", "reliability", "--log-level", "warn"}, args...)
	cmd := exec.CommandContext(ctx, roasd(t), all...)
	now := r.camp.Now.Add(time.Since(r.born) + r.skew)
	cmd.Env = append(append([]string(nil), r.env...), "ROASD_NOW="+now.Format(time.RFC3339Nano))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	return cmd, &stderr
}

// runOnce runs one full cycle and returns its exit code and output.
func (r *rig) runOnce(t *testing.T) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, out := r.command(t, ctx)
	err := cmd.Run()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String()
		}
		t.Fatalf("running roasd: %v\n%s", err, out)
	}
	return 0, out.String()
}

// later moves the jobs' clock d ahead for the following cycles.
func (r *rig) later(d time.Duration) { r.skew += d }

// settle runs cycles until one completes (at most 5), then one more.
// Each cycle runs 10 minutes after the previous one on the jobs' clock, as
// a scheduled daemon's would (so retry backoffs come due).
func (r *rig) settle(t *testing.T) {
	t.Helper()
	for i := 0; ; i++ {
		r.later(10 * time.Minute)
		code, out := r.runOnce(t)
		if code == 0 {
			break
		}
		if i == 4 {
			t.Fatalf("no cycle completed; last exit %d:\n%s", code, out)
		}
	}
	r.later(10 * time.Minute)
	r.mustRunOnce(t)
}

// mustRunOnce runs one full cycle that must succeed.
func (r *rig) mustRunOnce(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	if code, out := r.runOnce(t); code != 0 {
		t.Fatalf("roasd run --once exited %d:\n%s", code, out)
	}
	return time.Since(start)
}

// businessTables are dumped by dump, in this order.
var businessTables = []string{"ads", "ad_day_stats", "orders", "permissions", "variant_ads", "ledger", "kpi_daily",
	"verdicts", "alert_outbox", "platform_actions"}

// volatile are columns that legitimately differ between equal runs:
// surrogate ids and bookkeeping timestamps, delivery attempts.
var volatile = map[string]bool{"id": true, "changed_at": true, "created_at": true, "sent_at": true, "claimed_until": true,
	"next_attempt_at": true, "attempts": true, "last_error": true, "slack_ts": true, "claimed_at": true, "finished_at": true,
	"watermark": true, "reconciled_at": true, "decided_at": true,
	// The platform stamps an ad it paused with the time of the pause.
	"ads.updated_at": true,
	// How an action's outcome was learnt depends on where a crash fell
	// (a pause whose answer was lost to a kill is read back): the outcome,
	// target and values are compared, the path to them is not.
	"platform_actions.note": true, "platform_actions.sends": true, "last_sent_at": true, "readback_at": true, "platform_actions.readback_value": true}

// volatileWhen are columns that legitimately differ on the rows the
// condition selects: the daily digest says what was true when it was sent
// (a digest sent while a sync fails names it and sums what was synced so
// far, issue 16), so only its existence (dedup key, kind, status) is
// compared.
var volatileWhen = map[string]string{"alert_outbox.payload": "kind = 'digest'"}

// dump is a canonical text dump of the business tables without volatile
// columns, rows sorted.
func dump(t *testing.T, db *store.DB) string {
	t.Helper()
	return dumpTables(t, db, businessTables)
}

func dumpTables(t *testing.T, db *store.DB, tables []string) string {
	t.Helper()
	var b strings.Builder
	for _, table := range tables {
		var cols []string
		if err := db.SQL().Select(&cols, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, table); err != nil {
			t.Fatal(err)
		}
		var keep []string
		for _, c := range cols {
			switch when := volatileWhen[table+"."+c]; {
			case volatile[c] || volatile[table+"."+c]:
			case when != "":
				keep = append(keep, fmt.Sprintf("CASE WHEN %s THEN '(volatile)' ELSE %s::text END", when, c))
			default:
				keep = append(keep, c+"::text")
			}
		}
		if len(keep) == 0 {
			t.Fatalf("table %s has no columns", table)
		}
		order := make([]string, len(keep))
		for i := range keep {
			order[i] = fmt.Sprint(i + 1)
		}
		q := fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s`, strings.Join(keep, ", "), table, strings.Join(order, ", "))
		rows, err := db.SQL().Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := 0
		for rows.Next() {
			vals := make([]*string, len(keep))
			ptrs := make([]any, len(keep))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if i > 0 {
					b.WriteByte('|')
				}
				if v == nil {
					b.WriteString("∅")
				} else {
					b.WriteString(*v)
				}
			}
			b.WriteByte('\n')
			n++
		}
		rows.Close()
		fmt.Fprintf(&b, "-- %s: %d rows\n", table, n)
	}
	return b.String()
}

// diff describes the first differing lines of two dumps.
func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)) && len(out) < 10; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			// Show where the lines part, not their (long) common start.
			p := 0
			for p < min(len(x), len(y)) && x[p] == y[p] {
				p++
			}
			from := max(0, p-60)
			cut := func(s string) string { return s[min(from, len(s)):min(len(s), p+120)] }
			out = append(out, fmt.Sprintf("line %d (from byte %d):\n  want …%s\n  got  …%s", i+1, from, cut(x), cut(y)))
		}
	}
	return strings.Join(out, "\n")
}

// reference is the dump after two uninterrupted cycles, computed once.
// One cycle is not a fixed point: the example tests that opt in to
// actions pause ads at their checkpoint, and the next cycle's ad sync
// reads those ads back paused. Two cycles are (TestThirdCycleChangesNothing),
// so every test ends with a completed cycle followed by one more and
// compares with this.
var (
	refOnce sync.Once
	refDump string
	refTook time.Duration
	refMsgs int
)

func reference(t *testing.T) (string, time.Duration, int) {
	t.Helper()
	refOnce.Do(func() {
		r := newRig(t, "")
		refTook = r.mustRunOnce(t)
		r.mustRunOnce(t)
		refDump = dump(t, r.db)
		refMsgs = len(r.sb.Slack.Messages())
	})
	if refDump == "" {
		t.Fatal("the reference run failed (see the first test that asked for it)")
	}
	return refDump, refTook, refMsgs
}

// sigkill kills the process.
func sigkill(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGKILL)
}

// migrated creates a fresh migrated database on the server at admin and
// returns its URL.
func migrated(t *testing.T, admin string) string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().Exec(`CREATE DATABASE reliability`); err != nil {
		t.Fatal(err)
	}
	dsn := strings.Replace(admin, "/postgres?", "/reliability?", 1)
	if err := store.MigrateDSN(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	return dsn
}
