package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/shopify/shopifyfake"
)

func examples(t *testing.T) *configs.Set {
	t.Helper()
	set, err := configs.Load("../configs/examples")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// readOrders pages through every order of the campaign's shop through the
// real client, counting the pages.
func readOrders(t *testing.T, sb *Sandbox, since time.Time) ([]ads.Order, int) {
	t.Helper()
	srv := httptest.NewServer(sb.ShopifyHandler())
	defer srv.Close()
	o := shopify.Options{Shop: shopOf(sb.Campaign.Brand), BaseURL: shopifyfake.ShopURL(srv.URL), AccessToken: ShopifyToken}
	if since.IsZero() {
		// The shop's Dev Dashboard app works too (client-credentials tokens).
		o.AccessToken, o.ClientID, o.ClientSecret = "", ShopifyClientID, ShopifyClientSecret
	}
	cl := shopify.New(o)
	var got []ads.Order
	pages := 0
	if _, err := cl.Orders(context.Background(), since, func(b []ads.Order) error {
		pages++
		got = append(got, b...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got, pages
}

func TestSandboxServesTheCampaignOrders(t *testing.T) {
	t.Parallel()
	c, err := NewScaledCampaign(examples(t), 1, Scale{Days: 20, Orders: 3000})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewWith(c, Options{ShopifyRestoreRate: 1e9, ShopifyMaximum: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	byID := map[string]ads.Order{}
	refunded := 0
	for _, o := range c.Orders {
		byID[o.ID] = o
		if o.Refunded > 0 {
			refunded++
		}
	}
	if refunded == 0 {
		t.Fatal("the campaign has no refunded orders")
	}
	for _, since := range []time.Time{{}, c.Now.AddDate(0, 0, -7)} {
		want := map[string]bool{}
		for _, o := range c.Orders {
			if !o.UpdatedAt.Before(since.Truncate(time.Second)) {
				want[o.ID] = true
			}
		}
		got, pages := readOrders(t, sb, since)
		seen := map[string]bool{}
		for _, o := range got {
			if seen[o.ID] || !want[o.ID] {
				t.Fatalf("since %v: order %s served twice or not wanted", since, o.ID)
			}
			seen[o.ID] = true
			// The shop charges and refunds tax and shipping; the revenue
			// read back is the campaign's product revenue all the same.
			// (The campaign's amounts have sub-cent digits the shop rounds.)
			c := byID[o.ID]
			cents := func(v int64) int64 { return (v + 5_000) / 10_000 * 10_000 }
			wantNet := max(0, cents(c.Gross)-cents(c.Discounts)-cents(c.Refunded))
			if c.Cancelled() {
				wantNet = 0
			}
			if o.Net != wantNet || o.Refunded != cents(c.Refunded) {
				t.Fatalf("order %s: net %d refunded %d, want the campaign's %d and %d", o.ID, o.Net, o.Refunded, wantNet, cents(c.Refunded))
			}
		}
		if len(seen) != len(want) || len(want) == 0 {
			t.Fatalf("since %v: served %d orders, want %d (> 0)", since, len(seen), len(want))
		}
		if min := (len(want) + shopify.MaxPageSize - 1) / shopify.MaxPageSize; pages != min {
			t.Errorf("since %v: %d pages, want %d of %d orders", since, pages, min, shopify.MaxPageSize)
		}
		if calls := sb.Calls()["SHOPIFY"]; calls < pages {
			t.Errorf("Calls()[SHOPIFY] = %d, want at least %d", calls, pages)
		}
	}
}

func TestScaledCampaign(t *testing.T) {
	t.Parallel()
	set := examples(t)
	for _, sc := range []Scale{{Days: 45, Orders: 5000}, {Days: 10, Orders: 800}} {
		c, err := NewScaledCampaign(set, 3, sc)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Orders) != sc.Orders {
			t.Errorf("%+v: %d orders, want %d", sc, len(c.Orders), sc.Orders)
		}
		for _, o := range c.Orders {
			if o.CreatedAt.After(c.Now) || o.UpdatedAt.After(c.Now) {
				t.Fatalf("%+v: order %s created %s, updated %s: after the campaign's now %s", sc, o.ID, o.CreatedAt, o.UpdatedAt, c.Now)
			}
		}
		first := c.Today.AddDays(-sc.Days + 1)
		for _, s := range c.Stats {
			if s.Day.Before(first) || s.Day.After(c.Today) {
				t.Fatalf("%+v: stat on %s outside %s..%s", sc, s.Day, first, c.Today)
			}
		}
		again, _ := NewScaledCampaign(set, 3, sc)
		if !reflect.DeepEqual(again.Orders, c.Orders) {
			t.Errorf("%+v: the same seed gave different orders", sc)
		}
	}
}

// TestAdvance moves the fakes' clock 15 minutes with new data: orders
// placed in those minutes (served to the real client from the previous
// now on), three refunds, today's rows moving, one restated day and one
// revoked Spark authorization; a zero advance changes nothing.
func TestAdvance(t *testing.T) {
	t.Parallel()
	set := examples(t)
	c, err := NewScaledCampaign(set, 1, Scale{Days: 20, Orders: 20 * 96 * 4})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := sb.Advance(0, 1); err != nil || ch != (Change{}) {
		t.Fatalf("Advance(0) = %+v, %v; want nothing", ch, err)
	}
	before := sb.Now()
	ch, err := sb.Advance(15*time.Minute, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := ch.To.Sub(ch.From); d != 15*time.Minute {
		t.Errorf("advanced %s, want 15m", d)
	}
	if !sb.Now().After(ch.To.Add(-time.Second)) || ch.From.Before(before) {
		t.Errorf("clock %s after advancing from %s to %s", sb.Now(), ch.From, ch.To)
	}
	if ch.Orders < 1 || ch.Refunds != 3 || ch.StatRows == 0 || ch.RestatedRows == 0 || ch.Revoked == "" {
		t.Errorf("change %+v: want orders, 3 refunds, moving and restated rows and a revoked post", ch)
	}
	got, _ := readOrders(t, sb, ch.From)
	placed := 0
	for _, o := range got {
		if !o.CreatedAt.Before(ch.From) && !o.CreatedAt.After(ch.To) {
			placed++
		}
	}
	if placed != ch.Orders || len(got) != ch.Orders+ch.Refunds {
		t.Errorf("shop serves %d orders changed since %s (%d placed), want %d placed and %d refunded", len(got), ch.From, placed, ch.Orders, ch.Refunds)
	}
}

// TestSandboxSeedsMessyOrders: the seed holds test orders, orders with
// several discount codes and orders with messy landing URLs (upper-case
// UTM keys, a stray %, a ;), and the Shopify fake serves them so the
// real client reads them back: test flag, every code, and the UTM values
// of the creator's link.
func TestSandboxSeedsMessyOrders(t *testing.T) {
	t.Parallel()
	c, err := NewScaledCampaign(examples(t), 1, Scale{Days: 20, Orders: 600})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewWith(c, Options{ShopifyRestoreRate: 1e9, ShopifyMaximum: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	got, _ := readOrders(t, sb, time.Time{})
	byID := map[string]ads.Order{}
	for _, o := range got {
		byID[o.ID] = o
	}
	var tests, multi, messy int
	for _, o := range c.Orders {
		g, ok := byID[o.ID]
		if !ok {
			t.Fatalf("order %s not served", o.ID)
		}
		if o.Test {
			tests++
			if !g.Test {
				t.Errorf("order %s: test order read back as test=false", o.ID)
			}
		}
		if len(o.DiscountCodes) > 1 {
			multi++
			if strings.Join(g.DiscountCodes, ",") != strings.Join(o.DiscountCodes, ",") {
				t.Errorf("order %s: codes %v, want %v", o.ID, g.DiscountCodes, o.DiscountCodes)
			}
		}
		if strings.Contains(o.LandingPage, "UTM_") && strings.Contains(o.LandingPage, "50%off;") {
			messy++
			if o.UTM.IsZero() || g.UTM != o.UTM {
				t.Errorf("order %s: landing %q read back with UTM %+v, want %+v (non-empty)", o.ID, o.LandingPage, g.UTM, o.UTM)
			}
		}
	}
	if tests == 0 || multi == 0 || messy == 0 {
		t.Errorf("seed has %d test orders, %d with several codes, %d with messy URLs: want some of each", tests, multi, messy)
	}
}

// TestSandboxServesTwoBrands: the examples' two brands each get a
// campaign of their own on the shared fakes. glowco's is exactly the
// single-brand campaign (its numbers do not move when a brand is added);
// hautwerk's is in euros on its own ad accounts, ends at the same instant
// on its own day, and its shop behind the one SHOPIFY_API_URL serves only
// its orders, to a token of its own; a shop no brand has is refused.
func TestSandboxServesTwoBrands(t *testing.T) {
	t.Parallel()
	set := examples(t)
	camps, err := NewCampaigns(set, 1)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := NewCampaign(set, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(camps) != 2 || !reflect.DeepEqual(camps[0], alone) {
		t.Fatalf("%d campaigns; the first differs from NewCampaign's: %v", len(camps), !reflect.DeepEqual(camps[0], alone))
	}
	glow, haut := camps[0], camps[1]
	if haut.Brand.Name != "hautwerk" || !haut.Now.Equal(glow.Now) || haut.Today != ads.DateOf(glow.Now, haut.Brand.Location) {
		t.Errorf("hautwerk's campaign: brand %s, now %s, today %s; want glowco's now %s", haut.Brand.Name, haut.Now, haut.Today, glow.Now)
	}
	accounts := map[string]string{}
	for _, c := range camps {
		for _, a := range c.Ads {
			if owner, ok := accounts[a.Account]; ok && owner != c.Brand.Name {
				t.Fatalf("account %s has ads of %s and %s", a.Account, owner, c.Brand.Name)
			}
			accounts[a.Account] = c.Brand.Name
		}
		for _, s := range c.Stats {
			if s.Currency != c.Brand.Currency {
				t.Fatalf("%s: a stat in %s", c.Brand.Name, s.Currency)
			}
		}
	}
	ids := map[string]bool{}
	for _, o := range glow.Orders {
		ids[o.ID] = true
	}
	for _, o := range haut.Orders {
		if ids[o.ID] || o.Currency != "EUR" || o.Shop != "hautwerk.myshopify.com" {
			t.Fatalf("hautwerk order %s: %s at %s (an id glowco uses: %v)", o.ID, o.Currency, o.Shop, ids[o.ID])
		}
	}

	sb, err := NewAll(camps, Options{ShopifyRestoreRate: 1e9, ShopifyMaximum: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	srv := httptest.NewServer(sb.ShopifyHandler())
	defer srv.Close()
	// Each shop's token, as Env gives them to roasd.
	env := map[string]string{}
	for _, l := range sb.Env() {
		k, v, _ := strings.Cut(l, "=")
		env[k] = v
	}
	tokens := map[string]string{shopOf(glow.Brand): env["SHOPIFY_ACCESS_TOKEN"], shopOf(haut.Brand): env["SHOPIFY_ACCESS_TOKEN_HAUTWERK"]}
	if tokens[shopOf(haut.Brand)] == "" || tokens[shopOf(haut.Brand)] == ShopifyToken {
		t.Errorf("Env gives hautwerk's shop no token of its own: %v", sb.Env())
	}
	readAs := func(shop, token string) ([]ads.Order, error) {
		cl := shopify.New(shopify.Options{Shop: shop, BaseURL: shopifyfake.ShopURL(srv.URL), AccessToken: token, RetryMax: 1})
		var got []ads.Order
		_, err := cl.Orders(context.Background(), time.Time{}, func(b []ads.Order) error {
			got = append(got, b...)
			return nil
		})
		return got, err
	}
	read := func(shop string) ([]ads.Order, error) { return readAs(shop, tokens[shop]) }
	var ae *ads.APIError
	if _, err := readAs(shopOf(haut.Brand), ShopifyToken); !errors.As(err, &ae) || ae.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("glowco's token at hautwerk's shop: %v, want 401", err)
	}
	for _, c := range camps {
		got, err := read(shopOf(c.Brand))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.Orders) {
			t.Errorf("%s's shop served %d orders, want %d", c.Brand.Name, len(got), len(c.Orders))
		}
		for _, o := range got {
			if o.Currency != c.Brand.Currency || o.Shop != shopOf(c.Brand) {
				t.Fatalf("%s's shop served order %s in %s of %s", c.Brand.Name, o.ID, o.Currency, o.Shop)
			}
		}
	}
	ae = nil
	if _, err := readAs("nobody.myshopify.com", ShopifyToken); !errors.As(err, &ae) || ae.HTTPStatus != http.StatusNotFound {
		t.Errorf("a shop no brand has: %v, want 404", err)
	}
	var chans []string
	for _, c := range sb.Slack.Channels() {
		chans = append(chans, "#"+c.Name)
	}
	if want := []string{glow.Brand.Slack.Channel, haut.Brand.Slack.Channel}; !reflect.DeepEqual(chans, want) {
		t.Errorf("Slack channels %v, want %v", chans, want)
	}
}
