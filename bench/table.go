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
	med, lo, hi := r.firstSyncSpread()
	fmt.Fprintf(tw, "first sync, run --once (wall, median of %d)\t%s (%s–%s)\t< %s\t%s\n", len(r.FirstSyncs), secs(med), secs(lo), secs(hi), secs(TargetCycle), verdict(med < TargetCycle))
	fmt.Fprintf(tw, "daemon peak RSS (largest run)\t%d MB\t< %d MB\t%s\n", r.PeakRSS>>20, TargetPeakRSSMB, verdict(r.PeakRSS>>20 < TargetPeakRSSMB))
	if !r.Options.Quick {
		r.writeInProcess(tw)
	}
	tw.Flush()

	r.writeFirstSyncs(w)

	fmt.Fprintln(w, "\nAPI calls (as the fakes counted them) against the fewest the page sizes allow")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "platform\tcalls\tminimum\tratio\tminimum is")
	for _, p := range r.APIs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f×\t%s\n", p.Name, p.Calls, p.Minimum, p.Ratio(), p.How)
	}
	tw.Flush()

	sl := r.Slack
	fmt.Fprintf(w, "\nSlack, first sync: %d messages (%d checkpoint tables, %d thread replies, %d digests, %d other), %d Web API calls (%d chat.postMessage, %d chat.update); %s to deliver at Slack's rates\n",
		sl.Messages, sl.Tables, sl.Replies, sl.Digests, sl.Other, sum(sl.Calls), sl.Calls["chat.postMessage"], sl.Calls["chat.update"], secs(sl.Paced))
	fmt.Fprintf(w, "Slack goal (issue 16): at most one message per test with a change plus one digest per brand: %d messages against %d (%d tests with a change + %d digests): met %s\n",
		sl.Messages, sl.Goal(), sl.TestsChanged, sl.Digests, verdict(sl.Messages <= sl.Goal()))

	if len(r.Cycles) > 0 {
		r.writeSteady(w)
	}

	fmt.Fprintln(w, "\nFirst sync by job (job_runs, last run)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job\truns\trows\tapi calls\ttook\t")
	for _, j := range r.Jobs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", j.Job, j.Runs, j.Rows, j.APICalls, secs(j.Took))
	}
	tw.Flush()
}

