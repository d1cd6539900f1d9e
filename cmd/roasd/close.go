package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roasd/roasd/report"
)

func init() {
	register(&command{
		name:    "close",
		usage:   "YYYY-MM [--brand NAME]",
		summary: "close a brand's month: freeze its report, show later changes as post-close adjustments",
		help: `Freezes a brand's month (days in the brand's time zone): its KPI cells and
ledger rows are copied into a snapshot, and from then on every report
(CLI, API, dashboard figures read through the report) shows the month's
days as they were closed. What changes later — a platform restating
spend, a late refund, a late order — never rewrites a closed number: it
shows as a post-close adjustment line per creator and cause ("roasd
report --adjustments", the table under its TOTAL, JSON "adjustments").

The month must be over in the brand's zone (on the jobs' clock, ROASD_NOW
when set) and the brand reconciled after it ended. Closing a closed month
again changes nothing and says so. POST /api/v1/close?month=YYYY-MM&brand=
(private listener, bearer ROASD_API_TOKEN) does the same.

--brand defaults to the only reconciled brand.`,
		run: runClose,
	})
}

func runClose(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "close")
	brand := fs.String("brand", "", "brand name (default: the only reconciled brand)")
	// The month may come before or after the flags.
	var month string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		month, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if month == "" && fs.NArg() > 0 {
		month = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "roasd close: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if month == "" {
		fmt.Fprintln(env.stderr, "roasd close: which month? e.g. roasd close 2026-11")
		return errUsage
	}
	first, err := report.ParseMonth(month)
	if err != nil {
		fmt.Fprintf(env.stderr, "roasd close: %v\n", err)
		return errUsage
	}
	now := time.Now
	if pinned, err := pinnedClock(env); err != nil {
		return err
	} else if pinned != nil {
		now = pinned
	}
	db, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := report.CloseMonth(ctx, db, *brand, first, now(), "cli")
	var re *report.Error
	if errors.As(err, &re) {
		return fmt.Errorf("close: %s", re.Msg)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, res.Text())
	return nil
}
