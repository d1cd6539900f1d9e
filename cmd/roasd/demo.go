package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/roasd/roasd/ads"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgcluster"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/web"
)

func init() {
	register(&command{
		name:    "demo",
		usage:   "[--once] [--listen ADDR]",
		summary: "run the full cycle on the embedded examples with a private Postgres and the sandbox",
		help: `Needs no configuration. When DATABASE_URL is unset it starts a private
PostgreSQL cluster from the local binaries (removed on exit). It starts the
sandbox fakes seeded with a 30-day campaign, runs every job once on the
embedded configs/examples (sync, pull, ingest, reconcile, verdicts, Slack),
prints the Slack messages posted and the blended-ROAS table by creator, then
keeps running as the daemon until interrupted (or exits with --once).

The demo's clock is the sandbox campaign's: "today" is the campaign's last
day, so checkpoints and expiry warnings fall as they would in production.`,
		run: runDemo,
	})
}

// overlayEnv answers from vars first, then from the process environment.
func overlayEnv(base *cmdEnv, vars map[string]string) *cmdEnv {
	return &cmdEnv{stdout: base.stdout, stderr: base.stderr, getenv: func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return base.getenv(k)
	}}
}

func runDemo(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "demo")
	once := fs.Bool("once", false, "exit after the first cycle instead of running as the daemon")
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP listen address of the daemon")
	verbose := fs.Bool("verbose", false, "log every job run (default: warnings and errors only)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	out := env.stdout
	vars := map[string]string{}
	dsn := env.getenv("DATABASE_URL")
	if dsn == "" {
		fmt.Fprintln(out, "· starting a private PostgreSQL cluster from the local binaries…")
		c, err := pgcluster.Start(ctx)
		if err != nil {
			return fmt.Errorf("starting private PostgreSQL: %w", err)
		}
		defer c.Stop()
		dsn = c.URL("postgres")
	}
	vars["DATABASE_URL"] = dsn

	dir, err := os.MkdirTemp("", "roasd-demo-config-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := copyExamples(dir); err != nil {
		return err
	}
	set, err := loadConfig(dir)
	if err != nil {
		return err
	}
	camp, err := sandbox.NewCampaign(set, 1)
	if err != nil {
		return err
	}
	sb, err := sandbox.Start(camp)
	if err != nil {
		return err
	}
	defer sb.Close()
	fmt.Fprintf(out, "· sandbox: %d ads, %d orders over %s..%s\n", len(camp.Ads), len(camp.Orders), camp.Today.AddDays(-sandbox.Days+1), camp.Today)
	for _, line := range sb.Env() {
		k, v, _ := strings.Cut(line, "=")
		vars[k] = v
		if strings.HasSuffix(k, "_URL") {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
	vars["SHOPIFY_WEBHOOK_SECRET"] = "demo-webhook-secret"
	if env.getenv("ROASD_API_TOKEN") == "" {
		vars["ROASD_API_TOKEN"] = "demo"
	}
	denv := overlayEnv(env, vars)

	offset := time.Until(camp.Now)
	o := runOptions{config: dir, listen: *listen, replica: "demo", jitter: 5 * time.Second, grace: 10 * time.Second,
		reload: 2 * time.Second, now: func() time.Time { return time.Now().Add(offset) }, logLevel: slog.LevelWarn}
	if *verbose {
		o.logLevel = slog.LevelInfo
	}
	d, err := newDaemon(ctx, denv, dsn, o)
	if err != nil {
		return err
	}
	defer d.close()
	fmt.Fprintf(out, "· running every job once (clock: %s)…\n", camp.Now.Format(time.RFC1123))
	cycleErr := d.runOnce(ctx, set)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	printSlack(out, sb.Slack)
	if err := printCreatorROAS(ctx, out, d, set, camp.Today); err != nil {
		fmt.Fprintf(env.stderr, "roasd: report: %v\n", err)
	}
	if cycleErr != nil {
		fmt.Fprintf(env.stderr, "roasd: the cycle had failures (see above)\n")
		if *once {
			return cycleErr
		}
	}
	if *once {
		return nil
	}
	fmt.Fprintf(out, "\n· daemon running: dashboard http://%s/  report API http://%s/api/v1/report (bearer %s)  Ctrl-C stops\n",
		*listen, *listen, denv.getenv("ROASD_API_TOKEN"))
	return d.serve(ctx, set)
}

// copyExamples writes the embedded example configs into dir.
func copyExamples(dir string) error {
	return fs.WalkDir(configs.Examples, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(configs.Examples, p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644)
	})
}

// printSlack prints what the Slack fake received, threads indented.
func printSlack(w interface{ Write([]byte) (int, error) }, s *slackfake.Server) {
	msgs := s.Messages()
	fmt.Fprintf(w, "\n── Slack: %d messages posted ──\n", len(msgs))
	for _, m := range msgs {
		indent := ""
		if m.ThreadTS != "" {
			indent = "    ↳ "
		}
		text := m.Text
		if text == "" {
			text = blocksText(m.Blocks)
		}
		edited := ""
		if m.Edits > 0 {
			edited = fmt.Sprintf(" (edited %d×)", m.Edits)
		}
		fmt.Fprintf(w, "%s%s%s\n", indent, strings.ReplaceAll(strings.TrimSpace(text), "\n", "\n"+indent+"  "), edited)
	}
}

// blocksText extracts the plain text of Block Kit JSON.
func blocksText(raw json.RawMessage) string {
	var blocks []struct {
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return ""
	}
	var parts []string
	for _, b := range blocks {
		if b.Text != nil {
			parts = append(parts, b.Text.Text)
		}
	}
	return strings.Join(parts, " — ")
}

// printCreatorROAS prints the finance report by creator over the
// campaign: the same numbers as `roasd report --by creator`.
func printCreatorROAS(ctx context.Context, w io.Writer, d *daemon, set *configs.Set, today ads.Date) error {
	for _, b := range set.Brands {
		from := today.AddDays(-sandbox.Days + 1)
		rep, err := web.DBReports{DB: d.db}.Report(ctx, web.ReportQuery{Brand: b.Name, From: from, To: today, By: reconcile.ByCreator})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n── Blended ROAS by creator, %s, %s..%s ──\n", b.Name, from, today)
		if err := report.Write(w, report.FormatTable, rep); err != nil {
			return err
		}
	}
	return nil
}
