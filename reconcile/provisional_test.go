package reconcile

import (
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// TestFinalityOf: a day is provisional until it is outside every source's
// restatement window and the refund horizon; the longest window decides.
func TestFinalityOf(t *testing.T) {
	t.Parallel()
	meta := []*configs.MetaAccount{{AdAccount: "act_1"}}
	tiktok := []*configs.TikTokAccount{{Advertiser: "7"}}
	today := ads.MustDate("2026-12-10")
	tests := []struct {
		name   string
		brand  configs.Brand
		window int
		first  string // the first provisional day
		whyHas []string
	}{
		{"defaults: refunds 60 days", configs.Brand{RefundHorizonDays: configs.DefaultRefundHorizonDays, RestatementDays: configs.DefaultRestatementDays}, 60, "2026-10-11", []string{"refunds arrive up to 60 days later", "pulls re-read 7 days"}},
		{"short refund horizon: Meta's 28 days win", configs.Brand{RefundHorizonDays: 10, Accounts: configs.Accounts{Meta: meta}}, 28, "2026-11-12",
			[]string{"Meta restates up to 28 days", "refunds arrive up to 10 days later"}},
		{"TikTok only", configs.Brand{RefundHorizonDays: 3, Accounts: configs.Accounts{TikTok: tiktok}}, 28, "2026-11-12", []string{"TikTok revises up to 28 days"}},
		{"no platform: the pulls' window", configs.Brand{RefundHorizonDays: 2, RestatementDays: 5}, 5, "2026-12-05", []string{"pulls re-read 5 days (restatement_days)"}},
		{"long restatement_days", configs.Brand{RefundHorizonDays: 30, RestatementDays: 45, Accounts: configs.Accounts{Meta: meta, TikTok: tiktok}}, 45, "2026-10-26",
			[]string{"pulls re-read 45 days", "refunds arrive up to 30 days later"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := FinalityOf(&tc.brand, today)
			if f.Window != tc.window {
				t.Errorf("Window = %d, want %d", f.Window, tc.window)
			}
			first := ads.MustDate(tc.first)
			if !f.Provisional(first) || f.Provisional(first.AddDays(-1)) {
				t.Errorf("FinalThrough %s: want %s the first provisional day", f.FinalThrough, first)
			}
			if !f.Provisional(today) {
				t.Error("today is not provisional")
			}
			for _, w := range tc.whyHas {
				if !strings.Contains(f.Why, w) {
					t.Errorf("Why %q does not say %q", f.Why, w)
				}
			}
			if s := f.String(); !strings.HasPrefix(s, "days from "+tc.first+" are provisional: ") {
				t.Errorf("String() = %q", s)
			}
			r := ads.DateRange{From: first.AddDays(-3), To: first.AddDays(-1)}
			if f.AnyProvisional(r) || f.OnlyProvisional(r) {
				t.Errorf("%v: final days reported provisional", r)
			}
			r.To = first
			if !f.AnyProvisional(r) || f.OnlyProvisional(r) {
				t.Errorf("%v: AnyProvisional %v OnlyProvisional %v, want true false", r, f.AnyProvisional(r), f.OnlyProvisional(r))
			}
		})
	}
	var unknown Finality
	if unknown.Provisional(today) || unknown.String() != "" {
		t.Error("a zero Finality marks days")
	}
}

// TestMarkProvisional: by day each provisional day is marked, along other
// dimensions every row of a range holding one; closed days are final; the
// total is marked when its range holds an open provisional day.
func TestMarkProvisional(t *testing.T) {
	t.Parallel()
	d1, d2 := ads.MustDate("2026-11-29"), ads.MustDate("2026-11-30")
	f := Finality{FinalThrough: d1, Why: "x"}
	daily := []ads.KPICell{
		{Day: d1, Creator: "a", Currency: "USD", KPI: ads.KPI{Spend: 1}},
		{Day: d2, Creator: "b", Currency: "USD", KPI: ads.KPI{Spend: 2}},
	}
	novClosed := func(d ads.Date) bool { return d.Month == 11 }
	tests := []struct {
		by     string
		closed func(ads.Date) bool
		rows   []bool
		total  bool
	}{
		{ByDay, nil, []bool{false, true}, true},
		{ByCreator, nil, []bool{true, true}, true},
		{ByDay, novClosed, []bool{false, false}, false},
		{ByCreator, novClosed, []bool{false, false}, false},
	}
	for _, tc := range tests {
		rep, err := Summarize("glowco", "USD", d1, d2, tc.by, daily)
		if err != nil {
			t.Fatal(err)
		}
		rep.MarkProvisional(f, tc.closed)
		for i, want := range tc.rows {
			if rep.Rows[i].Provisional != want {
				t.Errorf("by %s (closed %v): row %v provisional %v, want %v", tc.by, tc.closed != nil, rep.Rows[i].Key, rep.Rows[i].Provisional, want)
			}
		}
		if rep.Total.Provisional != tc.total {
			t.Errorf("by %s (closed %v): total provisional %v, want %v", tc.by, tc.closed != nil, rep.Total.Provisional, tc.total)
		}
	}
}

// TestMarkProvisionalVerdicts: a verdict judged only on provisional days
// says so in its reason; one judged on a final day does not.
func TestMarkProvisionalVerdicts(t *testing.T) {
	t.Parallel()
	f := Finality{FinalThrough: ads.MustDate("2026-10-31"), Why: "refunds arrive up to 60 days later (refund_horizon_days)"}
	tests := []struct {
		from, to string
		marked   bool
	}{
		{"2026-11-01", "2026-11-14", true},
		{"2026-10-31", "2026-11-14", false},
		{"2026-10-01", "2026-10-14", false},
	}
	for _, tc := range tests {
		vs := []Verdict{{Subject: "a", Reason: "Cut: x."}, {Subject: "b", Reason: "Hold: y."}}
		MarkProvisionalVerdicts(vs, f, ads.DateRange{From: ads.MustDate(tc.from), To: ads.MustDate(tc.to)})
		for _, v := range vs {
			has := strings.Contains(v.Reason, "Provisional: judged only on provisional days ("+tc.from+".."+tc.to+" may still change: refunds arrive up to 60 days later")
			if has != tc.marked || (v.Provisional != "") != tc.marked {
				t.Errorf("%s..%s: %s reason %q provisional %q, want marked %v", tc.from, tc.to, v.Subject, v.Reason, v.Provisional, tc.marked)
			}
		}
	}
}
