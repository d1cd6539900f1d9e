package shopify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/roasd/roasd/ads"
)

// Webhook topics the receiver applies; other topics are acknowledged and
// ignored.
const (
	TopicOrdersCreate  = "orders/create"
	TopicOrdersUpdated = "orders/updated"
	TopicRefundsCreate = "refunds/create"
)

// maxWebhookBody bounds a webhook payload.
const maxWebhookBody = 5 << 20

// OrderSink applies verified webhook deliveries; store.DB implements it.
type OrderSink interface {
	// ApplyWebhook records the delivery under key (DeliveryKey) and applies
	// o in one transaction, reporting applied=false when the key was seen
	// before, o is older than the stored order, or its refund is already
	// recorded. For refunds/create, o carries Shop, ID, RefundIDs (the
	// refund's GID), Refunded (its product part) and UpdatedAt (the
	// refund's time) only; the refund counts once by its own id, however
	// many deliveries report it.
	ApplyWebhook(ctx context.Context, key, topic string, o ads.Order) (applied bool, err error)
}

// Verify reports whether signature (the X-Shopify-Hmac-Sha256 header) is
// the base64 HMAC-SHA256 of body keyed with secret, comparing in constant
// time. An empty secret verifies nothing.
func Verify(secret string, body []byte, signature string) bool {
	if secret == "" || signature == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// WebhookOption configures WebhookHandler.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	known    func(shop string) bool
	refused  func(shop string)
	secretOf func(shop string) string
	bulk     BulkNotifier
}

// BulkFinished makes WebhookHandler accept bulk_operations/finish
// deliveries (verified like the other topics) and tell n which shop's
// operation finished, so a client waiting for it (Options.BulkFinish)
// reads it at once. A finish nobody waits for is acknowledged (n keeps it
// a while, for a waiter that comes late). Without this option the topic
// is acknowledged and ignored.
func BulkFinished(n BulkNotifier) WebhookOption {
	return func(c *webhookConfig) { c.bulk = n }
}

// ShopSecrets makes WebhookHandler verify a delivery with the signing
// secret secretOf returns for its shop (X-Shopify-Shop-Domain,
// lower-cased), and with the handler's own secret when that is "": each
// shop of a brand may run its own custom app, and a custom app signs its
// webhooks with its own secret. A delivery naming another shop than the
// one that signed it does not verify.
func ShopSecrets(secretOf func(shop string) string) WebhookOption {
	return func(c *webhookConfig) { c.secretOf = secretOf }
}

// OnlyShops makes WebhookHandler refuse a correctly signed delivery from a
// shop that known reports roasd does not serve (no brand configures it):
// it answers 403, stores nothing, and calls refused (when not nil) with
// the shop, e.g. to count it. Shopify retries a refused delivery, so a
// brand added to the config shortly after still gets it. Shops compare
// case-insensitively; known sees the lower-cased domain.
func OnlyShops(known func(shop string) bool, refused func(shop string)) WebhookOption {
	return func(c *webhookConfig) { c.known, c.refused = known, refused }
}

