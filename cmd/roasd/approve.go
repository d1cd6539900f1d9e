package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/jobs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/notify/slackfake"
	"github.com/roasd/roasd/sandbox"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/web"
)

// decidedBudget bounds the background work after one decision.
const decidedBudget = 5 * time.Minute

// decided applies, in the background, what an approval or skip of one of
// brand's actions changed: the brand's open actions are finished by the
// usual path under the verdicts lease (waiting while a verdicts run holds
// it), the approval messages refreshed, and the outbox delivered.
func (d *daemon) decided(brand string) {
	set := d.config()
	if set == nil || set.Brand(brand) == nil {
		return
	}
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		ctx, cancel := context.WithTimeout(d.bgCtx, decidedBudget)
		defer cancel()
		if err := d.applyDecided(ctx, set.Brand(brand)); err != nil {
			d.log.Error("applying approved actions", "brand", brand, "err", err)
		}
	}()
}

// applyDecided runs the brand's ApplyDecided stage, then its notify
// stage, each as a job under its lease, retrying while another run holds
// it.
func (d *daemon) applyDecided(ctx context.Context, b *configs.Brand) error {
	stages := []jobs.Stage{d.deps.ApplyDecided(d.reportURL)}
	for _, st := range d.deps.Stages {
		if st.Name == jobs.StageNotify {
			stages = append(stages, st)
		}
	}
	for _, st := range stages {
		job := scheduler.Job{Name: st.Name, Scope: "brand:" + b.Name, Run: func(ctx context.Context, r *scheduler.Run) error { return st.Run(ctx, b, r) }}
		for {
			err := d.runner.Execute(ctx, job)
			if !errors.Is(err, scheduler.ErrSkipped) {
				if err != nil {
					return err
				}
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Second):
			}
		}
	}
	return nil
}

// demoApprove clicks Approve on the first proposal awaiting approval in
// the sandbox's Slack, as the sandbox's approver: a signed block_actions
// request to roasd's own interactivity endpoint, as Slack would send it.
// It applies the approval and prints the message as it reads afterwards.
func demoApprove(ctx context.Context, out io.Writer, d *daemon, sb *sandbox.Sandbox, set *configs.Set) error {
	h, ok := d.slackInteractions(nil)
	if !ok {
		return errors.New("SLACK_SIGNING_SECRET is not set")
	}
	var msg *slackfake.Message
	for _, m := range sb.Slack.Messages() {
		if strings.Contains(string(m.Blocks), `"action_id":"`+notify.ActionIDApprove+`"`) {
			msg = &m
			break
		}
	}
	if msg == nil {
		fmt.Fprintln(out, "\n· no proposal awaits approval, nothing to click")
		return nil
	}
	srv, err := web.New(web.Options{Addr: "127.0.0.1:0", Routes: map[string]http.Handler{"POST /slack/interactions": h}, Log: d.log})
	if err != nil {
		return err
	}
	go srv.Serve()
	defer srv.Close()
	fmt.Fprintf(out, "\n· clicking Approve on the first proposal as @%s (a signed block_actions request to %s/slack/interactions)…\n", sandbox.Approver.Name, srv.URL())
	status, err := sb.Slack.Press(slackfake.Click{URL: srv.URL() + "/slack/interactions", Secret: d.env.getenv("SLACK_SIGNING_SECRET"), At: d.opts.now(),
		User: sandbox.Approver, Message: *msg, ActionID: notify.ActionIDApprove})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("the interactivity endpoint answered %d", status)
	}
	for _, b := range set.Brands {
		if err := d.applyDecided(ctx, b); err != nil {
			return err
		}
	}
	for _, m := range sb.Slack.Messages() {
		if m.TS == msg.TS {
			fmt.Fprintf(out, "  the approval message now reads (edited %d×):\n", m.Edits)
			for _, line := range strings.Split(blocksLines(m.Blocks), "\n") {
				fmt.Fprintf(out, "    %s\n", line)
			}
		}
	}
	return nil
}

// blocksLines is the text of Block Kit JSON as Slack shows it, one block
// a line, buttons as [Label].
func blocksLines(raw json.RawMessage) string {
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
		Elements []struct {
			Type string `json:"type"`
			Text json.RawMessage
		} `json:"elements"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return ""
	}
	var lines []string
	for _, b := range blocks {
		switch {
		case b.Type == "actions":
			var buttons []string
			for _, e := range b.Elements {
				var t struct{ Text string }
				json.Unmarshal(e.Text, &t)
				buttons = append(buttons, "["+t.Text+"]")
			}
			lines = append(lines, "  "+strings.Join(buttons, " "))
		case b.Text != nil && b.Type != "context":
			lines = append(lines, strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "~", "", "*", "").Replace(b.Text.Text))
		}
	}
	return strings.Join(lines, "\n")
}
