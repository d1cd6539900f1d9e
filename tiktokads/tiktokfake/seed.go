package tiktokfake

import (
	"slices"
	"time"
)

// Seed is the fake's initial state, as plain Go values. Money is in
// micro-units of the advertiser's currency; the server formats it the way
// TikTok does (decimal strings in reports, JSON numbers for budgets).
type Seed struct {
	// Token is the only Access-Token accepted; empty accepts any non-empty
	// token.
	Token       string
	Advertisers []Advertiser
	// SparkPosts are creators' posts and their Spark authorization codes.
	// A code is bound to at most one advertiser (Advertiser), by
	// /tt_video/authorize/ or by seeding it already bound.
	SparkPosts []SparkPost
	// Now is the server's clock (default time.Now); it decides when a Spark
	// authorization has expired and stamps authorizations.
	Now func() time.Time
	// AppQPS, when positive, is the app's request quota per second, shared
	// by every advertiser and token as TikTok's is (tiktok-api.md §6):
	// calls beyond it within one wall-clock second answer 40100 "requests
	// from App … are temporarily restricted".
	AppQPS int
}

// Advertiser is an ad account with everything under it.
type Advertiser struct {
	ID       string
	Name     string
	Currency string
	// Timezone is the IANA zone the advertiser picked, reported as
	// display_timezone. /advertiser/info/ reports as timezone the fixed
	// UTC offset TikTok keeps the account's days in: the zone's standard
	// time, without daylight saving ("Etc/GMT+8" for
	// "America/Los_Angeles"); Report days are meant in that zone.
	Timezone string
	// Campaigns need only be seeded when they hold the budget (campaign
	// budget optimisation, Smart+) or are read; an ad group's unseeded
	// campaign is a manual one with ad-group budgets.
	Campaigns []Campaign
	AdGroups  []AdGroup
	Ads       []Ad
	// Report holds daily per-ad results in the advertiser's zone and
	// currency.
	Report []ReportRow
}

// Budget modes of an ad group, as TikTok names them.
const (
	BudgetModeDay      = "BUDGET_MODE_DAY"
	BudgetModeTotal    = "BUDGET_MODE_TOTAL"
	BudgetModeInfinite = "BUDGET_MODE_INFINITE"
)

// Campaign automation types (campaign_automation_type), as TikTok names
// them.
const (
	AutomationManual            = "MANUAL"
	AutomationSmartPlus         = "SMART_PLUS"
	AutomationUpgradedSmartPlus = "UPGRADED_SMART_PLUS"
)

// Campaign is a campaign. With BudgetOptimizeOn (campaign budget
// optimisation; always on for Smart+) the budget is the campaign's and an
// ad group budget update is refused.
type Campaign struct {
	ID   string
	Name string
	// BudgetMode defaults to BUDGET_MODE_DAY when BudgetOptimizeOn, else
	// BUDGET_MODE_INFINITE.
	BudgetMode       string
	BudgetMicros     int64
	BudgetOptimizeOn bool
	// AutomationType is campaign_automation_type (default MANUAL).
	AutomationType string
	// OperationStatus is ENABLE (default) or DISABLE: a disabled
	// campaign's enabled ads report AD_STATUS_CAMPAIGN_DISABLE.
	OperationStatus string
	// CreateTime and ModifyTime are create_time and modify_time (the
	// fake's start when zero; SetCampaignStatus moves ModifyTime, not its
	// ads').
	CreateTime, ModifyTime time.Time
}

// AdGroup is an ad group and its budget.
type AdGroup struct {
	ID         string
	CampaignID string
	Name       string
	// BudgetMode defaults to BUDGET_MODE_DAY.
	BudgetMode   string
	BudgetMicros int64
	// ScheduledBudgetMicros is a daily budget set through scheduled_budget
	// (0 when none is pending); it becomes the budget at ScheduledFrom,
	// 00:00 of the day after the update in the advertiser's zone, on the
	// fake's clock.
	ScheduledBudgetMicros int64
	ScheduledFrom         time.Time
	// OperationStatus defaults to ENABLE: a disabled ad group's enabled
	// ads report AD_STATUS_ADGROUP_DISABLE.
	OperationStatus string
	// ModifyTime is modify_time (the fake's start when zero;
	// SetAdGroupStatus moves it, not its ads').
	ModifyTime time.Time
}

