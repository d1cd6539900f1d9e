package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Targets from the benchmark issue.
const (
	TargetCycle     = 60 * time.Second
	TargetIngest    = 0.5 // of COPY's rows/s
	TargetOneDay    = time.Second
	TargetPeakRSSMB = 300
)

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// WriteTable prints the result: the headline figures against their
// targets, the API calls against their minimum, and the per-job breakdown.
func (r *Result) WriteTable(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "roasd bench — %d creators, %d variants (Meta + TikTok), %d days, %d orders; %d ads, %d ad-days\n\n",
		o.Brand.Creators, o.Brand.Variants, o.Days, r.Orders, r.Ads, r.DayStats)
	if r.CycleExit != 0 {
		fmt.Fprintf(w, "WARNING: the cycle exited %d; its last log lines:\n%s\n\n", r.CycleExit, r.CycleErrors)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tmeasured\ttarget\tmet")
	fmt.Fprintf(tw, "full cycle, run --once (wall)\t%s\t< %s\t%s\n", secs(r.CycleWall), secs(TargetCycle), verdict(r.CycleWall < TargetCycle))
	fmt.Fprintf(tw, "daemon peak RSS\t%d MB\t< %d MB\t%s\n", r.PeakRSS>>20, TargetPeakRSSMB, verdict(r.PeakRSS>>20 < TargetPeakRSSMB))
	up, cp := rate(int64(r.IngestRows), r.IngestTook), rate(int64(r.IngestRows), r.CopyTook)
	fmt.Fprintf(tw, "ingest, store.UpsertOrders\t%.0f rows/s (%s)\t≥ %.0f rows/s (½ COPY)\t%s\n", up, secs(r.IngestTook), cp*TargetIngest, verdict(up >= cp*TargetIngest))
	fmt.Fprintf(tw, "ingest, plain COPY (same rows)\t%.0f rows/s (%s)\t—\t\n", cp, secs(r.CopyTook))
	fmt.Fprintf(tw, "ingest, shopify.orders sync (bulk JSONL+upsert)\t%.0f rows/s (%s)\t—\t\n", rate(r.SyncRows, r.SyncTook), secs(r.SyncTook))
	fmt.Fprintf(tw, "reconcile, full rebuild\t%s (%d rows)\t—\t\n", secs(r.FullReconcile), r.FullRows)
	fmt.Fprintf(tw, "reconcile, one changed day (%s)\t%s (%d rows)\t< %s\t%s\n", r.ReconcileChanged, secs(r.OneDayReconcile), r.OneDayRows, secs(TargetOneDay), verdict(r.OneDayReconcile < TargetOneDay))
	tw.Flush()

	fmt.Fprintln(w, "\nAPI calls (as the fakes counted them) against the fewest the page sizes allow")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "platform\tcalls\tminimum\tratio\tminimum is")
	for _, p := range r.APIs {
		ratio := 0.0
		if p.Minimum > 0 {
			ratio = float64(p.Calls) / float64(p.Minimum)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f×\t%s\n", p.Name, p.Calls, p.Minimum, ratio, p.How)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nSlack, first cycle: %d messages, %d Web API calls (%d chat.postMessage, %d chat.update); %s to deliver at Slack's rates\n",
		r.Slack.Messages, sum(r.Slack.Calls), r.Slack.Calls["chat.postMessage"], r.Slack.Calls["chat.update"], secs(r.Slack.Paced))

	if len(r.Cycles) > 0 {
		r.writeSteady(w)
	}

	fmt.Fprintln(w, "\nFull cycle by job (job_runs)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job\truns\trows\tapi calls\ttook\t")
	for _, j := range r.Jobs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", j.Job, j.Runs, j.Rows, j.APICalls, secs(j.Took))
	}
	tw.Flush()
}

// TargetSteadyCycle is the steady-state cycle's wall-time goal.
const TargetSteadyCycle = 5 * time.Second

func cpu(d time.Duration) string {
	if d < 0 {
		return "n/a"
	}
	return secs(d)
}

// writeSteady prints the steady-state cycles: what changed, the cycle's
// cost, and its API calls against the minimum for that change.
func (r *Result) writeSteady(w io.Writer) {
	fmt.Fprintf(w, "\nSteady state: run --once again after the clock moves on (target < %s wall, ≤ 1.1× the minimum calls)\n", secs(TargetSteadyCycle))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cycle\twall\tdaemon CPU\tPostgres CPU\tmeta calls/min\ttiktok calls/min\tshopify calls/min\trows written (bookkeeping)\tSlack posts")
	for _, c := range r.Cycles {
		row := fmt.Sprintf("%s\t%s\t%s\t%s", c.Name, secs(c.Wall), cpu(c.DaemonCPU), cpu(c.PostgresCPU))
		for _, p := range c.APIs {
			row += fmt.Sprintf("\t%d/%d", p.Calls, p.Minimum)
		}
		fmt.Fprintf(tw, "%s\t%d (%d)\t%d\n", row, c.RowsWritten, c.Bookkeeping, c.Slack)
	}
	tw.Flush()
	for _, c := range r.Cycles {
		ch := c.Change
		fmt.Fprintf(w, "  %s: ", c.Name)
		if c.Advance == 0 {
			fmt.Fprint(w, "nothing changed")
		} else {
			fmt.Fprintf(w, "+%s: %d orders, %d refunds, %d ad-day rows moved, %s restated (%d rows), spark post %q revoked",
				c.Advance, ch.Orders, ch.Refunds, ch.StatRows, ch.Restated, ch.RestatedRows, ch.Revoked)
		}
		fmt.Fprintf(w, "\n    written: %s\n    jobs: %s\n", c.Tables, c.Jobs)
		for _, p := range c.APIs {
			fmt.Fprintf(w, "    %s minimum: %s\n", p.Name, p.How)
		}
		if c.Exit != 0 {
			fmt.Fprintf(w, "    WARNING: exited %d: %s\n", c.Exit, c.Errors)
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