// WebhookHandler receives Shopify webhooks (orders/create, orders/updated,
// refunds/create, and bulk_operations/finish with BulkFinished) at
// whatever path it is mounted on. It rejects a delivery
// whose HMAC does not verify with secret (401) and, with OnlyShops, one
// from a shop roasd does not serve (403), then applies the order through
// sink under a delivery key (see DeliveryKey). Duplicate and out-of-order
// deliveries are acknowledged with 200 and change nothing; a sink failure
// answers 500 so Shopify redelivers.
func WebhookHandler(secret string, sink OrderSink, log *slog.Logger, opts ...WebhookOption) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var cfg webhookConfig
	for _, o := range opts {
		o(&cfg)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			http.Error(w, "payload too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		shop := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Shopify-Shop-Domain")))
		secret := secret
		if cfg.secretOf != nil {
			if s := cfg.secretOf(shop); s != "" {
				secret = s
			}
		}
		if !Verify(secret, body, r.Header.Get("X-Shopify-Hmac-Sha256")) {
			if secret == "" {
				log.Error("shopify webhook rejected: no webhook secret is set for the shop", "shop", shop)
			} else {
				log.Warn("shopify webhook rejected: bad signature", "topic", r.Header.Get("X-Shopify-Topic"), "remote", r.RemoteAddr)
			}
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		topic := r.Header.Get("X-Shopify-Topic")
		if cfg.known != nil && !cfg.known(shop) {
			log.Warn("shopify webhook refused: no brand configures the shop", "topic", topic, "shop", shop)
			if cfg.refused != nil {
				cfg.refused(shop)
			}
			http.Error(w, "shop not served here", http.StatusForbidden)
			return
		}
		id := DeliveryKey(r.Header, topic)
		switch topic {
		case TopicOrdersCreate, TopicOrdersUpdated, TopicRefundsCreate:
		case TopicBulkOperationsFinish:
			if cfg.bulk == nil {
				log.Info("shopify webhook ignored: no bulk operation waits on webhooks here", "topic", topic, "shop", shop)
				writeAck(w, false, "topic ignored")
				return
			}
			f, err := BulkFinishFromWebhook(body)
			if err != nil || shop == "" {
				log.Warn("shopify webhook rejected: bad payload", "topic", topic, "shop", shop, "webhook_id", id, "err", err)
				http.Error(w, "malformed payload", http.StatusBadRequest)
				return
			}
			waited := cfg.bulk.Finished(shop, f.ID)
			log.Info("shopify webhook", "topic", topic, "shop", shop, "webhook_id", id, "op", f.ID, "status", f.Status, "error_code", f.ErrorCode, "waited", waited)
			note := ""
			if !waited {
				note = "no wait for this operation yet; kept for a while"
			}
			writeAck(w, waited, note)
			return
		default:
			log.Info("shopify webhook ignored", "topic", topic, "shop", shop)
			writeAck(w, false, "topic ignored")
			return
		}
		if id == "" || shop == "" {
			http.Error(w, "missing X-Shopify-Event-Id (or X-Shopify-Webhook-Id) or X-Shopify-Shop-Domain", http.StatusBadRequest)
			return
		}
		var o ads.Order
		if topic == TopicRefundsCreate {
			o, err = RefundFromWebhook(shop, body)
		} else {
			o, err = OrderFromWebhook(shop, body)
		}
		if err != nil {
			log.Warn("shopify webhook rejected: bad payload", "topic", topic, "shop", shop, "webhook_id", id, "err", err)
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return
		}
		applied, err := sink.ApplyWebhook(r.Context(), id, topic, o)
		if err != nil {
			log.Error("shopify webhook not stored", "topic", topic, "shop", shop, "webhook_id", id, "order", o.ID, "err", err)
			http.Error(w, "could not store the delivery", http.StatusInternalServerError)
			return
		}
		log.Info("shopify webhook", "topic", topic, "shop", shop, "webhook_id", id, "order", o.ID, "applied", applied)
		writeAck(w, applied, "")
	})
}

// DeliveryKey is the key a delivery is deduplicated on: Shopify sends one
// event (X-Shopify-Event-Id) to every subscription that matches it, each
// time under its own X-Shopify-Webhook-Id, and its docs say to
// deduplicate on the event id; the topic is part of the key, as one
// event may trigger several topics. A delivery without an event id falls
// back to its webhook id. Empty when neither header is present.
func DeliveryKey(h http.Header, topic string) string {
	if ev := strings.TrimSpace(h.Get("X-Shopify-Event-Id")); ev != "" {
		return "event:" + ev + ":" + topic
	}
	return strings.TrimSpace(h.Get("X-Shopify-Webhook-Id"))
}

func writeAck(w http.ResponseWriter, applied bool, note string) {
	w.Header().Set("Content-Type", "application/json")
	v := map[string]any{"applied": applied}
	if note != "" {
		v["note"] = note
	}
	json.NewEncoder(w).Encode(v)
}

// decimal is a REST amount, sent as a string ("85.00") or, in some nested
// objects, a JSON number (199.0); its text is kept, never a float.
type decimal string

// UnmarshalJSON accepts a JSON string or number.
func (d *decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*d = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("amount %s: not a decimal", b)
	}
	*d = decimal(n.String())
	return nil
}

func (d decimal) micros(field string) (int64, error) { return parseAmount(field, string(d)) }

type restMoneySet struct {
	ShopMoney struct {
		Amount       decimal `json:"amount"`
		CurrencyCode string  `json:"currency_code"`
	} `json:"shop_money"`
}

// amount prefers the shop-money set over the plain field.
func amount(field string, plain decimal, set *restMoneySet) (int64, error) {
	if set != nil && set.ShopMoney.Amount != "" {
		return set.ShopMoney.Amount.micros(field)
	}
	return plain.micros(field)
}