// Identity types of ads, as TikTok names them.
const (
	IdentityAuthCode       = "AUTH_CODE"
	IdentityTTUser         = "TT_USER"
	IdentityBCAuthTT       = "BC_AUTH_TT"
	IdentityCustomizedUser = "CUSTOMIZED_USER"
)

// Ad is an ad. A Spark ad has IdentityType AUTH_CODE (or TT_USER /
// BC_AUTH_TT) and a TikTokItemID; a brand ad has a CUSTOMIZED_USER
// identity and a VideoID.
type Ad struct {
	ID           string
	Name         string
	AdGroupID    string
	CampaignID   string
	IdentityType string
	IdentityID   string
	TikTokItemID string
	VideoID      string
	// LandingPageURL carries the UTM query string; UTMParams are the extra
	// key/value URL parameters (utm_params).
	LandingPageURL string
	UTMParams      map[string]string
	// OperationStatus is ENABLE (default), DISABLE or DELETE;
	// SecondaryStatus the delivery status (default AD_STATUS_DELIVERY_OK,
	// or AD_STATUS_DISABLE when disabled).
	OperationStatus string
	SecondaryStatus string
	// DarkPost reports whether the Spark post runs in ads-only mode
	// (dark_post_status ON).
	DarkPost bool
	// CreateTime and ModifyTime are create_time and modify_time (the
	// fake's start when zero); a status write and SetAd move ModifyTime.
	// A status TikTok derives (a Spark authorization lost) does not.
	CreateTime time.Time
	ModifyTime time.Time
}

// Spark authorization states (auth_info.ad_auth_status). Only AUTHORIZED
// appears in TikTok's examples; EXPIRED is seen by third-party sync code;
// REVOKED is this fake's name for a creator-revoked grant.
const (
	AuthAuthorized = "AUTHORIZED"
	AuthExpired    = "EXPIRED"
	AuthRevoked    = "REVOKED"
)

// SparkPost is a creator's post with its Spark authorization code.
type SparkPost struct {
	AuthCode string
	ItemID   string
	// Text is the caption; ItemStatus the post visibility (default
	// HESITATE_RECOMMEND, i.e. public).
	Text       string
	ItemStatus string
	// IdentityID and TikTokName are the AUTH_CODE identity and the
	// creator's handle.
	IdentityID string
	TikTokName string
	// Advertiser is the advertiser the code was applied to; empty means not
	// applied yet.
	Advertiser string
	// AuthStatus defaults to AUTHORIZED; an AUTHORIZED post past AuthEnd is
	// reported EXPIRED.
	AuthStatus string
	AuthStart  time.Time
	AuthEnd    time.Time
}

// ReportRow is one ad's results on one day.
type ReportRow struct {
	AdID string
	// Day is "YYYY-MM-DD" in the advertiser's time zone.
	Day         string
	SpendMicros int64
	Impressions int64
	Clicks      int64
	// Engagement actions.
	Likes         int64
	Comments      int64
	Shares        int64
	Follows       int64
	ProfileVisits int64
	// VideoPlays is video_play_actions.
	VideoPlays int64
	// Conversions is the conversion metric (optimization-goal events);
	// Purchases and PurchaseValueMicros are complete_payment and
	// total_complete_payment_rate (website purchases and their value).
	Conversions         int64
	Purchases           int64
	PurchaseValueMicros int64
}

// clone deep-copies a seed so the caller's slices are never shared.
func (s Seed) clone() Seed {
	out := s
	out.Advertisers = make([]Advertiser, len(s.Advertisers))
	for i, a := range s.Advertisers {
		a.Campaigns = slices.Clone(a.Campaigns)
		a.AdGroups = slices.Clone(a.AdGroups)
		a.Ads = slices.Clone(a.Ads)
		for j := range a.Ads {
			if a.Ads[j].UTMParams != nil {
				m := make(map[string]string, len(a.Ads[j].UTMParams))
				for k, v := range a.Ads[j].UTMParams {
					m[k] = v
				}
				a.Ads[j].UTMParams = m
			}
		}
		a.Report = slices.Clone(a.Report)
		out.Advertisers[i] = a
	}
	out.SparkPosts = slices.Clone(s.SparkPosts)
	return out
}
