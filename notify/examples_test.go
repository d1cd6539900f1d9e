package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
)

// readmeExamples are the message kinds README's "What reaches Slack"
// shows, in its order, each with where it goes.
var readmeExamples = []struct{ name, title string }{
	{"checkpoint", "Checkpoint table — top level, one per test and checkpoint, edited in place (`chat.update`) when its numbers change; its thread takes the replies below"},
	{"flip", "Flipped verdict — reply"},
	{"action", "Action outcome — reply (tests with `actions: apply`)"},
	{"approval", "Approval request — reply (tests with `actions: approve`), revised as each proposal is decided"},
	{"guard", "Guard — reply in the test's latest checkpoint thread"},
	{"permission", "Permission about to expire — reply"},
	{"no_ad", "Declared variant without an ad — reply"},
	{"digest", "Daily digest — top level, once a brand-local day from `slack.digest_at`; the brand's one list of untagged ads and their spend"},
	{"digest_not_judged", "Daily digest while a sync fails — it still goes out, naming the failing syncs"},
	{"weekly", "Weekly digest for finance — top level, on `slack.weekly_digest`'s day from the digest time, last ISO week by creator"},
	{"not_judged", "Not judged — top level, once per episode of failing syncs"},
	{"sync", "Failing part of a sync — top level, once per episode"},
	{"unconverted", "Orders in a currency without a rate — top level, once per currency pair and day"},
	{"token", "Access token expiry — top level, 14 and 3 days before and at expiry"},
	{"version", "API version end of life — top level, from 30 days before"},
}

// Markers around the generated examples in README.md.
const (
	examplesBegin = "<!-- slack-examples: generated from notify's renderer by `go test ./notify -run TestREADMEExamples -update`; do not edit by hand -->"
	examplesEnd   = "<!-- /slack-examples -->"
)

// slackText shows a rendered alert as Slack lays it out, in plain text:
// the header, the sections (tables as they are), the fields as "label:
// value" rows, buttons in brackets and the context line.
func slackText(t *testing.T, a Alert) string {
	t.Helper()
	raw, err := json.Marshal(Render(a))
	if err != nil {
		t.Fatal(err)
	}
	type text struct {
		Text string `json:"text"`
	}
	var blocks []struct {
		Type     string `json:"type"`
		Text     *text  `json:"text"`
		Fields   []text `json:"fields"`
		Elements []struct {
			Type string `json:"type"`
			Text any    `json:"text"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace
	var lines []string
	for _, b := range blocks {
		switch b.Type {
		case "header":
			lines = append(lines, strings.ToUpper(b.Text.Text[:1])+b.Text.Text[1:])
		case "section":
			if b.Text != nil {
				lines = append(lines, unescape(strings.Trim(b.Text.Text, "`")))
			}
			var row []string
			for i, f := range b.Fields {
				label, value, _ := strings.Cut(unescape(f.Text), "\n")
				row = append(row, strings.Trim(label, "*")+": "+value)
				if i%2 == 1 || i == len(b.Fields)-1 {
					lines = append(lines, strings.Join(row, "   "))
					row = nil
				}
			}
		case "actions":
			var buttons []string
			for _, e := range b.Elements {
				if m, ok := e.Text.(map[string]any); ok {
					buttons = append(buttons, fmt.Sprintf("[%s]", m["text"]))
				}
			}
			lines = append(lines, strings.Join(buttons, " "))
		case "context":
			var parts []string
			for _, e := range b.Elements {
				if s, ok := e.Text.(string); ok {
					parts = append(parts, unescape(s))
				}
			}
			lines = append(lines, strings.Join(parts, " · "))
		}
	}
	return strings.Join(lines, "\n")
}

// examplesMarkdown renders one example of each message kind for README.
func examplesMarkdown(t *testing.T) string {
	t.Helper()
	alerts := sampleAlerts()
	alerts["no_ad"] = HygieneAlert(glowco, reconcile.HygieneIssues(ads.MustDate("2026-06-20"), []reconcile.DeclaredVariant{{TestID: "summer-serum-hooks",
		VariantKey: "hook-d", Platform: "tiktok", Start: ads.MustDate("2026-06-01"), Ends: ads.MustDate("2026-07-01")}}, nil)[0])
	var b strings.Builder
	for _, ex := range readmeExamples {
		a, ok := alerts[ex.name]
		if !ok {
			t.Fatalf("no sample alert %q", ex.name)
		}
		fmt.Fprintf(&b, "**%s**\n\n```\n%s\n```\n\n", ex.title, slackText(t, a))
	}
	return strings.TrimSpace(b.String())
}

// TestREADMEExamples: README shows one example of each message kind as
// the renderer lays it out (testdata/slack_examples.md, between markers
// in README.md), so the examples cannot go stale; -update rewrites both.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	got := examplesMarkdown(t)
	golden := "testdata/slack_examples.md"
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	begin, end := bytes.Index(readme, []byte(examplesBegin)), bytes.Index(readme, []byte(examplesEnd))
	if begin < 0 || end < begin {
		t.Fatalf("README.md lacks the markers %q … %q", examplesBegin, examplesEnd)
	}
	section := string(readme[begin+len(examplesBegin) : end])
	if *update {
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		section = "\n" + got + "\n"
		out := append([]byte{}, readme[:begin+len(examplesBegin)]...)
		out = append(out, section...)
		out = append(out, readme[end:]...)
		if err := os.WriteFile("../README.md", out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if got+"\n" != string(want) {
		t.Errorf("examples differ from %s (run go test ./notify -run TestREADMEExamples -update):\n got %s\nwant %s", golden, got, want)
	}
	if strings.TrimSpace(section) != got {
		t.Errorf("README.md's examples differ from the renderer's (run go test ./notify -run TestREADMEExamples -update)")
	}
	// Every kind of message roasd sends has an example.
	shown := map[string]bool{}
	samples := sampleAlerts()
	for _, ex := range readmeExamples {
		if a, ok := samples[ex.name]; ok {
			shown[a.Kind] = true
		}
	}
	shown[KindHygiene] = true // no_ad, built in examplesMarkdown
	for name, a := range samples {
		if !shown[a.Kind] {
			t.Errorf("README shows no message of kind %q (sample %s)", a.Kind, name)
		}
	}
}
