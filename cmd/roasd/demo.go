package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/roasd/roasd/ads"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/internal/pgcluster"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/report"
	"github.com/roasd/roasd/sandbox"
)

func init() {
	register(&command{
		name:    "demo",
		usage:   "[--once] [--listen ADDR] [--private-listen ADDR]",
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
	listen := fs.String("listen", "127.0.0.1:8080", "public HTTP listen address of the daemon: webhooks and the report API")
	privateListen := fs.String("private-listen", defaultPrivateListen, "private HTTP listen address: dashboard, /metrics, /healthz, /readyz (off: all on --listen)")
	var o runOptions
	addHTTPFlags(fs, &o)
	verbose := fs.Bool("verbose", false, "log every job run (default: warnings and errors only)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if !*once {
		// Fail before the cycle, not after it, when the port is taken
		// (typically by another roasd demo).
		for _, addr := range []string{*listen, *privateListen} {
			if addr == "off" {
				continue
			}
			if err := portFree(addr); err != nil {
				return err
			}
		}
	}
	out := env.stdout
	vars := map[string]string{}
	dsn := env.getenv("DATABASE_URL")
	private := dsn == ""
	if private {
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
	camps, err := sandbox.NewCampaigns(set, 1)
	if err != nil {
		return err
	}
	camp := camps[0]
	sb, err := sandbox.StartAll(camps, sandbox.Options{})
	if err != nil {
		return err
	}
	defer sb.Close()
	for _, c := range camps {
		fmt.Fprintf(out, "· sandbox: %s (%s, %s): %d ads, %d orders over %s..%s\n", c.Brand.Name, c.Brand.Currency, c.Brand.Timezone,
			len(c.Ads), len(c.Orders), c.Today.AddDays(-sandbox.Days+1), c.Today)
	}
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
	if *privateListen == "off" {
		*privateListen = ""
	}
	o.config, o.listen, o.privateListen, o.replica = dir, *listen, *privateListen, "demo"
	o.jitter, o.grace, o.reload, o.logLevel = 5*time.Second, 10*time.Second, 2*time.Second, slog.LevelWarn
	o.now = func() time.Time { return time.Now().Add(offset) }
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
	if err := demoApprove(ctx, out, d, sb, set); err != nil {
		fmt.Fprintf(env.stderr, "roasd: approving in the demo: %v\n", err)
	}
	if err := printCreatorROAS(ctx, out, d, set, camp.Today); err != nil {
		fmt.Fprintf(env.stderr, "roasd: report: %v\n", err)
	}
	var brands []string
	for _, b := range set.Brands {
		brands = append(brands, b.Name)
	}
	printAccess(out, accessInfo{dsn: dsn, private: private, once: *once, listen: *listen, brands: brands,
		token: vars["ROASD_API_TOKEN"], from: camp.Today.AddDays(-sandbox.Days + 1), to: camp.Today})
	if cycleErr != nil {
		fmt.Fprintf(env.stderr, "roasd: the cycle had failures (see above)\n")
		if *once {
			return cycleErr
		}
	}
	if *once {
		return nil
	}
	d.serving = make(chan listening, 1)
	go func() {
		select {
		case at := <-d.serving:
			dash := at.private
			if dash == "" {
				dash = at.public
			}
			tok := denv.getenv("ROASD_API_TOKEN")
			fmt.Fprintf(out, "\n· daemon running (Ctrl-C stops):\n    dashboard   %s/  (log in with the token %s)\n    metrics     %s/metrics%s\n    report API  %s/api/v1/report?brand=%s&from=%s&to=%s  (Authorization: Bearer %s; brands: %s)\n    webhooks    %s/webhooks/shopify, %s/webhooks/links\n",
				dash, tok, dash, map[bool]string{true: "  (bearer token)", false: ""}[at.private == ""], at.public, camp.Brand.Name,
				camp.Today.AddDays(-sandbox.Days+1), camp.Today, tok, strings.Join(brands, ", "), at.public, at.public)
		case <-ctx.Done():
		}
	}()
	return d.serve(ctx, set)
}

// portFree reports, as an error saying what to do, when addr cannot be
// listened on.
func portFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s is already in use (another roasd demo or daemon?): stop it, or pass --listen/--private-listen another address (e.g. 127.0.0.1:8090)", addr)
		}
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln.Close()
}

// accessInfo is what a user needs to reach the demo's data.
type accessInfo struct {
	dsn           string
	private, once bool
	listen, token string
	// brands are the demo's brands: one report command each.
	brands   []string
	from, to ads.Date
}

// printAccess prints how to reach the demo's data with the other
// commands: the database (the private cluster's URL, which holds no
// password; a DATABASE_URL of the user's own is never printed), the
// report command over the campaign and, while the daemon runs, the report
// API with its token (the demo's own; a ROASD_API_TOKEN of the user's is
// not printed either).
func printAccess(w io.Writer, a accessInfo) {
	token := a.token
	if token == "" {
		token = "$ROASD_API_TOKEN"
	}
	fmt.Fprintln(w, "\n── Reach the demo's data ──")
	if a.private {
		fmt.Fprintf(w, "  export DATABASE_URL='%s'\n", a.dsn)
	} else {
		fmt.Fprintln(w, "  # DATABASE_URL: the one in your environment")
	}
	for _, b := range a.brands {
		fmt.Fprintf(w, "  go run ./cmd/roasd report --brand %s --from %s --to %s --by creator\n", b, a.from, a.to)
	}
	if a.once {
		if a.private {
			fmt.Fprintln(w, "  # the private database is removed when the demo exits: run `roasd demo` without --once to keep it while you try these")
		}
		fmt.Fprintf(w, "  # report API (while `roasd demo` runs): bearer token %s\n", token)
		return
	}
	for _, b := range a.brands {
		fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' 'http://%s/api/v1/report?brand=%s&from=%s&to=%s&by=creator&format=csv'\n",
			token, a.listen, b, a.from, a.to)
	}
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

// printSlack prints what the Slack fake received as Slack shows the
// channel: top-level messages in the order posted, each followed by its
// thread's replies (indented), whenever they were posted.
func printSlack(w io.Writer, s *slackfake.Server) {
	msgs := s.Messages()
	names := map[string]string{}
	for _, c := range s.Channels() {
		names[c.ID] = "#" + c.Name
	}
	fmt.Fprintf(w, "\n── Slack: %d messages posted ──\n", len(msgs))
	writeSlackLog(w, msgs, names)
}

// writeSlackLog writes msgs (in posting order) thread by thread: a reply
// goes under the root of the thread it names, across channels kept apart,
// each under its name from names (else its id) when there are several.
func writeSlackLog(w io.Writer, msgs []slackfake.Message, names map[string]string) {
	type key struct{ channel, ts string }
	byTS := map[key]slackfake.Message{}
	for _, m := range msgs {
		byTS[key{m.Channel, m.TS}] = m
	}
	// root follows thread_ts up to the top-level message.
	root := func(m slackfake.Message) (key, bool) {
		k := key{m.Channel, m.TS}
		for i := 0; i < len(msgs); i++ {
			cur, ok := byTS[k]
			if !ok {
				return k, false
			}
			if cur.ThreadTS == "" || cur.ThreadTS == cur.TS {
				return k, true
			}
			k = key{m.Channel, cur.ThreadTS}
		}
		return k, true
	}
	replies := map[key][]slackfake.Message{}
	var tops, orphans []slackfake.Message
	for _, m := range msgs {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			tops = append(tops, m)
			continue
		}
		if r, ok := root(m); ok {
			replies[r] = append(replies[r], m)
		} else {
			orphans = append(orphans, m)
		}
	}
	chans := slackChannels(msgs)
	for _, ch := range chans {
		if len(chans) > 1 {
			name := names[ch]
			if name == "" {
				name = ch
			}
			fmt.Fprintf(w, "[%s]\n", name)
		}
		for _, m := range tops {
			if m.Channel != ch {
				continue
			}
			writeSlackMessage(w, m, "")
			for _, r := range replies[key{m.Channel, m.TS}] {
				writeSlackMessage(w, r, "    ↳ ")
			}
		}
		for _, m := range orphans {
			if m.Channel == ch {
				writeSlackMessage(w, m, "    ↳ (reply to a message not shown) ")
			}
		}
	}
}

