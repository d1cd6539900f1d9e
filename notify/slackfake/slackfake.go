// Package slackfake is a fake of the Slack Web API methods roasd uses —
// chat.postMessage, chat.update, auth.test, conversations.list,
// conversations.history and conversations.replies — for tests and `roasd
// sandbox`. It follows Slack's documented wire format
// (form-encoded or JSON requests with a Bearer token; HTTP 200 with
// {"ok":false,"error":...} for API errors; HTTP 429 with Retry-After for
// rate limits), keeps the messages it was sent, and has knobs to inject
// rate limits, API errors and outages.
//
// It serves every method under any prefix: both "<base>/chat.postMessage"
// and "<base>/api/chat.postMessage" work, so SLACK_API_URL may be either.
// The zero Server is ready to use and accepts any token; like Slack, it
// answers channel_not_found for a channel it does not know (AddChannel
// creates one), and refuses blocks and metadata Slack refuses
// (invalid_blocks with the reason in response_metadata.messages,
// invalid_metadata_format, msg_too_long, no_text).
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Identity of the fake workspace, as auth.test reports it.
const (
	TeamID = "T0ROASD00"
	Team   = "roasd sandbox"
	UserID = "U0ROASDBOT"
	BotID  = "B0ROASDBOT"
)

// Message is a message as the fake holds it.
type Message struct {
	// Channel is the channel id; TS the message's timestamp id.
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// ThreadTS is the parent's ts for a reply, else empty.
	ThreadTS string `json:"thread_ts,omitempty"`
	Text     string `json:"text"`
	// Blocks is the Block Kit JSON as sent.
	Blocks json.RawMessage `json:"blocks,omitempty"`
	// Metadata is the message metadata JSON as sent.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Edits counts chat.update calls on the message.
	Edits int `json:"edits"`
	// Mentions are the special mentions (<!channel>, <!here>,
	// <!everyone>, <!subteam^…>, <@U…>) Slack would notify for, found in
	// the text and the mrkdwn of the blocks as last sent.
	Mentions []string `json:"mentions,omitempty"`
}

// Call is one request the fake answered.
type Call struct {
	Method string
	// Params are the request parameters with any token removed.
	Params url.Values
	// Status is the HTTP status; Error the Slack error code, if any.
	Status int
	Error  string
}

// Channel is a conversation of the fake workspace.
type Channel struct {
	ID   string
	Name string
	// Archived channels refuse posts with is_archived.
	Archived bool
}

type fault struct {
	n          int
	status     int // HTTP status for outages and 429
	code       string
	retryAfter int
}

// Server is the fake Slack Web API, an http.Handler safe for concurrent
// use.
type Server struct {
	// Token, when set, is the only bot token accepted; others get
	// invalid_auth, none gets not_authed.
	Token string
	// Scopes, when not nil, are the token's OAuth scopes: reading history
	// (conversations.history, conversations.replies) then needs
	// "channels:history", and posting or updating "chat:write", else the
	// call fails with missing_scope. nil grants everything.
	Scopes []string
	// Now, when set, is the fake's clock: message ts are its Unix seconds
	// (with a sequence number as the fraction, so they stay unique). When
	// nil, ts are 2026-01-01 plus one second per message.
	Now func() time.Time

	// PostEvery, when set, is Slack's posting rate per channel: a
	// chat.postMessage to a channel beyond one per PostEvery (with bursts
	// of PostBurst, default 3) answers HTTP 429 ratelimited with
	// Retry-After, on the Now clock.
	PostEvery time.Duration
	PostBurst int

	buckets   map[string]*bucket
	mu        sync.Mutex
	channels  []Channel
	messages  []*Message
	calls     []Call
	faults    map[string][]*fault
	seq       int
	groups    map[string][]string
	ephemeral []Ephemeral
}

// New returns a Server that accepts only token ("" accepts any) and
// knows the given channel names.
func New(token string, channels ...string) *Server {
	s := &Server{Token: token}
	for _, c := range channels {
		s.AddChannel(c)
	}
	return s
}

// AddChannel registers a channel by name ("#" optional) and returns its id.
func (s *Server) AddChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addChannelLocked(name)
}

func (s *Server) addChannelLocked(name string) string {
	name = strings.TrimPrefix(name, "#")
	for _, c := range s.channels {
		if c.Name == name {
			return c.ID
		}
	}
	id := fmt.Sprintf("C%08d", len(s.channels)+1)
	s.channels = append(s.channels, Channel{ID: id, Name: name})
	return id
}

// Archive marks channel name archived: posts to it fail with is_archived.
func (s *Server) Archive(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.addChannelLocked(name)
	for i := range s.channels {
		if s.channels[i].ID == id {
			s.channels[i].Archived = true
		}
	}
}

