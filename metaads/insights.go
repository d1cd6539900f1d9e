package metaads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// insightFields are the insights fields DayStats reads.
const insightFields = "account_currency,ad_id,date_start,date_stop,spend,impressions,clicks,inline_post_engagement,actions,action_values"

// PurchaseActionTypes is the order in which DayStats picks the action type
// counted as a purchase: the first one present in a row's actions is used
// for both the count and the value. omni_purchase deduplicates pixel, app
// and offline purchases; purchase and the pixel event are fallbacks.
var PurchaseActionTypes = []string{"omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase"}

// Action types read for engagements and views.
const (
	engagementAction = "post_engagement"
	viewAction       = "video_view"
)

type insightRow struct {
	AdID                 string           `json:"ad_id"`
	DateStart            string           `json:"date_start"`
	Currency             string           `json:"account_currency"`
	Spend                string           `json:"spend"`
	Impressions          string           `json:"impressions"`
	Clicks               string           `json:"clicks"`
	InlinePostEngagement string           `json:"inline_post_engagement"`
	Actions              []map[string]any `json:"actions"`
	ActionValues         []map[string]any `json:"action_values"`
}

// DayStats reads per-ad, per-day insights (level=ad, time_increment=1) for
// the days of r in the ad account's own time zone (Day is date_start) and
// currency (Spend and ConversionValue in micro-units of it).
//
// Conversions and ConversionValue are the purchases (PurchaseActionTypes)
// under attributionWindows (e.g. ["7d_click","1d_view"]): the sum of the
// per-window values Meta returns for those windows, or the default-window
// value when none are given or returned. Engagements are post_engagement
// actions (else inline_post_engagement); Views are video_view actions.
//
// Ranges longer than Options.AsyncDays use an async report run; a run that
// fails or is skipped is retried as two half ranges, down to single days,
// after which the error is KindJobFailed. Callers re-read a trailing
// restatement window and upsert: the result for a day is always complete.
func (c *Client) DayStats(ctx context.Context, adAccount string, r ads.DateRange, attributionWindows []string) ([]ads.DayStat, error) {
	act := actID(adAccount)
	if r.Days() == 0 {
		return nil, nil
	}
	params := url.Values{
		"level": {"ad"}, "time_increment": {"1"}, "fields": {insightFields},
		"time_range": {mustJSON(map[string]string{"since": r.From.String(), "until": r.To.String()})},
		// Account-level insights leave archived and deleted ads out unless
		// filtered on their status; their spend still counts.
		"filtering": {`[{"field":"ad.effective_status","operator":"IN","value":` + AllEffectiveStatuses + `}]`},
	}
	if len(attributionWindows) > 0 {
		params.Set("action_attribution_windows", mustJSON(attributionWindows))
	}
	// Rows are converted page by page, so only one page of raw rows (with
	// their action maps) is held at a time.
	currency := ""
	type key struct {
		ad  string
		day ads.Date
	}
	byKey := map[key]int{}
	var out []ads.DayStat
	add := func(rows []insightRow) error {
		for _, row := range rows {
			if row.Currency == "" && currency == "" {
				info, err := c.Account(ctx, act)
				if err != nil {
					return err
				}
				currency = info.Currency
			}
			s, err := toDayStat(act, row, currency, attributionWindows)
			if err != nil {
				return err
			}
			if i, ok := byKey[key{s.AdID, s.Day}]; ok {
				out[i] = s
				continue
			}
			byKey[key{s.AdID, s.Day}] = len(out)
			out = append(out, s)
		}
		return nil
	}
	var err error
	if r.Days() <= c.asyncDays {
		err = eachPage(ctx, c, act, act+"/insights", params, add)
	} else {
		err = c.asyncRows(ctx, act, r, params, add)
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Day.Compare(out[j].Day); c != 0 {
			return c < 0
		}
		return out[i].AdID < out[j].AdID
	})
	return out, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// errJobFailed marks a report run that ended Job Failed or Job Skipped (or
