package reconcile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

var (
	mic = ads.MustMicros
	ny  = mustLoc("America/New_York")
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// fixtureBrand is the hand-computed scenario's brand: jacqueline runs a
// utm-first test on Meta and TikTok (TikTok account in EUR), milo a
// code-first test on Meta.
func fixtureBrand() *configs.Brand {
	return &configs.Brand{
		Name: "glowco", Currency: "USD", Timezone: "America/New_York", Location: ny,
		FXRates: []configs.FXRate{
			{From: "EUR", To: "USD", Rate: ads.MustRate("1.20"), Since: ads.MustDate("2026-06-10")},
			{From: "EUR", To: "USD", Rate: ads.MustRate("1.10"), Since: ads.MustDate("2026-06-01")},
		},
		Creators: []*configs.Creator{
			{Handle: "jacqueline", Codes: []string{"JACQ15"}, Links: []string{"https://glowco.com/?utm_source=jacq-bio"},
				Fee: configs.Fee{Flat: mic("310"), Commission: ads.MustRate("0.10"),
					Bonuses: []configs.Bonus{{Date: ads.MustDate("2026-06-05"), Amount: mic("50")}}}},
			{Handle: "milo", TikTok: "milo.tt", Codes: []string{"MILO10"},
				Fee: configs.Fee{Flat: mic("100"), Commission: ads.MustRate("0.20"), CommissionOn: configs.CommissionOnOrganic}},
		},
		Tests: []*configs.Test{
			{ID: "summer-serum-hooks", Creator: "jacqueline", Start: ads.MustDate("2026-06-01"), Checkpoints: []int{14, 30},
				Variants: []*configs.Variant{
					{Key: "hook-a", Platform: ads.Meta, UTM: ads.UTM{Source: "jacqueline", Content: "hook-a"}},
					{Key: "hook-b", Platform: ads.TikTok, UTM: ads.UTM{Source: "jacqueline", Content: "hook-b"}},
				}},
			{ID: "milo-launch", Creator: "milo", Start: ads.MustDate("2026-06-01"), Checkpoints: []int{9}, Attribution: configs.CodeFirst,
				Variants: []*configs.Variant{{Key: "milo-a", Platform: ads.Meta, UTM: ads.UTM{Content: "milo-a"}}}},
		},
	}
}

func tAt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ord(name, created, net string, mod ...func(*ads.Order)) ads.Order {
	o := ads.Order{Shop: "glowco.myshopify.com", ID: "gid://shopify/Order/555" + name, Name: "#" + name,
		CreatedAt: tAt(created), UpdatedAt: tAt(created), Currency: "USD", Gross: mic(net), Net: mic(net)}
	for _, m := range mod {
		m(&o)
	}
	return o
}

func withUTM(content string) func(*ads.Order) {
	return func(o *ads.Order) { o.UTM = ads.UTM{Source: "jacqueline", Content: content} }
}

func withCode(code string) func(*ads.Order) {
	return func(o *ads.Order) { o.DiscountCodes = []string{code} }
}

func fixtureInput() Input {
	return Input{
		Brand: fixtureBrand(),
		Orders: []ads.Order{
			ord("1001", "2026-06-02T15:00:00Z", "85", withUTM("hook-a"), withCode("JACQ15")),
			ord("1002", "2026-06-03T01:00:00Z", "60", withUTM("hook-b")), // 06-02 21:00 in New York
			ord("1003", "2026-06-04T15:00:00Z", "40", withCode("jacq15")),
			ord("1004", "2026-06-04T16:00:00Z", "30", withUTM("milo-a"), withCode("MILO10")),
			ord("1005", "2026-06-05T15:00:00Z", "20", func(o *ads.Order) { o.LandingPage = "/?utm_source=jacq-bio" }),
			ord("1006", "2026-06-05T16:00:00Z", "70"),
			ord("1007", "2026-06-06T15:00:00Z", "0", withUTM("hook-a"), func(o *ads.Order) {
				o.Gross, o.CancelledAt = mic("90"), tAt("2026-06-06T18:00:00Z")
			}),
			ord("1008", "2026-06-06T16:00:00Z", "500", withUTM("hook-a"), func(o *ads.Order) { o.Test = true }),
			ord("1009", "2026-06-07T15:00:00Z", "25", withUTM("milo-a")),
			ord("1010", "2026-06-08T15:00:00Z", "50", withUTM("hook-a"), func(o *ads.Order) { o.Currency = "EUR" }),
		},
		Links: []ads.LinkConversion{
			{Source: "impact", ID: "L1", Creator: "jacqueline", OrderID: "#1003", Amount: mic("40"), Currency: "USD", At: tAt("2026-06-04T15:05:00Z")},
			{Source: "impact", ID: "L2", Creator: "Jacqueline", Amount: mic("15"), Currency: "USD", At: tAt("2026-06-09T15:00:00Z")},
			{Source: "impact", ID: "L3", Creator: "stranger", Amount: mic("99"), Currency: "USD", At: tAt("2026-06-09T15:00:00Z")},
			{Source: "impact", ID: "L4", Link: "https://glowco.com/?utm_source=jacq-bio", Amount: mic("10"), Currency: "EUR", At: tAt("2026-06-09T16:00:00Z")},
		},
		Stats: []ads.DayStat{
			{Platform: ads.Meta, AdID: "m1", Day: ads.MustDate("2026-06-02"), Currency: "USD", Spend: mic("50"),
				Impressions: 10000, Clicks: 100, Engagements: 300, Conversions: 3, ConversionValue: mic("150")},
			{Platform: ads.TikTok, AdID: "k1", Day: ads.MustDate("2026-06-05"), Currency: "EUR", Spend: mic("100"),
				Impressions: 20000, Engagements: 500, Views: 8000, Conversions: 2, ConversionValue: mic("80")},
			{Platform: ads.Meta, AdID: "m2", Day: ads.MustDate("2026-06-03"), Currency: "USD", Spend: mic("20"),
				Impressions: 5000, Conversions: 1, ConversionValue: mic("40")},
			{Platform: ads.Meta, AdID: "x9", Day: ads.MustDate("2026-06-03"), Currency: "USD", Spend: mic("999")},
		},
		Ads: []VariantMatch{
			{TestID: "summer-serum-hooks", VariantKey: "hook-a", Ad: ads.Ad{Platform: ads.Meta, ID: "m1"}, MatchedBy: MatchedByUTMContent},
			{TestID: "summer-serum-hooks", VariantKey: "hook-b", Ad: ads.Ad{Platform: ads.TikTok, ID: "k1"}, MatchedBy: MatchedByUTMContent},
			{TestID: "milo-launch", VariantKey: "milo-a", Ad: ads.Ad{Platform: ads.Meta, ID: "m2"}, MatchedBy: MatchedByUTMContent},
		},
	}
}

func TestBuildLedger(t *testing.T) {
	t.Parallel()
	res, err := Build(fixtureInput())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, day, channel, rule, test, variant, creator, revenue, code string
		counted                                                       bool
	}
	var got []row
	for _, r := range res.Ledger {
		got = append(got, row{r.SourceID, r.Day.String(), r.Channel, r.Rule, r.TestID, r.VariantKey, r.Creator,
			ads.FormatMicros(r.Revenue, 2), r.Code, r.Counted})
	}
	g := "gid://shopify/Order/555"
	want := []row{
		{g + "1001", "2026-06-02", "paid", "utm_content", "summer-serum-hooks", "hook-a", "jacqueline", "85.00", "JACQ15", true},
		{g + "1002", "2026-06-02", "paid", "utm_content", "summer-serum-hooks", "hook-b", "jacqueline", "60.00", "", true},
		{"impact:L1", "2026-06-04", "duplicate", "link_dup", "", "", "jacqueline", "0.00", "", false},
		{g + "1003", "2026-06-04", "organic", "discount_code", "", "", "jacqueline", "40.00", "jacq15", true},
		{g + "1004", "2026-06-04", "organic", "discount_code", "", "", "milo", "30.00", "MILO10", true},
		{g + "1005", "2026-06-05", "organic", "tracking_link", "", "", "jacqueline", "20.00", "", true},
		{g + "1006", "2026-06-05", "unattributed", "none", "", "", "", "70.00", "", true},
		{g + "1007", "2026-06-06", "paid", "utm_content", "summer-serum-hooks", "hook-a", "jacqueline", "0.00", "", false},
		{g + "1009", "2026-06-07", "paid", "utm_content", "milo-launch", "milo-a", "milo", "25.00", "", true},
		{g + "1010", "2026-06-08", "paid", "utm_content", "summer-serum-hooks", "hook-a", "jacqueline", "55.00", "", true},
		{"impact:L2", "2026-06-09", "organic", "link_conversion", "", "", "jacqueline", "15.00", "", true},
		{"impact:L4", "2026-06-09", "organic", "link_conversion", "", "", "jacqueline", "11.00", "", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ledger:\n got %+v\nwant %+v", got, want)
	}
	if res.SkippedLinks != 1 || res.UnlinkedStats != 1 {
		t.Errorf("skipped links %d, unlinked stats %d; want 1, 1", res.SkippedLinks, res.UnlinkedStats)
	}
}

// money formats micros for comparisons in tests.
func m2(v int64) string { return ads.FormatMicros(v, 2) }

// kpis is the hand-checked subset of a report row.
type kpis struct {
	spend, fees, flat, commission, bonus, paid, organic string
	paidOrders, organicOrders, redemptions, conv        int64
	value                                               string
	impressions, creators                               int64
}

func kpisOf(r ReportRow) kpis {
	return kpis{m2(r.Spend), m2(r.Fees()), m2(r.FlatFees), m2(r.Commission), m2(r.Bonuses), m2(r.PaidRevenue), m2(r.OrganicRevenue),
		r.PaidOrders, r.OrganicOrders, r.Redemptions, r.PlatformConversions, m2(r.PlatformValue), r.Impressions, r.Creators}
}

func TestSummarizeHandComputed(t *testing.T) {
	t.Parallel()
	res, err := Build(fixtureInput())
	if err != nil {
		t.Fatal(err)
	}
	jacq := kpis{"160.00", "178.60", "100.00", "28.60", "50.00", "200.00", "86.00", 3, 4, 2, 5, "238.00", 30000, 1}
	milo := kpis{"20.00", "106.00", "100.00", "6.00", "0.00", "25.00", "30.00", 1, 1, 1, 1, "40.00", 5000, 1}
	total := kpis{"180.00", "284.60", "200.00", "34.60", "50.00", "225.00", "116.00", 4, 5, 3, 6, "278.00", 35000, 2}
	tests := []struct {
		by    string
		keys  [][]string
		rows  []kpis
		total kpis
	}{
		{ByCreator, [][]string{{"jacqueline"}, {"milo"}}, []kpis{jacq, milo}, total},
		{ByTest, [][]string{{"milo-launch"}, {"summer-serum-hooks"}}, []kpis{milo, jacq}, total},
		{ByPlatform, [][]string{{"meta"}, {"tiktok"}, {""}}, []kpis{
			{"70.00", "14.00", "0.00", "14.00", "0.00", "165.00", "0.00", 3, 0, 1, 4, "190.00", 15000, 2},
			{"110.00", "6.00", "0.00", "6.00", "0.00", "60.00", "0.00", 1, 0, 0, 2, "88.00", 20000, 1},
			{"0.00", "264.60", "200.00", "14.60", "50.00", "0.00", "116.00", 0, 5, 2, 0, "0.00", 0, 2},
		}, total},
		{ByVariant, [][]string{{"milo-launch", "milo-a"}, {"milo-launch", ""}, {"summer-serum-hooks", "hook-a"},
			{"summer-serum-hooks", "hook-b"}, {"summer-serum-hooks", ""}}, []kpis{
			{"20.00", "0.00", "0.00", "0.00", "0.00", "25.00", "0.00", 1, 0, 0, 1, "40.00", 5000, 1},
			{"0.00", "106.00", "100.00", "6.00", "0.00", "0.00", "30.00", 0, 1, 1, 0, "0.00", 0, 1},
			{"50.00", "14.00", "0.00", "14.00", "0.00", "140.00", "0.00", 2, 0, 1, 3, "150.00", 10000, 1},
			{"110.00", "6.00", "0.00", "6.00", "0.00", "60.00", "0.00", 1, 0, 0, 2, "88.00", 20000, 1},
			{"0.00", "158.60", "100.00", "8.60", "50.00", "0.00", "86.00", 0, 4, 1, 0, "0.00", 0, 1},
		}, total},
	}
	for _, tc := range tests {
		t.Run(tc.by, func(t *testing.T) {
			t.Parallel()
			rep, err := Summarize("glowco", "USD", ads.MustDate("2026-06-01"), ads.MustDate("2026-06-10"), tc.by, res.Daily)
			if err != nil {
				t.Fatal(err)
			}
			var keys [][]string
			var rows []kpis
			var sum Measures
			for _, r := range rep.Rows {
				keys, rows, sum = append(keys, r.Key), append(rows, kpisOf(r)), sum.Add(r.Measures)
			}
			if !reflect.DeepEqual(keys, tc.keys) {
				t.Errorf("keys: got %q, want %q", keys, tc.keys)
			}
			if !reflect.DeepEqual(rows, tc.rows) {
				t.Errorf("rows:\n got %+v\nwant %+v", rows, tc.rows)
			}
			if got := kpisOf(rep.Total); got != tc.total {
				t.Errorf("total:\n got %+v\nwant %+v", got, tc.total)
			}
			if sum != rep.Total.Measures {
				t.Errorf("totals do not tie out: sum of rows %+v, total %+v", sum, rep.Total.Measures)
			}
		})
	}
}

func TestAttributionPolicy(t *testing.T) {
	t.Parallel()
	both := ord("2001", "2026-06-02T15:00:00Z", "100", withUTM("hook-a"), withCode("JACQ15"))
	tests := []struct {
		name                              string
		policy                            string
		order                             ads.Order
		channel, rule, creator, variant   string
		paidRedemptions, organicRedeemers int64
	}{
		{"utm-first: paid UTM beats creator code", configs.UTMFirst, both, "paid", "utm_content", "jacqueline", "hook-a", 1, 0},
		{"default policy is utm-first", "", both, "paid", "utm_content", "jacqueline", "hook-a", 1, 0},
		{"code-first: creator code beats paid UTM", configs.CodeFirst, both, "organic", "discount_code", "jacqueline", "", 0, 1},
		{"code-first without a code stays paid", configs.CodeFirst, ord("2002", "2026-06-02T15:00:00Z", "100", withUTM("hook-a")),
			"paid", "utm_content", "jacqueline", "hook-a", 0, 0},
		{"code-first: tracking link never beats paid UTM", configs.CodeFirst, ord("2003", "2026-06-02T15:00:00Z", "100",
			withUTM("hook-a"), func(o *ads.Order) { o.LandingPage = "/?utm_source=jacq-bio" }), "paid", "utm_content", "jacqueline", "hook-a", 0, 0},
		{"utm_content from the landing page", configs.UTMFirst, ord("2004", "2026-06-02T15:00:00Z", "100",
			func(o *ads.Order) { o.LandingPage = "https://glowco.com/p?utm_content=HOOK-B" }), "paid", "utm_content", "jacqueline", "hook-b", 0, 0},
		{"unknown utm_content with a code", configs.UTMFirst, ord("2005", "2026-06-02T15:00:00Z", "100", withUTM("nope"), withCode("Jacq15")),
			"organic", "discount_code", "jacqueline", "", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixtureBrand()
			b.Tests[0].Attribution = tc.policy
			res, err := Build(Input{Brand: b, Orders: []ads.Order{tc.order}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Ledger) != 1 {
				t.Fatalf("got %d ledger rows, want 1", len(res.Ledger))
			}
			r := res.Ledger[0]
			if r.Channel != tc.channel || r.Rule != tc.rule || r.Creator != tc.creator || r.VariantKey != tc.variant {
				t.Errorf("got %s/%s creator %q variant %q; want %s/%s creator %q variant %q",
					r.Channel, r.Rule, r.Creator, r.VariantKey, tc.channel, tc.rule, tc.creator, tc.variant)
			}
			var paidRed, orgRed int64
			for _, d := range res.Daily {
				if d.VariantKey != "" {
					paidRed += d.Redemptions
				} else {
					orgRed += d.Redemptions
				}
			}
			if paidRed != tc.paidRedemptions || orgRed != tc.organicRedeemers {
				t.Errorf("redemptions paid %d organic %d; want %d %d", paidRed, orgRed, tc.paidRedemptions, tc.organicRedeemers)
			}
		})
	}
}

func TestRefundRecomputes(t *testing.T) {
	t.Parallel()
	b := fixtureBrand()
	day := ads.MustDate("2026-06-02")
	before := ord("3001", "2026-06-02T15:00:00Z", "100", withUTM("hook-a"))
	after := before
	after.UpdatedAt, after.Refunded, after.Net = tAt("2026-06-20T10:00:00Z"), mic("40"), mic("60")
	cancelled := before
	cancelled.UpdatedAt, cancelled.CancelledAt, cancelled.Net = tAt("2026-06-21T10:00:00Z"), tAt("2026-06-21T10:00:00Z"), 0
	tests := []struct {
		name                string
		o                   ads.Order
		revenue, commission string
		orders              int64
	}{
		{"before refund", before, "100.00", "10.00", 1},
		{"partial refund after the checkpoint", after, "60.00", "6.00", 1},
		{"cancelled", cancelled, "0.00", "0.00", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Build(Input{Brand: b, Days: []ads.Date{day}, Orders: []ads.Order{tc.o}})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Summarize("glowco", "USD", day, day, ByVariant, res.Daily)
			if err != nil {
				t.Fatal(err)
			}
			var got ReportRow
			for _, r := range rep.Rows {
				if r.Key[1] == "hook-a" {
					got = r
				}
			}
			if m2(got.PaidRevenue) != tc.revenue || m2(got.Commission) != tc.commission || got.PaidOrders != tc.orders {
				t.Errorf("revenue %s commission %s orders %d; want %s %s %d",
					m2(got.PaidRevenue), m2(got.Commission), got.PaidOrders, tc.revenue, tc.commission, tc.orders)
			}
		})
	}
}

