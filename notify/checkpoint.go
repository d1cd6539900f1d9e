package notify

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/roasd/roasd/reconcile"
)

// KindCheckpoint: one message per test and checkpoint, a table of its
// variants, edited in place when numbers or verdicts change.
const KindCheckpoint = "checkpoint"

// CheckpointThread is the thread key of a test's checkpoint: its table
// message starts the thread, and what needs attention at that checkpoint
// (a flipped verdict, an action's outcome) replies in it.
func CheckpointThread(testID, checkpoint string) string { return "test:" + testID + "@" + checkpoint }

// Plan says what roasd does with a test's verdicts: apply (it pauses cut
// ads and raises scaled budgets itself), approve (it proposes them with
// buttons in the checkpoint's thread) or neither (it only says so).
type Plan struct {
	// Apply is true when the test's actions mode is apply; Approve when
	// it is approve.
	Apply, Approve bool
}

// next is what happens to a variant with verdict v under p.
func (p Plan) next(v string) string {
	var what string
	switch v {
	case reconcile.VerdictCut:
		what = "pause its ads"
	case reconcile.VerdictScale:
		what = "raise its budget"
	case reconcile.VerdictRefresh:
		return "new creative (you)"
	default:
		return "keep running"
	}
	switch {
	case p.Apply:
		return "roasd will " + what
	case p.Approve:
		return what + " (awaiting approval)"
	}
	return what + "? (yours to decide)"
}

// CheckpointAlert is the one message of testID at checkpoint: a table of
// every variant's verdict, ROAS with its credible interval, spend, store
// orders and what roasd does or proposes next. Its dedup key hashes what
// it shows, so the same numbers are never posted again; different ones
// edit the earlier message (chat.update).
func CheckpointAlert(t Target, testID, checkpoint string, p Plan, vs []reconcile.Verdict) Alert {
	update := CheckpointUpdateKey(t.Brand, testID, checkpoint)
	counts := map[string]int{}
	var cred float64
	table := []string{fmt.Sprintf("%-16s %-8s %-22s %16s %6s  %s", "variant", "verdict", "ROAS (interval)", "spend", "orders", "next")}
	var why []string
	h := fnv.New64a()
	for _, v := range vs {
		counts[v.Verdict]++
		roas := fmt.Sprintf("%.2fx", v.ROAS)
		if v.Rule != reconcile.RuleLowSpend && v.Rule != reconcile.RuleNoEvidence {
			roas += fmt.Sprintf(" (%.2f–%.2f)", v.Low, v.High)
			cred = v.Credibility
		}
		row := fmt.Sprintf("%-16s %-8s %-22s %16s %6d  %s", clip(v.Subject, 16), strings.ToUpper(v.Verdict), roas,
			money(v.Spend, t.Currency), v.Orders, p.next(v.Verdict))
		table = append(table, row)
		if v.Verdict != reconcile.VerdictHold {
			why = append(why, fmt.Sprintf("• *%s* %s: %s", v.Subject, v.Verdict, v.Reason))
		}
		fmt.Fprintf(h, "%s|%s|%s\n", row, v.Reason, v.Verdict)
	}
	var summary []string
	for _, k := range []string{reconcile.VerdictScale, reconcile.VerdictCut, reconcile.VerdictRefresh, reconcile.VerdictHold} {
		if counts[k] > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	reason := fmt.Sprintf("%d variant(s) judged on store-confirmed orders through checkpoint %s: %s.", len(vs), checkpoint, strings.Join(summary, ", "))
	if cred > 0 {
		reason += fmt.Sprintf(" Intervals are %.0f%% credible.", cred*100)
	}
	if len(vs) > 0 && vs[0].Provisional != "" {
		reason += " Provisional: " + vs[0].Provisional + "."
	}
	switch {
	case counts[reconcile.VerdictCut]+counts[reconcile.VerdictScale] == 0:
	case p.Apply:
		reason += " Next: roasd pauses the cut variants' ads and raises the scaled ones' budgets; each outcome is posted in this thread."
	case p.Approve:
		reason += " Next: the pauses and budget raises await approval in this thread."
	default:
		reason += " Next: the pauses and budget raises are proposals (actions mode alert); make them in the ads manager."
	}
	if len(why) > 0 {
		reason += "\n" + strings.Join(why, "\n")
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, ThreadKey: CheckpointThread(testID, checkpoint), UpdateKey: update,
		Kind: KindCheckpoint, DedupKey: fmt.Sprintf("%s:%016x", update, h.Sum64()),
		Title:     fmt.Sprintf("%s at %s: %s", testID, checkpoint, strings.Join(summary, ", ")),
		Reason:    reason,
		Table:     table,
		Context:   contextLine(t.Brand, testID, "checkpoint "+checkpoint),
		ReportURL: t.ReportURL,
	}
}

// FlipAlert replies in the checkpoint's thread that subject's verdict
// changed from prior to v.Verdict (the changes-th change), with the
// numbers and what happens next.
func FlipAlert(t Target, testID, checkpoint string, p Plan, prior string, changes int, v reconcile.Verdict) Alert {
	a := VerdictAlert(t, testID, checkpoint, v)
	a.UpdateKey = ""
	a.ThreadKey = CheckpointThread(testID, checkpoint)
	a.DedupKey = fmt.Sprintf("flip:%s:%s:%s:%s:%d:%s", t.Brand, testID, v.Subject, checkpoint, changes, v.Verdict)
	a.Title = fmt.Sprintf("%s flipped from %s to %s at %s", v.Subject, prior, v.Verdict, checkpoint)
	a.Mention = t.mention(testID)
	a.Reason = strings.TrimSuffix(v.Reason, ".") + ". Next: " + p.next(v.Verdict) + "."
	return a
}

// tableBlocks escapes table lines and splits them into preformatted chunks that each fit
// a section (3,000 characters with the fences), at most max chunks; the
// lines left out are counted in a last line.
func tableBlocks(lines []string, max int) []string {
	var out []string
	var cur []string
	size := 0
	for i, l := range lines {
		l = clip(escape(l), maxSectionText-10)
		if size+utf8.RuneCountInString(l)+1 > maxSectionText-10 && len(cur) > 0 {
			if len(out) == max-1 {
				cur = append(cur[:len(cur)-1], fmt.Sprintf("… %d more rows in the report", len(lines)-i+1))
				break
			}
			out = append(out, "```"+strings.Join(cur, "\n")+"```")
			cur, size = nil, 0
		}
		cur = append(cur, l)
		size += utf8.RuneCountInString(l) + 1
	}
	if len(cur) > 0 {
		out = append(out, "```"+strings.Join(cur, "\n")+"```")
	}
	return out
}

// CheckpointUpdateKey is the update key of a test's checkpoint table.
func CheckpointUpdateKey(brand, testID, checkpoint string) string {
	return fmt.Sprintf("checkpoint:%s:%s:%s", brand, testID, checkpoint)
}
