// Package reliability holds roasd's crash and fault tests: the daemon
// binary killed with SIGKILL at random points of a cycle, PostgreSQL
// restarted mid-cycle, every fault the sandbox fakes can inject, Slack down
// for a whole cycle, and a corpus of malformed configs and payloads. Each
// compares the final database with an uninterrupted run's. The fast
// variants run under `make test`; `make soak` (ROASD_SOAK=1) runs the long
// ones. Figures are recorded in docs/RELIABILITY.md.
package reliability

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roasd/roasd/internal/pgcluster"
	"github.com/roasd/roasd/sandbox"
)

// TestKill9MidCycle kills `roasd run --once` with SIGKILL at random points
// of its cycle (3 times, 20 under ROASD_SOAK=1), restarts it until a run
// completes, and requires the database to equal an uninterrupted run's.
func TestKill9MidCycle(t *testing.T) {
	t.Parallel()
	want, took, msgs := reference(t)
	kills := 3
	if soak() {
		kills = 20
	}
	r := newRig(t, "")
	// The kill points are random; the seed is logged so a failure can be
	// replayed with ROASD_KILL_SEED.
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ROASD_KILL_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ROASD_KILL_SEED=%q: want an unsigned integer", v)
		}
		seed = n
	}
	t.Logf("kill points from seed %d (replay: ROASD_KILL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	killed, completed := 0, 0
	for killed < kills {
		// A random point in the cycle: anywhere from process start to the
		// reference run's length.
		after := time.Duration(rng.Int64N(int64(took)))
		cmd, out := r.command(t, context.Background())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			// Finished before the kill: that run completed (or failed on
			// the state an earlier kill left, which must not happen).
			if err != nil {
				t.Fatalf("a restarted run failed after %d kills: %v\n%s", killed, err, out)
			}
			completed++
		case <-time.After(after):
			sigkill(cmd)
			<-done
			killed++
			t.Logf("kill %d at %v", killed, after.Round(time.Millisecond))
		}
	}
	// Restart until a run completes, and one more cycle.
	r.settle(t)
	got := dump(t, r.db)
	if got != want {
		t.Fatalf("after %d kills (%d runs completed between them) the database differs from an uninterrupted run's:\n%s", killed, completed, diff(want, got))
	}
	// A kill between a Slack post and its acknowledgement would post twice.
	if n := len(r.sb.Slack.Messages()); n != msgs {
		t.Errorf("%d Slack messages posted across the kills, an uninterrupted run posts %d", n, msgs)
	}
	t.Logf("%d kills, %d runs completed between kills; database equal to the uninterrupted run (%d dump lines)", killed, completed, strings.Count(got, "\n"))
}

// TestThirdCycleChangesNothing: once the second cycle has read back the
// actions the first one took, another cycle on the same data changes
// nothing and posts nothing new.
func TestThirdCycleChangesNothing(t *testing.T) {
	t.Parallel()
	want, _, msgs := reference(t)
	r := newRig(t, "")
	r.mustRunOnce(t)
	r.mustRunOnce(t)
	r.mustRunOnce(t)
	if got := dump(t, r.db); got != want {
		t.Fatalf("three cycles differ from two:\n%s", diff(want, got))
	}
	if n := len(r.sb.Slack.Messages()); n != msgs {
		t.Errorf("two cycles posted %d Slack messages, one cycle %d", n, msgs)
	}
}

// TestSlackDownForACycle: Slack answers 503 to every call for a whole
// cycle, then comes back; every alert is delivered exactly once.
func TestSlackDownForACycle(t *testing.T) {
	t.Parallel()
	want, _, msgs := reference(t)
	r := newRig(t, "")
	r.sb.Outage("SLACK", true)
	code, out := r.runOnce(t)
	t.Logf("the cycle with Slack down exited %d:\n%s", code, out)
	if n := len(r.sb.Slack.Messages()); n != 0 {
		t.Fatalf("Slack was down but %d messages were posted", n)
	}
	var pending int
	if err := r.db.SQL().Get(&pending, `SELECT count(*) FROM alert_outbox WHERE status = 'pending'`); err != nil {
		t.Fatal(err)
	}
	if pending == 0 {
		t.Fatalf("no alert is pending after a cycle with Slack down (exit %d):\n%s", code, out)
	}
	// Slack comes back an hour later (past the outbox's backoff: the
	// cycle's three notify attempts left the alerts 2 minutes out).
	r.sb.Outage("SLACK", false)
	r.later(time.Hour)
	// Delivery is retried with backoff; cycles continue until nothing is
	// pending (bounded), then one more.
	deadline := time.Now().Add(90 * time.Second)
	for {
		r.mustRunOnce(t)
		if err := r.db.SQL().Get(&pending, `SELECT count(*) FROM alert_outbox WHERE status = 'pending' AND NOT superseded`); err != nil {
			t.Fatal(err)
		}
		if pending == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if pending != 0 {
		t.Fatalf("%d alerts still pending after Slack came back", pending)
	}
	r.mustRunOnce(t)
	posted := r.sb.Slack.Messages()
	if len(posted) != msgs {
		t.Errorf("after the outage %d messages were posted, an undisturbed cycle posts %d", len(posted), msgs)
	}
	seen := map[string]int{}
	for _, m := range posted {
		seen[m.Channel+"\x00"+m.Text+"\x00"+string(m.Blocks)+"\x00"+m.ThreadTS]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("a message was posted %d times: %.120q", n, k)
		}
	}
	if got := dump(t, r.db); got != want {
		t.Fatalf("after the outage the database differs from an undisturbed run's:\n%s", diff(want, got))
	}
}