// RateLimit makes the next n calls of method ("*" for any) answer HTTP 429
// with Retry-After: retryAfter seconds.
func (s *Server) RateLimit(method string, n, retryAfter int) {
	s.addFault(method, &fault{n: n, status: http.StatusTooManyRequests, code: "ratelimited", retryAfter: retryAfter})
}

// Fail makes the next n calls of method ("*" for any) answer HTTP 200 with
// {"ok":false,"error":code}, e.g. "invalid_auth" or "channel_not_found".
func (s *Server) Fail(method string, n int, code string) {
	s.addFault(method, &fault{n: n, status: http.StatusOK, code: code})
}

// Down makes the next n calls of method ("*" for any) answer with an HTTP
// status such as 500 or 503 and an HTML body, as Slack does when it is
// down.
func (s *Server) Down(method string, n, status int) {
	s.addFault(method, &fault{n: n, status: status})
}

func (s *Server) addFault(method string, f *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = map[string][]*fault{}
	}
	s.faults[method] = append(s.faults[method], f)
}

// Messages returns the messages in the order they were posted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = *m
	}
	return out
}

// Calls returns every request answered, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Channels returns the workspace's channels.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Channel(nil), s.channels...)
}

// ServeHTTP answers a Web API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := path.Base(r.URL.Path)
	params, err := readParams(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Method: method, Params: redact(params), Status: http.StatusOK}
	defer func() { s.calls = append(s.calls, call) }()
	if err != nil {
		call.Error = "invalid_form_data"
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": call.Error})
		return
	}
	if f := s.takeFault(method); f != nil {
		call.Status, call.Error = f.status, f.code
		switch {
		case f.status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
			writeJSON(w, f.status, map[string]any{"ok": false, "error": f.code})
		case f.status != http.StatusOK:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(f.status)
			io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
		default:
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": f.code})
		}
		return
	}
	if code := s.checkAuth(r, params); code != "" {
		call.Error = code
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	var resp map[string]any
	switch method {
	case "auth.test":
		resp = map[string]any{"ok": true, "url": "https://roasd-sandbox.slack.com/", "team": Team, "user": "roasd",
			"team_id": TeamID, "user_id": UserID, "bot_id": BotID, "is_enterprise_install": false}
	case "conversations.list":
		resp = s.conversationsList()
	case "chat.postMessage":
		resp = s.needScope("chat:write", func() map[string]any { return s.postMessage(params) })
	case "chat.update":
		resp = s.needScope("chat:write", func() map[string]any { return s.update(params) })
	case "conversations.history":
		resp = s.needScope("channels:history", func() map[string]any { return s.history(params) })
	case "conversations.replies":
		resp = s.needScope("channels:history", func() map[string]any { return s.replies(params) })
	case "usergroups.users.list":
		resp = s.needScope("usergroups:read", func() map[string]any { return s.groupMembers(params) })
	case "chat.postEphemeral":
		resp = s.needScope("chat:write", func() map[string]any { return s.postEphemeral(params) })
	default:
		resp = map[string]any{"ok": false, "error": "unknown_method"}
	}
	if e, ok := resp["error"].(string); ok {
		call.Error = e
	}
	if ra, ok := resp["retry_after"].(int); ok {
		delete(resp, "retry_after")
		call.Status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		writeJSON(w, http.StatusTooManyRequests, resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) takeFault(method string) *fault {
	for _, key := range []string{method, "*"} {
		fs, ok := s.faults[key]
		if !ok {
			continue
		}
		for len(fs) > 0 && fs[0].n <= 0 {
			fs = fs[1:]
		}
		s.faults[key] = fs
		if len(fs) > 0 {
			fs[0].n--
			return fs[0]
		}
	}
	return nil
}

func (s *Server) checkAuth(r *http.Request, params url.Values) string {
	tok := params.Get("token")
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		tok = strings.TrimPrefix(h, "Bearer ")
	}
	switch {
	case tok == "":
		return "not_authed"
	case s.Token != "" && tok != s.Token:
		return "invalid_auth"
	}
	return ""
}

// resolve finds a channel by id or name.
func (s *Server) resolve(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", false
	}
	for _, c := range s.channels {
		if c.ID == ref || c.Name == strings.TrimPrefix(ref, "#") {
			return c.ID, true
		}
	}
	return "", false
}

func (s *Server) archived(id string) bool {
	for _, c := range s.channels {
		if c.ID == id {
			return c.Archived
		}
	}
	return false
}

// checkContent validates a message's text, blocks and metadata as Slack
// does, returning its error answer or nil.
func checkContent(p url.Values, update bool) map[string]any {
	text, blocks, metadata := p.Get("text"), p.Get("blocks"), p.Get("metadata")
	if !update && strings.TrimSpace(text) == "" && blocks == "" && p.Get("attachments") == "" {
		return map[string]any{"ok": false, "error": "no_text"}
	}
	if utf8.RuneCountInString(text) > MaxText {
		return map[string]any{"ok": false, "error": "msg_too_long"}
	}
	if blocks != "" {
		if why := CheckBlocks(blocks); why != "" {
			return map[string]any{"ok": false, "error": "invalid_blocks", "response_metadata": map[string]any{"messages": []string{why}}}
		}
	}
	if metadata != "" {
		if code := checkMetadata(metadata); code != "" {
			return map[string]any{"ok": false, "error": code}
		}
	}
	return nil
}