func TestCurrency(t *testing.T) {
	t.Parallel()
	b := fixtureBrand()
	stat := func(day, cur string) ads.DayStat {
		return ads.DayStat{Platform: ads.TikTok, AdID: "k1", Day: ads.MustDate(day), Currency: cur, Spend: mic("100")}
	}
	links := []VariantMatch{{TestID: "summer-serum-hooks", VariantKey: "hook-b", Ad: ads.Ad{Platform: ads.TikTok, ID: "k1"}}}
	tests := []struct {
		name, day, cur, spend, err string
	}{
		{"same currency", "2026-06-05", "USD", "100.00", ""},
		{"first EUR rate", "2026-06-09", "EUR", "110.00", ""},
		{"later EUR rate from its day", "2026-06-10", "eur", "120.00", ""},
		{"before any rate", "2026-05-31", "EUR", "", "no EUR→USD rate configured for 2026-05-31"},
		{"pair not configured", "2026-06-03", "GBP", "", "no GBP→USD rate configured for 2026-06-03"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Build(Input{Brand: b, Days: []ads.Date{ads.MustDate(tc.day)}, Stats: []ads.DayStat{stat(tc.day, tc.cur)}, Ads: links})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrNoRate) {
					t.Fatalf("got error %v, want one containing %q and matching ErrNoRate", err, tc.err)
				}
				var mre *MissingRateError
				if !errors.As(err, &mre) || mre.Day != ads.MustDate(tc.day) {
					t.Errorf("error %v is not a MissingRateError for %s", err, tc.day)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var spend int64
			for _, d := range res.Daily {
				spend += d.Spend
			}
			if m2(spend) != tc.spend {
				t.Errorf("spend %s, want %s", m2(spend), tc.spend)
			}
		})
	}
	t.Run("missing rate on an order names the order", func(t *testing.T) {
		t.Parallel()
		o := ord("4001", "2026-06-03T15:00:00Z", "10", func(o *ads.Order) { o.Currency = "GBP" })
		_, err := Build(Input{Brand: b, Orders: []ads.Order{o}})
		if err == nil || err.Error() != "converting order #4001: no GBP→USD rate configured for 2026-06-03" {
			t.Errorf("got %v", err)
		}
	})
}

