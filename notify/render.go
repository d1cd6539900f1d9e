package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/roasd/roasd/reconcile"
)

// Block Kit limits (docs.slack.dev reference/block-kit/blocks).
const (
	maxHeaderText  = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxFields      = 10
	maxBlocks      = 50
)

// Render lays out an alert as Block Kit: a header with what happened, a
// section with why, a section of fields with the numbers, and a context
// line with where it comes from and a link to the report.
func Render(a Alert) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, clip(emoji(a)+" "+a.Title, maxHeaderText), true, false)),
	}
	if a.Reason != "" || a.Mention != "" {
		why := escape(a.Reason)
		if a.Mention != "" {
			why = a.Mention + " " + why
		}
		blocks = append(blocks, slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, clip(why, maxSectionText), false, false), nil, nil))
	}
	for _, chunk := range tableBlocks(a.Table, maxBlocks-5) {
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, chunk, false, false), nil, nil))
	}
	if len(a.Fields) > 0 {
		var fields []*slack.TextBlockObject
		for _, f := range a.Fields[:min(len(a.Fields), maxFields)] {
			fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType,
				clip(fmt.Sprintf("*%s*\n%s", escape(f.Label), escape(f.Value)), maxFieldText), false, false))
		}
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	blocks = append(blocks, approvalBlocks(a)...)
	var ctx []slack.MixedElement
	if a.Context != "" {
		ctx = append(ctx, slack.NewTextBlockObject(slack.MarkdownType, escape(a.Context), false, false))
	}
	if a.ReportURL != "" {
		ctx = append(ctx, slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprintf("<%s|Open report>", escapeURL(a.ReportURL)), false, false))
	}
	if len(ctx) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", ctx...))
	}
	return blocks
}

// FallbackText is the text of an alert, used by Slack for notifications
// and clients that cannot show blocks. Slack parses it as mrkdwn, so &, <
// and > are escaped: an ad named "<!channel> sale" must not ping the
// channel.
func FallbackText(a Alert) string {
	reason, _, _ := strings.Cut(a.Reason, "\n") // the first line; the rest is in the blocks
	text := escape(a.Title)
	if reason != "" {
		text = escape(a.Title + ": " + reason)
	}
	if a.Mention != "" {
		text = a.Mention + " " + text
	}
	return text
}

func emoji(a Alert) string {
	switch a.Kind {
	case KindVerdict:
		switch a.Verdict {
		case reconcile.VerdictScale:
			return ":rocket:"
		case reconcile.VerdictCut:
			return ":scissors:"
		case reconcile.VerdictRefresh:
			return ":arrows_counterclockwise:"
		}
		return ":hourglass_flowing_sand:"
	case KindCheckpoint:
		return ":bar_chart:"
	case KindDigest:
		return ":newspaper:"
	case KindWeekly:
		return ":ledger:"
	case KindGuard:
		return ":rotating_light:"
	case KindPermission:
		return ":key:"
	case KindHygiene:
		return ":broom:"
	case KindAction:
		return ":gear:"
	case KindApproval:
		return ":raising_hand:"
	case KindToken:
		return ":hourglass:"
	case KindSync:
		return ":warning:"
	case KindVersion:
		return ":calendar:"
	}
	return ":bell:"
}

// escape makes text safe for mrkdwn: &, < and > are control characters.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// escapeURL keeps a URL from closing the <url|label> link syntax.
func escapeURL(s string) string {
	return strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(s)
}

// clip shortens s to at most n runes, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
