package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/report"
)

// serve starts a Server with o and stops it when the test ends.
func serve(t *testing.T, o Options) *Server {
	t.Helper()
	o.Addr = "127.0.0.1:0"
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
		s.Close()
	})
	return s
}

// rawRequest writes head (and body, if any) on a new connection and
// returns the connection and the response's status line and headers.
// The connection closes with the test.
func rawRequest(t *testing.T, addr, head, body string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head+body); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", strings.SplitN(head, "\r\n", 2)[0], err)
	}
	return c, br, resp
}

// closedByServer reports whether the server closes c (EOF or reset)
// within the bound; it reads and discards what comes first.
func closedByServer(c net.Conn, br *bufio.Reader, bound time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(bound))
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func webhookHead(path string, length int, extra string) string {
	cl := fmt.Sprintf("Content-Length: %d\r\n", length)
	if length < 0 {
		cl = "Transfer-Encoding: chunked\r\n"
	}
	return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + cl + extra + "\r\n"
}

// TestBodyGuard: the guard refuses before reading (precheck, declared
// size), stops a body at the bound, answers 503 + Retry-After when every
// slot is taken, and 408 to a body that does not arrive in time, closing
// the connection each time.
func TestBodyGuard(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		reasons []string
		handled atomic.Int64
		hold    = make(chan struct{})
		holding = make(chan struct{}, 1)
	)
	g := NewBodyGuard(GuardOptions{Slots: 1, Wait: 50 * time.Millisecond, BodyTimeout: 300 * time.Millisecond,
		Rejected: func(route, reason string) {
			mu.Lock()
			reasons = append(reasons, route+":"+reason)
			mu.Unlock()
		}})
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		b, _ := io.ReadAll(r.Body)
		if r.URL.Query().Get("hold") != "" {
			holding <- struct{}{}
			<-hold
		}
		fmt.Fprintf(w, "got %d bytes", len(b))
	})
	route := BodyRoute{Name: "hook", MaxBody: 1000, Check: func(r *http.Request) *Refusal {
		if r.Header.Get("X-Sig") == "" {
			return &Refusal{Status: http.StatusUnauthorized, Msg: "no signature"}
		}
		return nil
	}}
	s := serve(t, Options{Routes: map[string]http.Handler{"POST /hook": g.Wrap(route, echo)}})
	addr := s.Addr()

	tests := []struct {
		name       string
		head, body string
		wantCode   int
		wantReason string
	}{
		{"no signature: refused before the body", webhookHead("/hook", 100000, ""), "", 401, "hook:precheck"},
		{"declared too large: refused before the body", webhookHead("/hook", 5<<20, "X-Sig: s\r\n"), "", 413, "hook:too_large"},
		{"chunked past the bound", webhookHead("/hook", -1, "X-Sig: s\r\n"), "7d0\r\n" + strings.Repeat("x", 2000) + "\r\n", 413, "hook:too_large"},
		{"slow body", webhookHead("/hook", 500, "X-Sig: s\r\n"), strings.Repeat("x", 10), 408, "hook:timeout"},
		{"within bounds", webhookHead("/hook", 1000, "X-Sig: s\r\n"), strings.Repeat("x", 1000), 200, ""},
	}
	for _, tc := range tests {
		mu.Lock()
		reasons = nil
		mu.Unlock()
		c, br, resp := rawRequest(t, addr, tc.head, tc.body)
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		resp.Body.Close()
		mu.Lock()
		got := strings.Join(reasons, ",")
		mu.Unlock()
		if resp.StatusCode != tc.wantCode || got != tc.wantReason {
			t.Errorf("%s: %d %q (rejected %q), want %d (rejected %q)", tc.name, resp.StatusCode, b, got, tc.wantCode, tc.wantReason)
		}
		if tc.wantCode != 200 && !closedByServer(c, br, 5*time.Second) {
			t.Errorf("%s: the server kept the connection open after refusing", tc.name)
		}
		c.Close()
	}
	if n := handled.Load(); n != 1 {
		t.Errorf("handler ran %d times, want once (only for the request within bounds)", n)
	}

	// One slot: while a request holds it, the next waits 50ms and gets 503.
	go func() {
		req, _ := http.NewRequest("POST", s.URL()+"/hook?hold=1", strings.NewReader("{}"))
		req.Header.Set("X-Sig", "s")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-holding
	_, _, resp := rawRequest(t, addr, webhookHead("/hook", 2, "X-Sig: s\r\n"), "{}")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("with every slot taken: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	close(hold)
}

// TestConnectionTimeouts: an idle keep-alive connection and a client that
// never finishes its headers are closed by the server.
func TestConnectionTimeouts(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	s := serve(t, Options{Routes: map[string]http.Handler{"GET /x": ok},
		Timeouts: Timeouts{Header: 200 * time.Millisecond, Idle: 200 * time.Millisecond}})

	c, br, resp := rawRequest(t, s.Addr(), "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", "")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("keep-alive request: %d close=%v", resp.StatusCode, resp.Close)
	}
	if !closedByServer(c, br, 10*time.Second) {
		t.Error("an idle keep-alive connection is still open 10s after a 200ms idle timeout")
	}

	slow, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "GET /x HTTP/1.1\r\nHost: x\r\n") // never ends its headers
	if !closedByServer(slow, bufio.NewReader(slow), 10*time.Second) {
		t.Error("a connection that never finishes its headers is still open 10s after a 200ms header timeout")
	}
}

// TestBadInputIs400: a NUL byte, a control character or invalid UTF-8 in
// the path or the query, or a malformed escape, is answered 400 before any
// route sees it.
func TestBadInputIs400(t *testing.T) {
	t.Parallel()
	var reached atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1); io.WriteString(w, "ok") })
	s := serve(t, Options{Routes: map[string]http.Handler{"/": h}})
	for _, tc := range []struct {
		target string
		want   int
	}{
		{"/api/v1/report?brand=%00&from=2026-06-01&to=2026-06-30", 400},
		{"/x?brand=glow%00co", 400},
		{"/x?%00=1", 400},
		{"/x?brand=%ff", 400},
		{"/x?brand=a%0Ab", 400},
		{"/x?brand=%zz", 400},
		{"/x%00y", 400},
		{"/x?brand=glowco&from=2026-06-01", 200},
		{"/x?brand=caf%C3%A9%09", 200},
	} {
		_, _, resp := rawRequest(t, s.Addr(), "GET "+tc.target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "")
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s = %d, want %d", tc.target, resp.StatusCode, tc.want)
		}
	}
	if n := reached.Load(); n != 2 {
		t.Errorf("%d requests reached the route, want 2 (the good ones)", n)
	}
}

// TestReportNULIs400: the report API's brand went to PostgreSQL, which
// refuses a NUL byte in text; that answered 500.
func TestReportNULIs400(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	s := serve(t, Options{Routes: map[string]http.Handler{"GET /api/v1/report": ReportHandler(report.Service{DB: db}, "tok")}})
	req, _ := http.NewRequest("GET", s.URL()+"/api/v1/report?brand=glow%00co&from=2026-06-01&to=2026-06-30", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("brand with a NUL byte: %d %q, want 400", resp.StatusCode, b)
	}
}
