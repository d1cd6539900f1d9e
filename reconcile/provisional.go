package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// Restatement windows of the sources: how many days after a day its
// figures may still change there.
const (
	// MetaRestatementDays: Meta books conversions back onto the click's
	// day for up to its 28-day click window and corrects spend meanwhile
	// (meta-api.md §5.3: connectors re-read the last 28 days; older days
	// are frozen).
	MetaRestatementDays = 28
	// TikTokRestatementDays: TikTok re-aligns a day's spend the next day,
	// and its conversions grow for as long as the ad group's click
	// window, up to 28 days (tiktok-api.md, latency and restatement).
	TikTokRestatementDays = 28
)

// Finality says which of a brand's days may still change: a day is
// provisional until it is outside every source's restatement window and
// the refund horizon, and final after. This is the one rule behind the
// provisional marks of reports (every format and the dashboard), of
// verdicts and of the BI views (through the stored FinalThrough).
type Finality struct {
	// Today is the day it was judged on (the brand's zone).
	Today ads.Date
	// Window is the longest of the windows: day d is provisional while
	// d ≥ Today − Window.
	Window int
	// FinalThrough is the last final day: Today − Window − 1. Zero means
	// unknown (nothing is marked).
	FinalThrough ads.Date
	// Why names the windows, longest first ("refunds up to 60 days
	// (refund_horizon_days), Meta restates up to 28 days, …").
	Why string
}

// FinalityOf is the brand's Finality on today: the windows are the
// refund horizon (refund_horizon_days; configs fills its default, as it
// does restatement_days'), Meta's 28 days when
// the brand has a Meta account, TikTok's 28 when it has a TikTok one, and
// the brand's own restatement_days (what each pull re-reads).
func FinalityOf(b *configs.Brand, today ads.Date) Finality {
	type window struct {
		days int
		why  string
	}
	refunds, restate := b.RefundHorizonDays, b.RestatementDays
	ws := []window{{refunds, fmt.Sprintf("refunds arrive up to %d days later (refund_horizon_days)", refunds)}}
	if len(b.Accounts.Meta) > 0 {
		ws = append(ws, window{MetaRestatementDays, fmt.Sprintf("Meta restates up to %d days", MetaRestatementDays)})
	}
	if len(b.Accounts.TikTok) > 0 {
		ws = append(ws, window{TikTokRestatementDays, fmt.Sprintf("TikTok revises up to %d days", TikTokRestatementDays)})
	}
	ws = append(ws, window{restate, fmt.Sprintf("pulls re-read %d days (restatement_days)", restate)})
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].days > ws[j].days })
	whys := make([]string, len(ws))
	for i, w := range ws {
		whys[i] = w.why
	}
	return Finality{Today: today, Window: ws[0].days, FinalThrough: today.AddDays(-ws[0].days - 1), Why: strings.Join(whys, "; ")}
}

// Known reports whether f says anything (a zero Finality marks nothing).
func (f Finality) Known() bool { return !f.FinalThrough.IsZero() }

// Provisional reports whether day d may still change.
func (f Finality) Provisional(d ads.Date) bool { return f.Known() && d.After(f.FinalThrough) }

// AnyProvisional reports whether a figure over r (a total including its
// days) may still change: r holds a provisional day.
func (f Finality) AnyProvisional(r ads.DateRange) bool { return f.Provisional(r.To) }

// OnlyProvisional reports whether every day of r is provisional.
func (f Finality) OnlyProvisional(r ads.DateRange) bool { return f.Provisional(r.From) }

// String is "days from 2026-10-02 are provisional: refunds arrive …"
// ("" when unknown).
func (f Finality) String() string {
	if !f.Known() {
		return ""
	}
	return fmt.Sprintf("days from %s are provisional: %s", f.FinalThrough.AddDays(1), f.Why)
}
