package platformhttp

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	for _, tc := range []struct {
		name       string
		retryAfter string
		attempt    int
		min, max   time.Duration
	}{
		{"first attempt", "", 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{"third attempt", "", 2, 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", "", 40, time.Second, hi},
		{"Retry-After honoured", "1", 0, time.Second, time.Second},
		{"Retry-After capped", "600", 0, hi, hi},
		{"Retry-After 0 waits lo", "0", 3, lo, lo},
		{"garbage Retry-After ignored", "soon", 1, 100 * time.Millisecond, 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{Header: http.Header{}}
			if tc.retryAfter != "" {
				resp.Header.Set("Retry-After", tc.retryAfter)
			}
			for range 50 {
				d := Backoff(lo, hi, tc.attempt, resp)
				if d < tc.min || d > tc.max {
					t.Fatalf("Backoff = %v, want within [%v, %v]", d, tc.min, tc.max)
				}
			}
		})
	}
}

func TestLoggerRedactsEveryValueAndLevel(t *testing.T) {
	var buf bytes.Buffer
	l := Logger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), "shopify",
		func(s string) string { return URLQueries(Secrets("tok123")(s)) })
	l.Error("GET https://files.example/x.jsonl?sig=abc request failed", "error", errors.New("dial: tok123"))
	l.Warn("w", "token", "tok123")
	l.Info("i", "url", "https://files.example/x.jsonl?X-Goog-Signature=abc&x=1")
	l.Debug("d", "request", stringer("POST https://h/y?access_token=tok123"))
	out := buf.String()
	for _, leak := range []string{"tok123", "sig=abc", "Signature=abc", "access_token="} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q:\n%s", leak, out)
		}
	}
	if n := strings.Count(out, "shopify: "); n != 4 {
		t.Errorf("%d prefixed lines, want 4:\n%s", n, out)
	}
	if !strings.Contains(out, "level=WARN msg=\"shopify: GET https://files.example/x.jsonl?[redacted] request failed\"") {
		t.Errorf("a retry in progress should log at WARN with its URL redacted:\n%s", out)
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestRedactURL(t *testing.T) {
	raw := "https://storage.example/b/1.jsonl?X-Goog-Signature=s%2Fig&X-Goog-Expires=60"
	msg := `Get "https://storage.example/b/1.jsonl?X-Goog-Signature=s%2Fig&X-Goog-Expires=60": EOF; query X-Goog-Signature=s%2Fig&X-Goog-Expires=60`
	got := RedactURL(msg, raw)
	if strings.Contains(got, "s%2Fig") {
		t.Errorf("RedactURL left the signature: %s", got)
	}
	if !strings.Contains(got, "https://storage.example/b/1.jsonl?[redacted]") {
		t.Errorf("RedactURL lost the URL's path: %s", got)
	}
}
