package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

// ReconcileLag is how far behind the database clock a reconcile sets its
// watermark, so that source rows written by transactions still open when it
// read (their changed_at is their start time) are picked up next run.
// Reconciling a day twice is harmless.
const ReconcileLag = 10 * time.Minute

// fullRange bounds a full rebuild's reads of daily stats.
var fullRange = ads.DateRange{From: ads.MustDate("2000-01-01"), To: ads.MustDate("2100-12-31")}

// ReconcileBrand brings the brand's ledger and daily KPI cells up to date
// and returns how many rows it wrote.
//
// Incrementally (full false), it reconciles only the days whose source rows
// (orders, link conversions, daily stats of the brand's variant ads)
// changed since the brand's watermark: it reads those days' records,
// attributes them with reconcile.Build and replaces those days' rows in one
// transaction. It rebuilds everything when full is set, when the brand was
// never reconciled, or when the configuration or the variant→ad links
// changed (reconcile.Fingerprint). Both paths give identical tables. now is
// recorded as the reconcile time.
func ReconcileBrand(ctx context.Context, db *store.DB, brand *configs.Brand, now time.Time, full bool) (rows int64, err error) {
	loc, err := reconcile.Location(brand)
	if err != nil {
		return 0, err
	}
	va, err := db.VariantAds(ctx, brand.Name)
	if err != nil {
		return 0, err
	}
	matches := make([]reconcile.VariantMatch, len(va))
	for i, v := range va {
		matches[i] = reconcile.VariantMatch{TestID: v.TestID, VariantKey: v.VariantKey, MatchedBy: v.MatchedBy,
			Ad: ads.Ad{Platform: v.Platform, Account: v.Account, ID: v.AdID}}
	}
	fp := reconcile.Fingerprint(brand, matches)
	st, err := db.ReconcileState(ctx, brand.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		full = true
	case err != nil:
		return 0, err
	case st.Fingerprint != fp:
		full = true
	}
	asOf, err := db.Clock(ctx)
	if err != nil {
		return 0, err
	}
	shop := ""
	if brand.Accounts.Shopify != nil {
		shop = brand.Accounts.Shopify.Shop
	}
	in := reconcile.Input{Brand: brand, Ads: matches}
	if full {
		if shop != "" {
			if in.Orders, err = db.Orders(ctx, shop, time.Time{}, time.Time{}); err != nil {
				return 0, err
			}
		}
		if in.Links, err = db.LinkConversions(ctx, time.Time{}, time.Time{}); err != nil {
			return 0, err
		}
		if in.Stats, err = db.DayStats(ctx, "", fullRange); err != nil {
			return 0, err
		}
	} else {
		days, err := db.AffectedDays(ctx, store.AffectedQuery{Brand: brand.Name, Shop: shop, Timezone: loc.String(), Since: st.Watermark})
		if err != nil {
			return 0, err
		}
		in.Days = days
		if in.Days == nil {
			in.Days = []ads.Date{}
		}
		for _, span := range spans(days) {
			from, to := span.From.In(loc), span.To.AddDays(1).In(loc)
			if shop != "" {
				os, err := db.Orders(ctx, shop, from, to)
				if err != nil {
					return 0, err
				}
				in.Orders = append(in.Orders, os...)
			}
			ls, err := db.LinkConversions(ctx, from, to)
			if err != nil {
				return 0, err
			}
			in.Links = append(in.Links, ls...)
			ss, err := db.DayStats(ctx, "", span)
			if err != nil {
				return 0, err
			}
			in.Stats = append(in.Stats, ss...)
		}
	}
	if shop != "" {
		var refs []string
		for _, l := range in.Links {
			if l.OrderID != "" {
				refs = append(refs, l.OrderID)
			}
		}
		keys, err := db.OrderKeys(ctx, shop, refs)
		if err != nil {
			return 0, err
		}
		for _, k := range keys {
			in.OrderRefs = append(in.OrderRefs, reconcile.OrderRef{ID: k.ID, Name: k.Name})
		}
	}
	res, err := reconcile.Build(in)
	if err != nil {
		return 0, fmt.Errorf("reconciling brand %s: %w", brand.Name, err)
	}
	w := store.ReconcileWrite{Brand: brand.Name, Full: full, Days: res.Days,
		State: store.ReconcileState{Brand: brand.Name, Currency: brand.Currency, Fingerprint: fp,
			Watermark: asOf.Add(-ReconcileLag), ReconciledAt: now}}
	for _, r := range res.Ledger {
		w.Ledger = append(w.Ledger, store.LedgerEntry(r))
	}
	for _, d := range res.Daily {
		w.Daily = append(w.Daily, dailyKPIOf(d))
	}
	return db.ReplaceReconciled(ctx, w)
}

// dailyKPIOf converts a reconcile daily row to its stored form.
func dailyKPIOf(d reconcile.DailyRow) store.DailyKPI {
	m := d.Measures
	return store.DailyKPI{Day: d.Day, TestID: d.TestID, VariantKey: d.VariantKey, Creator: d.Creator, Platform: d.Platform,
		Currency: d.Currency, Spend: m.Spend, FlatFees: m.FlatFees, Commission: m.Commission, Bonuses: m.Bonuses,
		PaidRevenue: m.PaidRevenue, OrganicRevenue: m.OrganicRevenue, PaidOrders: m.PaidOrders, OrganicOrders: m.OrganicOrders,
		Redemptions: m.Redemptions, PlatformConversions: m.PlatformConversions, PlatformValue: m.PlatformValue,
		Impressions: m.Impressions, Clicks: m.Clicks, Engagements: m.Engagements, Views: m.Views}
}

// spans groups ascending days into runs of consecutive days.
func spans(days []ads.Date) []ads.DateRange {
	var out []ads.DateRange
	for _, d := range days {
		if n := len(out); n > 0 && out[n-1].To.AddDays(1) == d {
			out[n-1].To = d
			continue
		}
		out = append(out, ads.DateRange{From: d, To: d})
	}
	return out
}
