package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestProbesAndRoutes(t *testing.T) {
	t.Parallel()
	ready := errors.New("pinging the database at db.internal:5432: connection refused")
	s := serve(t, Options{
		Probes:  true,
		Ready:   func(context.Context) error { return ready },
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "roasd_up 1\n") }),
		Routes:  map[string]http.Handler{"POST /hook": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) })},
	})
	tests := []struct {
		method, path string
		wantCode     int
		wantBody     string
	}{
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/readyz", 503, "not ready"},
		{"GET", "/metrics", 200, "roasd_up 1"},
		{"POST", "/hook", 202, ""},
		{"GET", "/hook", 405, ""},
		{"GET", "/nope", 404, ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, s.URL()+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "db.internal") {
			t.Errorf("%s %s reveals the database address: %q", tc.method, tc.path, body)
		}
		if resp.StatusCode != tc.wantCode || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("%s %s = %d %q, want %d containing %q", tc.method, tc.path, resp.StatusCode, body, tc.wantCode, tc.wantBody)
		}
	}
}

// TestReadyzDetails: a ready daemon lists the detail lines (the platform
// tokens' expiry) after "ready".
func TestReadyzDetails(t *testing.T) {
	t.Parallel()
	s := serve(t, Options{Probes: true,
		Details: func(context.Context) []string {
			return []string{"meta token: valid, expires 2026-12-31T09:00:00Z (in 14 days; checked 2026-12-17T09:00:00Z)"}
		}})
	resp, err := http.Get(s.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "ready\nmeta token: valid, expires 2026-12-31T09:00:00Z (in 14 days; checked 2026-12-17T09:00:00Z)\n"; resp.StatusCode != 200 || string(body) != want {
		t.Errorf("GET /readyz = %d %q, want 200 %q", resp.StatusCode, body, want)
	}
}