// fault is one injectable fault of the sandbox fakes.
type fault struct {
	name string
	// inject sets the fault; clear undoes it (nil: it wears off by itself).
	inject, clear func(sb *sandbox.Sandbox)
	// soakOnly marks slow faults (long waits by design).
	soakOnly bool
}

var faults = []fault{
	{name: "meta 500 transient ×2", inject: func(sb *sandbox.Sandbox) { sb.Meta.FailNext(2, 500, 2) }},
	{name: "meta non-JSON 502", inject: func(sb *sandbox.Sandbox) { sb.Meta.FailNext(1, 502, 0) }, soakOnly: true},
	{name: "meta token expired", inject: func(sb *sandbox.Sandbox) { sb.Meta.ExpireToken() }, clear: func(sb *sandbox.Sandbox) { sb.Meta.RestoreToken() }},
	{name: "meta async job failed", inject: func(sb *sandbox.Sandbox) { sb.Meta.FailAsyncJobs(1) }},
	{name: "meta async job skipped", inject: func(sb *sandbox.Sandbox) { sb.Meta.SkipAsyncJobs(1) }, soakOnly: true},
	{name: "meta latency 50ms", inject: func(sb *sandbox.Sandbox) { sb.Meta.Latency(50 * time.Millisecond) }, clear: func(sb *sandbox.Sandbox) { sb.Meta.Latency(0) }, soakOnly: true},
	{name: "meta async job running for 2 polls", inject: func(sb *sandbox.Sandbox) { sb.Meta.AsyncRunning(2) }, soakOnly: true},
	{name: "meta throttled", inject: func(sb *sandbox.Sandbox) { sb.Meta.Throttle(1, time.Minute) }, soakOnly: true},
	{name: "tiktok rate limited ×2", inject: func(sb *sandbox.Sandbox) { sb.TikTok.RateLimit(2) }},
	{name: "tiktok server error ×2", inject: func(sb *sandbox.Sandbox) { sb.TikTok.FailNext(2, 50002) }, soakOnly: true},
	{name: "tiktok token expired", inject: func(sb *sandbox.Sandbox) { sb.TikTok.ExpireToken() }, clear: func(sb *sandbox.Sandbox) { sb.TikTok.RestoreToken() }},
	{name: "tiktok latency 50ms", inject: func(sb *sandbox.Sandbox) { sb.TikTok.Latency(50 * time.Millisecond) }, clear: func(sb *sandbox.Sandbox) { sb.TikTok.Latency(0) }, soakOnly: true},
	{name: "shopify 503 ×2", inject: func(sb *sandbox.Sandbox) { sb.Shopify.FailNext(2, 503) }},
	{name: "shopify 401", inject: func(sb *sandbox.Sandbox) { sb.Shopify.FailNext(1, 401) }},
	{name: "shopify bucket empty", inject: func(sb *sandbox.Sandbox) { sb.Shopify.SetAvailable(0) }},
	{name: "shopify bulk export failed", inject: func(sb *sandbox.Sandbox) { sb.Shopify.FailBulk("INTERNAL_SERVER_ERROR") }},
	{name: "shopify bulk export access denied", inject: func(sb *sandbox.Sandbox) { sb.Shopify.FailBulk("ACCESS_DENIED") }, soakOnly: true},
	{name: "shopify latency 50ms", inject: func(sb *sandbox.Sandbox) { sb.Shopify.Latency(50 * time.Millisecond) }, clear: func(sb *sandbox.Sandbox) { sb.Shopify.Latency(0) }, soakOnly: true},
	{name: "slack rate limited", inject: func(sb *sandbox.Sandbox) { sb.Slack.RateLimit("chat.postMessage", 2, 1) }},
	{name: "slack 500", inject: func(sb *sandbox.Sandbox) { sb.Slack.Down("chat.postMessage", 1, 500) }},
	{name: "meta unreachable (503 from the balancer)", inject: func(sb *sandbox.Sandbox) { sb.Outage("META", true) }, clear: func(sb *sandbox.Sandbox) { sb.Outage("META", false) }, soakOnly: true},
	{name: "shopify unreachable (503 from the balancer)", inject: func(sb *sandbox.Sandbox) { sb.Outage("SHOPIFY", true) }, clear: func(sb *sandbox.Sandbox) { sb.Outage("SHOPIFY", false) }, soakOnly: true},
	{name: "slack channel_not_found", inject: func(sb *sandbox.Sandbox) { sb.Slack.Fail("chat.postMessage", 1, "channel_not_found") }, soakOnly: true},
}

