package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

// JobMetaToken reads the Meta access token's expiry (debug_token), at
// start and daily.
const JobMetaToken = "meta.token"

// TokenWarnDays are how many days before a platform access token expires
// Slack is warned, once each (the nearest threshold crossed when the
// expiry is first seen).
var TokenWarnDays = []int{14, 3}

// TokenStatus is a platform access token's validity and expiry as last
// read; it holds no secret.
type TokenStatus struct {
	Platform string `json:"platform"`
	// Valid reports whether the platform still accepted the token.
	Valid bool `json:"valid"`
	// ExpiresAt is when the token expires; zero when it never does.
	ExpiresAt time.Time `json:"expires_at"`
	CheckedAt time.Time `json:"checked_at"`
	// Problem is what the platform said about an invalid token.
	Problem string `json:"problem,omitempty"`
}

// Describe says, for people (readiness, Slack), where the token stands at
// now.
func (s TokenStatus) Describe(now time.Time) string {
	checked := "checked " + s.CheckedAt.UTC().Format(time.RFC3339)
	switch {
	case !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt):
		return fmt.Sprintf("%s token: EXPIRED at %s (%s)", s.Platform, s.ExpiresAt.UTC().Format(time.RFC3339), checked)
	case !s.Valid:
		return fmt.Sprintf("%s token: INVALID (%s; %s)", s.Platform, s.Problem, checked)
	case s.ExpiresAt.IsZero():
		return fmt.Sprintf("%s token: valid, never expires (%s)", s.Platform, checked)
	}
	return fmt.Sprintf("%s token: valid, expires %s (in %s; %s)", s.Platform, s.ExpiresAt.UTC().Format(time.RFC3339),
		daysLeft(s.ExpiresAt.Sub(now)), checked)
}

func daysLeft(d time.Duration) string {
	days := d.Hours() / 24
	if days >= 1 {
		return fmt.Sprintf("%.0f days", math.Floor(days))
	}
	return fmt.Sprintf("%.0f hours", math.Ceil(d.Hours()))
}

// TokenStatuses reads the last recorded expiry of each platform token that
// roasd checks (Meta; TikTok Marketing API tokens do not expire).
func TokenStatuses(ctx context.Context, db *store.DB) ([]TokenStatus, error) {
	var out []TokenStatus
	for _, p := range []ads.Platform{ads.Meta} {
		v, err := db.TokenRecord(ctx, p)
		if err != nil || v == nil {
			return out, err
		}
		var s TokenStatus
		if err := json.Unmarshal(v, &s); err != nil {
			return out, fmt.Errorf("reading %s token status: %w", p, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// metaToken reads the Meta token's expiry with debug_token, records it
// (the metric, the cursor /readyz reads), and warns the brand's Slack
// channel TokenWarnDays before it expires, and once it has expired or
// Meta reports it invalid. Each warning is queued once (its dedup key
// names the expiry and the threshold).
func (d *Deps) metaToken(ctx context.Context, b *configs.Brand, r *scheduler.Run) error {
	info, err := d.Meta.DebugToken(ctx)
	if err != nil {
		return err
	}
	st := TokenStatus{Platform: string(ads.Meta), Valid: info.Valid, ExpiresAt: info.ExpiresAt, CheckedAt: r.Now.UTC(), Problem: info.Problem}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := d.DB.SetTokenRecord(ctx, ads.Meta, raw); err != nil {
		return err
	}
	if d.Metrics != nil {
		d.Metrics.Tokens.Set(string(ads.Meta), info.ExpiresAt)
	}
	alert, ok := tokenAlert(notify.Target{Brand: b.Name, Channel: b.Slack.Channel, Currency: b.Currency}, st, r.Now)
	if !ok || b.Slack.Channel == "" {
		return nil
	}
	row, err := alert.Row()
	if err != nil {
		return err
	}
	_, err = d.DB.EnqueueAlerts(ctx, []store.OutboxRow{row})
	return err
}

// tokenAlert is the warning due for st at now, if any: the nearest of
// TokenWarnDays the expiry is within, or "expired"/"invalid".
func tokenAlert(t notify.Target, st TokenStatus, now time.Time) (notify.Alert, bool) {
	exp := "never"
	if !st.ExpiresAt.IsZero() {
		exp = st.ExpiresAt.UTC().Format(time.RFC3339)
	}
	stage, title := "", ""
	switch {
	case !st.ExpiresAt.IsZero() && !now.Before(st.ExpiresAt):
		stage, title = "expired", fmt.Sprintf("The %s access token has expired", st.Platform)
	case !st.Valid:
		stage, title = "invalid", fmt.Sprintf("The %s access token is no longer valid", st.Platform)
	case st.ExpiresAt.IsZero():
		return notify.Alert{}, false
	default:
		left := st.ExpiresAt.Sub(now)
		for _, days := range TokenWarnDays {
			if left <= time.Duration(days)*24*time.Hour {
				stage, title = fmt.Sprintf("%dd", days), fmt.Sprintf("The %s access token expires in %s", st.Platform, daysLeft(left))
			}
		}
		if stage == "" {
			return notify.Alert{}, false
		}
	}
	return notify.TokenAlert(t, st.Platform, exp, stage, title,
		"Issue a new system-user token in Meta Business Settings → Users → System users → Generate new token (choose \"never\" as expiry where your business allows it) and set META_ACCESS_TOKEN; every Meta sync and action stops when it expires. "+st.Describe(now)+"."), true
}
