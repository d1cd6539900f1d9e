package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/reconcile"
)

// Alert kinds (Alert.Kind).
const (
	KindVerdict    = "verdict"
	KindGuard      = "guard"
	KindPermission = "permission"
	KindHygiene    = "hygiene"
	KindAction     = "action"
	// KindSync: part of a platform sync keeps failing while the rest is
	// stored (e.g. the eligible partnership-ad media).
	KindSync = "sync"
	// KindVersion: a pinned platform API version nears its end of life.
	KindVersion = "version"
	// KindToken: a platform access token expires soon or has expired.
	KindToken = "token"
	// KindApproval: actions of a test with `actions: approve` waiting for
	// approval, and what became of them.
	KindApproval = "approval"
)

// Alert is one message for a brand's Slack channel. It is stored as the
// outbox payload (JSON) and rendered at send time.
type Alert struct {
	Brand   string `json:"brand"`
	Channel string `json:"channel"`
	// ThreadKey groups alerts in one Slack thread ("test:<id>"): the first
	// alert starts it, later ones reply in it. Empty posts top-level.
	ThreadKey string `json:"thread_key,omitempty"`
	// UpdateKey names a message that later alerts revise with chat.update
	// instead of posting again (a verdict per subject and checkpoint).
	UpdateKey string `json:"update_key,omitempty"`
	// Kind is KindVerdict, KindGuard, KindPermission, KindHygiene,
	// KindAction, KindSync or KindVersion.
	Kind string `json:"kind"`
	// DedupKey is sent at most once, e.g.
	// "verdict:<brand>:<test>:<subject>:<checkpoint>:<verdict>".
	DedupKey string `json:"dedup_key"`
	// Title is the header: what happened.
	Title string `json:"title"`
	// Verdict is the verdict of a KindVerdict alert (picks the emoji).
	Verdict string `json:"verdict,omitempty"`
	// Reason is why, with the numbers.
	Reason string `json:"reason"`
	// Fields are the numbers, shown two per row.
	Fields []Field `json:"fields,omitempty"`
	// Table is a preformatted table (first line the column names) shown
	// under the reason.
	Table []string `json:"table,omitempty"`
	// Context is a short line of where this comes from (brand, test,
	// checkpoint).
	Context string `json:"context,omitempty"`
	// ReportURL links to the report behind the alert.
	ReportURL string `json:"report_url,omitempty"`
	// NotBefore, when set, holds the alert back until then (a brand's
	// quiet hours); the Sender hands it back untried.
	NotBefore time.Time `json:"not_before,omitzero"`
	// Mention, when set, is the mrkdwn mention of who must act
	// ("<@U…>", "<!subteam^S…>"), put before the reason unescaped.
	Mention string `json:"mention,omitempty"`
	// Proposals are the actions of a KindApproval alert, each with its
	// Approve / Skip buttons while it awaits, or its outcome.
	Proposals []Proposal `json:"proposals,omitempty"`
	// ApproveAll is the value of the test's Approve all button ("" hides
	// it).
	ApproveAll string `json:"approve_all,omitempty"`
}

// Field is one labelled number in an alert.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// OutboxRow is a queued alert. It is an alias of an unnamed struct type,
// identical to store.OutboxRow, so the store's outbox satisfies Outbox
// without notify importing the store.
type OutboxRow = struct {
	ID        int64
	DedupKey  string
	UpdateKey string
	Brand     string
	Channel   string
	ThreadKey string
	Kind      string
	Payload   []byte
	// Attempts counts delivery attempts, including the current claim.
	Attempts int
	// PostingSince is when an earlier claim started posting the row to
	// Slack (MarkPosting) without it being acknowledged since; zero when
	// no post was ever started.
	PostingSince time.Time
}

