package slackfake

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// needScope answers missing_scope, naming the needed and provided scopes,
// when the token lacks scope; otherwise it runs do.
func (s *Server) needScope(scope string, do func() map[string]any) map[string]any {
	if s.Scopes == nil || slices.Contains(s.Scopes, scope) {
		return do()
	}
	return map[string]any{"ok": false, "error": "missing_scope", "needed": scope, "provided": strings.Join(s.Scopes, ",")}
}

// history serves conversations.history: the channel's top-level messages,
// newest first, with ts between oldest and latest (exclusive unless
// inclusive), limit per page (default 100, at most 999) and a cursor.
// Metadata is returned only with include_all_metadata.
func (s *Server) history(p url.Values) map[string]any {
	ch, ok := s.channelByID(p.Get("channel"))
	if !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	w, code := readWindow(p)
	if code != "" {
		return map[string]any{"ok": false, "error": code}
	}
	before, code := readCursor(p.Get("cursor"), "before:")
	if code != "" {
		return map[string]any{"ok": false, "error": code}
	}
	limit := readLimit(p.Get("limit"), 100, 999)
	var page []*Message
	hasMore := false
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if m.Channel != ch || m.ThreadTS != "" || !w.contains(m.TS) || (before != nil && !tsLess(m.TS, *before)) {
			continue
		}
		if len(page) == limit {
			hasMore = true
			break
		}
		page = append(page, m)
	}
	next := ""
	if hasMore {
		next = cursor("before:" + page[len(page)-1].TS)
	}
	return map[string]any{"ok": true, "messages": wireMessages(page, w.metadata), "has_more": hasMore, "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next}}
}

// replies serves conversations.replies: the thread of message ts (its
// parent's when ts is a reply) — the parent first on the first page, as
// Slack returns it whatever the window, then the replies with ts between
// oldest and latest, oldest first, limit per page (default 1000) and a
// cursor.
func (s *Server) replies(p url.Values) map[string]any {
	ch, ok := s.channelByID(p.Get("channel"))
	if !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	parent := s.find(ch, p.Get("ts"))
	if parent == nil {
		return map[string]any{"ok": false, "error": "thread_not_found"}
	}
	if parent.ThreadTS != "" {
		if parent = s.find(ch, parent.ThreadTS); parent == nil {
			return map[string]any{"ok": false, "error": "thread_not_found"}
		}
	}
	w, code := readWindow(p)
	if code != "" {
		return map[string]any{"ok": false, "error": code}
	}
	after, code := readCursor(p.Get("cursor"), "after:")
	if code != "" {
		return map[string]any{"ok": false, "error": code}
	}
	limit := readLimit(p.Get("limit"), 1000, 1000)
	var page []*Message
	if after == nil {
		page = append(page, parent)
	}
	hasMore := false
	for _, m := range s.messages {
		if m.Channel != ch || m.ThreadTS != parent.TS || !w.contains(m.TS) || (after != nil && !tsLess(*after, m.TS)) {
			continue
		}
		if len(page) == limit {
			hasMore = true
			break
		}
		page = append(page, m)
	}
	next := ""
	if hasMore {
		next = cursor("after:" + page[len(page)-1].TS)
	}
	return map[string]any{"ok": true, "messages": wireMessages(page, w.metadata), "has_more": hasMore,
		"response_metadata": map[string]any{"next_cursor": next}}
}

// channelByID finds a channel by id only: the history methods take no
// names.
func (s *Server) channelByID(id string) (string, bool) {
	for _, c := range s.channels {
		if c.ID == id {
			return c.ID, true
		}
	}
	return "", false
}

func wireMessages(ms []*Message, metadata bool) []map[string]any {
	out := make([]map[string]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, wireMessage(m, metadata))
	}
	return out
}

// window is the oldest/latest bounds of a history request.
type window struct {
	oldest, latest *[2]int64
	inclusive      bool
	metadata       bool
}

func (w window) contains(ts string) bool {
	t, ok := parseTS(ts)
	if !ok {
		return false
	}
	if w.oldest != nil && (cmpTS(t, *w.oldest) < 0 || (!w.inclusive && cmpTS(t, *w.oldest) == 0)) {
		return false
	}
	if w.latest != nil && (cmpTS(t, *w.latest) > 0 || (!w.inclusive && cmpTS(t, *w.latest) == 0)) {
		return false
	}
	return true
}

func readWindow(p url.Values) (window, string) {
	w := window{inclusive: truthy(p.Get("inclusive")), metadata: truthy(p.Get("include_all_metadata"))}
	if v := p.Get("oldest"); v != "" {
		t, ok := parseTS(v)
		if !ok {
			return w, "invalid_ts_oldest"
		}
		w.oldest = &t
	}
	if v := p.Get("latest"); v != "" {
		t, ok := parseTS(v)
		if !ok {
			return w, "invalid_ts_latest"
		}
		w.latest = &t
	}
	return w, ""
}

func truthy(v string) bool { return v == "1" || v == "true" }

func readLimit(v string, def, most int) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return def
	}
	return min(n, most)
}

// cursor encodes a page position opaquely, as Slack's cursors are.
func cursor(pos string) string { return base64.StdEncoding.EncodeToString([]byte(pos)) }

// readCursor decodes a cursor made by cursor with prefix; nil means the
// first page.
func readCursor(c, prefix string) (*string, string) {
	if c == "" {
		return nil, ""
	}
	b, err := base64.StdEncoding.DecodeString(c)
	ts, ok := strings.CutPrefix(string(b), prefix)
	if err != nil || !ok {
		return nil, "invalid_cursor"
	}
	if _, ok := parseTS(ts); !ok {
		return nil, "invalid_cursor"
	}
	return &ts, ""
}

// parseTS reads a Slack timestamp "seconds[.micros]" as (seconds,
// micros).
func parseTS(ts string) ([2]int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 6 {
		return [2]int64{}, false
	}
	var us int64
	if frac != "" {
		frac += strings.Repeat("0", 6-len(frac))
		if us, err = strconv.ParseInt(frac, 10, 64); err != nil || us < 0 {
			return [2]int64{}, false
		}
	}
	return [2]int64{s, us}, true
}

func cmpTS(a, b [2]int64) int {
	if c := cmp.Compare(a[0], b[0]); c != 0 {
		return c
	}
	return cmp.Compare(a[1], b[1])
}

// tsLess reports whether message ts a is before b.
func tsLess(a, b string) bool {
	ta, _ := parseTS(a)
	tb, _ := parseTS(b)
	return cmpTS(ta, tb) < 0
}
