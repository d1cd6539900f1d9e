package shopify

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/roasd/roasd/ads"
)

// MaxWebhookBody is the largest webhook body the daemon reads: Shopify
// sends a resource inline only up to 1,000,000 bytes and a stub ({"id":
// …}) above that (shopify.dev changelog, 2026-11-17, "Amazon EventBridge
// webhook payload size limit increased to 1 MB"), so 1 MiB leaves room
// for any delivery Shopify makes. An order whose webhook is refused is
// still read by the next shopify.orders sync.
const MaxWebhookBody = 1 << 20

// WebhookPrecheck inspects a delivery's headers before its body is read:
// X-Shopify-Hmac-Sha256 must be a base64 HMAC-SHA256 (401 otherwise) and
// X-Shopify-Shop-Domain a shop for which known reports true (403
// otherwise; nil known accepts any shop). It returns the status and the
// message to refuse with, or 0 and "" to read the body and verify it.
func WebhookPrecheck(r *http.Request, known func(shop string) bool) (int, string) {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Header.Get("X-Shopify-Hmac-Sha256")))
	if err != nil || len(sig) != 32 {
		return http.StatusUnauthorized, "missing or malformed X-Shopify-Hmac-Sha256"
	}
	shop := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Shopify-Shop-Domain")))
	if shop == "" {
		return http.StatusBadRequest, "missing X-Shopify-Shop-Domain"
	}
	if known != nil && !known(shop) {
		return http.StatusForbidden, "shop not configured"
	}
	return 0, ""
}

// storableText refuses an order whose stored text holds a NUL byte
// (PostgreSQL refuses it in text: storing would fail, and Shopify would
// redeliver for ever); the webhook is answered 400 as malformed.
func storableText(o ads.Order) error {
	fields := []struct{ name, v string }{{"id", o.ID}, {"name", o.Name}, {"currency", o.Currency},
		{"landing_site", o.LandingPage}, {"landing_site", o.FirstLandingPage}}
	for _, c := range o.DiscountCodes {
		fields = append(fields, struct{ name, v string }{"discount code", c})
	}
	for _, f := range fields {
		if strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("decoding order webhook: %s holds a NUL byte", f.name)
		}
	}
	return nil
}
