package report

import (
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
)

// TestReportRange (issue 18 item 5): a report without dates is the month
// to date in the brand's zone; --month is the calendar month, --last N
// days through today; ranges cannot be combined.
func TestReportRange(t *testing.T) {
	t.Parallel()
	// 2026-12-01 03:00 UTC is still November 30 in New York.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		p        Params
		loc      *time.Location
		from, to string
		label    string
		err      string
	}{
		{"month to date", Params{}, ny, "2026-11-01", "2026-11-30", "month to date", ""},
		{"month to date in UTC", Params{}, time.UTC, "2026-12-01", "2026-12-01", "month to date", ""},
		{"month", Params{Month: "2026-02"}, ny, "2026-02-01", "2026-02-28", "month 2026-02", ""},
		{"december", Params{Month: "2026-12"}, ny, "2026-12-01", "2026-12-31", "month 2026-12", ""},
		{"last 30d", Params{Last: "30d"}, ny, "2026-11-01", "2026-11-30", "last 30 days", ""},
		{"last 7", Params{Last: "7"}, time.UTC, "2026-11-25", "2026-12-01", "last 7 days", ""},
		{"from to date", Params{From: "2026-11-20"}, ny, "2026-11-20", "2026-11-30", "to date", ""},
		{"explicit", Params{From: "2026-10-01", To: "2026-10-31"}, ny, "2026-10-01", "2026-10-31", "", ""},
		{"two ranges", Params{Month: "2026-11", Last: "30d"}, ny, "", "", "", "give one range"},
		{"month and from", Params{Month: "2026-11", From: "2026-11-02"}, ny, "", "", "", "give one range"},
		{"bad month", Params{Month: "2026-13"}, ny, "", "", "", "want YYYY-MM"},
		{"bad last", Params{Last: "thirty"}, ny, "", "", "", "want a number of days"},
		{"to alone", Params{To: "2026-11-02"}, ny, "", "", "", "from is required"},
	} {
		q, err := ParseQuery(c.p)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		label := q.resolve(ads.DateOf(now, c.loc))
		if q.From.String() != c.from || q.To.String() != c.to || label != c.label {
			t.Errorf("%s: %s..%s %q, want %s..%s %q", c.name, q.From, q.To, label, c.from, c.to, c.label)
		}
	}
}
