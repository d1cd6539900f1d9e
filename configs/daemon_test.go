package configs

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestDaemonSettings covers daemon: — its default, a value, and each
// problem it can have, named at file:line:col.
func TestDaemonSettings(t *testing.T) {
	t.Parallel()
	const brand = "brand: x\ncurrency: USD\ntimezone: UTC\n"
	tests := []struct {
		name    string
		files   map[string]string
		want    int    // FirstSyncConcurrency when valid
		wantErr string // a substring of the problems, when invalid
	}{
		{"default", map[string]string{"a.yaml": brand}, DefaultFirstSyncConcurrency, ""},
		{"own file", map[string]string{"a.yaml": brand, "daemon.yaml": "daemon:\n  first_sync_concurrency: 2\n"}, 2, ""},
		{"own document of a brand file", map[string]string{"a.yaml": brand + "---\ndaemon: {first_sync_concurrency: 7}\n"}, 7, ""},
		{"zero", map[string]string{"a.yaml": brand, "daemon.yaml": "daemon:\n  first_sync_concurrency: 0\n"}, 0,
			"daemon.yaml:2:27: first_sync_concurrency: want at least 1"},
		{"not a number", map[string]string{"a.yaml": brand, "daemon.yaml": "daemon:\n  first_sync_concurrency: many\n"}, 0,
			"daemon.yaml:2:27: first_sync_concurrency: want a whole number, got a string"},
		{"typo", map[string]string{"a.yaml": brand, "daemon.yaml": "daemon:\n  first_sync_concurency: 2\n"}, 0,
			`daemon.yaml:2:3: unknown key "first_sync_concurency" in daemon: did you mean "first_sync_concurrency"?`},
		{"with brand keys", map[string]string{"a.yaml": brand + "daemon: {first_sync_concurrency: 2}\n"}, 0,
			`a.yaml:1:1: unknown key "brand" in a daemon settings document (daemon: goes in a document of its own, without brand:)`},
		{"set twice", map[string]string{"a.yaml": brand, "d1.yaml": "daemon: {first_sync_concurrency: 2}\n", "d2.yaml": "daemon: {first_sync_concurrency: 3}\n"}, 0,
			"d2.yaml:1:10: daemon first_sync_concurrency is already set at d1.yaml:1:10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for name, data := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			set, err := LoadFS(fsys, ".")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadFS(%v) = %v; want a problem containing %q", tc.files, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadFS(%v): %v", tc.files, err)
			}
			if got := set.Daemon.FirstSyncConcurrency; got != tc.want {
				t.Errorf("FirstSyncConcurrency = %d, want %d", got, tc.want)
			}
			if set.Brand("x") == nil {
				t.Errorf("brand x not loaded beside the daemon settings")
			}
		})
	}
}
