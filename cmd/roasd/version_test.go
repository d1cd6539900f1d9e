package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestVersionCommand: `roasd version` lists the pinned versions with their
// end of life, counting days on the jobs' clock (ROASD_NOW), and marks
// one within 30 days (the pinned clock runs on from ROASD_NOW, so
// 24 days before midnight is 23 whole days a moment later).
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		now  string
		want []string
		not  []string
	}{
		{"2026-11-28T12:00:00Z", []string{"meta", "v25.0", "2027-02-23 00:00 UTC", " 86 ", "shopify", "2026-10", "2027-10-16 15:00 UTC", "marketing-api-changelog/versions"}, []string{"upgrade roasd"}},
		{"2027-01-30T00:00:00Z", []string{"v25.0", "2027-02-23 00:00 UTC  23 (upgrade roasd)"}, nil},
	} {
		var out, errb bytes.Buffer
		env := &cmdEnv{stdout: &out, stderr: &errb, getenv: func(k string) string {
			if k == "ROASD_NOW" {
				return tc.now
			}
			return ""
		}}
		if code := Main(context.Background(), env, []string{"version"}); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("at %s: output lacks %q:\n%s", tc.now, w, out.String())
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("at %s: output says %q:\n%s", tc.now, n, out.String())
			}
		}
	}
}
