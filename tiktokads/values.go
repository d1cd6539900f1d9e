package tiktokads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// flexString decodes a JSON string, number or null (IDs are strings in
// v1.3 and numbers in v1.2; absent values are null).
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		*f = flexString(b)
	}
	return nil
}

// flexInt decodes a JSON number or numeric string; null, "" and "-" are 0.
type flexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	v, err := parseCount(string(s))
	*f = flexInt(v)
	return err
}

// tkTime decodes TikTok times: "YYYY-MM-DD HH:MM:SS" (UTC), RFC 3339, or
// epoch seconds; null and "" are the zero time.
type tkTime struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *tkTime) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	v, err := parseTime(string(s))
	t.Time = v
	return err
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.UTC); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("parsing time %q: want YYYY-MM-DD HH:MM:SS", s)
}

// parseMoney reads a decimal amount in major units ("42.17", "4217",
// "-", "") into micro-units, rounding half away from zero past six
// decimals.
func parseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	round := false
	if len(frac) > 6 {
		round = frac[6] >= '5'
		frac = frac[:6]
	}
	v, err := ads.ParseMicros(whole + "." + frac + strings.Repeat("0", max(0, 1-len(frac))))
	if err != nil {
		return 0, err
	}
	if round {
		if v < 0 || strings.HasPrefix(s, "-") {
			v--
		} else {
			v++
		}
	}
	return v, nil
}

// parseCount reads an integer metric ("10234", "-", "", "9.0").
func parseCount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	m, err := parseMoney(s)
	if err != nil {
		return 0, fmt.Errorf("parsing count %q: not a number", s)
	}
	q, r := m/ads.MicrosPerUnit, m%ads.MicrosPerUnit
	if r >= ads.MicrosPerUnit/2 {
		q++
	} else if r <= -ads.MicrosPerUnit/2 {
		q--
	}
	return q, nil
}

// jsonParam encodes an array or object parameter the way TikTok wants it
// in a GET query string: as a JSON string.
func jsonParam(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("tiktokads: encoding parameter: %v", err))
	}
	return string(b)
}
