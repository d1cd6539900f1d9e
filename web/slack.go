package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/store"
)

// MaxSlackInteractionBody bounds one Slack interaction request (a
// block_actions payload carries the whole message: a few tens of KiB).
const MaxSlackInteractionBody = 256 << 10

// SlackMaxSkew is how far a Slack request's timestamp may be from now
// before it is refused as a replay.
const SlackMaxSkew = 5 * time.Minute

// Decider records approvals; *store.DB implements it.
type Decider interface {
	Decide(ctx context.Context, d store.Decision, allowed bool, now time.Time) (string, store.ActionRecord, error)
	ApprovalActions(ctx context.Context, brand, testID string) ([]store.ActionRecord, error)
}

// SlackInteractions configures the Slack interactivity endpoint.
type SlackInteractions struct {
	// Secret is SLACK_SIGNING_SECRET.
	Secret string
	// Now is the clock the request timestamp is judged on.
	Now      func() time.Time
	Approval Decider
	// Members lists the user ids of a Slack user group
	// (usergroups.users.list).
	Members func(ctx context.Context, group string) ([]string, error)
	// Ephemeral shows text to user only, in channel (chat.postEphemeral).
	Ephemeral func(ctx context.Context, channel, user, text string) error
	// Decided is called after a decision changed an action of brand, to
	// apply it and update the message (it must not block).
	Decided func(brand string)
	Log     *slog.Logger
}

// VerifySlack checks a Slack request's v0 signature over
// "v0:timestamp:body" with secret, and that its timestamp is within
// SlackMaxSkew of now. It returns "" when valid, else why not.
func VerifySlack(secret string, h http.Header, body []byte, now time.Time) string {
	tsText, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if tsText == "" || sig == "" {
		return "missing signature"
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "malformed timestamp"
	}
	if d := now.Sub(time.Unix(ts, 0)); d > SlackMaxSkew || d < -SlackMaxSkew {
		return "stale timestamp"
	}
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+tsText+":")
	mac.Write(body)
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "bad signature"
	}
	return ""
}

// Precheck refuses, before the body is read, a request without Slack's
// signature headers (for BodyGuard).
func (s SlackInteractions) Precheck(r *http.Request) *Refusal {
	if r.Header.Get("X-Slack-Signature") == "" || r.Header.Get("X-Slack-Request-Timestamp") == "" {
		return &Refusal{Status: http.StatusUnauthorized, Msg: "missing Slack signature"}
	}
	return nil
}

// blockActions is the part of a block_actions payload roasd reads.
type blockActions struct {
	Type string `json:"type"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Actions []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// ServeHTTP verifies the request and applies its button clicks. Anything
// not signed with the secret within SlackMaxSkew is refused (401) with
// nothing changed; a click by someone outside the action's approvers'
// group changes nothing, is recorded, and gets an ephemeral "not
// allowed".
func (s SlackInteractions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxSlackInteractionBody+1))
	if err != nil || len(body) > MaxSlackInteractionBody {
		http.Error(w, "body unreadable or too large", http.StatusBadRequest)
		return
	}
	if why := VerifySlack(s.Secret, r.Header, body, now); why != "" {
		log.Warn("slack interaction refused", "why", why)
		http.Error(w, why, http.StatusUnauthorized)
		return
	}
	form, err := url.ParseQuery(string(body))
	var p blockActions
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &p)
	}
	if err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	if p.Type != "block_actions" {
		w.WriteHeader(http.StatusOK) // nothing roasd acts on
		return
	}
	name := "@" + p.User.Username
	if p.User.Username == "" {
		name = "@" + p.User.Name
	}
	ctx := r.Context()
	changed := map[string]bool{}
	// told keeps an Approve all from sending one note per action.
	told := map[string]bool{}
	tell := func(kind, text string) {
		if !told[kind] {
			told[kind] = true
			s.tell(ctx, log, p.Channel.ID, p.User.ID, text)
		}
	}
	for _, a := range p.Actions {
		var keys []store.ActionKey
		approve := a.ActionID != "roasd_skip"
		switch a.ActionID {
		case "roasd_approve", "roasd_skip":
			k, err := store.ParseActionKey(a.Value)
			if err != nil {
				http.Error(w, "malformed action", http.StatusBadRequest)
				return
			}
			keys = append(keys, k)
		case "roasd_approve_all":
			parts := strings.Split(a.Value, "|")
			if len(parts) != 3 {
				http.Error(w, "malformed action", http.StatusBadRequest)
				return
			}
			recs, err := s.Approval.ApprovalActions(ctx, parts[0], parts[1])
			if err != nil {
				log.Error("listing actions to approve", "err", err)
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
			for _, rec := range recs {
				if rec.Checkpoint == parts[2] && rec.Status == store.ActionAwaiting {
					keys = append(keys, rec.ActionKey)
				}
			}
		default:
			continue
		}
		for _, k := range keys {
			outcome, rec, err := s.decide(ctx, k, p.User.ID, name, approve, now)
			if err != nil {
				log.Error("deciding action", "key", k.String(), "err", err)
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
			log.Info("slack approval", "key", k.String(), "user", p.User.ID, "name", name, "approve", approve, "outcome", outcome)
			switch outcome {
			case store.DecisionApproved, store.DecisionSkipped:
				changed[rec.Brand] = true
			case store.DecisionNotAllowed:
				tell(outcome, "Not allowed: only members of the Slack user group "+rec.ApproverGroup+
					" may approve or skip "+rec.TestID+"'s actions. Your attempt was recorded.")
			case store.DecisionExpired:
				tell(outcome, "This proposal has expired (the next checkpoint came or the verdict changed); nothing was changed.")
			}
		}
	}
	w.WriteHeader(http.StatusOK)
	if s.Decided != nil {
		brands := make([]string, 0, len(changed))
		for b := range changed {
			brands = append(brands, b)
		}
		slices.Sort(brands)
		for _, b := range brands {
			s.Decided(b)
		}
	}
}

// decide checks that user is in the action's approvers' group, then
// records the decision (refused when not).
func (s SlackInteractions) decide(ctx context.Context, k store.ActionKey, user, name string, approve bool, now time.Time) (string, store.ActionRecord, error) {
	recs, err := s.Approval.ApprovalActions(ctx, k.Brand, k.TestID)
	if err != nil {
		return "", store.ActionRecord{}, err
	}
	group := ""
	for _, r := range recs {
		if r.ActionKey.String() == k.String() {
			group = r.ApproverGroup
		}
	}
	if group == "" {
		return store.DecisionUnknown, store.ActionRecord{}, nil
	}
	members, err := s.Members(ctx, group)
	if err != nil {
		return "", store.ActionRecord{}, err
	}
	d := store.Decision{Key: k, UserID: user, UserName: name, Via: "slack", Approve: approve}
	return s.Approval.Decide(ctx, d, slices.Contains(members, user), now)
}

func (s SlackInteractions) tell(ctx context.Context, log *slog.Logger, channel, user, text string) {
	if s.Ephemeral == nil || channel == "" {
		return
	}
	if err := s.Ephemeral(ctx, channel, user, text); err != nil {
		log.Warn("slack ephemeral message not sent", "err", err)
	}
}
