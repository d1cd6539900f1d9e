package reconcile

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// ErrNoRate is wrapped by the error Converter.Convert returns when no
// exchange rate is configured for a currency pair on a day.
var ErrNoRate = errors.New("no exchange rate")

// MissingRateError says which configured rate a conversion lacked. Its text
// is for people: "no EUR→USD rate configured for 2026-06-03".
type MissingRateError struct {
	From, To string
	Day      ads.Date
}

// Error implements error.
func (e *MissingRateError) Error() string {
	return fmt.Sprintf("no %s→%s rate configured for %s", e.From, e.To, e.Day)
}

// Unwrap lets errors.Is(err, ErrNoRate) match.
func (e *MissingRateError) Unwrap() error { return ErrNoRate }

// Converter converts amounts into one target currency with the brand's
// explicitly configured rates. A rate applies from its Since day
// (inclusive; a zero Since means "always") until the next rate of the same
// pair. There is no implicit 1:1 and no inversion of a configured pair:
// converting EUR into USD needs an EUR→USD rate.
type Converter struct {
	to    string
	pairs map[string][]configs.FXRate // "FROM>TO" → rates sorted by Since
}

// NewConverter returns a converter into currency to over rates.
func NewConverter(to string, rates []configs.FXRate) *Converter {
	c := &Converter{to: strings.ToUpper(to), pairs: map[string][]configs.FXRate{}}
	for _, r := range rates {
		k := strings.ToUpper(r.From) + ">" + strings.ToUpper(r.To)
		c.pairs[k] = append(c.pairs[k], r)
	}
	for _, rs := range c.pairs {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Since.Before(rs[j].Since) })
	}
	return c
}

// Currency returns the target currency.
func (c *Converter) Currency() string { return c.to }

// Rate returns the configured from→to rate in force on day.
func (c *Converter) Rate(from, to string, day ads.Date) (ads.Rate, error) {
	from, to = strings.ToUpper(from), strings.ToUpper(to)
	rs := c.pairs[from+">"+to]
	var (
		best  ads.Rate
		found bool
	)
	for _, r := range rs {
		if r.Since.IsZero() || !r.Since.After(day) {
			best, found = r.Rate, true
		}
	}
	if !found {
		return ads.Rate{}, &MissingRateError{From: from, To: to, Day: day}
	}
	return best, nil
}

// Convert returns micros of currency from, on day, in the target currency
// (rounded half away from zero to whole micro-units). The same currency
// converts 1:1; anything else needs a configured rate. A zero amount
// without a currency is zero; a non-zero one is an error.
func (c *Converter) Convert(micros int64, from string, day ads.Date) (int64, error) {
	switch {
	case strings.EqualFold(from, c.to):
		return micros, nil
	case from == "" && micros == 0:
		return 0, nil
	case from == "":
		return 0, fmt.Errorf("converting an amount on %s: it has no currency", day)
	}
	r, err := c.Rate(from, c.to, day)
	if err != nil {
		return 0, err
	}
	return r.Apply(micros), nil
}
