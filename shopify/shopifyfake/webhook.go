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
	"strings"
	"sync"
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

// restMoney renders a REST money set: shop money and presentment money.
func restMoney(m int64, cur string, p presentment) map[string]any {
	return map[string]any{"shop_money": map[string]any{"amount": ads.FormatMicros(m, 2), "currency_code": cur},
		"presentment_money": map[string]any{"amount": ads.FormatMicros(p.of(m), 2), "currency_code": p.currency}}
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
// does since 2024-10: refunded line items with their subtotal and tax,
// refunded shipping as refund_shipping_lines, a refund discrepancy as an
// order adjustment (negative when more was returned than the parts come
// to), and the refund transaction, which is in the presentment currency.
// Caller holds s.mu.
func (s *Server) restRefund(o *Order, r Refund) map[string]any {
	cur, p := s.shop.Currency, presentmentOf(o, s.shop.Currency)
	lines, shipping, adjustments := []any{}, []any{}, []any{}
	if v := micros(r.LineItems); v != 0 || micros(r.LineItemsTax) != 0 {
		tax := micros(r.LineItemsTax)
		lines = append(lines, map[string]any{
			"id": numeric(r.ID + "1"), "line_item_id": numeric(o.ID + "1"), "quantity": 1, "restock_type": "return",
			"subtotal": json.Number(ads.FormatMicros(v, 2)), "total_tax": json.Number(ads.FormatMicros(tax, 2)),
			"subtotal_set": restMoney(v, cur, p), "total_tax_set": restMoney(tax, cur, p),
		})
	}
	if v := micros(r.Shipping); v != 0 || micros(r.ShippingTax) != 0 {
		tax := micros(r.ShippingTax)
		shipping = append(shipping, map[string]any{
			"id": numeric(r.ID + "2"), "shipping_line_id": numeric(o.ID + "2"),
			"subtotal_amount_set": restMoney(v, cur, p), "tax_amount_set": restMoney(tax, cur, p),
		})
	}
	if d := refundDiscrepancy(r); d != 0 {
		adjustments = append(adjustments, map[string]any{
			"id": numeric(r.ID + "3"), "order_id": numeric(o.ID), "refund_id": numeric(r.ID), "kind": "refund_discrepancy",
			"reason": "Refund discrepancy", "amount": ads.FormatMicros(d, 2), "tax_amount": "0.00",
			"amount_set": restMoney(d, cur, p), "tax_amount_set": restMoney(0, cur, p),
		})
	}
	return map[string]any{
		"id": numeric(r.ID), "order_id": numeric(o.ID), "created_at": restTime(r.CreatedAt), "processed_at": restTime(r.CreatedAt),
		"note": nil, "restock": false, "admin_graphql_api_id": "gid://shopify/Refund/" + r.ID,
		"refund_line_items": lines, "refund_shipping_lines": shipping, "order_adjustments": adjustments,
		"transactions": []any{map[string]any{
			"id": numeric(r.ID + "9"), "order_id": numeric(o.ID), "kind": "refund", "status": "success",
			"amount": ads.FormatMicros(p.of(refundTotal(r)), 2), "currency": p.currency, "gateway": "bogus", "test": o.Test,
			"created_at": restTime(r.CreatedAt),
		}},
	}
}

// restOrder renders an order as the REST Admin API order resource (the
// orders/create and orders/updated payload): plain amounts in the shop
// currency, *_set amounts in shop and presentment money. Caller holds
// s.mu.
func (s *Server) restOrder(o *Order) map[string]any {
	t := amounts(o)
	cur, p := s.shop.Currency, presentmentOf(o, s.shop.Currency)
	codes := []any{}
	for _, c := range o.DiscountCodes {
		codes = append(codes, map[string]any{"code": c, "amount": ads.FormatMicros(t.discounts/int64(len(o.DiscountCodes)), 2), "type": "fixed_amount"})
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
	current := max(t.subtotal-t.refundedItems, 0)
	shippingLines := []any{}
	if t.shipping != 0 {
		shippingLines = append(shippingLines, map[string]any{"id": numeric(o.ID + "2"), "title": "Standard",
			"price": ads.FormatMicros(t.shipping, 2), "price_set": restMoney(t.shipping, cur, p)})
	}
	return map[string]any{
		"id": numeric(o.ID), "admin_graphql_api_id": "gid://shopify/Order/" + o.ID, "name": o.Name,
		"number": numeric(o.ID), "created_at": restTime(o.CreatedAt), "updated_at": restTime(o.UpdatedAt),
		"cancelled_at": restTime(o.CancelledAt), "cancel_reason": reason, "test": o.Test, "currency": cur,
		"presentment_currency": p.currency, "financial_status": fin,
		"total_line_items_price": ads.FormatMicros(t.lineItems, 2), "total_line_items_price_set": restMoney(t.lineItems, cur, p),
		"total_discounts": ads.FormatMicros(t.discounts, 2), "total_discounts_set": restMoney(t.discounts, cur, p),
		"subtotal_price": ads.FormatMicros(t.subtotal, 2), "subtotal_price_set": restMoney(t.subtotal, cur, p),
		"current_subtotal_price": ads.FormatMicros(current, 2), "current_subtotal_price_set": restMoney(current, cur, p),
		"total_tax": ads.FormatMicros(t.tax, 2), "total_tax_set": restMoney(t.tax, cur, p),
		"total_shipping_price_set": restMoney(t.shipping, cur, p), "shipping_lines": shippingLines,
		"total_price": ads.FormatMicros(t.price, 2), "total_price_set": restMoney(t.price, cur, p),
		"discount_codes": codes, "landing_site": landing, "referring_site": referring, "refunds": refunds,
	}
}

// Delivery is one webhook POST as Shopify sends it.
type Delivery struct {
	Topic  string
	Header http.Header
	Body   []byte
}

// SetSubscriptions sets how many webhook subscriptions receive each event
// (default 1), as when an app declares a topic in its configuration and
// also subscribes through the API: Shopify then delivers every event once
// per subscription, each under the same X-Shopify-Event-Id and its own
// X-Shopify-Webhook-Id.
func (s *Server) SetSubscriptions(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscriptions = max(n, 1)
}

// Deliveries renders the deliveries of one event about an order without
// sending them, one per subscription, signed with secret: the REST JSON
// payload (the order for orders/*, its latest refund for refunds/create)
// with X-Shopify-Topic, X-Shopify-Hmac-Sha256, X-Shopify-Shop-Domain,
// X-Shopify-Event-Id, X-Shopify-Webhook-Id, X-Shopify-Triggered-At and
// X-Shopify-API-Version headers. The event id is derived from the topic
// and the order's state (or the refund), so rendering again without a
// change gives the same event and webhook ids (a redelivery).
func (s *Server) Deliveries(secret, topic, orderID string) ([]Delivery, error) {
	s.mu.Lock()
	o, ok := s.orders[numericID(orderID)]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("rendering %s webhook: order %s not found", topic, orderID)
	}
	var payload map[string]any
	var state string
	switch topic {
	case TopicOrdersCreate, TopicOrdersUpdated:
		payload, state = s.restOrder(o), o.UpdatedAt.UTC().Format(time.RFC3339Nano)
	case TopicRefundsCreate:
		if len(o.Refunds) == 0 {
			s.mu.Unlock()
			return nil, fmt.Errorf("rendering %s webhook: order %s has no refund", topic, orderID)
		}
		r := o.Refunds[len(o.Refunds)-1]
		payload, state = s.restRefund(o, r), r.ID
	default:
		s.mu.Unlock()
		return nil, fmt.Errorf("rendering webhook: unsupported topic %q", topic)
	}
	domain, now, subs := s.shop.Domain, s.now(), max(s.subscriptions, 1)
	s.mu.Unlock()

	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("rendering %s webhook: %w", topic, err)
	}
	sum := sha256.Sum256([]byte(topic + "|" + o.ID + "|" + state))
	event := hex.EncodeToString(sum[:16])
	out := make([]Delivery, 0, subs)
	for i := range subs {
		id := event
		if i > 0 {
			sub := sha256.Sum256([]byte(event + "|" + strconv.Itoa(i)))
			id = hex.EncodeToString(sub[:16])
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-Shopify-Topic", topic)
		h.Set("X-Shopify-Hmac-Sha256", Sign(secret, body))
		h.Set("X-Shopify-Shop-Domain", domain)
		h.Set("X-Shopify-Webhook-Id", id)
		h.Set("X-Shopify-Event-Id", event)
		h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
		h.Set("X-Shopify-API-Version", APIVersion)
		out = append(out, Delivery{Topic: topic, Header: h, Body: body})
	}
	return out, nil
}

// Post sends one delivery to url. A non-2xx answer is an error.
func (s *Server) Post(ctx context.Context, url string, d Delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return fmt.Errorf("sending %s webhook: %w", d.Topic, err)
	}
	req.Header = d.Header.Clone()
	resp, err := s.client.Do(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	s.record(Call{Op: "webhook " + d.Topic, Status: status})
	if err != nil {
		return fmt.Errorf("sending %s webhook: %w", d.Topic, err)
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("sending %s webhook: receiver answered HTTP %d", d.Topic, status)
	}
	return nil
}

// SendWebhook delivers the signed webhook of one event about an order to
// url, as Shopify does: once per subscription (see SetSubscriptions and
// Deliveries). A non-2xx answer is an error.
func (s *Server) SendWebhook(ctx context.Context, url, secret, topic, orderID string) error {
	ds, err := s.Deliveries(secret, topic, orderID)
	if err != nil {
		return fmt.Errorf("sending webhook: %w", err)
	}
	for _, d := range ds {
		if err := s.Post(ctx, url, d); err != nil {
			return err
		}
	}
	return nil
}

// TopicBulkOperationsFinish is the topic Shopify delivers when a bulk
// operation of the app ends: completed, failed or canceled.
const TopicBulkOperationsFinish = "bulk_operations/finish"

// Subscription is one webhook subscription of the app on the shop, as
// declared in the app's configuration (shopify.app.toml
// [[webhooks.subscriptions]]: topics and uri) or made with the
// webhookSubscriptionCreate mutation. Shopify signs its deliveries with
// the app's client secret, Secret here.
type Subscription struct {
	Topic  string
	URI    string
	Secret string
}

// webhookRetries is how many times a failed delivery is tried again:
// Shopify retries 8 times (over 4 hours) before giving up.
const webhookRetries = 8

// Default waits before the retries of a failed delivery: the first,
// doubling up to the last (Shopify spreads its 8 retries over 4 hours;
// the fake keeps the count and shortens the waits).
const (
	defaultHookRetry = time.Second
	maxHookRetry     = time.Minute
)

// Subscribe adds a webhook subscription the fake delivers to on its own:
// only bulk_operations/finish (the order and refund topics are delivered
// by SendWebhook, when a test or the sandbox decides).
func (s *Server) Subscribe(sub Subscription) error {
	if sub.Topic != TopicBulkOperationsFinish {
		return fmt.Errorf("subscribing to %q: the fake delivers only %s on its own (send order webhooks with SendWebhook)", sub.Topic, TopicBulkOperationsFinish)
	}
	if sub.URI == "" || sub.Secret == "" {
		return fmt.Errorf("subscribing to %s: a URI and a signing secret are required", sub.Topic)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, sub)
	return nil
}

// Unsubscribe removes every subscription to topic.
func (s *Server) Unsubscribe(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.hooks[:0]
	for _, h := range s.hooks {
		if h.Topic != topic {
			kept = append(kept, h)
		}
	}
	s.hooks = kept
}

// SetWebhookRetry sets the wait before the first retry of a failed
// subscribed delivery (default a second); each next wait doubles, up to a
// minute.
func (s *Server) SetWebhookRetry(first time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookRetry = first
}

// bulkFinished delivers bulk_operations/finish about op, which just ended,
// to each subscription of the topic: the payload Shopify sends
// (admin_graphql_api_id, completed_at, created_at, error_code, status and
// type, the enum values in lower case), signed with the subscription's
// secret, under an event id derived from the operation and its status.
// A delivery answered with anything but 2xx (or not at all) is retried
// under the same ids (webhookRetries times) until stop is closed. Called
// by the operation's goroutine without s.mu.
func (s *Server) bulkFinished(op *bulkOp, stop <-chan struct{}) {
	s.mu.Lock()
	var subs []Subscription
	for _, h := range s.hooks {
		if h.Topic == TopicBulkOperationsFinish {
			subs = append(subs, h)
		}
	}
	if len(subs) == 0 {
		s.mu.Unlock()
		return
	}
	gid := bulkGIDPrefix + strconv.FormatInt(op.id, 10)
	var code any
	if op.errorCode != "" {
		code = strings.ToLower(op.errorCode)
	}
	payload := map[string]any{"admin_graphql_api_id": gid, "completed_at": restTime(op.completedAt), "created_at": restTime(op.createdAt),
		"error_code": code, "status": strings.ToLower(op.status), "type": "query"}
	domain, now, retry := s.shop.Domain, s.now(), s.hookRetry
	s.mu.Unlock()
	if retry <= 0 {
		retry = defaultHookRetry
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	sum := sha256.Sum256([]byte(TopicBulkOperationsFinish + "|" + gid + "|" + op.status))
	event := hex.EncodeToString(sum[:16])
	// Each subscription is delivered on its own: one failing does not
	// hold up the others.
	var wg sync.WaitGroup
	defer wg.Wait()
	for i, sub := range subs {
		id := sha256.Sum256([]byte(event + "|" + sub.URI + "|" + strconv.Itoa(i)))
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-Shopify-Topic", TopicBulkOperationsFinish)
		h.Set("X-Shopify-Hmac-Sha256", Sign(sub.Secret, body))
		h.Set("X-Shopify-Shop-Domain", domain)
		h.Set("X-Shopify-Webhook-Id", hex.EncodeToString(id[:16]))
		h.Set("X-Shopify-Event-Id", event)
		h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
		h.Set("X-Shopify-API-Version", APIVersion)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.deliver(ctx, sub.URI, Delivery{Topic: TopicBulkOperationsFinish, Header: h, Body: body}, retry)
		}()
	}
}

// deliver posts d to url, retrying a failure webhookRetries times with
// doubling waits from retry, until ctx ends.
func (s *Server) deliver(ctx context.Context, url string, d Delivery, retry time.Duration) {
	for attempt := 0; ; attempt++ {
		if s.Post(ctx, url, d) == nil || attempt == webhookRetries {
			return
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		retry = min(2*retry, maxHookRetry)
	}
}
