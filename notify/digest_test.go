package notify

import (
	"strings"
	"testing"
)

// TestErrorSummary: a failing sync's error is shown as its first line,
// shortened, with anything that looks like a credential removed.
func TestErrorSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"meta insights act_1: GET /v25.0/act_1/insights?access_token=EAAB123&fields=spend: HTTP 500", "meta insights act_1: GET /v25.0/act_1/insights?access_token=REDACTED&fields=spend: HTTP 500"},
		{"shopify orders shop.myshopify.com: 401 (token shpat_0123456789abcdef rejected)", "shopify orders shop.myshopify.com: 401 (token REDACTED rejected)"},
		{"slack: Authorization: Bearer xoxb-1-2-abc refused", "slack: Authorization: Bearer REDACTED refused"},
		{"posting with xoxb-123-456-abcdef failed", "posting with REDACTED failed"},
		{"reading (client_secret=shpss_zz) failed", "reading (client_secret=REDACTED) failed"},
		{"first line\nsecond line with EAABsecret", "first line"},
		{"  code 40105: Access token is invalid  ", "code 40105: Access token is invalid"},
		{strings.Repeat("x", 300), strings.Repeat("x", 179) + "…"},
	} {
		if got := ErrorSummary(tc.in, maxErrorSummary); got != tc.want {
			t.Errorf("ErrorSummary(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
