package shopifyfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/roasd/roasd/ads"
)

// Webhook topics the fake can deliver.
const (
	TopicOrdersCreate  = "orders/create"
	TopicOrdersUpdated = "orders/updated"
	TopicRefundsCreate = "refunds/create"
)

// APIVersion is the version the fake's webhook deliveries report in
// X-Shopify-API-Version (the subscription's version; GraphQL answers
// report the version they served, see ServedVersion).
const APIVersion = "2026-10"

// Sign returns the X-Shopify-Hmac-Sha256 value for body: the base64 HMAC-
// SHA256 of the raw body keyed with the app's client secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func restMoney(m int64, cur string) map[string]any {
	v := map[string]any{"amount": ads.FormatMicros(m, 2), "currency_code": cur}
	return map[string]any{"shop_money": v, "presentment_money": v}
}

func restTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339)
}

func numeric(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

// restRefund renders a refund as the REST Admin API (and refunds/create)
// does. Caller holds s.mu.
func (s *Server) restRefund(o *Order, r Refund) map[string]any {
	amt := micros(r.Amount)
	return map[string]any{
		"id": numeric(r.ID), "order_id": numeric(o.ID), "created_at": restTime(r.CreatedAt), "processed_at": restTime(r.CreatedAt),
		"note": nil, "restock": false, "admin_graphql_api_id": "gid://shopify/Refund/" + r.ID,
		"refund_line_items": []any{}, "order_adjustments": []any{},
		"transactions": []any{map[string]any{
			"id": numeric(r.ID + "9"), "order_id": numeric(o.ID), "kind": "refund", "status": "success",
			"amount": ads.FormatMicros(amt, 2), "currency": s.shop.Currency, "gateway": "bogus", "test": o.Test,
			"created_at": restTime(r.CreatedAt),
		}},
	}
}

// restOrder renders an order as the REST Admin API order resource (the
// orders/create and orders/updated payload). Caller holds s.mu.
func (s *Server) restOrder(o *Order) map[string]any {
	li, disc, sub, _ := amounts(o)
	cur := s.shop.Currency
	codes := []any{}
	for _, c := range o.DiscountCodes {
		codes = append(codes, map[string]any{"code": c, "amount": ads.FormatMicros(disc/int64(len(o.DiscountCodes)), 2), "type": "fixed_amount"})
	}
	refunds := []any{}
	for _, r := range o.Refunds {
		refunds = append(refunds, s.restRefund(o, r))
	}
	var landing, referring any
	if v := o.FirstVisit; v != nil {
		landing = v.LandingPage
	}
	var fin = "paid"
	if len(o.Refunds) > 0 {
		fin = "partially_refunded"
	}
	var reason any
	if !o.CancelledAt.IsZero() {
		reason = "customer"
		fin = "voided"
	}
	return map[string]any{
		"id": numeric(o.ID), "admin_graphql_api_id": "gid://shopify/Order/" + o.ID, "name": o.Name,
		"number": numeric(o.ID), "created_at": restTime(o.CreatedAt), "updated_at": restTime(o.UpdatedAt),
		"cancelled_at": restTime(o.CancelledAt), "cancel_reason": reason, "test": o.Test, "currency": cur,
		"presentment_currency": cur, "financial_status": fin,
		"total_line_items_price": ads.FormatMicros(li, 2), "total_line_items_price_set": restMoney(li, cur),
		"total_discounts": ads.FormatMicros(disc, 2), "total_discounts_set": restMoney(disc, cur),
		"subtotal_price": ads.FormatMicros(sub, 2), "subtotal_price_set": restMoney(sub, cur),
		"total_price": ads.FormatMicros(sub, 2), "total_price_set": restMoney(sub, cur),
		"discount_codes": codes, "landing_site": landing, "referring_site": referring, "refunds": refunds,
	}
}

// SendWebhook delivers a signed webhook about an order to url, as Shopify
// does: the REST JSON payload (the order for orders/*, its latest refund for
// refunds/create) with X-Shopify-Topic, X-Shopify-Hmac-Sha256,
// X-Shopify-Shop-Domain, X-Shopify-Webhook-Id, X-Shopify-Triggered-At and
// X-Shopify-API-Version headers. The webhook id is derived from the topic
// and the order's state, so sending again without a change is a redelivery
// (the same id). A non-2xx answer is an error.
func (s *Server) SendWebhook(ctx context.Context, url, secret, topic, orderID string) error {
	s.mu.Lock()
	o, ok := s.orders[numericID(orderID)]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("sending %s webhook: order %s not found", topic, orderID)
	}
	var payload map[string]any
	var state string
	switch topic {
	case TopicOrdersCreate, TopicOrdersUpdated:
		payload, state = s.restOrder(o), o.UpdatedAt.UTC().Format(time.RFC3339Nano)
	case TopicRefundsCreate:
		if len(o.Refunds) == 0 {
			s.mu.Unlock()
			return fmt.Errorf("sending %s webhook: order %s has no refund", topic, orderID)
		}
		r := o.Refunds[len(o.Refunds)-1]
		payload, state = s.restRefund(o, r), r.ID
	default:
		s.mu.Unlock()
		return fmt.Errorf("sending webhook: unsupported topic %q", topic)
	}
	domain, now := s.shop.Domain, s.now()
	s.mu.Unlock()

	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("sending %s webhook: %w", topic, err)
	}
	sum := sha256.Sum256([]byte(topic + "|" + o.ID + "|" + state))
	id := hex.EncodeToString(sum[:16])
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sending %s webhook: %w", topic, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Hmac-Sha256", Sign(secret, body))
	req.Header.Set("X-Shopify-Shop-Domain", domain)
	req.Header.Set("X-Shopify-Webhook-Id", id)
	req.Header.Set("X-Shopify-Event-Id", id)
	req.Header.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
	req.Header.Set("X-Shopify-API-Version", APIVersion)
	resp, err := s.client.Do(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	s.record(Call{Op: "webhook " + topic, Status: status})
	if err != nil {
		return fmt.Errorf("sending %s webhook: %w", topic, err)
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("sending %s webhook: receiver answered HTTP %d", topic, status)
	}
	return nil
}