// writeInProcess prints the figures measured in this process: ingestion
// against COPY and the reconcile timings.
func (r *Result) writeInProcess(tw *tabwriter.Writer) {
	up, cp := rate(int64(r.IngestRows), r.IngestTook), rate(int64(r.IngestRows), r.CopyTook)
	fmt.Fprintf(tw, "ingest, store.UpsertOrders\t%.0f rows/s (%s)\t≥ %.0f rows/s (½ COPY)\t%s\n", up, secs(r.IngestTook), cp*TargetIngest, verdict(up >= cp*TargetIngest))
	fmt.Fprintf(tw, "ingest, plain COPY (same rows)\t%.0f rows/s (%s)\t—\t\n", cp, secs(r.CopyTook))
	fmt.Fprintf(tw, "ingest, shopify.orders sync (bulk JSONL+upsert)\t%.0f rows/s (%s)\t—\t\n", rate(r.SyncRows, r.SyncTook), secs(r.SyncTook))
	fmt.Fprintf(tw, "reconcile, full rebuild\t%s (%d rows)\t—\t\n", secs(r.FullReconcile), r.FullRows)
	fmt.Fprintf(tw, "reconcile, one changed day (%s)\t%s (%d rows)\t< %s\t%s\n", r.ReconcileChanged, secs(r.OneDayReconcile), r.OneDayRows, secs(TargetOneDay), verdict(r.OneDayReconcile < TargetOneDay))
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
	fmt.Fprintln(tw, "cycle\twall\tdaemon CPU\tPostgres CPU\tpeak RSS\tmeta calls/min\ttiktok calls/min\tshopify calls/min\trows written (bookkeeping)\tSlack posts")
	for _, c := range r.Cycles {
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%d MB", c.Name, secs(c.Wall), cpu(c.DaemonCPU), cpu(c.PostgresCPU), c.PeakRSS>>20)
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

// Ratio is Calls over Minimum (0 without a minimum).
func (p Platform) Ratio() float64 {
	if p.Minimum <= 0 {
		return 0
	}
	return float64(p.Calls) / float64(p.Minimum)
}

func (r *Result) firstSyncSpread() (median, lo, hi time.Duration) {
	walls := make([]time.Duration, 0, len(r.FirstSyncs))
	for _, f := range r.FirstSyncs {
		walls = append(walls, f.Wall)
	}
	return Spread(walls)
}

// writeFirstSyncs prints each first sync: wall, CPU, peak RSS and the
// calls each platform's fake counted against the minimum.
func (r *Result) writeFirstSyncs(w io.Writer) {
	med, lo, hi := r.firstSyncSpread()
	fmt.Fprintf(w, "\nFirst sync, %d run(s) on fresh fakes and a fresh database: median %s, spread %s (%s–%s)\n",
		len(r.FirstSyncs), secs(med), secs(hi-lo), secs(lo), secs(hi))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\twall\tdaemon CPU\tPostgres CPU\tpeak RSS\tmeta calls/min\ttiktok calls/min\tshopify calls/min\texit")
	for i, f := range r.FirstSyncs {
		row := fmt.Sprintf("%d\t%s\t%s\t%s\t%d MB", i+1, secs(f.Wall), cpu(f.DaemonCPU), cpu(f.PostgresCPU), f.PeakRSS>>20)
		for _, p := range f.APIs {
			row += fmt.Sprintf("\t%d/%d", p.Calls, p.Minimum)
		}
		fmt.Fprintf(tw, "%s\t%d\n", row, f.Exit)
	}
	tw.Flush()
}

// WriteCurve prints one line per benchmark point (the memory curve over
// orders, the scale curve over brand sizes): the brand's size, the first
// sync's median wall time and spread, CPU, the daemon's peak RSS, the
// calls per platform against the minimum, and the 15-minute cycle's wall
// time and calls. Each per-orders or per-scale growth is against the
// first point.
func WriteCurve(w io.Writer, title string, rs []*Result) {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "creators\tvariants\torders\tfirst sync (median, spread)\tdaemon CPU\tPostgres CPU\tpeak RSS first/steady\tmeta calls/min\ttiktok calls/min\tshopify calls/min\t15-min cycle wall\t15-min calls meta/tiktok/shopify\twall vs first point")
	var base time.Duration
	for i, r := range rs {
		med, lo, hi := r.firstSyncSpread()
		if i == 0 {
			base = med
		}
		var dcpu, pcpu []time.Duration
		for _, f := range r.FirstSyncs {
			dcpu, pcpu = append(dcpu, f.DaemonCPU), append(pcpu, f.PostgresCPU)
		}
		dm, _, _ := Spread(dcpu)
		pm, _, _ := Spread(pcpu)
		var steadyRSS int64
		for _, c := range r.Cycles {
			steadyRSS = max(steadyRSS, c.PeakRSS)
		}
		row := fmt.Sprintf("%d\t%d\t%d\t%s ±%s\t%s\t%s\t%d/%d MB", r.Options.Brand.Creators, r.Options.Brand.Variants, r.Orders,
			secs(med), secs((hi-lo)/2), cpu(dm), cpu(pm), r.PeakRSS>>20, steadyRSS>>20)
		for _, p := range r.APIs {
			row += fmt.Sprintf("\t%d/%d", p.Calls, p.Minimum)
		}
		quarter := "—\t—"
		for _, c := range r.Cycles {
			if c.Advance == 15*time.Minute {
				quarter = secs(c.Wall) + "\t"
				for k, p := range c.APIs {
					if k > 0 {
						quarter += "/"
					}
					quarter += fmt.Sprintf("%d", p.Calls)
				}
			}
		}
		growth := "1.00×"
		if base > 0 {
			growth = fmt.Sprintf("%.2f×", float64(med)/float64(base))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row, quarter, growth)
	}
	tw.Flush()
}
