package ads

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// MicrosPerUnit is the number of micro-units in one currency unit.
const MicrosPerUnit = 1_000_000

// ErrCurrencyMismatch is returned when amounts in two currencies are combined.
var ErrCurrencyMismatch = errors.New("currency mismatch")

// Money is an amount in integer micro-units of an ISO 4217 currency.
type Money struct {
	// Micros is the amount in millionths of one currency unit.
	Micros int64
	// Currency is the ISO 4217 code, e.g. "USD".
	Currency string
}

// M builds a Money from micro-units and a currency.
func M(micros int64, currency string) Money { return Money{Micros: micros, Currency: currency} }

// Add returns m+o; both must share a currency (a zero-currency zero amount
// adopts the other's currency).
func (m Money) Add(o Money) (Money, error) {
	switch {
	case m.Currency == o.Currency:
	case m.Currency == "" && m.Micros == 0:
		m.Currency = o.Currency
	case o.Currency == "" && o.Micros == 0:
	default:
		return Money{}, fmt.Errorf("adding %s to %s: %w", o.Currency, m.Currency, ErrCurrencyMismatch)
	}
	return Money{Micros: m.Micros + o.Micros, Currency: m.Currency}, nil
}

// String formats m with two decimals and its currency, e.g. "1234.50 USD".
func (m Money) String() string {
	if m.Currency == "" {
		return FormatMicros(m.Micros, 2)
	}
	return FormatMicros(m.Micros, 2) + " " + m.Currency
}

// ParseMicros parses a decimal string such as "500", "-12.5" or "0.000001"
// into micro-units. More than six fraction digits is an error, as is any
// exponent, sign-only or empty input.
func ParseMicros(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("parsing amount %q: not a decimal number", orig)
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("parsing amount %q: more than 6 decimal places", orig)
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("parsing amount %q: not a decimal number", orig)
		}
	}
	var whole int64
	if intPart != "" {
		v, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil || v > (1<<63-1)/MicrosPerUnit-1 {
			return 0, fmt.Errorf("parsing amount %q: out of range", orig)
		}
		whole = v
	}
	frac += strings.Repeat("0", 6-len(frac))
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := whole*MicrosPerUnit + f
	if neg {
		v = -v
	}
	return v, nil
}

// MustMicros is ParseMicros for constants in code and tests; it panics on a
// malformed literal.
func MustMicros(s string) int64 {
	v, err := ParseMicros(s)
	if err != nil {
		panic(err)
	}
	return v
}

// FormatMicros formats micro-units with the given number of decimals (0..6),
// rounding half away from zero: FormatMicros(1_235_000, 2) == "1.24".
func FormatMicros(v int64, decimals int) string {
	if decimals < 0 {
		decimals = 0
	}
	if decimals > 6 {
		decimals = 6
	}
	neg := v < 0
	u := new(big.Int).SetInt64(v)
	u.Abs(u)
	unit := int64(1)
	for i := 0; i < 6-decimals; i++ {
		unit *= 10
	}
	q, r := new(big.Int).QuoRem(u, big.NewInt(unit), new(big.Int))
	if 2*r.Int64() >= unit && unit > 1 {
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	if decimals > 0 {
		if len(s) <= decimals {
			s = strings.Repeat("0", decimals-len(s)+1) + s
		}
		s = s[:len(s)-decimals] + "." + s[len(s)-decimals:]
	}
	if neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return s
}

// FormatAmount formats micro-units of currency to its ISO 4217 minor unit,
// rounding half away from zero, without grouping or currency code:
// "1234.50" (USD), "1235" (JPY), "1.235" (KWD). It is the number machines
// read (the report's CSV and JSON).
func FormatAmount(micros int64, currency string) string {
	return FormatMicros(micros, MinorUnitExponent(currency))
}

// FormatMoney is the one way roasd shows money to people (Slack, the
// dashboard, the report's table and verdict reasons): the amount to the
// currency's minor unit, thousands grouped with commas, then the currency
// code: "1,234.50 USD", "1,235 JPY", "1.235 KWD". Without a currency it
// has two decimals and no code.
func FormatMoney(micros int64, currency string) string {
	s := FormatAmount(micros, currency)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	var g strings.Builder
	if neg {
		g.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			g.WriteByte(',')
		}
		g.WriteRune(r)
	}
	if hasFrac {
		g.WriteString("." + frac)
	}
	if currency != "" {
		g.WriteString(" " + currency)
	}
	return g.String()
}

// currencyExponent lists ISO 4217 currencies whose minor unit is not 1/100.
var currencyExponent = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// MinorUnitExponent reports how many decimals the currency's minor unit has
// (2 for USD cents, 0 for JPY, 3 for KWD).
func MinorUnitExponent(currency string) int {
	if e, ok := currencyExponent[strings.ToUpper(currency)]; ok {
		return e
	}
	return 2
}

