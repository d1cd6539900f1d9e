package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/store"
)

// importTmpl is the migrated schema the import tests start from (TestMain
// lives in report_test.go).
var importTmpl = storetest.Schema

func TestImportLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t, importTmpl)
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "impact.csv")
	os.WriteFile(csvFile, []byte("conversion_id,creator,link,order_id,amount,currency,time,shop\n"+
		"c1,marcus,,#1001,49.90,USD,2026-06-03T14:05:00Z,\n"+
		"c2,,,,10,USD,2026-06-03,\n"+
		"c3,jacqueline,,,abc,USD,2026-06-03,\n"+
		"c4,,https://glowco.com/?utm_source=jacqueline&utm_medium=creator,,12.5,EUR,2026-06-04,glowco.myshopify.com\n"+
		"c5,jaqueline,,,9,USD,2026-06-04,glowco.myshopify.com\n"+
		// jacqueline works for both example brands: her row needs one.
		"c6,jacqueline,,,20,USD,2026-06-04,\n"), 0o644)
	jsonFile := filepath.Join(dir, "clean.json")
	os.WriteFile(jsonFile, []byte(`[{"conversion_id":"j1","creator":"jacq","brand":"glowco","amount":"5","currency":"USD","time":"2026-06-05"}]`), 0o644)

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &cmdEnv{stdout: &out, stderr: &errb, getenv: func(k string) string {
			switch k {
			case "DATABASE_URL":
				return dsn
			case "ROASD_CONFIG":
				return "../../configs/examples"
			}
			return ""
		}}
		return Main(ctx, env, args), out.String(), errb.String()
	}
	steps := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"csv with rejected rows", []string{"import", "links", "--source", "impact", csvFile}, 1,
			"imported 2 conversions (2 new or changed), 4 rows rejected\n",
			csvFile + ":3: neither creator nor link is set\n" + csvFile + `:4: parsing amount "abc": not a decimal number` + "\n" +
				csvFile + `:6: creator "jaqueline" is not a creator of brand glowco (its creators: jacqueline, marcus, priya)` + "\n" +
				csvFile + ":7: cannot attribute the conversion: jacqueline works for glowco and hautwerk; name its brand (--brand, or a brand or shop field)\n"},
		{"re-import is a no-op", []string{"import", "--source", "impact", "links", csvFile}, 1,
			"imported 2 conversions (0 new or changed), 4 rows rejected\n",
			csvFile + ":3: neither creator nor link is set\n" + csvFile + `:4: parsing amount "abc": not a decimal number` + "\n" +
				csvFile + `:6: creator "jaqueline" is not a creator of brand glowco (its creators: jacqueline, marcus, priya)` + "\n" +
				csvFile + ":7: cannot attribute the conversion: jacqueline works for glowco and hautwerk; name its brand (--brand, or a brand or shop field)\n"},
		{"clean json", []string{"import", "links", jsonFile}, 0, "imported 1 conversions (1 new or changed), 0 rows rejected\n", ""},
		{"unknown extension", []string{"import", "links", filepath.Join(dir, "x.txt")}, 2, "", "roasd import links: " + filepath.Join(dir, "x.txt") + ": want a .csv or .json file\n"},
		{"missing kind", []string{"import", csvFile}, 2, "", "usage: roasd import links [--source NAME] FILE.csv|FILE.json\n"},
		{"missing file", []string{"import", "links", filepath.Join(dir, "nope.csv")}, 1, "", ""},
	}
	for _, s := range steps {
		code, out, errOut := run(s.args...)
		if code != s.code || out != s.out || (s.err != "" && errOut != s.err) {
			t.Errorf("%s: roasd %v\n exit %d, stdout %q, stderr %q\nwant %d, %q, %q", s.name, s.args, code, out, errOut, s.code, s.out, s.err)
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.LinkConversions(ctx, "glowco", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.Source+"/"+c.ID)
	}
	if want := []string{"impact/c1", "impact/c4", "links/j1"}; len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
		t.Errorf("stored %v, want %v", ids, want)
	}
}
