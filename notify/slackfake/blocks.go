package slackfake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Block Kit limits Slack enforces (docs.slack.dev reference/block-kit):
// a message has at most 50 blocks; a header's plain text at most 150
// characters; a section's text at most 3,000, its fields at most 10 of at
// most 2,000 each; a context block at most 10 elements.
const (
	MaxBlocks          = 50
	MaxHeaderText      = 150
	MaxSectionText     = 3000
	MaxFields          = 10
	MaxFieldText       = 2000
	MaxContextElements = 10
	// MaxText is the length of a message's text beyond which Slack
	// answers msg_too_long.
	MaxText = 40000
)

// knownBlocks are the layout block types Slack accepts in messages.
var knownBlocks = map[string]bool{
	"actions": true, "context": true, "divider": true, "file": true, "header": true, "image": true,
	"input": true, "markdown": true, "rich_text": true, "section": true, "video": true, "table": true,
}

// CheckBlocks validates a blocks parameter as Slack does and returns the
// problem ("" when valid), naming the block by its JSON pointer as
// Slack's response_metadata.messages do.
func CheckBlocks(s string) string {
	var bs []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &bs); err != nil {
		return "[ERROR] blocks must be a JSON array of objects"
	}
	if len(bs) > MaxBlocks {
		return fmt.Sprintf("[ERROR] no more than %d items allowed [json-pointer:/blocks]", MaxBlocks)
	}
	for i, b := range bs {
		at := fmt.Sprintf("[json-pointer:/blocks/%d", i)
		var typ string
		json.Unmarshal(b["type"], &typ)
		if !knownBlocks[typ] {
			return fmt.Sprintf("[ERROR] unsupported type: %q %s/type]", typ, at)
		}
		switch typ {
		case "header":
			t, ok := textObject(b["text"])
			switch {
			case !ok || t.Type != "plain_text":
				return "[ERROR] a header needs a plain_text text object " + at + "/text]"
			case t.Text == "":
				return "[ERROR] must be more than 0 characters " + at + "/text/text]"
			case utf8.RuneCountInString(t.Text) > MaxHeaderText:
				return fmt.Sprintf("[ERROR] must be less than %d characters %s/text/text]", MaxHeaderText+1, at)
			}
		case "section":
			var fields []json.RawMessage
			json.Unmarshal(b["fields"], &fields)
			_, hasText := b["text"]
			if !hasText && len(fields) == 0 {
				return "[ERROR] a section needs text or fields " + at + "]"
			}
			if hasText {
				if p := checkText(b["text"], MaxSectionText); p != "" {
					return p + " " + at + "/text]"
				}
			}
			if len(fields) > MaxFields {
				return fmt.Sprintf("[ERROR] no more than %d items allowed %s/fields]", MaxFields, at)
			}
			for j, f := range fields {
				if p := checkText(f, MaxFieldText); p != "" {
					return fmt.Sprintf("%s %s/fields/%d]", p, at, j)
				}
			}
		case "actions":
			var els []struct {
				Type     string          `json:"type"`
				ActionID string          `json:"action_id"`
				Value    string          `json:"value"`
				Text     json.RawMessage `json:"text"`
			}
			json.Unmarshal(b["elements"], &els)
			if len(els) == 0 || len(els) > 25 {
				return "[ERROR] an actions block needs 1 to 25 elements " + at + "/elements]"
			}
			for j, e := range els {
				t, ok := textObject(e.Text)
				switch {
				case e.Type != "button":
					continue
				case !ok || t.Type != "plain_text" || t.Text == "" || utf8.RuneCountInString(t.Text) > 75:
					return fmt.Sprintf("[ERROR] a button needs a plain_text text of 1 to 75 characters %s/elements/%d/text]", at, j)
				case len(e.ActionID) > 255 || utf8.RuneCountInString(e.Value) > 2000:
					return fmt.Sprintf("[ERROR] action_id at most 255, value at most 2000 characters %s/elements/%d]", at, j)
				}
			}
		case "context":
			var els []json.RawMessage
			json.Unmarshal(b["elements"], &els)
			if len(els) == 0 || len(els) > MaxContextElements {
				return fmt.Sprintf("[ERROR] a context needs 1 to %d elements %s/elements]", MaxContextElements, at)
			}
			for j, e := range els {
				var el struct{ Type string }
				json.Unmarshal(e, &el)
				if el.Type == "image" {
					continue
				}
				if p := checkText(e, MaxSectionText); p != "" {
					return fmt.Sprintf("%s %s/elements/%d]", p, at, j)
				}
			}
		}
	}
	return ""
}

type text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func textObject(raw json.RawMessage) (text, bool) {
	var t text
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return t, false
	}
	return t, true
}

// checkText validates a text object of at most max characters.
func checkText(raw json.RawMessage, max int) string {
	t, ok := textObject(raw)
	switch {
	case !ok || (t.Type != "plain_text" && t.Type != "mrkdwn"):
		return "[ERROR] expected a plain_text or mrkdwn text object"
	case strings.TrimSpace(t.Text) == "":
		return "[ERROR] must be more than 0 characters"
	case utf8.RuneCountInString(t.Text) > max:
		return fmt.Sprintf("[ERROR] must be less than %d characters", max+1)
	}
	return ""
}

// checkMetadata validates a metadata parameter: a JSON object with a
// non-empty event_type and an object event_payload. It returns Slack's
// error code, or "".
func checkMetadata(s string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return "invalid_metadata_format"
	}
	var typ string
	var payload map[string]any
	if json.Unmarshal(m["event_type"], &typ) != nil || typ == "" || json.Unmarshal(m["event_payload"], &payload) != nil || payload == nil {
		return "invalid_metadata_schema"
	}
	if len(s) > 8000 {
		return "metadata_too_large"
	}
	return ""
}

// mentionRE matches what Slack turns into a notification in mrkdwn.
var mentionRE = regexp.MustCompile(`<(!channel|!here|!everyone|!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)(\|[^>]*)?>`)

// mentions lists the mentions in text and in the mrkdwn text objects of
// blocks (plain_text is never parsed for mentions).
func mentions(text string, blocks json.RawMessage) []string {
	var out []string
	add := func(s string) {
		for _, m := range mentionRE.FindAllStringSubmatch(s, -1) {
			out = append(out, "<"+m[1]+">")
		}
	}
	add(text)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				if s, ok := v["text"].(string); ok {
					add(s)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var bs any
	if json.Unmarshal(blocks, &bs) == nil {
		walk(bs)
	}
	return out
}
