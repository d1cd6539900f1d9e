package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// metadataEventType is the metadata event_type of every roasd message; its
// event_payload carries the row's dedup_key.
const metadataEventType = "roasd_alert"

// channelIDPattern matches Slack conversation ids (public and private
// channels, DMs), which conversations.history requires instead of names.
var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

// findPosted looks in Slack for row r, whose earlier post was started at
// r.PostingSince and never acknowledged: among the replies of thread
// threadTS when the row goes into a known thread, then among the
// channel's top-level messages (where a thread's first message, or a post
// made before the thread was known, would be). It matches the message
// metadata written by deliver. Messages older than PostingSince-ClockSkew
// are not read.
//
// A lookup Slack refuses for this channel (channel_not_found,
// not_in_channel, thread_not_found, missing_scope) is logged and reported
// as not found, so the row is posted rather than blocked forever: the
// guarantee degrades to at least once until the bot can read the channel
// (it needs channels:history, and groups:history for private channels).
// Any other error (rate limit, outage) is returned and the row retried.
func (s *Sender) findPosted(ctx context.Context, r OutboxRow, channel, threadTS string) (ch, ts string, found bool, err error) {
	oldest := slackTS(r.PostingSince.Add(-s.ClockSkew))
	if threadTS != "" {
		// channel is the thread's channel id here.
		ts, found, err = s.findInReplies(ctx, channel, threadTS, oldest, r.DedupKey)
		if err != nil || found {
			return channel, ts, found, s.lookupErr(r, channel, err)
		}
	}
	id := channel
	if threadTS == "" {
		id, err = s.channelID(ctx, channel)
		if err != nil {
			return "", "", false, s.lookupErr(r, channel, err)
		}
		if id == "" {
			s.log.Warn("channel not found while looking for an earlier post of the alert; posting it",
				"dedup_key", r.DedupKey, "channel", channel)
			return "", "", false, nil
		}
	}
	ts, found, err = s.findInHistory(ctx, id, oldest, r.DedupKey)
	return id, ts, found, s.lookupErr(r, channel, err)
}

// lookupErr turns errors that would block a row forever into "not found"
// (see findPosted) and wraps the others.
func (s *Sender) lookupErr(r OutboxRow, channel string, err error) error {
	if err == nil {
		return nil
	}
	var tooLong *lookupTooLongError
	switch code := slackCode(err); {
	case code == "channel_not_found", code == "not_in_channel", code == "thread_not_found", code == "missing_scope":
		s.log.Error("cannot look for an earlier post of the alert in slack; posting it, it may appear twice",
			"dedup_key", r.DedupKey, "channel", channel, "err", err)
		return nil
	case errors.As(err, &tooLong):
		s.log.Warn("earlier post of the alert not found within the lookup bound; posting it, it may appear twice",
			"dedup_key", r.DedupKey, "channel", channel, "err", err)
		return nil
	}
	return fmt.Errorf("looking for alert %s in slack: %w", r.DedupKey, err)
}

// lookupTooLongError is a lookup that read LookupPages pages without
// reaching the end of the window.
type lookupTooLongError struct{ pages int }

func (e *lookupTooLongError) Error() string {
	return fmt.Sprintf("more than %d pages of messages since the earlier post", e.pages)
}

// findInReplies pages through the replies of thread threadTS in channel
// from oldest on.
func (s *Sender) findInReplies(ctx context.Context, channel, threadTS, oldest, dedupKey string) (string, bool, error) {
	cursor := ""
	for range s.lookupPages() {
		if err := s.paced(ctx, "conversations.replies", channel); err != nil {
			return "", false, err
		}
		msgs, hasMore, next, err := s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: threadTS, Cursor: cursor, Oldest: oldest, Inclusive: true,
			Limit: s.LookupPageSize, IncludeAllMetadata: true})
		if err != nil {
			return "", false, fmt.Errorf("reading replies of %s in %s: %w", threadTS, channel, err)
		}
		if ts, ok := findMessage(msgs, dedupKey); ok {
			return ts, true, nil
		}
		if !hasMore || next == "" {
			return "", false, nil
		}
		cursor = next
	}
	return "", false, &lookupTooLongError{s.lookupPages()}
}

// findInHistory pages through channel's top-level messages from oldest on.
func (s *Sender) findInHistory(ctx context.Context, channel, oldest, dedupKey string) (string, bool, error) {
	cursor := ""
	for range s.lookupPages() {
		if err := s.paced(ctx, "conversations.history", channel); err != nil {
			return "", false, err
		}
		resp, err := s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Cursor: cursor, Oldest: oldest, Inclusive: true,
			Limit: s.LookupPageSize, IncludeAllMetadata: true})
		if err != nil {
			return "", false, fmt.Errorf("reading history of %s: %w", channel, err)
		}
		if ts, ok := findMessage(resp.Messages, dedupKey); ok {
			return ts, true, nil
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return "", false, nil
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
	return "", false, &lookupTooLongError{s.lookupPages()}
}

func (s *Sender) lookupPages() int { return max(s.LookupPages, 1) }

// findMessage returns the ts of the roasd message carrying dedupKey.
func findMessage(msgs []slack.Message, dedupKey string) (string, bool) {
	for _, m := range msgs {
		if m.Metadata.EventType != metadataEventType {
			continue
		}
		if k, _ := m.Metadata.EventPayload["dedup_key"].(string); k == dedupKey {
			return m.Timestamp, true
		}
	}
	return "", false
}

// channelID resolves a configured channel (id or "#name") to its id: as
// given when it is one, else the id an earlier alert to it was delivered
// to, else by listing the workspace's channels. "" means not found.
func (s *Sender) channelID(ctx context.Context, channel string) (string, error) {
	if channelIDPattern.MatchString(channel) {
		return channel, nil
	}
	id, err := s.outbox.SlackChannelID(ctx, channel)
	if err != nil || id != "" {
		return id, err
	}
	name := strings.TrimPrefix(channel, "#")
	cursor := ""
	for range s.lookupPages() {
		chans, next, err := s.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
			Cursor: cursor, Limit: 1000, ExcludeArchived: true, Types: []string{"public_channel", "private_channel"}})
		if err != nil {
			return "", fmt.Errorf("listing channels to find %s: %w", channel, err)
		}
		for _, c := range chans {
			if c.Name == name {
				return c.ID, nil
			}
		}
		if next == "" {
			return "", nil
		}
		cursor = next
	}
	return "", nil
}

// slackTS formats t as a Slack message timestamp ("seconds.micros").
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}
