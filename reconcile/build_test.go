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
// code-first test on Meta. jacqueline's test lasts 30 days (06-01 …
// 06-30), so her 300.00 flat fee is 10.00 a day; milo's lasts 9 (06-01 …
// 06-09), 100.00 over 9 days.
func fixtureBrand() *configs.Brand {
	return &configs.Brand{
		Name: "glowco", Currency: "USD", Timezone: "America/New_York", Location: ny,
		FXRates: []configs.FXRate{
			{From: "EUR", To: "USD", Rate: ads.MustRate("1.20"), Since: ads.MustDate("2026-06-10")},
			{From: "EUR", To: "USD", Rate: ads.MustRate("1.10"), Since: ads.MustDate("2026-06-01")},
		},
		Creators: []*configs.Creator{
			{Handle: "jacqueline", Codes: []string{"JACQ15"}, Links: []string{"https://glowco.com/?utm_source=jacq-bio"},
				Fee: configs.Fee{Flat: mic("300"), Commission: ads.MustRate("0.10"),
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
	// The fixture's untagged ad (999.00 of Meta spend) and unclaimed
	// order (70.00) are in every view, as unattributed rows.
	un := kpis{"999.00", "0.00", "0.00", "0.00", "0.00", "0.00", "70.00", 0, 1, 0, 0, "0.00", 0, 0}
	total := kpis{"1179.00", "284.60", "200.00", "34.60", "50.00", "225.00", "186.00", 4, 6, 3, 6, "278.00", 35000, 2}
	tests := []struct {
		by    string
		keys  [][]string
		rows  []kpis
		total kpis
	}{
		{ByCreator, [][]string{{"jacqueline"}, {"milo"}, {Unattributed}}, []kpis{jacq, milo, un}, total},
		{ByTest, [][]string{{"milo-launch"}, {"summer-serum-hooks"}, {Unattributed}}, []kpis{milo, jacq, un}, total},
		{ByPlatform, [][]string{{"meta"}, {"tiktok"}, {Unattributed}, {""}}, []kpis{
			{"1069.00", "14.00", "0.00", "14.00", "0.00", "165.00", "0.00", 3, 0, 1, 4, "190.00", 15000, 2},
			{"110.00", "6.00", "0.00", "6.00", "0.00", "60.00", "0.00", 1, 0, 0, 2, "88.00", 20000, 1},
			{"0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "70.00", 0, 1, 0, 0, "0.00", 0, 0},
			{"0.00", "264.60", "200.00", "14.60", "50.00", "0.00", "116.00", 0, 5, 2, 0, "0.00", 0, 2},
		}, total},
		{ByVariant, [][]string{{"milo-launch", "milo-a"}, {"milo-launch", ""}, {"summer-serum-hooks", "hook-a"},
			{"summer-serum-hooks", "hook-b"}, {"summer-serum-hooks", ""}, {Unattributed, Unattributed}}, []kpis{
			{"20.00", "0.00", "0.00", "0.00", "0.00", "25.00", "0.00", 1, 0, 0, 1, "40.00", 5000, 1},
			{"0.00", "106.00", "100.00", "6.00", "0.00", "0.00", "30.00", 0, 1, 1, 0, "0.00", 0, 1},
			{"50.00", "14.00", "0.00", "14.00", "0.00", "140.00", "0.00", 2, 0, 1, 3, "150.00", 10000, 1},
			{"110.00", "6.00", "0.00", "6.00", "0.00", "60.00", "0.00", 1, 0, 0, 2, "88.00", 20000, 1},
			{"0.00", "158.60", "100.00", "8.60", "50.00", "0.00", "86.00", 0, 4, 1, 0, "0.00", 0, 1},
			un,
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
			var sum ads.KPI
			for _, r := range rep.Rows {
				keys, rows, sum = append(keys, r.Key), append(rows, kpisOf(r)), sum.Add(r.KPI)
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
			if sum != rep.Total.KPI {
				t.Errorf("totals do not tie out: sum of rows %+v, total %+v", sum, rep.Total.KPI)
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
}

// TestUnconvertedOrder (issue 18 item 6): an order in a currency with no
// configured rate on its day is held out as an unconverted ledger row
// (zero revenue, its own amount and currency, attributed as it would be)
// while the rest of the brand reconciles; it is in no KPI cell and no
// store sales; with a rate it counts like any order.
func TestUnconvertedOrder(t *testing.T) {
	t.Parallel()
	gbp := ord("4001", "2026-06-03T15:00:00Z", "10", withCode("JACQ15"), func(o *ads.Order) { o.Currency = "GBP" })
	usd := ord("4002", "2026-06-03T16:00:00Z", "20", withCode("JACQ15"))
	b := fixtureBrand()
	res, err := Build(Input{Brand: b, Orders: []ads.Order{gbp, usd}})
	if err != nil {
		t.Fatal(err)
	}
	var held *ads.LedgerLine
	for i := range res.Ledger {
		if res.Ledger[i].SourceID == gbp.ID {
			held = &res.Ledger[i]
		}
	}
	if held == nil || held.Channel != ChannelUnconverted || held.Revenue != 0 || held.Counted || held.OrigCurrency != "GBP" ||
		held.OrigRevenue != mic("10") || held.Creator != "jacqueline" || held.Rule != AttrDiscountCode {
		t.Fatalf("held-out row %+v", held)
	}
	var organic, orders, redemptions int64
	for _, d := range res.Daily {
		organic, orders, redemptions = organic+d.OrganicRevenue, orders+d.OrganicOrders, redemptions+d.Redemptions
	}
	if organic != mic("20") || orders != 1 || redemptions != 1 {
		t.Errorf("KPIs count the unconverted order: organic %d in %d orders, %d redemptions", organic, orders, redemptions)
	}
	if len(res.Sales) != 1 || res.Sales[0].Orders != 1 || res.Sales[0].Net != mic("20") || res.Sales[0].Organic != mic("20") {
		t.Errorf("sales %+v, want the USD order only", res.Sales)
	}

	b.FXRates = append(b.FXRates, configs.FXRate{From: "GBP", To: "USD", Rate: ads.MustRate("1.25")})
	res, err = Build(Input{Brand: b, Orders: []ads.Order{gbp, usd}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Ledger {
		if r.Channel == ChannelUnconverted {
			t.Errorf("with a rate, still held out: %+v", r)
		}
	}
	if len(res.Sales) != 1 || res.Sales[0].Orders != 2 || res.Sales[0].Net != mic("32.5") {
		t.Errorf("with a rate, sales %+v; want 2 orders, 32.50 net", res.Sales)
	}
}

// TestSalesDays: each order's gross, discounts, refunds and cancellation
// add up to its net, per day in the brand's zone, and the day's net splits
// into paid, organic and unattributed by the ledger channel; test orders
// are left out; a converted order's parts are converted and still add up.
func TestSalesDays(t *testing.T) {
	t.Parallel()
	b := fixtureBrand()
	b.FXRates = append(b.FXRates, configs.FXRate{From: "GBP", To: "USD", Rate: ads.MustRate("1.333333")})
	parts := func(gross, disc, refunded string, cancelled bool) func(*ads.Order) {
		return func(o *ads.Order) {
			o.Gross, o.Discounts, o.Refunded = mic(gross), mic(disc), mic(refunded)
			o.Net = max(0, o.Gross-o.Discounts-o.Refunded)
			if cancelled {
				o.CancelledAt, o.Net = o.CreatedAt.Add(time.Hour), 0
			}
		}
	}
	orders := []ads.Order{
		ord("1", "2026-06-02T15:00:00Z", "0", withUTM("hook-a"), parts("100", "10", "25", false)), // paid, refunded
		ord("2", "2026-06-02T16:00:00Z", "0", withCode("JACQ15"), parts("50", "5", "0", false)),   // organic
		ord("3", "2026-06-02T17:00:00Z", "0", parts("40", "0", "0", true)),                        // unattributed, cancelled
		ord("4", "2026-06-02T18:00:00Z", "0", parts("30", "0", "10", true)),                       // cancelled after a refund
		ord("5", "2026-06-02T19:00:00Z", "0", parts("9.99", "0", "0", false), func(o *ads.Order) { o.Currency = "GBP" }),
		ord("6", "2026-06-02T20:00:00Z", "0", parts("70", "0", "0", false), func(o *ads.Order) { o.Test = true }),
		ord("7", "2026-06-03T03:00:00Z", "0", parts("12", "0", "0", false)), // 06-02 in New York
	}
	res, err := Build(Input{Brand: b, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sales) != 1 {
		t.Fatalf("sales %+v, want one day", res.Sales)
	}
	d := res.Sales[0]
	gbpNet := int64(13319997) // 9.99 × 1.333333, half away from zero
	want := ads.SalesDay{Day: ads.MustDate("2026-06-02"), Currency: "USD", Orders: 6,
		Sale: ads.Sale{Gross: mic("232") + gbpNet, Discounts: mic("15"), Refunds: mic("35"), Cancellations: mic("60"), Net: mic("122") + gbpNet},
		Paid: mic("65"), Organic: mic("45"), Unattributed: mic("12") + gbpNet}
	if d != want {
		t.Errorf("sales\n got %+v\nwant %+v", d, want)
	}
	if d.Gross-d.Discounts-d.Refunds-d.Cancellations != d.Net || d.Paid+d.Organic+d.Unattributed != d.Net {
		t.Errorf("sales do not add up: %+v", d)
	}
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
			var lr ads.LedgerLine
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

// TestFixedFees checks the flat-fee ruling: one contract per creator,
// amortized over the union of the creator's test windows (a test with last
// checkpoint N lasts N days), split evenly between tests on days when
// several run, and accrued only through the jobs' today.
func TestFixedFees(t *testing.T) {
	t.Parallel()
	// jacqueline: summer-serum-hooks 06-01 … 06-30 (30 days) and fall
	// 06-20 … 07-03 (checkpoint 14: 14 days). The union is 06-01 … 07-03,
	// 33 days, so 330.00 is 10.00 a day; on the 11 days 06-20 … 06-30 both
	// run and get 5.00 each. summer: 19 × 10 + 11 × 5 = 245; fall: 11 × 5 +
	// 3 × 10 = 85. milo: 100.00 over 06-01 … 06-09.
	brand := func() *configs.Brand {
		b := fixtureBrand()
		b.Creators[0].Fee.Flat = mic("330")
		b.Creators[0].Fee.Bonuses = append(b.Creators[0].Fee.Bonuses, configs.Bonus{Date: ads.MustDate("2026-06-22"), Amount: mic("11")},
			configs.Bonus{Date: ads.MustDate("2026-07-10"), Amount: mic("7")})
		b.Tests = append(b.Tests, &configs.Test{ID: "fall", Creator: "jacqueline", Start: ads.MustDate("2026-06-20"), Checkpoints: []int{14}})
		return b
	}
	type sums struct {
		flat, bonus map[string]string
		days        map[string]int
		first, last map[string]string
	}
	tests := []struct {
		name    string
		through string
		want    sums
	}{
		{"contracts over", "", sums{
			flat:  map[string]string{"jacqueline/summer-serum-hooks": "245.00", "jacqueline/fall": "85.00", "milo/milo-launch": "100.00"},
			bonus: map[string]string{"jacqueline/summer-serum-hooks": "55.50", "jacqueline/fall": "5.50", "jacqueline/": "7.00"},
			days:  map[string]int{"jacqueline/summer-serum-hooks": 30, "jacqueline/fall": 14, "milo/milo-launch": 9},
			first: map[string]string{"jacqueline/summer-serum-hooks": "2026-06-01", "jacqueline/fall": "2026-06-20", "milo/milo-launch": "2026-06-01"},
			last:  map[string]string{"jacqueline/summer-serum-hooks": "2026-06-30", "jacqueline/fall": "2026-07-03", "milo/milo-launch": "2026-06-09"},
		}},
		{"accrued through 06-25", "2026-06-25", sums{
			// summer 19 × 10 + 6 × 5, fall 6 × 5; the 07-10 bonus is not
			// due yet.
			flat:  map[string]string{"jacqueline/summer-serum-hooks": "220.00", "jacqueline/fall": "30.00", "milo/milo-launch": "100.00"},
			bonus: map[string]string{"jacqueline/summer-serum-hooks": "55.50", "jacqueline/fall": "5.50"},
			days:  map[string]int{"jacqueline/summer-serum-hooks": 25, "jacqueline/fall": 6, "milo/milo-launch": 9},
			first: map[string]string{"jacqueline/summer-serum-hooks": "2026-06-01", "jacqueline/fall": "2026-06-20", "milo/milo-launch": "2026-06-01"},
			last:  map[string]string{"jacqueline/summer-serum-hooks": "2026-06-25", "jacqueline/fall": "2026-06-25", "milo/milo-launch": "2026-06-09"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var through ads.Date
			if tc.through != "" {
				through = ads.MustDate(tc.through)
			}
			flat, bonus := map[string]int64{}, map[string]int64{}
			got := sums{flat: map[string]string{}, bonus: map[string]string{}, days: map[string]int{}, first: map[string]string{}, last: map[string]string{}}
			for _, f := range FixedFees(brand(), through) {
				k := f.Creator + "/" + f.TestID
				if f.Bonus != 0 {
					bonus[k] += f.Bonus
				}
				if f.Flat == 0 {
					continue
				}
				flat[k] += f.Flat
				got.days[k]++
				if got.first[k] == "" {
					got.first[k] = f.Day.String()
				}
				got.last[k] = f.Day.String()
			}
			for k, v := range flat {
				got.flat[k] = m2(v)
			}
			for k, v := range bonus {
				got.bonus[k] = m2(v)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fixed fees:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	t.Run("odd micros", func(t *testing.T) {
		t.Parallel()
		// 100.000001 over 33 days: 3.030303 a day, the first two days one
		// micro more; a full build books exactly the configured fees.
		b := brand()
		b.Creators[0].Fee.Flat = mic("100.000001")
		res, err := Build(Input{Brand: b})
		if err != nil {
			t.Fatal(err)
		}
		var flat int64
		perDay := map[ads.Date]int64{}
		for _, d := range res.Daily {
			flat += d.FlatFees
			if d.Creator == "jacqueline" && d.FlatFees != 0 {
				perDay[d.Day] += d.FlatFees
			}
		}
		if flat != mic("200.000001") {
			t.Errorf("flat fees over all days %d, want %d", flat, mic("200.000001"))
		}
		if len(perDay) != 33 || perDay[ads.MustDate("2026-06-01")] != 3_030_304 || perDay[ads.MustDate("2026-06-25")] != 3_030_303 {
			t.Errorf("jacqueline's fee days: %d days, 06-01 %d, 06-25 %d; want 33, 3030304, 3030303", len(perDay),
				perDay[ads.MustDate("2026-06-01")], perDay[ads.MustDate("2026-06-25")])
		}
	})
}

func TestBuildDaysSubsetMatchesFull(t *testing.T) {
	t.Parallel()
	in := fixtureInput()
	full, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var pieced []ads.KPICell
	var ledger []ads.LedgerLine
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

// overlapBrand is fixtureBrand with a second test of jacqueline's, fall,
// running 06-20 … 07-03 beside summer-serum-hooks (06-01 … 06-30).
func overlapBrand() *configs.Brand {
	b := fixtureBrand()
	b.Tests = append(b.Tests, &configs.Test{ID: "fall", Creator: "jacqueline", Start: ads.MustDate("2026-06-20"), Checkpoints: []int{14}})
	return b
}

// TestOrganicSplitBetweenTests checks the organic ruling: on a day when
// several of a creator's tests run, her organic revenue, organic orders,
// redemptions and the commission on them are split evenly between the
// tests; the by-creator view is the same as with one test.
func TestOrganicSplitBetweenTests(t *testing.T) {
	t.Parallel()
	link := func(o *ads.Order) { o.LandingPage = "/?utm_source=jacq-bio" }
	in := Input{Brand: overlapBrand(), Orders: []ads.Order{
		// 06-10: only summer runs.
		ord("7001", "2026-06-10T15:00:00Z", "50", withCode("JACQ15")),
		// 06-22: both run. The day's organic revenue is 101.00 from two
		// orders with one redemption; commission 10 % = 10.10.
		ord("7002", "2026-06-22T15:00:00Z", "100", withCode("JACQ15")),
		ord("7003", "2026-06-22T16:00:00Z", "1", link),
		// A paid order on 06-22 stays on its variant.
		ord("7004", "2026-06-22T17:00:00Z", "40", withUTM("hook-a")),
	}}
	res, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	type org struct {
		revenue, commission string
		orders, redemptions int64
		paid                string
	}
	byDayTest := map[string]org{}
	for _, d := range res.Daily {
		if d.Creator != "jacqueline" || (d.OrganicRevenue == 0 && d.PaidRevenue == 0) {
			continue
		}
		k := d.Day.String() + "/" + d.TestID + "/" + d.VariantKey
		byDayTest[k] = org{m2(d.OrganicRevenue), m2(d.Commission), d.OrganicOrders, d.Redemptions, m2(d.PaidRevenue)}
	}
	want := map[string]org{
		"2026-06-10/summer-serum-hooks/": {"50.00", "5.00", 1, 1, "0.00"},
		// The odd order and redemption go to the test that started first.
		"2026-06-22/summer-serum-hooks/":       {"50.50", "5.05", 1, 1, "0.00"},
		"2026-06-22/fall/":                     {"50.50", "5.05", 1, 0, "0.00"},
		"2026-06-22/summer-serum-hooks/hook-a": {"0.00", "4.00", 0, 0, "40.00"},
	}
	if !reflect.DeepEqual(byDayTest, want) {
		t.Errorf("jacqueline's cells:\n got %+v\nwant %+v", byDayTest, want)
	}
	rep, err := Summarize("glowco", "USD", ads.MustDate("2026-06-01"), ads.MustDate("2026-07-03"), ByCreator, res.Daily)
	if err != nil {
		t.Fatal(err)
	}
	j := rep.Rows[0]
	if j.Key[0] != "jacqueline" || m2(j.OrganicRevenue) != "151.00" || j.OrganicOrders != 3 || m2(j.Commission) != "19.10" || j.Redemptions != 2 {
		t.Errorf("by creator %q: organic %s orders %d commission %s redemptions %d; want 151.00 3 19.10 2",
			j.Key, m2(j.OrganicRevenue), j.OrganicOrders, m2(j.Commission), j.Redemptions)
	}
}

// TestRedemptionsBelongToCodeOwner: a creator code's redemption is its
// owner's, whoever gets the revenue, and every creator's code on an order
// counts.
func TestRedemptionsBelongToCodeOwner(t *testing.T) {
	t.Parallel()
	in := Input{Brand: fixtureBrand(), Orders: []ads.Order{
		// jacqueline's paid variant, milo's code: revenue jacqueline's,
		// redemption milo's.
		ord("8001", "2026-06-02T15:00:00Z", "80", withUTM("hook-a"), withCode("MILO10")),
		// Two creators' codes, no UTM: organic jacqueline's (first code),
		// one redemption each.
		ord("8002", "2026-06-03T15:00:00Z", "60", func(o *ads.Order) { o.DiscountCodes = []string{"jacq15", "SPRING", "MILO10"} }),
		// jacqueline's variant and code: the redemption stays on the
		// variant (redemption rate per variant).
		ord("8003", "2026-06-04T15:00:00Z", "70", withUTM("hook-a"), withCode("JACQ15")),
		// A cancelled order redeems nothing.
		ord("8004", "2026-06-04T16:00:00Z", "0", withUTM("hook-a"), withCode("MILO10")),
	}}
	res, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string][2]string{}
	for _, r := range res.Ledger {
		codes[r.SourceID[len(r.SourceID)-4:]] = [2]string{r.Code, r.CodeCreator}
	}
	wantCodes := map[string][2]string{"8001": {"MILO10", "milo"}, "8002": {"jacq15,MILO10", "jacqueline,milo"},
		"8003": {"JACQ15", "jacqueline"}, "8004": {"MILO10", "milo"}}
	if !reflect.DeepEqual(codes, wantCodes) {
		t.Errorf("ledger codes %v, want %v", codes, wantCodes)
	}
	red := map[string]int64{}
	for _, d := range res.Daily {
		if d.Redemptions != 0 {
			red[d.Day.String()+" "+d.Creator+"/"+d.TestID+"/"+d.VariantKey] += d.Redemptions
		}
	}
	want := map[string]int64{
		"2026-06-02 milo/milo-launch/":                    1,
		"2026-06-03 jacqueline/summer-serum-hooks/":       1,
		"2026-06-03 milo/milo-launch/":                    1,
		"2026-06-04 jacqueline/summer-serum-hooks/hook-a": 1,
	}
	if !reflect.DeepEqual(red, want) {
		t.Errorf("redemptions:\n got %v\nwant %v", red, want)
	}
}

// TestLinkOrder: a link conversion naming a known order no rule
// attributed gives that order to the link's creator (rule link_order);
// an already attributed order stays its own, and the conversion is a
// duplicate either way.
func TestLinkOrder(t *testing.T) {
	t.Parallel()
	plain := ord("9001", "2026-06-05T15:00:00Z", "70")
	coded := ord("9002", "2026-06-05T16:00:00Z", "40", withCode("JACQ15"))
	conv := func(id, creator, ref, at string) ads.LinkConversion {
		return ads.LinkConversion{Source: "impact", ID: id, Creator: creator, OrderID: ref, Amount: mic("70"), Currency: "USD", At: tAt(at)}
	}
	tests := []struct {
		name                   string
		in                     Input
		rule, creator, channel string
		organic                map[string]string // creator → organic revenue
	}{
		{"unattributed order, link the same day", Input{Orders: []ads.Order{plain}, Links: []ads.LinkConversion{
			conv("L1", "milo.tt", "#9001", "2026-06-05T15:10:00Z")}},
			AttrLinkOrder, "milo", ChannelOrganic, map[string]string{"milo": "70.00"}},
		{"link on a later day, given as an order link", Input{Orders: []ads.Order{plain}, Days: []ads.Date{ads.MustDate("2026-06-05")},
			OrderLinks: []ads.LinkConversion{conv("L1", "milo", "gid://shopify/Order/5559001", "2026-06-09T15:00:00Z")}},
			AttrLinkOrder, "milo", ChannelOrganic, map[string]string{"milo": "70.00"}},
		{"first conversion by source and id decides", Input{Orders: []ads.Order{plain}, Links: []ads.LinkConversion{
			conv("L9", "jacqueline", "9001", "2026-06-05T15:10:00Z"), conv("L2", "milo", "#9001", "2026-06-05T15:20:00Z")}},
			AttrLinkOrder, "milo", ChannelOrganic, map[string]string{"milo": "70.00"}},
		{"link of no brand creator", Input{Orders: []ads.Order{plain}, Links: []ads.LinkConversion{
			conv("L1", "stranger", "#9001", "2026-06-05T15:10:00Z")}},
			AttrNone, "", ChannelUnattributed, map[string]string{Unattributed: "70.00"}},
		{"already attributed order stays", Input{Orders: []ads.Order{coded}, Links: []ads.LinkConversion{
			conv("L1", "milo", "#9002", "2026-06-05T16:10:00Z")}},
			AttrDiscountCode, "jacqueline", ChannelOrganic, map[string]string{"jacqueline": "40.00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.in
			in.Brand = fixtureBrand()
			res, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			var order ads.LedgerLine
			for _, r := range res.Ledger {
				switch r.Source {
				case SourceOrder:
					order = r
				case SourceLink:
					if r.Channel != ChannelDuplicate || r.Rule != AttrLinkDup || r.Revenue != 0 {
						t.Errorf("link row %s: %s/%s revenue %s; want a link_dup duplicate", r.SourceID, r.Channel, r.Rule, m2(r.Revenue))
					}
				}
			}
			if order.Rule != tc.rule || order.Creator != tc.creator || order.Channel != tc.channel {
				t.Errorf("order row: %s/%s creator %q; want %s/%s %q", order.Channel, order.Rule, order.Creator, tc.channel, tc.rule, tc.creator)
			}
			organic := map[string]string{}
			for _, d := range res.Daily {
				if d.OrganicRevenue != 0 {
					organic[d.Creator] = m2(d.OrganicRevenue)
				}
			}
			if !reflect.DeepEqual(organic, tc.organic) {
				t.Errorf("organic revenue %v, want %v", organic, tc.organic)
			}
		})
	}
}