func TestLinkDedup(t *testing.T) {
	t.Parallel()
	b := fixtureBrand()
	o := ord("1001", "2026-06-02T15:00:00Z", "85", withCode("JACQ15"))
	testOrder := ord("1099", "2026-06-02T15:00:00Z", "5", func(o *ads.Order) { o.Test = true })
	tests := []struct {
		name, ref string
		refs      []OrderRef
		rule      string
	}{
		{"by GID", "gid://shopify/Order/5551001", nil, AttrLinkDup},
		{"by numeric id", "5551001", nil, AttrLinkDup},
		{"by name", "#1001", nil, AttrLinkDup},
		{"by bare order number", "1001", nil, AttrLinkDup},
		{"order on another day", "#777", []OrderRef{{ID: "gid://shopify/Order/777000", Name: "#777"}}, AttrLinkDup},
		{"test order", "#1099", nil, AttrLinkDup},
		{"no such order", "#4242", nil, AttrLinkConversion},
		{"no order id", "", nil, AttrLinkConversion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ads.LinkConversion{Source: "impact", ID: "c1", Creator: "jacqueline", OrderID: tc.ref, Amount: mic("85"), Currency: "USD",
				At: tAt("2026-06-05T15:00:00Z")}
			res, err := Build(Input{Brand: b, Orders: []ads.Order{o, testOrder}, OrderRefs: tc.refs, Links: []ads.LinkConversion{c}})
			if err != nil {
				t.Fatal(err)
			}
			var lr LedgerRow
			for _, r := range res.Ledger {
				if r.Source == SourceLink {
					lr = r
				}
			}
			if lr.Rule != tc.rule {
				t.Fatalf("rule %q, want %q", lr.Rule, tc.rule)
			}
			var organic int64
			for _, d := range res.Daily {
				organic += d.OrganicRevenue
			}
			want := mic("85")
			if tc.rule == AttrLinkConversion {
				want += mic("85")
			}
			if organic != want {
				t.Errorf("organic revenue %s, want %s (an order counts once)", m2(organic), m2(want))
			}
		})
	}
}