// never finished); splitting its range may help. Since v25.0 a failed run
// says why (error_code, error_subcode, error_message, error_user_title,
// error_user_msg).
type errJobFailed struct {
	status        string
	code, subcode int
	message, user string
}

func (e *errJobFailed) Error() string { return "async report run ended " + e.status + e.reason() }

// reason is ": <message> (<user title>: <user message>) [code c/s]", or ""
// when Meta said nothing.
func (e *errJobFailed) reason() string {
	var b strings.Builder
	if e.message != "" {
		b.WriteString(": " + e.message)
	}
	if e.user != "" {
		b.WriteString(" (" + e.user + ")")
	}
	if e.code != 0 || e.subcode != 0 {
		fmt.Fprintf(&b, " [code %d/%d]", e.code, e.subcode)
	}
	return b.String()
}

// asyncRows reads r through report runs, splitting failed ranges, and
// hands the rows to fn page by page. A run fails (and is split) before
// any of its rows are read.
func (c *Client) asyncRows(ctx context.Context, act string, r ads.DateRange, params url.Values, fn func([]insightRow) error) error {
	p := url.Values{}
	for k, vs := range params {
		p[k] = vs
	}
	p.Set("time_range", mustJSON(map[string]string{"since": r.From.String(), "until": r.To.String()}))
	err := c.runReport(ctx, act, p, fn)
	var jf *errJobFailed
	if !errors.As(err, &jf) {
		return err
	}
	if r.Days() <= 1 {
		return &ads.APIError{Platform: ads.Meta, Account: act, Op: "POST " + act + "/insights", Kind: ads.KindJobFailed,
			Code: jf.code, Subcode: jf.subcode,
			Message: fmt.Sprintf("async insights report for %s %s even for a single day%s", r.From, jf.status, jf.reason())}
	}
	mid := r.From.AddDays(r.Days()/2 - 1)
	c.log.Warn("meta: async insights report failed; splitting the range", "account", act, "from", r.From.String(), "to", r.To.String(),
		"status", jf.status, "error_code", jf.code, "error_subcode", jf.subcode, "error_message", jf.message)
	if err := c.asyncRows(ctx, act, ads.DateRange{From: r.From, To: mid}, params, fn); err != nil {
		return err
	}
	return c.asyncRows(ctx, act, ads.DateRange{From: mid.AddDays(1), To: r.To}, params, fn)
}

// reportRunFields are read of an async report run: its state and, when
// it failed, why.
const reportRunFields = "id,async_status,async_percent_completion,error_code,error_subcode,error_message,error_user_title,error_user_msg"

// runReport creates one async report run, polls it to the end and hands
// its rows to fn page by page.
func (c *Client) runReport(ctx context.Context, act string, params url.Values, fn func([]insightRow) error) error {
	var created struct {
		ID string `json:"report_run_id"`
	}
	if err := c.call(ctx, http.MethodPost, act, act+"/insights", params, &created); err != nil {
		return err
	}
	if created.ID == "" {
		return &ads.APIError{Platform: ads.Meta, Account: act, Op: "POST " + act + "/insights", Kind: ads.KindUnknown, Message: "no report_run_id in response"}
	}
	deadline := time.Now().Add(c.pollTimeout)
	for {
		var st struct {
			Status    string  `json:"async_status"`
			Percent   float64 `json:"async_percent_completion"`
			Code      int     `json:"error_code"`
			Subcode   int     `json:"error_subcode"`
			Message   string  `json:"error_message"`
			UserTitle string  `json:"error_user_title"`
			UserMsg   string  `json:"error_user_msg"`
		}
		if err := c.call(ctx, http.MethodGet, act, created.ID, url.Values{"fields": {reportRunFields}}, &st); err != nil {
			return err
		}
		switch st.Status {
		case "Job Completed":
			if st.Percent >= 100 {
				return eachPage(ctx, c, act, created.ID+"/insights", nil, fn)
			}
		case "Job Failed", "Job Skipped":
			user := st.UserMsg
			if st.UserTitle != "" && user != "" {
				user = st.UserTitle + ": " + user
			}
			return &errJobFailed{status: st.Status, code: st.Code, subcode: st.Subcode,
				message: c.redact(st.Message), user: c.redact(user)}
		}
		if time.Now().After(deadline) {
			return &errJobFailed{status: "not finished after " + c.pollTimeout.String()}
		}
		t := time.NewTimer(c.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("polling meta report run %s: %w", created.ID, ctx.Err())
		case <-t.C:
		}
	}
}

