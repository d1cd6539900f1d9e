package reliability

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roasd/roasd/jobs"
)

// daemonProc is `roasd run` serving on loopback ports.
type daemonProc struct {
	cmd             *exec.Cmd
	public, private string
	mu              sync.Mutex
	log             strings.Builder
}

var listenRE = regexp.MustCompile(`msg="roasd running" listen=(http://\S+) private=(http://\S+)`)

// startDaemon starts the daemon against the rig with no job due for a
// day (only the HTTP side is under test) and the given extra flags, and
// waits until it serves.
func startDaemon(t *testing.T, r *rig, extra ...string) *daemonProc {
	t.Helper()
	args := []string{"run", "--config", r.config, "--replica", "reliability", "--log-level", "info",
		"--listen", "127.0.0.1:0", "--private-listen", "127.0.0.1:0"}
	for name := range jobs.DefaultSchedules {
		args = append(args, "--schedule", name+"=@every 24h")
	}
	cmd := exec.Command(roasd(t), append(args, extra...)...)
	cmd.Env = append(append([]string(nil), r.env...), "ROASD_NOW="+r.camp.Now.Format(time.RFC3339Nano),
		"SHOPIFY_WEBHOOK_SECRET="+webhookSecret, "ROASD_API_TOKEN=api-token")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemonProc{cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	up, exited := make(chan [2]string, 1), make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			if d.log.Len() < 64<<10 {
				d.log.WriteString(line + "\n")
			}
			d.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				up <- [2]string{m[1], m[2]}
			}
		}
	}()
	select {
	case u := <-up:
		d.public, d.private = u[0], u[1]
	case <-exited:
		t.Fatalf("the daemon exited:\n%s", d.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("the daemon did not start serving:\n%s", d.logs())
	}
	return d
}

func (d *daemonProc) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// memory reads the daemon's VmHWM (peak resident set) and VmRSS, in kB,
// from /proc/<pid>/status — what `roasd bench` measures.
func (d *daemonProc) memory(t *testing.T) (hwm, rss int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range []struct {
			key string
			v   *int64
		}{{"VmHWM:", &hwm}, {"VmRSS:", &rss}} {
			if v, ok := strings.CutPrefix(line, f.key); ok {
				*f.v, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			}
		}
	}
	return hwm, rss
}

const webhookSecret = "whsec-public-port"

// attackHeaders are what an attacker who knows the shop's domain sends:
// every Shopify header, a well-formed but wrong signature.
const attackHeaders = "X-Shopify-Topic: orders/create\r\nX-Shopify-Shop-Domain: glowco.myshopify.com\r\n" +
	"X-Shopify-Webhook-Id: attack\r\nX-Shopify-Hmac-Sha256: bm90IGEgcmVhbCBzaWduYXR1cmUgYnV0IDMyIGJ5dGU=\r\n"

// outcome is how one attacking connection ended.
type outcome struct {
	status int  // the answer's status, 0 without one
	closed bool // the server closed the connection before the bound
	err    error
}

// attack dials addr, writes head, lets send write the rest (it may stall
// for ever), and waits until the server closes the connection or bound
// passes.
func attack(addr, head string, send func(c net.Conn), bound time.Duration) outcome {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return outcome{err: err}
	}
	defer c.Close()
	if _, err := io.WriteString(c, head); err != nil {
		return outcome{err: err}
	}
	if send != nil {
		go send(c)
	}
	c.SetReadDeadline(time.Now().Add(bound))
	br := bufio.NewReader(c)
	var o outcome
	if line, err := br.ReadString('\n'); err == nil {
		if f := strings.Fields(line); len(f) >= 2 {
			o.status, _ = strconv.Atoi(f[1])
		}
	}
	_, err = io.Copy(io.Discard, br)
	var ne net.Error
	o.closed = !(errors.As(err, &ne) && ne.Timeout())
	return o
}

