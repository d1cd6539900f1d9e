package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProbesAndRoutes(t *testing.T) {
	t.Parallel()
	ready := errors.New("pinging the database at db.internal:5432: connection refused")
	s, err := New(Options{
		Addr:    "127.0.0.1:0",
		Probes:  true,
		Ready:   func(context.Context) error { return ready },
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "roasd_up 1\n") }),
		Routes:  map[string]http.Handler{"POST /hook": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) })},
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
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
	s, err := New(Options{Addr: "127.0.0.1:0", Probes: true,
		Details: func(context.Context) []string {
			return []string{"meta token: valid, expires 2026-12-31T09:00:00Z (in 14 days; checked 2026-12-17T09:00:00Z)"}
		}})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
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