// TestEveryFault injects each fault of the fakes into a cycle, then runs
// cycles with the fault cleared until one succeeds: the database must end
// equal to an undisturbed run's, and a failing cycle must say why without
// leaking a token. Under `make test` the fast faults run; ROASD_SOAK=1 adds
// the slow ones.
func TestEveryFault(t *testing.T) {
	t.Parallel()
	want, _, msgs := reference(t)
	for _, f := range faults {
		if f.soakOnly && !soak() {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, "")
			f.inject(r.sb)
			code, out := r.runOnce(t)
			for _, tok := range []string{sandbox.MetaToken, sandbox.TikTokToken, sandbox.ShopifyToken, sandbox.SlackToken} {
				if strings.Contains(out, tok) {
					t.Fatalf("the output leaks a token:\n%s", out)
				}
			}
			if code != 0 && !strings.Contains(out, "failed") {
				t.Errorf("the cycle exited %d without saying which job failed:\n%s", code, out)
			}
			t.Logf("with the fault: exit %d", code)
			if f.clear != nil {
				f.clear(r.sb)
			}
			// The fault cleared; the next cycles run an hour later, past the
			// Slack outbox's retry backoff.
			r.later(time.Hour)
			r.settle(t)
			got := dump(t, r.db)
			if got != want {
				t.Errorf("after the fault the database differs from an undisturbed run's:\n%s", diff(want, got))
			}
			if n := len(r.sb.Slack.Messages()); n != msgs {
				t.Errorf("%d Slack messages posted, an undisturbed cycle posts %d", n, msgs)
			}
		})
	}
}

// pgctl runs pg_ctl on cluster c as the server's user.
func pgctl(t *testing.T, c *pgcluster.Cluster, args ...string) {
	t.Helper()
	bin, err := pgcluster.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "pg_ctl"), append([]string{"-D", filepath.Join(c.Dir, "data")}, args...)...)
	cmd.Dir = c.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %v: %v\n%s", args, err, out)
	}
}

// TestPostgresRestartMidCycle restarts PostgreSQL (fast shutdown, every
// connection dropped) at a random point of a cycle; the cycle may fail,
// the next one must succeed and the database must equal an uninterrupted
// run's.
func TestPostgresRestartMidCycle(t *testing.T) {
	t.Parallel()
	want, took, _ := reference(t)
	c, err := pgcluster.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	admin := c.URL("postgres")
	r := newRig(t, migrated(t, admin))
	restarts := 1
	if soak() {
		restarts = 5
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	hit := 0
	for try := 0; hit < restarts; try++ {
		if try == 10*restarts {
			t.Fatalf("only %d of %d restarts landed inside a cycle in %d tries", hit, restarts, try)
		}
		cmd, out := r.command(t, context.Background())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Early in the cycle: once the first cycle has run, the next ones
		// are incremental and short.
		at := 50*time.Millisecond + time.Duration(rng.Int64N(int64(took/3)))
		select {
		case err := <-done:
			t.Logf("try %d: the cycle finished before %v (err %v); trying again", try+1, at.Round(time.Millisecond), err)
			continue
		case <-time.After(at):
		}
		// -l: the restarted server must log to its file, not inherit our
		// pipe (CombinedOutput would wait for the server to exit).
		pgctl(t, c, "-m", "fast", "-w", "-l", filepath.Join(c.Dir, "log"), "restart")
		err := <-done
		hit++
		t.Logf("restart %d at %v: the cycle ended with %v", hit, at.Round(time.Millisecond), err)
		if err != nil && !strings.Contains(out.String(), "failed") && !strings.Contains(out.String(), "roasd:") {
			t.Errorf("the interrupted cycle failed without a clear message:\n%s", out)
		}
	}
	r.settle(t)
	if got := dump(t, r.db); got != want {
		t.Fatalf("after a PostgreSQL restart the database differs from an uninterrupted run's:\n%s", diff(want, got))
	}
}
