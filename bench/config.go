// Package bench measures roasd on a synthetic large brand: it writes the
// brand's YAML, seeds the sandbox fakes with a scaled campaign, runs the
// full cycle through the real clients (`roasd run --once` as a child
// process, so its wall time and peak RSS are the daemon's own), counts the
// API calls against the minimum the page sizes allow, compares ingestion
// with a plain COPY of the same rows, and times a full and a one-day
// incremental reconcile. `roasd bench` prints the result as a table.
package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/roasd/roasd/ads"
)

// Brand sizes the synthetic brand. Variants are split evenly between Meta
// (alternately whitelisted and dark) and TikTok (Spark ads of posts already
// authorized to the advertiser, pinned by item id, and every tenth by a
// Spark code), one test per creator.
type Brand struct {
	// Name is the brand name (default "bigco").
	Name string
	// Creators is the number of creators, each with one test.
	Creators int
	// Variants is the total number of variants (a multiple of 2×Creators
	// keeps the split even).
	Variants int
	// Start is the first test day (default 2026-06-01).
	Start ads.Date
	// Index numbers the brand among several in one daemon (RunMulti):
	// 0 is the single large brand, as always; from 1 on, the brand's
	// accounts, creators, posts and Spark codes are its own, and its
	// files are named after it.
	Index int
	// Currency and Timezone default to USD and America/New_York.
	Currency, Timezone string
}

func (b Brand) name() string {
	if b.Name == "" {
		return "bigco"
	}
	return b.Name
}

func (b Brand) start() ads.Date {
	if b.Start.IsZero() {
		return ads.MustDate("2026-06-01")
	}
	return b.Start
}

// WriteConfig writes the brand's configuration into dir as brand.yaml,
// creators.yaml and tests.yaml; configs.Load(dir) accepts it.
func WriteConfig(dir string, b Brand) error {
	if b.Creators <= 0 || b.Variants < b.Creators {
		return fmt.Errorf("writing bench config: want at least one creator and one variant per creator, got %d and %d", b.Creators, b.Variants)
	}
	name := b.name()
	cur, tz := b.Currency, b.Timezone
	if cur == "" {
		cur = "USD"
	}
	if tz == "" {
		tz = "America/New_York"
	}
	files := map[string]string{}
	// The brand's accounts: the single brand's as always; brand k of
	// several has its own ad account, page, Instagram account, advertiser
	// and shop (one agency Business Manager owns every brand's assets).
	k := b.Index
	files["brand.yaml"] = fmt.Sprintf(`brand: %[1]s
currency: %[3]s
timezone: %[4]s
accounts:
  meta:
    ad_account: act_%[2]s
    business: "9900000000000002"
    page: "%[5]s"
    instagram: "%[6]s"
    attribution_windows: [7d_click, 1d_view]
  tiktok:
    advertiser: "%[7]s"
  shopify:
    shop: %[1]s.myshopify.com
slack:
  channel: "#%[1]s-perf"
restatement_days: 7
`, name, fmt.Sprintf("99%08d", k*100+1), cur, tz, fmt.Sprintf("99%08d", 11223344+k*100), fmt.Sprintf("178414%011d", 99999999999-k), fmt.Sprintf("799%016d", k*100+1))

	var cr strings.Builder
	fmt.Fprintf(&cr, "brand: %s\ncreators:\n", name)
	for i := range b.Creators {
		h := b.handle(i)
		fmt.Fprintf(&cr, "  - handle: %s\n    instagram: %s.ig\n    tiktok: %stt\n    codes: [%s]\n    links: [\"https://%s.com/?utm_source=%s&utm_medium=creator\"]\n    fee: {flat: \"%d.00\", commission: \"0.10\"}\n",
			h, h, h, strings.ToUpper(h)+"15", name, h, 200+i%7*50)
	}
	files["creators.yaml"] = cr.String()

	var ts strings.Builder
	fmt.Fprintf(&ts, "brand: %s\ntests:\n", name)
	per := b.Variants / b.Creators
	extra := b.Variants % b.Creators
	start := b.start()
	for i := range b.Creators {
		h := b.handle(i)
		id := fmt.Sprintf("t%03d-%s", i, h)
		fmt.Fprintf(&ts, "  - id: %s\n    creator: %s\n    start: %s\n    target_roas: 2.5\n    floor_roas: 1.0\n    min_spend: \"150.00\"\n    variants:\n",
			id, h, start.AddDays(i%5))
		n := per
		if i < extra {
			n++
		}
		for v := range n {
			key := fmt.Sprintf("v%02d", v)
			content := id + "-" + key
			if v%2 == 0 {
				kind := "whitelisted"
				if v%4 == 2 {
					kind = "dark"
				}
				fmt.Fprintf(&ts, "      - {key: %s, platform: meta, kind: %s, utm: {source: %s, campaign: %s, content: %s}}\n", key, kind, h, id, content)
				continue
			}
			item := fmt.Sprintf("74%03d%014d", k, i*1000+v)
			if v%10 == 9 {
				fmt.Fprintf(&ts, "      - {key: %s, platform: tiktok, kind: spark, spark_code: \"#v2#%s%s\", utm: {source: %s, campaign: %s, content: %s}}\n",
					key, strings.ToUpper(h), key, h, id, content)
				continue
			}
			fmt.Fprintf(&ts, "      - {key: %s, platform: tiktok, kind: spark, item_id: \"%s\", utm: {source: %s, campaign: %s, content: %s}}\n",
				key, item, h, id, content)
		}
	}
	files["tests.yaml"] = ts.String()
	for f, body := range files {
		if k > 0 {
			f = name + "-" + f
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			return fmt.Errorf("writing bench config: %w", err)
		}
	}
	return nil
}

// handle is creator i's handle: cr007, or b03cr007 for brand 3 of
// several.
func (b Brand) handle(i int) string {
	if b.Index > 0 {
		return fmt.Sprintf("b%02dcr%03d", b.Index, i)
	}
	return fmt.Sprintf("cr%03d", i)
}
