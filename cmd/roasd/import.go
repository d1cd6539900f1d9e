package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/links"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

func init() {
	register(&command{
		name:    "import",
		usage:   "links [--source NAME] [--brand B] [--config DIR] FILE.csv|FILE.json",
		summary: "import affiliate/link conversions from a CSV or JSON file into DATABASE_URL",
		help: `"roasd import links FILE" reads link conversions (columns or fields
conversion_id, creator, link, order_id, amount, currency, time; time is RFC 3339
or YYYY-MM-DD; creator or link is required) and stores the valid ones keyed by
(source, conversion_id), so importing the same file again changes nothing.
--source names the platform (default "links"; a "source" column overrides it).
Each conversion belongs to one brand: the row's "brand" column, else the brand
whose shop its "shop" column names, else --brand, else the one brand of the
config (--config, default $ROASD_CONFIG or configs/examples) with a creator
the conversion belongs to (by handle or link). A row of a creator who works
for several brands, or of none, is rejected: it is never counted twice.

Each rejected row is printed as FILE:ROW: reason. The exit code is 1 when any
row was rejected (the valid rows are still stored).`,
		run: runImport,
	})
}

func runImport(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "import")
	source := fs.String("source", "", "name of the affiliate/link platform (default \""+links.DefaultSource+"\")")
	brand := fs.String("brand", "", "the brand the conversions belong to, for rows that name neither brand nor shop")
	config := fs.String("config", envOr(env, "ROASD_CONFIG", "configs/examples"), "config file or directory: the brands, their shops and creators ($ROASD_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] != "links" {
		fmt.Fprintln(env.stderr, "usage: roasd import links [--source NAME] FILE.csv|FILE.json")
		return errUsage
	}
	if err := fs.Parse(rest[1:]); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.stderr, "usage: roasd import links [--source NAME] FILE.csv|FILE.json")
		return errUsage
	}
	file := fs.Arg(0)
	var parse func(*os.File, string, links.Owner) ([]ads.LinkConversion, []links.RowError)
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		parse = func(f *os.File, s string, o links.Owner) ([]ads.LinkConversion, []links.RowError) {
			return links.ParseCSVOwned(f, s, o)
		}
	case ".json":
		parse = func(f *os.File, s string, o links.Owner) ([]ads.LinkConversion, []links.RowError) {
			return links.ParseJSONOwned(f, s, o)
		}
	default:
		fmt.Fprintf(env.stderr, "roasd import links: %s: want a .csv or .json file\n", file)
		return errUsage
	}
	dsn := env.getenv("DATABASE_URL")
	if dsn == "" {
		return errors.New("DATABASE_URL is not set (e.g. postgres://user@host/db?sslmode=disable)")
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("importing links: %w", err)
	}
	defer f.Close()
	set, err := configs.Load(*config)
	if err != nil {
		return fmt.Errorf("importing links: reading the brands from %s: %w", *config, err)
	}
	if *brand != "" && set.Brand(*brand) == nil {
		return fmt.Errorf("importing links: --brand %s is not configured in %s", *brand, *config)
	}
	cs, rejected := parse(f, *source, reconcile.LinkOwner(set, *brand))

	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	var changed int64
	if len(cs) > 0 {
		if changed, err = db.UpsertLinkConversions(ctx, cs); err != nil {
			return fmt.Errorf("importing %s: %w", file, err)
		}
	}
	fmt.Fprintf(env.stdout, "imported %d conversions (%d new or changed), %d rows rejected\n", len(cs), changed, len(rejected))
	for _, r := range rejected {
		fmt.Fprintf(env.stderr, "%s:%d: %s\n", file, r.Row, r.Reason)
	}
	if len(rejected) > 0 {
		return exitError{code: 1}
	}
	return nil
}
