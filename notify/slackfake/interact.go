package slackfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Ephemeral is a message shown to one user only (chat.postEphemeral).
type Ephemeral struct {
	Channel, User, Text string
}

// SetUserGroup makes group (an id like S0123ABCD) have the given
// members, as usergroups.users.list reports them.
func (s *Server) SetUserGroup(group string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string][]string{}
	}
	s.groups[group] = append([]string(nil), members...)
}

// Ephemerals returns the ephemeral messages posted, in order.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ephemeral(nil), s.ephemeral...)
}

func (s *Server) groupMembers(p url.Values) map[string]any {
	g := p.Get("usergroup")
	if g == "" {
		return map[string]any{"ok": false, "error": "invalid_arguments"}
	}
	m, ok := s.groups[g]
	if !ok {
		return map[string]any{"ok": false, "error": "no_such_subteam"}
	}
	return map[string]any{"ok": true, "users": append([]string{}, m...)}
}

func (s *Server) postEphemeral(p url.Values) map[string]any {
	ch, ok := s.resolve(p.Get("channel"))
	if !ok {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	if p.Get("user") == "" {
		return map[string]any{"ok": false, "error": "user_not_in_channel"}
	}
	if bad := checkContent(p, false); bad != nil {
		return bad
	}
	s.ephemeral = append(s.ephemeral, Ephemeral{Channel: ch, User: p.Get("user"), Text: p.Get("text")})
	return map[string]any{"ok": true, "message_ts": fmt.Sprintf("%d.000000", time.Now().Unix())}
}

// User is who clicks a button.
type User struct {
	ID, Name string
}

// Click is a button press: the payload Slack sends to the app's
// interactivity request URL.
type Click struct {
	// URL is the app's interactivity request URL; Secret its signing
	// secret; At the request time (its X-Slack-Request-Timestamp).
	URL    string
	Secret string
	At     time.Time
	User   User
	// Message is the message holding the button; ActionID and Value
	// pick the button (Value "" takes the first with ActionID).
	Message  Message
	ActionID string
	Value    string
}

// Payload is the block_actions payload of the click, as Slack sends it
// (form field "payload"), or an error when the message as the fake holds
// it now has no such button (a button replaced by chat.update cannot be
// clicked).
func (s *Server) Payload(c Click) ([]byte, error) {
	s.mu.Lock()
	var blocks json.RawMessage
	if m := s.find(c.Message.Channel, c.Message.TS); m != nil {
		blocks = m.Blocks
	}
	s.mu.Unlock()
	var bs []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string          `json:"type"`
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Text     json.RawMessage `json:"text"`
		} `json:"elements"`
	}
	json.Unmarshal(blocks, &bs)
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type != "button" || e.ActionID != c.ActionID || (c.Value != "" && e.Value != c.Value) {
				continue
			}
			payload := map[string]any{
				"type":       "block_actions",
				"user":       map[string]any{"id": c.User.ID, "username": c.User.Name, "name": c.User.Name, "team_id": TeamID},
				"api_app_id": "A0ROASDAPP", "token": "deprecated-verification-token", "trigger_id": "1.2.3",
				"team":      map[string]any{"id": TeamID, "domain": "roasd-sandbox"},
				"container": map[string]any{"type": "message", "message_ts": c.Message.TS, "channel_id": c.Message.Channel, "is_ephemeral": false},
				"channel":   map[string]any{"id": c.Message.Channel},
				"message":   map[string]any{"type": "message", "ts": c.Message.TS, "blocks": blocks},
				"actions": []map[string]any{{"type": "button", "block_id": b.BlockID, "action_id": e.ActionID, "value": e.Value, "text": e.Text,
					"action_ts": fmt.Sprintf("%d.000000", c.At.Unix())}},
			}
			return json.Marshal(payload)
		}
	}
	return nil, fmt.Errorf("message %s has no button %s %q", c.Message.TS, c.ActionID, c.Value)
}

// Sign returns the X-Slack-Signature of body sent at ts with secret: v0=
// HMAC-SHA256 over "v0:ts:body", hex.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts.Unix())
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Press clicks the button: it POSTs the signed block_actions payload to
// c.URL as Slack does (form-encoded "payload", X-Slack-Request-Timestamp,
// X-Slack-Signature) and returns the status answered.
func (s *Server) Press(c Click) (int, error) {
	payload, err := s.Payload(c)
	if err != nil {
		return 0, err
	}
	body := []byte("payload=" + url.QueryEscape(string(payload)))
	req, err := http.NewRequest(http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(c.At.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(c.Secret, c.At, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
