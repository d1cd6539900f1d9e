package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/roasd/roasd/jobs"
)

func init() {
	register(&command{
		name:    "version",
		usage:   "",
		summary: "prints the platform API versions roasd is pinned to and their end of life",
		help: `Prints each platform API version roasd asks for (Meta Graph/Marketing API,
Shopify Admin API), when the platform stops serving it, how many days are
left and where the date is published. From 30 days before an end of life
the daemon logs a warning and posts one Slack alert per version; /metrics
has roasd_api_version_days_to_end_of_life. The days count from ROASD_NOW
when it is set (the jobs' clock), else from now.`,
		run: runVersion,
	})
}

func runVersion(_ context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "version")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	clock, err := pinnedClock(env)
	if err != nil {
		return err
	}
	now := time.Now()
	if clock != nil {
		now = clock()
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PLATFORM\tVERSION\tEND OF LIFE\tDAYS LEFT\tSOURCE")
	for _, s := range jobs.VersionStatuses(now) {
		eol, left := "unpublished", "-"
		if !s.EndOfLife.IsZero() {
			eol, left = s.EndOfLife.UTC().Format("2006-01-02 15:04 MST"), fmt.Sprint(s.DaysLeft)
			if s.Warn {
				left += " (upgrade roasd)"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Platform, s.Version, eol, left, s.Source)
	}
	return w.Flush()
}
