package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/roasd/roasd/internal/pgtest"
)

// TestReportPastTheData: a range that runs past the reconciled data says
// through which day the data goes, instead of silently printing zeros.
func TestReportPastTheData(t *testing.T) {
	t.Parallel()
	dsn := reconciledDB(t) // reconciled at 2026-06-10 23:00 UTC
	for _, tt := range []struct {
		name, from, to, want string
	}{
		{"within", "2026-06-01", "2026-06-10", ""},
		{"runs past", "2026-06-01", "2026-06-30", "roasd report: glowco: data reconciled through 2026-06-10: 2026-06-11..2026-06-30, after it, has no data yet\n"},
		{"all after", "2026-07-01", "2026-07-31", "roasd report: glowco: data reconciled through 2026-06-10: the range 2026-07-01..2026-07-31 is after it, so every figure is zero\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := runCLI(t, dsn, "report", "--from", tt.from, "--to", tt.to)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if tt.want == "" {
				if strings.Contains(stderr, "data reconciled through") {
					t.Errorf("stderr %q, want no hint", stderr)
				}
			} else if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

// TestUnknownCommandSuggests: a mistyped subcommand names the nearest one.
func TestUnknownCommandSuggests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ arg, want string }{
		{"reprot", `roasd: unknown command "reprot": did you mean "report"?`},
		{"valdiate", `did you mean "validate"?`},
		{"sandbx", `did you mean "sandbox"?`},
		{"xyzzy", `roasd: unknown command "xyzzy"` + "\n"},
	} {
		_, stderr, code := runCLI(t, "", tt.arg)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("roasd %s: exit %d, stderr %q; want exit 2 and %q", tt.arg, code, stderr, tt.want)
		}
	}
}

// TestDemoChecksPortFirst: a second `roasd demo` on a busy port fails at
// once, naming the address, before it starts a database, the sandbox or
// the cycle.
func TestDemoChecksPortFirst(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	addr := busy.Addr().String()
	stdout, stderr, code := runCLI(t, pgtest.DSN(t, schema), "demo", "--listen", addr)
	if code == 0 || !strings.Contains(stderr, addr) || !strings.Contains(stderr, "already in use") {
		t.Errorf("demo on a busy port: exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout, "running every job") || strings.Contains(stdout, "sandbox:") {
		t.Errorf("the demo started working before checking its port:\n%s", stdout)
	}
}

// TestBulkWebhookNeedsReceiver: --shopify-bulk-webhook without a Shopify
// webhook secret is refused before any job runs (the exports would wait
// for webhooks nobody accepts).
func TestBulkWebhookNeedsReceiver(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	delete(e.vars, "SHOPIFY_WEBHOOK_SECRET")
	e.vars["ROASD_SHOPIFY_BULK_WEBHOOK"] = "on"
	var out, errOut strings.Builder
	code := Main(context.Background(), e.env(&out, &errOut), []string{"run", "--once", "--config", e.config, "--listen", "127.0.0.1:0"})
	if code == 0 || !strings.Contains(errOut.String(), "needs the Shopify webhook receiver") {
		t.Errorf("exit %d, stderr %q; want a refusal naming the missing receiver", code, errOut.String())
	}
	if n := e.count(t, `SELECT count(*) FROM job_runs`); n != 0 {
		t.Errorf("%d jobs ran", n)
	}
}
