package slackfake_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
)

// TestUserGroupsAndEphemeral: usergroups.users.list needs the
// usergroups:read scope and a known group, as on Slack; ephemeral
// messages are kept per user.
func TestUserGroupsAndEphemeral(t *testing.T) {
	t.Parallel()
	s := slackfake.New("xoxb-t", "perf")
	s.Scopes = []string{"chat:write"}
	s.SetUserGroup("S0LEADS001", "U1", "U2")
	srv := httptest.NewServer(s)
	defer srv.Close()
	api := notify.Approvers{API: notify.NewSlack("xoxb-t", srv.URL+"/api/", nil)}
	ctx := context.Background()
	if _, err := api.Members(ctx, "S0LEADS001"); err == nil || !strings.Contains(err.Error(), "missing_scope") {
		t.Errorf("members without usergroups:read: %v, want missing_scope", err)
	}
	s.Scopes = append(s.Scopes, "usergroups:read")
	if m, err := api.Members(ctx, "S0LEADS001"); err != nil || !slices.Equal(m, []string{"U1", "U2"}) {
		t.Errorf("members = %v, %v", m, err)
	}
	if _, err := api.Members(ctx, "S0NOPE0001"); err == nil || !strings.Contains(err.Error(), "no_such_subteam") {
		t.Errorf("unknown group: %v, want no_such_subteam", err)
	}
	if err := api.Ephemeral(ctx, "#perf", "U3", "Not allowed <!channel>"); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals(); len(e) != 1 || e[0].User != "U3" || e[0].Text != "Not allowed &lt;!channel&gt;" {
		t.Errorf("ephemerals = %+v", e)
	}
	if err := api.Ephemeral(ctx, "#nowhere", "U3", "x"); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("ephemeral to an unknown channel: %v", err)
	}
	// A button that is not in the message cannot be pressed.
	if _, err := s.Payload(slackfake.Click{Message: slackfake.Message{Channel: "C00000001", TS: "1.1"}, ActionID: notify.ActionIDApprove}); err == nil {
		t.Error("pressed a button of a message the fake does not hold")
	}
}
