package bench

import (
	"reflect"
	"testing"
	"time"
)

// TestPoints checks that --orders and --scale expand into the curves'
// points, a curve runs quick, and bad lists are refused.
func TestPoints(t *testing.T) {
	t.Parallel()
	base := Options{Days: 90, Runs: 3}
	type size struct{ creators, variants, orders int }
	for _, tc := range []struct {
		orders, scales string
		want           []size
		quick          bool
		bad            bool
	}{
		{want: []size{{0, 0, 0}}},
		{orders: "250000", want: []size{{0, 0, 250_000}}},
		{orders: "250000,1_000_000, 4000000", want: []size{{0, 0, 250_000}, {0, 0, 1_000_000}, {0, 0, 4_000_000}}, quick: true},
		{scales: "0.25,1,4", want: []size{{50, 500, 250_000}, {200, 2000, 1_000_000}, {800, 8000, 4_000_000}}, quick: true},
		{scales: "0.001", want: []size{{1, 2, 1000}}},
		{orders: "1", scales: "1", bad: true},
		{orders: "0", bad: true},
		{orders: "many", bad: true},
		{scales: "-1", bad: true},
		{scales: "1,,2", bad: true},
	} {
		ps, _, err := Points(base, tc.orders, tc.scales)
		if tc.bad {
			if err == nil {
				t.Errorf("orders %q scale %q: accepted", tc.orders, tc.scales)
			}
			continue
		}
		if err != nil {
			t.Errorf("orders %q scale %q: %v", tc.orders, tc.scales, err)
			continue
		}
		var got []size
		for _, p := range ps {
			got = append(got, size{p.Brand.Creators, p.Brand.Variants, p.Orders})
			if p.Quick != tc.quick || p.Runs != 3 || p.Days != 90 {
				t.Errorf("orders %q scale %q: point %+v, want quick %v and the base's runs and days", tc.orders, tc.scales, p, tc.quick)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("orders %q scale %q: points %v, want %v", tc.orders, tc.scales, got, tc.want)
		}
	}
}

// TestSpread checks the median and range of first-sync wall times.
func TestSpread(t *testing.T) {
	t.Parallel()
	s := time.Second
	for _, tc := range []struct {
		in          []time.Duration
		med, lo, hi time.Duration
	}{
		{nil, 0, 0, 0},
		{[]time.Duration{5 * s}, 5 * s, 5 * s, 5 * s},
		{[]time.Duration{9 * s, 3 * s, 4 * s}, 4 * s, 3 * s, 9 * s},
		{[]time.Duration{4 * s, 2 * s, 8 * s, 6 * s}, 5 * s, 2 * s, 8 * s},
	} {
		med, lo, hi := Spread(tc.in)
		if med != tc.med || lo != tc.lo || hi != tc.hi {
			t.Errorf("Spread(%v) = %v, %v, %v; want %v, %v, %v", tc.in, med, lo, hi, tc.med, tc.lo, tc.hi)
		}
	}
}
