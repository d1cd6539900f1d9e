package ads

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is a civil calendar day with no time zone of its own. Days are always
// bucketed from an instant in an explicit zone (DateOf).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateLayout is the textual form of a Date: "2006-01-02".
const DateLayout = "2006-01-02"

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("parsing date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t, time.UTC), nil
}

// MustDate is ParseDate for literals; it panics on a malformed one.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the calendar day of instant t in zone loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{Year: y, Month: m, Day: d}
}

// In returns the first instant of the day in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the day n days after d (n may be negative).
func (d Date) AddDays(n int) Date {
	return DateOf(d.In(time.UTC).AddDate(0, 0, n), time.UTC)
}

// Sub returns the number of days from o to d (d − o).
func (d Date) Sub(o Date) int {
	return int(d.In(time.UTC).Sub(o.In(time.UTC)).Hours() / 24)
}

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as "YYYY-MM-DD".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value implements driver.Valuer so a Date binds to a Postgres DATE.
func (d Date) Value() (driver.Value, error) { return d.String(), nil }

// Scan implements sql.Scanner for Postgres DATE columns (NULL is the
// zero Date).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		// A NULL date (a nullable column) is the zero Date.
		*d = Date{}
		return nil
	case time.Time:
		*d = Date{Year: v.Year(), Month: v.Month(), Day: v.Day()}
		return nil
	case string:
		return d.UnmarshalText([]byte(v[:min(len(v), 10)]))
	case []byte:
		return d.UnmarshalText(v[:min(len(v), 10)])
	}
	return fmt.Errorf("scanning %T into ads.Date", src)
}

// DateRange is an inclusive range of days.
type DateRange struct {
	From, To Date
}

// Days returns the number of days in r (0 when To is before From).
func (r DateRange) Days() int {
	if r.To.Before(r.From) {
		return 0
	}
	return r.To.Sub(r.From) + 1
}

// Contains reports whether d lies within r.
func (r DateRange) Contains(d Date) bool { return !d.Before(r.From) && !d.After(r.To) }

// Split cuts r into consecutive ranges of at most n days each.
func (r DateRange) Split(n int) []DateRange {
	var out []DateRange
	for from := r.From; !from.After(r.To); from = from.AddDays(n) {
		to := from.AddDays(n - 1)
		if to.After(r.To) {
			to = r.To
		}
		out = append(out, DateRange{From: from, To: to})
	}
	return out
}
