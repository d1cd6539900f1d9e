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

func TestCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"pulling insights: rate limited (code 40100)", "pulling insights: rate limited (code 40100)"},
		{"GET /v21.0/act_1?access_token=EAAB123&fields=id: 500", "GET /v21.0/act_1?access_token=REDACTED&fields=id: 500"},
		{"Authorization: Bearer tok-123, retrying", "Authorization: Bearer REDACTED, retrying"},
		{`{"client_secret": "s3cr3t"}`, `{"client_secret": "REDACTED"}`},
		{"X-Shopify-Access-Token: shpat_1 rejected", "X-Shopify-Access-Token: REDACTED rejected"},
		{"401 (token shpat_0123456789abcdef rejected)", "401 (token REDACTED rejected)"},
		{"posting with xoxb-123-456-abcdef failed", "posting with REDACTED failed"},
		{"GET ?signature=abc123 403", "GET ?signature=REDACTED 403"},
		{"code 40105: Access token is invalid", "code 40105: Access token is invalid"},
		{"token EAAB0123456789abcdefghijkl expired", "token REDACTED expired"},
	} {
		if got := Credentials(tc.in); got != tc.want {
			t.Errorf("Credentials(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