// restRefund is the REST refund resource (the refunds/create payload and
// each of an order's refunds), with the parts that say what was refunded.
// Its transactions are left alone: they are in the presentment currency
// and include tax and shipping.
type restRefund struct {
	ID              json.Number `json:"id"`
	GID             string      `json:"admin_graphql_api_id"`
	OrderID         json.Number `json:"order_id"`
	CreatedAt       string      `json:"created_at"`
	ProcessedAt     string      `json:"processed_at"`
	RefundLineItems []struct {
		Subtotal    decimal       `json:"subtotal"`
		SubtotalSet *restMoneySet `json:"subtotal_set"`
	} `json:"refund_line_items"`
	OrderAdjustments []struct {
		Kind      string        `json:"kind"`
		Amount    decimal       `json:"amount"`
		AmountSet *restMoneySet `json:"amount_set"`
	} `json:"order_adjustments"`
}

// gid is the refund's GID ("" when the payload has no id).
func (r restRefund) gid() string {
	if r.GID != "" {
		return r.GID
	}
	if r.ID != "" {
		return "gid://shopify/Refund/" + r.ID.String()
	}
	return ""
}

// lines sums the refunded line items' subtotals (after discounts, before
// tax) in shop money.
func (r restRefund) lines() (int64, error) {
	var sum int64
	for _, l := range r.RefundLineItems {
		v, err := amount("refund line item subtotal", l.Subtotal, l.SubtotalSet)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// discrepancy sums the refund's refund_discrepancy order adjustments in
// shop money: positive in the merchant's favour, negative when more was
// returned than the refunded lines, shipping and tax come to. Shipping
// refunds (kind shipping_refund before API version 2024-10) are not
// discrepancies.
func (r restRefund) discrepancy() (int64, error) {
	var sum int64
	for _, a := range r.OrderAdjustments {
		if a.Kind != "refund_discrepancy" {
			continue
		}
		v, err := amount("order adjustment amount", a.Amount, a.AmountSet)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// product is the refund's product part (see ads.Order): its line items
// minus its discrepancy, never negative.
func (r restRefund) product() (int64, error) {
	l, err := r.lines()
	if err != nil {
		return 0, err
	}
	d, err := r.discrepancy()
	if err != nil {
		return 0, err
	}
	return max(0, l-d), nil
}

type restOrder struct {
	ID               json.Number   `json:"id"`
	GID              string        `json:"admin_graphql_api_id"`
	Name             string        `json:"name"`
	CreatedAt        string        `json:"created_at"`
	UpdatedAt        string        `json:"updated_at"`
	CancelledAt      *string       `json:"cancelled_at"`
	Currency         string        `json:"currency"`
	Test             bool          `json:"test"`
	SubtotalPrice    decimal       `json:"subtotal_price"`
	SubtotalPriceSet *restMoneySet `json:"subtotal_price_set"`
	// CurrentSubtotalPrice is the subtotal without refunded or removed
	// line items.
	CurrentSubtotalPrice    decimal       `json:"current_subtotal_price"`
	CurrentSubtotalPriceSet *restMoneySet `json:"current_subtotal_price_set"`
	TotalDiscounts          decimal       `json:"total_discounts"`
	TotalDiscountsSet       *restMoneySet `json:"total_discounts_set"`
	DiscountCodes           []struct {
		Code string `json:"code"`
	} `json:"discount_codes"`
	LandingSite *string      `json:"landing_site"`
	Refunds     []restRefund `json:"refunds"`
}

func orderGID(gid string, id json.Number) string {
	if gid != "" {
		return gid
	}
	if id != "" {
		return "gid://shopify/Order/" + id.String()
	}
	return ""
}

// productRefunded is the product part of the order's refunds, as the sync
// computes it: the subtotal minus current_subtotal_price minus the
// refunds' discrepancies (or, in a payload without the current subtotal,
// the sum of each refund's product part), in [0, sub].
func (p restOrder) productRefunded(sub int64) (int64, error) {
	var lines, disc int64
	for _, r := range p.Refunds {
		l, err := r.lines()
		if err != nil {
			return 0, err
		}
		d, err := r.discrepancy()
		if err != nil {
			return 0, err
		}
		lines, disc = lines+l, disc+d
	}
	current := sub - lines
	if p.CurrentSubtotalPrice != "" || (p.CurrentSubtotalPriceSet != nil && p.CurrentSubtotalPriceSet.ShopMoney.Amount != "") {
		v, err := amount("current_subtotal_price", p.CurrentSubtotalPrice, p.CurrentSubtotalPriceSet)
		if err != nil {
			return 0, err
		}
		current = v
	}
	return productRefunded(sub, current, disc), nil
}

// OrderFromWebhook converts an orders/create or orders/updated payload (the
// REST order resource) to an ads.Order of shop, computed as the sync does,
// in shop money: Gross = subtotal_price + total_discounts, Refunded = the
// product part of the refunds (never their tax or shipping), RefundIDs =
// the refunds the payload lists. The payload has no customer journey, so
// the UTM parameters of both visits come from landing_site.
func OrderFromWebhook(shop string, body []byte) (ads.Order, error) {
	var p restOrder
	if err := json.Unmarshal(body, &p); err != nil {
		return ads.Order{}, fmt.Errorf("decoding order webhook: %w", err)
	}
	o := ads.Order{Shop: shop, ID: orderGID(p.GID, p.ID), Name: p.Name, Currency: p.Currency, Test: p.Test}
	if o.ID == "" {
		return o, errors.New("decoding order webhook: no order id")
	}
	var err error
	if o.CreatedAt, err = parseTime("created_at", p.CreatedAt); err != nil {
		return o, err
	}
	if o.UpdatedAt, err = parseTime("updated_at", p.UpdatedAt); err != nil {
		return o, err
	}
	if p.CancelledAt != nil && *p.CancelledAt != "" {
		if o.CancelledAt, err = parseTime("cancelled_at", *p.CancelledAt); err != nil {
			return o, err
		}
	}
	if p.SubtotalPriceSet != nil && p.SubtotalPriceSet.ShopMoney.CurrencyCode != "" {
		o.Currency = p.SubtotalPriceSet.ShopMoney.CurrencyCode
	}
	if o.Currency == "" {
		return o, errors.New("decoding order webhook: no currency")
	}
	if p.SubtotalPrice == "" && (p.SubtotalPriceSet == nil || p.SubtotalPriceSet.ShopMoney.Amount == "") {
		// Storing it as a $0 order would lose revenue until the next sync.
		return o, errors.New("decoding order webhook: no subtotal_price")
	}
	sub, err := amount("subtotal_price", p.SubtotalPrice, p.SubtotalPriceSet)
	if err != nil {
		return o, err
	}
	if o.Discounts, err = amount("total_discounts", p.TotalDiscounts, p.TotalDiscountsSet); err != nil {
		return o, err
	}
	if o.Refunded, err = p.productRefunded(sub); err != nil {
		return o, err
	}
	for _, r := range p.Refunds {
		if id := r.gid(); id != "" {
			o.RefundIDs = append(o.RefundIDs, id)
		}
	}
	o.Gross = sub + o.Discounts
	o.Net = NetOf(o.Gross, o.Discounts, o.Refunded, o.Cancelled())
	for _, c := range p.DiscountCodes {
		o.DiscountCodes = append(o.DiscountCodes, c.Code)
	}
	if p.LandingSite != nil && *p.LandingSite != "" {
		o.LandingPage, o.FirstLandingPage = *p.LandingSite, *p.LandingSite
		o.UTM = ads.ParseUTM(*p.LandingSite)
		o.FirstUTM = o.UTM
	}
	return o, storableText(o)
}

// RefundFromWebhook converts a refunds/create payload (the REST refund
// resource) to the partial ads.Order OrderSink expects: Shop, ID (the
// order's GID), RefundIDs (this refund's GID), Refunded (its product part:
// refunded line items minus its refund discrepancy, in shop money; never
// its tax or shipping, nor its transactions, which are in the customer's
// currency) and UpdatedAt (when it was processed).
func RefundFromWebhook(shop string, body []byte) (ads.Order, error) {
	var r restRefund
	if err := json.Unmarshal(body, &r); err != nil {
		return ads.Order{}, fmt.Errorf("decoding refund webhook: %w", err)
	}
	if r.OrderID == "" {
		return ads.Order{}, errors.New("decoding refund webhook: no order_id")
	}
	id := r.gid()
	if id == "" {
		return ads.Order{}, errors.New("decoding refund webhook: no refund id")
	}
	o := ads.Order{Shop: shop, ID: orderGID("", r.OrderID), RefundIDs: []string{id}}
	at := r.ProcessedAt
	if at == "" {
		at = r.CreatedAt
	}
	if at != "" {
		t, err := parseTime("processed_at", at)
		if err != nil {
			return o, err
		}
		o.UpdatedAt = t
	}
	v, err := r.product()
	if err != nil {
		return o, err
	}
	o.Refunded = v
	return o, nil
}