func TestAmortize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		total int64
		n     int
		want  []int64
	}{
		{mic("310"), 31, nil},
		{1_000_000, 3, []int64{333_334, 333_333, 333_333}},
		{2, 3, []int64{1, 1, 0}},
		{-5, 2, []int64{-3, -2}},
		{mic("500.000001"), 31, nil},
		{7, 0, nil},
	}
	for _, tc := range tests {
		got := Amortize(tc.total, tc.n)
		if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Amortize(%d, %d) = %v, want %v", tc.total, tc.n, got, tc.want)
		}
		var sum int64
		for i, v := range got {
			sum += v
			if i > 0 && (v > got[0] || got[0]-v > 1) && tc.total >= 0 {
				t.Errorf("Amortize(%d, %d) uneven: %v", tc.total, tc.n, got)
			}
		}
		if tc.n > 0 && sum != tc.total {
			t.Errorf("Amortize(%d, %d) sums to %d", tc.total, tc.n, sum)
		}
		if tc.n > 0 && len(got) != tc.n {
			t.Errorf("Amortize(%d, %d) has %d parts", tc.total, tc.n, len(got))
		}
	}
}

func TestFixedFees(t *testing.T) {
	t.Parallel()
	b := fixtureBrand()
	// jacqueline gets a second, overlapping test: her flat fee is split
	// between the two windows (31 and 15 days).
	b.Creators[0].Fee.Flat = mic("100.000001")
	b.Tests = append(b.Tests, &configs.Test{ID: "fall", Creator: "jacqueline", Start: ads.MustDate("2026-06-20"), Checkpoints: []int{14}})
	per := map[string]int64{}
	days := map[string]int{}
	var bonus int64
	for _, f := range FixedFees(b) {
		per[f.Creator+"/"+f.TestID] += f.Flat
		if f.Flat != 0 {
			days[f.Creator+"/"+f.TestID]++
		}
		bonus += f.Bonus
	}
	want := map[string]int64{"jacqueline/summer-serum-hooks": 50_000_001, "jacqueline/fall": 50_000_000, "milo/milo-launch": mic("100")}
	if !reflect.DeepEqual(per, want) {
		t.Errorf("flat fees per test %v, want %v", per, want)
	}
	if wantDays := map[string]int{"jacqueline/summer-serum-hooks": 31, "jacqueline/fall": 15, "milo/milo-launch": 10}; !reflect.DeepEqual(days, wantDays) {
		t.Errorf("fee days per test %v, want %v", days, wantDays)
	}
	if bonus != mic("50") {
		t.Errorf("bonuses %s, want 50.00", m2(bonus))
	}
	// A full build books exactly the configured fees over all days.
	res, err := Build(Input{Brand: b})
	if err != nil {
		t.Fatal(err)
	}
	var flat int64
	for _, d := range res.Daily {
		flat += d.FlatFees
	}
	if flat != mic("200.000001") {
		t.Errorf("flat fees over all days %d, want %d", flat, mic("200.000001"))
	}
}

func TestBuildDaysSubsetMatchesFull(t *testing.T) {
	t.Parallel()
	in := fixtureInput()
	full, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var pieced []DailyRow
	var ledger []LedgerRow
	for _, d := range full.Days {
		part := in
		part.Days = []ads.Date{d}
		res, err := Build(part)
		if err != nil {
			t.Fatal(err)
		}
		pieced, ledger = append(pieced, res.Daily...), append(ledger, res.Ledger...)
	}
	if !reflect.DeepEqual(pieced, full.Daily) {
		t.Errorf("day-by-day daily rows differ from the full build")
	}
	if !reflect.DeepEqual(ledger, full.Ledger) {
		t.Errorf("day-by-day ledger differs from the full build")
	}
}
