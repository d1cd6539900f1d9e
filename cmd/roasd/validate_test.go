package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	err := os.WriteFile(bad, []byte(`brand: acme
currency: USD
timezone: UTC
colour: blue
accounts:
  meta: {ad_account: act_1, access_token: EAABsbCS1iHgBAKZCZBbs2qlkZCabcdefghij}
creators:
  - handle: ana
    fee: {flat: "-5", commission: 1.5}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // each must appear, in order
		stdoutNot  string
		stderrPart string
	}{
		{
			name:   "examples are valid",
			args:   []string{"validate", "../../configs/examples"},
			code:   0,
			stdout: []string{"../../configs/examples: 2 brands, 5 creators, 6 tests, 16 variants — ok\n"},
		},
		{
			name:   "one valid file",
			args:   []string{"validate", "../../configs/testdata/valid/single.yaml"},
			code:   0,
			stdout: []string{"single.yaml: 1 brand, 1 creator, 1 test, 3 variants — ok\n"},
		},
		{
			name: "every problem, one per line",
			args: []string{"validate", bad},
			code: 1,
			stdout: []string{
				bad + ":4:1: unknown key \"colour\" in brand file",
				bad + ":6:29: key \"access_token\" holds a secret: secrets belong in the environment (e.g. META_ACCESS_TOKEN), not in YAML\n",
				bad + ":9:17: flat: a fee must not be negative, got -5.00\n",
				bad + ":9:35: commission: 1.5 is outside 0..1",
			},
			stdoutNot:  "EAABsbCS1iHg",
			stderrPart: "4 problems",
		},
		{
			name:       "missing path",
			args:       []string{"validate", filepath.Join(dir, "nope")},
			code:       1,
			stderrPart: "no such file or directory",
		},
		{
			name:       "no argument",
			args:       []string{"validate"},
			code:       2,
			stderrPart: "Usage: roasd validate DIR|FILE",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			env := &cmdEnv{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
			code := Main(context.Background(), env, tt.args)
			if code != tt.code {
				t.Errorf("roasd %v exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, stdout.String(), stderr.String())
			}
			out := stdout.String()
			rest := out
			for _, w := range tt.stdout {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stdout lacks (in order) %q; got:\n%s", w, out)
					break
				}
				rest = rest[i+len(w):]
			}
			if tt.stdoutNot != "" && strings.Contains(out+stderr.String(), tt.stdoutNot) {
				t.Errorf("output contains %q:\n%s%s", tt.stdoutNot, out, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderrPart) {
				t.Errorf("stderr lacks %q; got:\n%s", tt.stderrPart, stderr.String())
			}
			if tt.code == 1 && len(tt.stdout) > 0 && strings.Count(out, "\n") != len(tt.stdout) {
				t.Errorf("got %d lines on stdout, want one per problem (%d):\n%s", strings.Count(out, "\n"), len(tt.stdout), out)
			}
		})
	}
}