// toDayStat converts one insights row.
func toDayStat(act string, row insightRow, currency string, windows []string) (ads.DayStat, error) {
	fail := func(what string, err error) (ads.DayStat, error) {
		return ads.DayStat{}, fmt.Errorf("parsing meta insights %s of ad %s on %s: %w", what, row.AdID, row.DateStart, err)
	}
	day, err := ads.ParseDate(row.DateStart)
	if err != nil {
		return fail("date_start", err)
	}
	s := ads.DayStat{Platform: ads.Meta, Account: act, AdID: row.AdID, Day: day, Currency: firstNonEmpty(row.Currency, currency)}
	if row.Spend != "" {
		if s.Spend, err = ads.ParseMicros(row.Spend); err != nil {
			return fail("spend", err)
		}
	}
	for _, f := range []struct {
		name string
		in   string
		out  *int64
	}{{"impressions", row.Impressions, &s.Impressions}, {"clicks", row.Clicks, &s.Clicks}, {"inline_post_engagement", row.InlinePostEngagement, &s.Engagements}} {
		if f.in == "" {
			continue
		}
		if *f.out, err = strconv.ParseInt(f.in, 10, 64); err != nil {
			return fail(f.name, err)
		}
	}
	if a := findAction(row.Actions, engagementAction); a != nil {
		if s.Engagements, err = actionValue(a, nil, false); err != nil {
			return fail("post_engagement", err)
		}
	}
	if a := findAction(row.Actions, viewAction); a != nil {
		if s.Views, err = actionValue(a, nil, false); err != nil {
			return fail("video_view", err)
		}
	}
	for _, t := range PurchaseActionTypes {
		a := findAction(row.Actions, t)
		if a == nil {
			continue
		}
		if s.Conversions, err = actionValue(a, windows, false); err != nil {
			return fail(t, err)
		}
		if v := findAction(row.ActionValues, t); v != nil {
			if s.ConversionValue, err = actionValue(v, windows, true); err != nil {
				return fail(t+" value", err)
			}
		}
		break
	}
	return s, nil
}

func findAction(list []map[string]any, typ string) map[string]any {
	for _, a := range list {
		if t, _ := a["action_type"].(string); t == typ {
			return a
		}
	}
	return nil
}

// actionValue sums the entry's per-window values for windows, falling back
// to "value" when no window is given or none is present; money values are
// returned in micro-units.
func actionValue(a map[string]any, windows []string, money bool) (int64, error) {
	parse := func(v any) (int64, error) {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return 0, fmt.Errorf("unexpected %T", v)
		}
		if money {
			return ads.ParseMicros(s)
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		// Counts are sometimes fractional (modelled conversions); keep
		// the whole part.
		m, err := ads.ParseMicros(s)
		return m / ads.MicrosPerUnit, err
	}
	var total int64
	found := false
	for _, w := range windows {
		if v, ok := a[w]; ok {
			n, err := parse(v)
			if err != nil {
				return 0, err
			}
			total += n
			found = true
		}
	}
	if found {
		return total, nil
	}
	if v, ok := a["value"]; ok {
		return parse(v)
	}
	return 0, nil
}
