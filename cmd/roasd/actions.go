package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

func init() {
	register(&command{
		name:    "actions",
		usage:   "list [--all] | approve ID... | skip ID...  [--as NAME] [--config DIR]",
		summary: "list, approve or skip the platform actions awaiting approval (actions: approve)",
		help: `For teams without Slack interactivity, the same as the Approve / Skip
buttons of the approval messages:

  roasd actions list            the actions awaiting approval (--all: every
                                action asked for approval, with its outcome)
  roasd actions approve ID...   approve; with the config (--config, default
                                $ROASD_CONFIG or configs/examples) and the
                                platform tokens in the environment the
                                approved actions are applied at once, under
                                the brand's lease (read, send, read back);
                                else the daemon's next verdicts run does it
  roasd actions skip ID...      skip: nothing is sent

Each decision is recorded with --as (default $USER) and applied at most
once: an action already decided, expired (the next checkpoint came, or the
verdict changed) or approved twice is reported and left as it is.`,
		run: runActions,
	})
}

func runActions(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "roasd actions: want list, approve or skip")
		return errUsage
	}
	sub := args[0]
	fs := newFlags(env, "actions "+sub)
	all := fs.Bool("all", false, "list every action asked for approval, not only those awaiting")
	as := fs.String("as", envOr(env, "USER", "cli"), "who decides, as recorded and shown in Slack")
	config := fs.String("config", envOr(env, "ROASD_CONFIG", "configs/examples"), "config to apply approved actions with (\"\" or missing: the daemon applies them)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	db, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now
	if pinned, err := pinnedClock(env); err != nil {
		return err
	} else if pinned != nil {
		now = pinned
	}
	switch sub {
	case "list":
		return listActions(ctx, env, db, *all)
	case "approve", "skip":
	default:
		fmt.Fprintf(env.stderr, "roasd actions: unknown %q: want list, approve or skip\n", sub)
		return errUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(env.stderr, "roasd actions %s: give the ids of the actions (roasd actions list)\n", sub)
		return errUsage
	}
	name := "@" + strings.TrimPrefix(*as, "@")
	brands := map[string]bool{}
	failed := false
	for _, a := range fs.Args() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			fmt.Fprintf(env.stderr, "roasd actions %s: %q is not an action id\n", sub, a)
			return errUsage
		}
		outcome, rec, err := db.Decide(ctx, store.Decision{ID: id, UserID: "cli:" + strings.TrimPrefix(*as, "@"), UserName: name, Via: "cli", Approve: sub == "approve"}, true, now())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "action %d: %s\n", id, strings.ReplaceAll(outcome, "_", " "))
		switch outcome {
		case store.DecisionApproved, store.DecisionSkipped:
			brands[rec.Brand] = true
		default:
			failed = true
		}
	}
	if len(brands) > 0 {
		if err := applyFromCLI(ctx, env, *config, now, brands); err != nil {
			fmt.Fprintf(env.stdout, "approved actions are applied by the daemon's next verdicts run (%v)\n", err)
		}
	}
	if failed {
		return exitError{code: 1}
	}
	return nil
}

// applyFromCLI applies the decided actions of brands as the daemon would
// after a Slack click.
func applyFromCLI(ctx context.Context, env *cmdEnv, config string, now func() time.Time, brands map[string]bool) error {
	if config == "" {
		return errors.New("no config given")
	}
	if _, err := os.Stat(config); err != nil {
		return err
	}
	set, err := loadConfig(config)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	d, err := newDaemon(ctx, env, env.getenv("DATABASE_URL"), runOptions{config: config, replica: host + "-cli", now: now,
		schedules: jobs.Schedules{}, logLevel: slog.LevelError})
	if err != nil {
		return err
	}
	defer d.close()
	d.set = set
	// A verdicts run holding the brand's lease is waited for, not forever.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for b := range brands {
		br := set.Brand(b)
		if br == nil {
			return fmt.Errorf("brand %s is not in %s", b, config)
		}
		if err := d.applyDecided(ctx, br); err != nil {
			return err
		}
		recs, err := d.db.ApprovalActions(ctx, b, "")
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.DecidedBy != "" && r.Status != store.ActionAwaiting {
				fmt.Fprintf(env.stdout, "action %d: %s\n", r.ID, r.Status)
			}
		}
	}
	return nil
}

func listActions(ctx context.Context, env *cmdEnv, db *store.DB, all bool) error {
	recs, err := db.AwaitingActions(ctx)
	if err != nil {
		return err
	}
	if all {
		recs = nil
		brands, err := db.ActionBrands(ctx)
		if err != nil {
			return err
		}
		for _, b := range brands {
			rs, err := db.ApprovalActions(ctx, b, "")
			if err != nil {
				return err
			}
			recs = append(recs, rs...)
		}
	}
	if len(recs) == 0 {
		fmt.Fprintln(env.stdout, "no actions await approval")
		return nil
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tBRAND\tTEST\tCHECKPOINT\tCHANGE\tSTATUS\tEXPIRES")
	for _, r := range recs {
		status := r.Status
		if r.DecidedName != "" {
			status += " (" + r.DecidedName + ")"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Brand, r.TestID, r.Checkpoint, describeChange(r), status, r.ExpiresAt.UTC().Format("2006-01-02 15:04Z"))
	}
	return w.Flush()
}

// describeChange says what an action changes, budgets in the account
// currency.
func describeChange(r store.ActionRecord) string {
	money := func(v string) string {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || r.Currency == "" {
			return v
		}
		return ads.FormatMicros(ads.MinorToMicros(n, r.Currency), ads.MinorUnitExponent(r.Currency)) + " " + r.Currency
	}
	if reconcile.BudgetAction(r.Action) {
		return fmt.Sprintf("budget of %s %s %s → %s", r.Platform, r.TargetID, money(r.Before), money(r.Target))
	}
	return fmt.Sprintf("pause %s ad %s (%s)", r.Platform, r.TargetID, r.VariantKey)
}
