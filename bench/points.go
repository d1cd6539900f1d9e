package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The large brand of the benchmark issue, which --scale multiplies.
const (
	LargeCreators = 200
	LargeVariants = 2000
	LargeOrders   = 1_000_000
)

// Points expands `roasd bench`'s --orders and --scale lists into one
// Options per benchmark point, and names the curve they make. orders is
// empty, one count or a comma-separated list (the memory curve: the same
// brand with more orders); scales is empty or a comma-separated list of
// multiples of the large brand's creators, variants and orders (the scale
// curve). Giving both lists, or a list with a zero or negative value, is
// an error. More than one point turns on Quick: a curve measures the
// daemon, not the in-process figures.
func Points(base Options, orders, scales string) ([]Options, string, error) {
	if orders != "" && scales != "" {
		return nil, "", fmt.Errorf("give --orders or --scale, not both")
	}
	var points []Options
	title := ""
	switch {
	case scales != "":
		for _, f := range strings.Split(scales, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || x <= 0 || math.IsInf(x, 0) {
				return nil, "", fmt.Errorf("--scale %q: want positive numbers such as 0.25,1,4", scales)
			}
			p := base
			p.Brand.Creators = max(1, int(math.Round(LargeCreators*x)))
			p.Brand.Variants = max(p.Brand.Creators, int(math.Round(LargeVariants*x)))
			p.Orders = max(1, int(math.Round(LargeOrders*x)))
			points = append(points, p)
		}
		title = "Scale curve: the large brand times " + scales
	case orders != "":
		for _, f := range strings.Split(orders, ",") {
			n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f), "_", ""))
			if err != nil || n <= 0 {
				return nil, "", fmt.Errorf("--orders %q: want positive counts such as 250000,1000000,4000000", orders)
			}
			p := base
			p.Orders = n
			points = append(points, p)
		}
		title = "Memory curve: orders " + orders
	default:
		points = append(points, base)
	}
	if len(points) > 1 {
		for i := range points {
			points[i].Quick = true
		}
	}
	return points, title, nil
}