// slackChannels lists the channels of msgs in order of first message.
func slackChannels(msgs []slackfake.Message) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if !seen[m.Channel] {
			seen[m.Channel] = true
			out = append(out, m.Channel)
		}
	}
	return out
}

// writeSlackMessage writes one message's text (or its blocks' text),
// continuation lines indented like the first.
func writeSlackMessage(w io.Writer, m slackfake.Message, indent string) {
	text := m.Text
	if text == "" {
		text = blocksText(m.Blocks)
	}
	// A list of what needs attention (the digest) is shown under it.
	if strings.HasSuffix(text, "need attention:") {
		for _, l := range strings.Split(blocksText(m.Blocks), "\n") {
			if strings.HasPrefix(l, "• ") {
				l, _, _ = strings.Cut(l, " — ```") // a table follows: shown below
				text += "\n" + strings.ReplaceAll(l, "*", "")
			}
		}
	}
	// A table (a preformatted section) is shown under the text.
	if tables := blocksTables(m.Blocks); tables != "" {
		text += "\n" + tables
	}
	// Slack shows mrkdwn's escapes as the characters they stand for.
	text = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(text)
	edited := ""
	if m.Edits > 0 {
		edited = fmt.Sprintf(" (edited %d×)", m.Edits)
	}
	fmt.Fprintf(w, "%s%s%s\n", indent, strings.ReplaceAll(strings.TrimSpace(text), "\n", "\n"+indent+"  "), edited)
}

// blockTexts returns the text of each Block Kit block in raw that has one.
func blockTexts(raw json.RawMessage) []string {
	var blocks []struct {
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return nil
	}
	var out []string
	for _, b := range blocks {
		if b.Text != nil {
			out = append(out, b.Text.Text)
		}
	}
	return out
}

// blocksTables returns the preformatted (```) sections of Block Kit JSON,
// without their fences.
func blocksTables(raw json.RawMessage) string {
	var parts []string
	for _, t := range blockTexts(raw) {
		if strings.HasPrefix(t, "```") {
			parts = append(parts, strings.Trim(t, "`"))
		}
	}
	return strings.Join(parts, "\n")
}

// blocksText extracts the plain text of Block Kit JSON.
func blocksText(raw json.RawMessage) string {
	return strings.Join(blockTexts(raw), " — ")
}

// printCreatorROAS prints the finance report by creator over the
// campaign: the same numbers as `roasd report --by creator`.
func printCreatorROAS(ctx context.Context, w io.Writer, d *daemon, set *configs.Set, today ads.Date) error {
	for _, b := range set.Brands {
		from := today.AddDays(-sandbox.Days + 1)
		rep, err := report.Service{DB: d.db}.Report(ctx, report.Query{Brand: b.Name, From: from, To: today, By: reconcile.ByCreator})
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
