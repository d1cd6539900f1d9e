package ads

import (
	"reflect"
	"testing"
)

// TestKPIAdd: Add and Sub touch every field, so a quantity added to KPI
// later cannot be left out of the sums; Fees, Cost, Revenue and Orders
// are derived from the sum.
func TestKPIAdd(t *testing.T) {
	t.Parallel()
	var a, b KPI
	va, vb := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem()
	for i := range va.NumField() {
		va.Field(i).SetInt(int64(i + 1))
		vb.Field(i).SetInt(int64(100 * (i + 1)))
	}
	sum, diff := a.Add(b), b.Sub(a)
	vs, vd := reflect.ValueOf(sum), reflect.ValueOf(diff)
	for i := range vs.NumField() {
		name := vs.Type().Field(i).Name
		if got, want := vs.Field(i).Int(), int64(101*(i+1)); got != want {
			t.Errorf("Add: %s = %d, want %d", name, got, want)
		}
		if got, want := vd.Field(i).Int(), int64(99*(i+1)); got != want {
			t.Errorf("Sub: %s = %d, want %d", name, got, want)
		}
	}
	if !a.Sub(a).IsZero() || a.IsZero() || !(KPI{}).IsZero() {
		t.Errorf("IsZero: a−a %v, a %v, zero %v", a.Sub(a).IsZero(), a.IsZero(), (KPI{}).IsZero())
	}
	tests := []struct {
		name      string
		got, want int64
	}{
		{"fees", sum.Fees(), sum.FlatFees + sum.Commission + sum.Bonuses},
		{"cost", sum.Cost(), sum.Spend + sum.FlatFees + sum.Commission + sum.Bonuses},
		{"revenue", sum.Revenue(), sum.PaidRevenue + sum.OrganicRevenue},
		{"orders", sum.Orders(), sum.PaidOrders + sum.OrganicOrders},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestKPICellsCompare: a cell with the same keys and KPIs is equal (the
// store's diff compares stored and derived cells with ==).
func TestKPICellsCompare(t *testing.T) {
	t.Parallel()
	a := KPICell{Day: MustDate("2026-06-01"), TestID: "t", VariantKey: "v", Creator: "c", Platform: Meta, Currency: "USD",
		KPI: KPI{Spend: 1, PaidOrders: 2}}
	b := a
	if a != b {
		t.Fatalf("copies differ: %+v %+v", a, b)
	}
	b.Views++
	if a == b {
		t.Errorf("cells with different views compare equal")
	}
}