// Row encodes the alert as an outbox row to enqueue.
func (a Alert) Row() (OutboxRow, error) {
	if a.DedupKey == "" || a.Brand == "" || a.Kind == "" {
		return OutboxRow{}, fmt.Errorf("encoding alert %q: dedup key, brand and kind are required", a.Title)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return OutboxRow{}, fmt.Errorf("encoding alert %s: %w", a.DedupKey, err)
	}
	return OutboxRow{DedupKey: a.DedupKey, UpdateKey: a.UpdateKey, Brand: a.Brand, Channel: a.Channel,
		ThreadKey: a.ThreadKey, Kind: a.Kind, Payload: b}, nil
}

// Rows encodes alerts as outbox rows.
func Rows(alerts []Alert) ([]OutboxRow, error) {
	out := make([]OutboxRow, 0, len(alerts))
	for _, a := range alerts {
		r, err := a.Row()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Target says where a brand's alerts go and how amounts are labelled.
type Target struct {
	Brand string
	// Channel is the Slack channel name ("#creator-perf") or id.
	Channel  string
	Currency string
	// ReportURL links to the brand's report; "" leaves the link out.
	ReportURL string
	// Owners maps a test id to its owner (a Slack user or user group id),
	// mentioned only on the test's items that need action.
	Owners map[string]string
	// NotBefore, when set, holds a test's alerts back until then (the
	// brand's quiet hours).
	NotBefore time.Time
}

// mention is the mrkdwn mention of testID's owner in t, or "".
func (t Target) mention(testID string) string {
	o := t.Owners[testID]
	switch {
	case o == "":
		return ""
	case strings.HasPrefix(o, "S"):
		return "<!subteam^" + o + ">"
	}
	return "<@" + o + ">"
}

// TestThread is the thread key of a test: all its alerts share one thread.
func TestThread(testID string) string { return "test:" + testID }

// VerdictAlert announces v, the verdict on one subject of testID at
// checkpoint (e.g. "14d"). The same verdict at the same checkpoint is
// never sent twice; a different one updates the earlier message.
func VerdictAlert(t Target, testID, checkpoint string, v reconcile.Verdict) Alert {
	update := fmt.Sprintf("verdict:%s:%s:%s:%s", t.Brand, testID, v.Subject, checkpoint)
	metric := "ROAS"
	if v.Metric == reconcile.PrimaryBlendedROAS {
		metric = "Blended ROAS"
	}
	fields := []Field{
		{"Verdict", strings.ToUpper(v.Verdict)},
		{metric, fmt.Sprintf("%.2fx", v.ROAS)},
	}
	if v.Rule != reconcile.RuleLowSpend && v.Rule != reconcile.RuleNoEvidence {
		fields = append(fields, Field{fmt.Sprintf("%.0f%% credible interval", v.Credibility*100), fmt.Sprintf("%.2f–%.2fx", v.Low, v.High)})
	}
	fields = append(fields,
		Field{"Spend", money(v.Spend, t.Currency)},
		Field{"Revenue", money(v.Revenue, t.Currency)},
		Field{"Orders (store / platform)", fmt.Sprintf("%d / %d", v.Orders, v.PlatformConversions)},
	)
	if v.Fee != 0 {
		fields = append(fields, Field{"Fees", money(v.Fee, t.Currency)})
	}
	if v.Rank > 0 {
		fields = append(fields, Field{"Rank", fmt.Sprintf("%d of %d", v.Rank, v.Of)})
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, ThreadKey: TestThread(testID), UpdateKey: update,
		Kind: KindVerdict, DedupKey: update + ":" + v.Verdict, Verdict: v.Verdict,
		Title:     fmt.Sprintf("%s %s — %s at %s", verdictWord(v.Verdict), v.Subject, testID, checkpoint),
		Reason:    v.Reason,
		Fields:    fields,
		Context:   contextLine(t.Brand, testID, "checkpoint "+checkpoint, v.Platform),
		ReportURL: t.ReportURL,
	}
}

// GuardAlert announces a tripped guard on a subject of testID. period
// scopes the dedup key (e.g. the next checkpoint, "before-14d"), so the same
// guard is announced at most once per period.
func GuardAlert(t Target, testID, period string, g reconcile.Guard) Alert {
	key := fmt.Sprintf("guard:%s:%s:%s:%s:%s", t.Brand, testID, g.Subject, g.Name, period)
	title := fmt.Sprintf("Guard: %s has spend but no store orders", g.Subject)
	if g.Name == reconcile.GuardOverReported {
		title = fmt.Sprintf("Guard: %s conversions over-reported by the platform", g.Subject)
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, ThreadKey: TestThread(testID), Kind: KindGuard, DedupKey: key, Mention: t.mention(testID),
		Title: title, Reason: g.Reason,
		Fields: []Field{
			{"Spend", money(g.Spend, t.Currency)},
			{"Store orders", fmt.Sprint(g.Orders)},
			{"Platform conversions", fmt.Sprint(g.PlatformConversions)},
		},
		Context:   contextLine(t.Brand, testID, period, g.Platform),
		ReportURL: t.ReportURL,
	}
}

// PermissionAlert announces a whitelisting or Spark grant problem. An
// expiry is announced once per expiry date, the other kinds once.
func PermissionAlert(t Target, p reconcile.PermissionAlert) Alert {
	key := fmt.Sprintf("permission:%s:%s:%s:%s:%s", t.Brand, p.TestID, p.VariantKey, p.Kind, p.PermissionID)
	var fields []Field
	if p.Creator != "" {
		fields = append(fields, Field{"Creator", "@" + strings.TrimPrefix(p.Creator, "@")})
	}
	fields = append(fields, Field{"Platform", string(p.Platform)})
	if !p.ExpiresAt.IsZero() {
		expires := p.ExpiresAt.UTC().Format("2006-01-02")
		fields = append(fields, Field{"Expires", expires})
		if p.Kind == reconcile.PermAlertExpiring {
			key += ":" + expires
		}
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, ThreadKey: TestThread(p.TestID), Kind: KindPermission, DedupKey: key, Mention: t.mention(p.TestID),
		Title:     fmt.Sprintf("Permission %s: %s", p.Kind, p.VariantKey),
		Reason:    p.Reason,
		Fields:    fields,
		Context:   contextLine(t.Brand, p.TestID, "variant "+p.VariantKey, string(p.Platform)),
		ReportURL: t.ReportURL,
	}
}

// HygieneAlert announces a tracking problem: a declared variant with no ad
// (in its test's thread) or a running ad without UTM tags (in the brand's
// hygiene thread). Each is announced once.
func HygieneAlert(t Target, h reconcile.HygieneIssue) Alert {
	a := Alert{Brand: t.Brand, Channel: t.Channel, Kind: KindHygiene, Reason: h.Reason, ReportURL: t.ReportURL,
		Fields: []Field{{"Platform", string(h.Platform)}}}
	switch h.Kind {
	case reconcile.HygieneNoAd:
		a.DedupKey = fmt.Sprintf("hygiene:%s:no_ad:%s:%s", t.Brand, h.TestID, h.VariantKey)
		a.ThreadKey = TestThread(h.TestID)
		a.Title = fmt.Sprintf("No ad runs variant %s", h.VariantKey)
		a.Context = contextLine(t.Brand, h.TestID, "variant "+h.VariantKey, "")
	default:
		a.DedupKey = fmt.Sprintf("hygiene:%s:%s:%s:%s", t.Brand, h.Kind, h.Platform, h.AdID)
		a.ThreadKey = "hygiene"
		a.Title = fmt.Sprintf("Ad %s runs without UTM tags", h.AdID)
		a.Fields = append(a.Fields, Field{"Ad", fmt.Sprintf("%s (%s)", h.AdName, h.AdID)})
		a.Context = contextLine(t.Brand, "", "", "")
	}
	return a
}

// SyncAlert announces that what (e.g. "eligible partnership-ad media") of
// a platform account has been failing to sync since since (the failure's
// first run, RFC 3339), while the rest of the sync is stored. It is sent
// once per failure episode: a later episode has another since.
func SyncAlert(t Target, platform ads.Platform, account, what, since, problem string) Alert {
	return Alert{
		Brand: t.Brand, Channel: t.Channel, Kind: KindSync,
		DedupKey:  fmt.Sprintf("sync:%s:%s:%s:%s:%s", t.Brand, platform, account, what, since),
		Title:     fmt.Sprintf("Cannot read %s from %s (%s)", what, platform, account),
		Reason:    problem,
		Fields:    []Field{{"Platform", string(platform)}, {"Account", account}, {"Failing since", since}},
		Context:   contextLine(t.Brand, "", "", string(platform)),
		ReportURL: t.ReportURL,
	}
}

// NotJudgedAlert says that the brand's tests are not being judged (no
// verdicts, guards, permission or hygiene alerts) since since (RFC 3339)
// and why: each reason names a sync (or the reconcile) that failed, never
// ran or has not finished its first run. It is sent once per episode: a
// later episode has another since.
func NotJudgedAlert(t Target, since string, reasons []string) Alert {
	return Alert{
		Brand: t.Brand, Channel: t.Channel, Kind: KindSync,
		DedupKey: fmt.Sprintf("not-judged:%s:%s", t.Brand, since),
		Title:    fmt.Sprintf("Not judging %s's tests until its data is complete", t.Brand),
		Reason: "Verdicts, guards and permission and tracking checks wait until each of the brand's syncs has succeeded " +
			"and none has failed since, so nothing is cut on missing data: " + strings.Join(reasons, "; ") + ".",
		Fields:    []Field{{"Brand", t.Brand}, {"Waiting since", since}},
		Context:   contextLine(t.Brand),
		ReportURL: t.ReportURL,
	}
}

// VersionAlert announces that roasd's pinned API version of platform
// reaches its published end of life at eol (daysLeft days from now), per
// source. Its dedup key names the version and the date but no brand: it
// is sent once, to whichever brand's channel t names.
func VersionAlert(t Target, platform ads.Platform, version string, eol time.Time, daysLeft int, source string) Alert {
	date := eol.UTC().Format("2006-01-02")
	when := fmt.Sprintf("in %d days", daysLeft)
	switch {
	case daysLeft < 0:
		when = fmt.Sprintf("%d days ago", -daysLeft)
	case daysLeft == 0:
		when = "today"
	}
	return Alert{
		Brand: t.Brand, Channel: t.Channel, Kind: KindVersion,
		DedupKey: fmt.Sprintf("version:%s:%s:%s", platform, version, date),
		Title:    fmt.Sprintf("%s API %s reaches its end of life on %s", platform, version, date),
		Reason: fmt.Sprintf("roasd is pinned to %s API %s, which the platform stops serving %s (%s). "+
			"Upgrade roasd to a release pinned to a newer version before then; after it the platform fails or upgrades the calls itself.",
			platform, version, when, source),
		Fields:  []Field{{"Platform", string(platform)}, {"Version", version}, {"End of life", eol.UTC().Format("2006-01-02 15:04 MST")}},
		Context: contextLine(t.Brand, "", "", string(platform)),
	}
}

func verdictWord(v string) string {
	switch v {
	case reconcile.VerdictScale:
		return "Scale"
	case reconcile.VerdictCut:
		return "Cut"
	case reconcile.VerdictRefresh:
		return "Refresh"
	case reconcile.VerdictHold:
		return "Hold"
	}
	return v
}

func contextLine(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, " · ")
}

// money is ads.FormatMoney, as on the dashboard and in the report.
func money(micros int64, currency string) string { return ads.FormatMoney(micros, currency) }

// TokenAlert warns that a platform access token expires soon, has expired
// or is invalid. stage names the warning ("14d", "3d", "expired",
// "invalid") and expires the expiry (RFC 3339, "never"): each is sent once
// per token.
func TokenAlert(t Target, platform, expires, stage, title, reason string) Alert {
	return Alert{
		Brand: t.Brand, Channel: t.Channel, Kind: KindToken,
		DedupKey: fmt.Sprintf("token:%s:%s:%s:%s", t.Brand, platform, expires, stage),
		Title:    title,
		Reason:   reason,
		Fields:   []Field{{"Platform", platform}, {"Expires", expires}},
		Context:  contextLine(t.Brand, "", "", platform),
	}
}