func (s *Server) conversationsList() map[string]any {
	chans := make([]map[string]any, 0, len(s.channels))
	for _, c := range s.channels {
		chans = append(chans, map[string]any{"id": c.ID, "name": c.Name, "is_channel": true, "is_private": false,
			"is_archived": false, "is_member": true, "name_normalized": c.Name})
	}
	return map[string]any{"ok": true, "channels": chans, "response_metadata": map[string]any{"next_cursor": ""}}
}

// bucket is a channel's posting allowance: tokens as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

// allowPost takes a token of channel ch's bucket, or returns how long
// until one is free.
func (s *Server) allowPost(ch string) (time.Duration, bool) {
	if s.PostEvery <= 0 {
		return 0, true
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	burst := float64(max(s.PostBurst, 1))
	if s.PostBurst == 0 {
		burst = 3
	}
	if s.buckets == nil {
		s.buckets = map[string]*bucket{}
	}
	b := s.buckets[ch]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		s.buckets[ch] = b
	}
	if now.After(b.at) {
		b.tokens = min(burst, b.tokens+float64(now.Sub(b.at))/float64(s.PostEvery))
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(s.PostEvery)), false
	}
	b.tokens--
	return 0, true
}

func (s *Server) postMessage(p url.Values) map[string]any {
	ch, ok := s.resolve(p.Get("channel"))
	if !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	if wait, ok := s.allowPost(ch); !ok {
		return map[string]any{"ok": false, "error": "ratelimited", "retry_after": max(int((wait+time.Second-1)/time.Second), 1)}
	}
	if s.archived(ch) {
		return map[string]any{"ok": false, "error": "is_archived"}
	}
	blocks, metadata := p.Get("blocks"), p.Get("metadata")
	if bad := checkContent(p, false); bad != nil {
		return bad
	}
	thread := p.Get("thread_ts")
	if thread != "" && s.find(ch, thread) == nil {
		thread = "" // Slack posts to the channel when the parent is unknown
	}
	s.seq++
	sec := int64(1767225600 + s.seq)
	if s.Now != nil {
		sec = s.Now().Unix()
	}
	m := &Message{Channel: ch, TS: fmt.Sprintf("%d.%06d", sec, s.seq%1000000), ThreadTS: thread, Text: p.Get("text")}
	if blocks != "" {
		m.Blocks = json.RawMessage(blocks)
	}
	if metadata != "" {
		m.Metadata = json.RawMessage(metadata)
	}
	m.Mentions = mentions(m.Text, m.Blocks)
	s.messages = append(s.messages, m)
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": wireMessage(m, false)}
}

func (s *Server) update(p url.Values) map[string]any {
	ch, ok := s.resolve(p.Get("channel"))
	if !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	m := s.find(ch, p.Get("ts"))
	if m == nil {
		return map[string]any{"ok": false, "error": "message_not_found"}
	}
	if s.archived(ch) {
		return map[string]any{"ok": false, "error": "is_archived"}
	}
	blocks := p.Get("blocks")
	if bad := checkContent(p, true); bad != nil {
		return bad
	}
	if t := p.Get("text"); t != "" || blocks != "" {
		m.Text = t
	}
	if blocks != "" {
		m.Blocks = json.RawMessage(blocks)
	}
	m.Edits++
	m.Mentions = mentions(m.Text, m.Blocks)
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "text": m.Text, "message": wireMessage(m, false)}
}

func (s *Server) find(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			return m
		}
	}
	return nil
}

// wireMessage is m as the Web API returns it; its metadata only with
// include_all_metadata.
func wireMessage(m *Message, metadata bool) map[string]any {
	out := map[string]any{"type": "message", "subtype": "bot_message", "text": m.Text, "ts": m.TS, "bot_id": BotID, "user": UserID}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.Edits > 0 {
		out["edited"] = map[string]any{"user": UserID, "ts": m.TS}
	}
	if metadata && len(m.Metadata) > 0 {
		out["metadata"] = m.Metadata
	}
	return out
}

// readParams reads form-encoded or JSON parameters; JSON values that are
// not strings (blocks, metadata) are kept as their JSON text.
func readParams(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		return r.Form, nil
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, err
	}
	v := url.Values{}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var s string
		if err := json.Unmarshal(body[k], &s); err == nil {
			v.Set(k, s)
		} else {
			v.Set(k, string(body[k]))
		}
	}
	for k, vs := range r.URL.Query() {
		for _, x := range vs {
			v.Add(k, x)
		}
	}
	return v, nil
}

func redact(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if k == "token" {
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