// TestPublicPortUnderPressure attacks the running daemon's public port at
// once with: webhooks declaring 5 MiB bodies; chunked bodies of 5 MiB
// held open before their end; slow bodies (10 bytes, then nothing);
// requests that never finish their headers; and idle keep-alive
// connections. Every connection must be answered or closed by the server
// within the bound, the daemon's peak RSS must stay within rssBoundMB of
// its resident set before the attack, and afterwards a signed webhook
// still gets through. ROASD_SOAK=1 uses the figures (300 held
// bodies, 1,500 slow ones).
func TestPublicPortUnderPressure(t *testing.T) {
	t.Parallel()
	const (
		rssBoundMB = 128
		bound      = 30 * time.Second
	)
	held, slow, oversize, slowHeaders, idle := 100, 300, 50, 50, 20
	if soak() {
		held, slow, oversize, slowHeaders, idle = 300, 1500, 300, 300, 100
	}
	r := newRig(t, "")
	d := startDaemon(t, r, "--header-timeout", "2s", "--body-timeout", "2s", "--idle-timeout", "2s")
	addr := strings.TrimPrefix(d.public, "http://")

	// Warm up with one signed webhook, then take the baseline.
	order := strings.TrimPrefix(r.camp.Orders[0].ID, "gid://shopify/Order/")
	if err := r.sb.Shopify.SendWebhook(context.Background(), d.public+"/webhooks/shopify", webhookSecret, "orders/updated", order); err != nil {
		t.Fatalf("signed webhook before the attack: %v\n%s", err, d.logs())
	}
	hwm0, rss0 := d.memory(t)

	type result struct {
		kind string
		o    outcome
	}
	results := make(chan result, held+slow+oversize+slowHeaders+idle)
	var wg sync.WaitGroup
	run := func(kind string, n int, head string, send func(net.Conn)) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- result{kind, attack(addr, head, send, bound)}
			}()
		}
	}
	post := "POST /webhooks/shopify HTTP/1.1\r\nHost: roasd\r\n" + attackHeaders
	chunk := []byte(strings.Repeat("x", 64<<10))
	// Phase 1, memory: big bodies, declared or held open.
	start := time.Now()
	run("oversize", oversize, post+"Content-Length: 5242880\r\n\r\n", nil)
	run("held", held, post+"Transfer-Encoding: chunked\r\n\r\n", func(c net.Conn) {
		for sent := 0; sent < 5<<20; sent += len(chunk) {
			if _, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
				return
			}
		}
		// …and never the last chunk.
	})
	wg.Wait()
	took1 := time.Since(start)
	hwm1, rss1 := d.memory(t)
	// Phase 2, connections: slow bodies, slow headers, idle keep-alives.
	start = time.Now()
	run("slow", slow, post+"Content-Length: 1000\r\n\r\n"+strings.Repeat("{", 10), nil)
	run("slow headers", slowHeaders, "POST /webhooks/shopify HTTP/1.1\r\nHost: roasd\r\n", nil)
	run("idle keep-alive", idle, "GET /api/v1/report HTTP/1.1\r\nHost: roasd\r\n\r\n", nil)
	wg.Wait()
	took2 := time.Since(start)
	close(results)
	hwm2, rss2 := d.memory(t)

	type tally struct {
		statuses map[int]int
		open     int
		errs     int
	}
	byKind := map[string]*tally{}
	for res := range results {
		k := byKind[res.kind]
		if k == nil {
			k = &tally{statuses: map[int]int{}}
			byKind[res.kind] = k
		}
		switch {
		case res.o.err != nil:
			k.errs++
			t.Logf("%s: %v", res.kind, res.o.err)
		case !res.o.closed:
			k.open++
		default:
			k.statuses[res.o.status]++
		}
	}
	want := map[string][]int{
		"oversize":        {413},
		"held":            {413, 503},
		"slow":            {408, 503},
		"slow headers":    {0, 408},
		"idle keep-alive": {401},
	}
	for kind, allowed := range want {
		k := byKind[kind]
		if k == nil {
			t.Errorf("%s: no results", kind)
			continue
		}
		t.Logf("%-15s answered %v, still open after %v: %d, dial errors: %d", kind, k.statuses, bound, k.open, k.errs)
		if k.open > 0 || k.errs > 0 {
			t.Errorf("%s: %d connections still open after %v (%d could not connect)", kind, k.open, bound, k.errs)
		}
		for status, n := range k.statuses {
			if !contains(allowed, status) {
				t.Errorf("%s: %d answered %d, want one of %v", kind, n, status, allowed)
			}
		}
	}
	grew := (max(hwm1, hwm2) - rss0) >> 10
	t.Logf("daemon memory: VmRSS %d MB before (VmHWM %d MB); big bodies: peak VmHWM %d MB, VmRSS %d MB after, all ended in %v; "+
		"slow connections: peak VmHWM %d MB, VmRSS %d MB after, all ended in %v",
		rss0>>10, hwm0>>10, hwm1>>10, rss1>>10, took1.Round(100*time.Millisecond), hwm2>>10, rss2>>10, took2.Round(100*time.Millisecond))
	if grew > rssBoundMB {
		t.Errorf("the daemon's peak RSS grew by %d MB under the attack, bound %d MB", grew, rssBoundMB)
	}

	// The port still works: a signed webhook and the probes.
	if err := r.sb.Shopify.SendWebhook(context.Background(), d.public+"/webhooks/shopify", webhookSecret, "orders/updated", order); err != nil {
		t.Errorf("signed webhook after the attack: %v", err)
	}
	resp, err := http.Get(d.private + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz after the attack: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if t.Failed() {
		t.Logf("daemon log (start):\n%.4000s", d.logs())
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