// MinorToMicros converts an amount in the currency's minor units (e.g. cents,
// as Meta budgets are given) to micro-units.
func MinorToMicros(minor int64, currency string) int64 {
	f := int64(MicrosPerUnit)
	for i := 0; i < MinorUnitExponent(currency); i++ {
		f /= 10
	}
	return minor * f
}

// MicrosToMinor converts micro-units to the currency's minor units, rounding
// half away from zero.
func MicrosToMinor(micros int64, currency string) int64 {
	f := int64(MicrosPerUnit)
	for i := 0; i < MinorUnitExponent(currency); i++ {
		f /= 10
	}
	return divRound(micros, f)
}

func divRound(a, b int64) int64 {
	q, r := a/b, a%b
	if r < 0 {
		r = -r
	}
	if 2*r >= b {
		if a < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// Apportion rounds parts (micro-units) to whole multiples of unit (10_000
// for cents) so that the rounded parts sum exactly to the rounded total:
// total is the exact sum of parts rounded half away from zero, each part
// is first rounded down, and the parts with the largest remainders (the
// earliest first on ties) get one unit more until they sum to total (the
// largest-remainder method). No part moves by a whole unit or more, so a
// report's rows printed from it still add up to its total, and the total
// is the same however the same amounts are grouped into rows.
func Apportion(parts []int64, unit int64) (rounded []int64, total int64) {
	if unit <= 0 {
		unit = 1
	}
	var sum, floors int64
	rounded = make([]int64, len(parts))
	rem := make([]int64, len(parts))
	for i, v := range parts {
		sum += v
		q := v / unit
		if v%unit < 0 {
			q--
		}
		rounded[i], rem[i] = q*unit, v-q*unit
		floors += q * unit
	}
	total = divRound(sum, unit) * unit
	short := (total - floors) / unit
	if short <= 0 {
		return rounded, total
	}
	order := make([]int, 0, len(parts))
	for i := range parts {
		if rem[i] > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for _, i := range order[:min(int(short), len(order))] {
		rounded[i] += unit
	}
	return rounded, total
}

// Rate is an exact decimal ratio such as a commission rate (0.15) or an
// exchange rate (1.0834), kept as a fraction so products are exact until the
// final rounding.
type Rate struct {
	num, den int64
}

// ParseRate parses a non-negative decimal such as "0.15" or "1.0834" (at
// most 12 fraction digits).
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	intPart, frac, _ := strings.Cut(t, ".")
	if t == "" || strings.HasPrefix(t, "-") || (intPart == "" && frac == "") || len(frac) > 12 {
		return Rate{}, fmt.Errorf("parsing rate %q: want a non-negative decimal with at most 12 decimals", s)
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return Rate{}, fmt.Errorf("parsing rate %q: want a non-negative decimal", s)
		}
	}
	den := int64(1)
	for range frac {
		den *= 10
	}
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return Rate{}, fmt.Errorf("parsing rate %q: out of range", s)
	}
	return Rate{num: n, den: den}, nil
}

// MustRate is ParseRate for literals; it panics on a malformed one.
func MustRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// RateFromFloat converts a float read from configuration (e.g. a YAML
// commission of 0.15) to an exact Rate using its shortest decimal form.
func RateFromFloat(f float64) (Rate, error) {
	return ParseRate(strconv.FormatFloat(f, 'f', -1, 64))
}

// IsZero reports whether r is zero (also true for the zero value).
func (r Rate) IsZero() bool { return r.num == 0 }

// String formats r as a decimal.
func (r Rate) String() string {
	if r.den == 0 {
		return "0"
	}
	return new(big.Rat).SetFrac64(r.num, r.den).FloatString(decimalsOf(r.den))
}

// Float returns r as a float64, for display and statistics only — never for
// money.
func (r Rate) Float() float64 {
	if r.den == 0 {
		return 0
	}
	return float64(r.num) / float64(r.den)
}

func decimalsOf(den int64) int {
	n := 0
	for den > 1 {
		den /= 10
		n++
	}
	return n
}

// Apply returns micros × r rounded half away from zero to whole micro-units.
func (r Rate) Apply(micros int64) int64 {
	if r.den == 0 {
		return 0
	}
	p := new(big.Int).Mul(big.NewInt(micros), big.NewInt(r.num))
	den := big.NewInt(r.den)
	q, m := new(big.Int).QuoRem(p, den, new(big.Int))
	m.Abs(m).Mul(m, big.NewInt(2))
	if m.Cmp(den) >= 0 {
		if p.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

// Ratio returns a/b as a float for display (ROAS, CPA inputs); ok is false
// when b is zero.
func Ratio(a, b int64) (v float64, ok bool) {
	if b == 0 {
		return 0, false
	}
	return float64(a) / float64(b), true
}
