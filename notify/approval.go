package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// Action ids of the approval buttons (block_actions payloads carry them).
const (
	ActionIDApprove    = "roasd_approve"
	ActionIDSkip       = "roasd_skip"
	ActionIDApproveAll = "roasd_approve_all"
)

// maxProposals bounds the proposals shown with buttons in one message
// (two blocks each, within Slack's 50 blocks); `roasd actions list`
// shows the rest.
const maxProposals = 20

// Proposal is one proposed platform action in an approval message.
type Proposal struct {
	// Key is the action's idempotency key, the value of its buttons.
	Key string `json:"key"`
	ID  int64  `json:"id"`
	// Change says what would change: "budget of meta ad set 123 120.00
	// USD → 150.00 USD".
	Change string `json:"change"`
	Reason string `json:"reason,omitempty"`
	// Awaiting reports whether it still waits for a decision (buttons
	// shown); else Outcome replaces them ("approved by @ana 14:02 — …,
	// applied", "expired").
	Awaiting bool   `json:"awaiting"`
	Outcome  string `json:"outcome,omitempty"`
}

// ApprovalAlert is the approval message of a test's checkpoint: each
// proposal with Approve / Skip while it awaits, one Approve all while two
// or more await, and each outcome once decided. Every revision updates
// the same message (chat.update); a revision equal to the last is not
// sent again.
func ApprovalAlert(t Target, testID, checkpoint string, ps []Proposal) Alert {
	waiting := 0
	for _, p := range ps {
		if p.Awaiting {
			waiting++
		}
	}
	body, _ := json.Marshal(ps)
	sum := sha256.Sum256(body)
	a := Alert{
		Brand: t.Brand, Channel: t.Channel, ThreadKey: CheckpointThread(testID, checkpoint), Kind: KindApproval, Mention: t.mention(testID), NotBefore: t.NotBefore,
		UpdateKey: fmt.Sprintf("approval:%s:%s:%s", t.Brand, testID, checkpoint),
		DedupKey:  fmt.Sprintf("approval:%s:%s:%s:%s", t.Brand, testID, checkpoint, hex.EncodeToString(sum[:8])),
		Title:     fmt.Sprintf("Approve actions — %s, checkpoint %s", testID, checkpoint),
		Reason:    fmt.Sprintf("%d of %d proposed actions await approval; nothing moves until a member of the approvers' group approves.", waiting, len(ps)),
		Context:   contextLine(t.Brand, testID, "checkpoint "+checkpoint, ""),
		ReportURL: t.ReportURL,
		Proposals: ps,
	}
	if waiting == 0 {
		a.Reason = "Every proposed action is decided."
	}
	if waiting >= 2 {
		a.ApproveAll = strings.Join([]string{t.Brand, testID, checkpoint}, "|")
	}
	return a
}

// approvalBlocks are the proposal sections and buttons of a KindApproval
// alert.
func approvalBlocks(a Alert) []slack.Block {
	if a.Kind != KindApproval {
		return nil
	}
	var out []slack.Block
	for i, p := range a.Proposals {
		if i == maxProposals {
			out = append(out, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
				fmt.Sprintf("…and %d more: `roasd actions list`", len(a.Proposals)-maxProposals), false, false), nil, nil))
			break
		}
		text := "*" + escape(p.Change) + "*"
		if p.Reason != "" {
			text += "\n" + escape(p.Reason)
		}
		if !p.Awaiting {
			text = escape(p.Outcome)
		}
		out = append(out, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, clip(text, maxSectionText), false, false), nil, nil))
		if p.Awaiting {
			approve := slack.NewButtonBlockElement(ActionIDApprove, p.Key, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))
			approve.Style = slack.StylePrimary
			skip := slack.NewButtonBlockElement(ActionIDSkip, p.Key, slack.NewTextBlockObject(slack.PlainTextType, "Skip", false, false))
			out = append(out, slack.NewActionBlock(fmt.Sprintf("roasd_action_%d", p.ID), approve, skip))
		}
	}
	if a.ApproveAll != "" {
		all := slack.NewButtonBlockElement(ActionIDApproveAll, a.ApproveAll, slack.NewTextBlockObject(slack.PlainTextType, "Approve all", false, false))
		all.Style = slack.StylePrimary
		out = append(out, slack.NewActionBlock("roasd_approve_all", all))
	}
	return out
}

// Approvers reads approvers' user groups and tells people what they may
// not do, for the Slack interactivity endpoint.
type Approvers struct {
	// API is the bot's client; it needs the usergroups:read and
	// chat:write scopes.
	API *slack.Client
}

// Members lists the user ids of Slack user group group
// (usergroups.users.list).
func (a Approvers) Members(ctx context.Context, group string) ([]string, error) {
	m, err := a.API.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("slack usergroups.users.list %s: %w", group, err)
	}
	return m, nil
}

// Ephemeral shows text to user only, in channel (chat.postEphemeral).
func (a Approvers) Ephemeral(ctx context.Context, channel, user, text string) error {
	if _, err := a.API.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(escape(text), false)); err != nil {
		return fmt.Errorf("slack chat.postEphemeral to %s in %s: %w", user, channel, err)
	}
	return nil
}
