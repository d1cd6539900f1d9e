package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCloseCommand: roasd close MONTH closes a brand's month once (again
// it says so), refuses a month the brand was not reconciled after and a
// month not over on the jobs' clock, and needs a month.
func TestCloseCommand(t *testing.T) {
	t.Parallel()
	dsn := reconciledDB(t) // glowco, reconciled 2026-06-10 23:00 UTC
	run := func(now string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &cmdEnv{stdout: &out, stderr: &errb, getenv: func(k string) string {
			return map[string]string{"DATABASE_URL": dsn, "ROASD_NOW": now}[k]
		}}
		code := Main(context.Background(), env, args)
		return out.String(), errb.String(), code
	}
	const july = "2026-07-02T12:00:00Z"
	tests := []struct {
		now    string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{july, []string{"close"}, 2, "", "which month? e.g. roasd close 2026-11"},
		{july, []string{"close", "11/2026"}, 2, "", `month "11/2026": want YYYY-MM`},
		{july, []string{"close", "2026-06"}, 1, "", "glowco was last reconciled at 2026-06-10 23:00 UTC, before 2026-06 ended"},
		{"2026-05-20T12:00:00Z", []string{"close", "2026-05"}, 1, "", "2026-05 is not over in glowco's zone (UTC): it ends 2026-05-31"},
		{july, []string{"close", "2026-05", "--brand", "glowco"}, 0, "closed glowco 2026-05 at 2026-07-02 12:", ""},
		{july, []string{"close", "--brand", "glowco", "2026-05"}, 0, "glowco 2026-05 was already closed at 2026-07-02 12:", ""},
	}
	for _, tc := range tests {
		out, errOut, code := run(tc.now, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("roasd %s (now %s): exit %d, stdout %q, stderr %q; want %d, %q, %q", strings.Join(tc.args, " "), tc.now, code, out, errOut,
				tc.code, tc.stdout, tc.stderr)
		}
	}
	out, _, code := run(july, "report", "--from", "2026-05-01", "--to", "2026-05-31", "--adjustments", "--format", "csv")
	if code != 0 || out != "month,creator,cause,records,currency,spend,fees,paid_revenue,organic_revenue,revenue,orders,platform_conversions,platform_value\n" {
		t.Errorf("report --adjustments of a month with none: exit %d\n%s", code, out)
	}
}
