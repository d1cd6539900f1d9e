package metafake

import (
	"slices"
	"time"
)

// Seed is the fake's initial state, as plain Go values. Money is in
// micro-units of the account currency (the server formats it as the decimal
// strings Meta sends); budgets are in the currency's minor units, as Meta
// takes and returns them.
type Seed struct {
	// Token is the only access token accepted; empty accepts any non-empty
	// token.
	Token string
	// AppSecret, when set, makes every call carry a valid appsecret_proof
	// (hex HMAC-SHA256 of the token keyed by the secret).
	AppSecret string
	// AppID is the app the token belongs to: GET /debug_token accepts the
	// app access token "<AppID>|<AppSecret>".
	AppID string
	// TokenExpiresAt is when Token expires on the fake's clock (zero:
	// never, debug_token's expires_at 0). From then on every call with it
	// fails with error 190 / subcode 463, and debug_token reports it
	// invalid.
	TokenExpiresAt time.Time
	// TokenIssuedAt is debug_token's issued_at (default 60 days before
	// TokenExpiresAt, or the fake's start).
	TokenIssuedAt time.Time
	// BusinessID is the brand's Meta business: it keys the
	// X-Business-Use-Case-Usage header (default "100000000000001") and is
	// the node of GET /{business_id}/partnership-ads-advertisable-content.
	BusinessID string
	// Now is the server's clock (default time.Now): from LegacyMediaRemoved
	// on it answers /{ig_user}/branded_content_advertisable_medias as Meta
	// does for a removed edge.
	Now func() time.Time
	// PermissionStatusField names the one status field the permission edge
	// has: "status" (the official SDKs' IGBCAdsPermission) or
	// "permission_status" (the partnership-ads guide). Empty means both
	// exist. Asking for a field the edge lacks is Graph's error 100.
	PermissionStatusField string
	Accounts              []Account
	// Permissions are partnership-ad (branded content ad) permissions,
	// listed on their brand's Instagram account.
	Permissions []Permission
}

// Account is an ad account with everything under it.
type Account struct {
	// ID is "act_<digits>".
	ID       string
	Name     string
	Currency string
	// Timezone is the IANA name reported as timezone_name.
	Timezone string
	// Campaigns hold the budget when they use Advantage+ campaign budget
	// (DailyBudget or LifetimeBudget set); an ad set's campaign need not
	// be seeded (it is then an ordinary one).
	Campaigns []Campaign
	AdSets    []AdSet
	Ads       []Ad
	// Insights are daily per-ad rows, in the account's zone and currency.
	Insights []Insight
}

// Campaign is a campaign. DailyBudget and LifetimeBudget are in the
// currency's minor units; either set means Advantage+ campaign budget:
// its ad sets have no budget of their own and a write of one is refused.
type Campaign struct {
	ID             string
	Name           string
	Status         string
	DailyBudget    int64
	LifetimeBudget int64
	// AdvantageState is advantage_state_info.advantage_state
	// (ADVANTAGE_PLUS_SALES, ADVANTAGE_PLUS_APP, ADVANTAGE_PLUS_LEADS;
	// default DISABLED); SmartPromotionType the legacy field
	// (AUTOMATED_SHOPPING_ADS for an old ASC campaign).
	AdvantageState     string
	SmartPromotionType string
	// UpdatedTime is updated_time: when the campaign last changed (the
	// fake's start when zero; a write through the API moves it).
	UpdatedTime time.Time
}

// AdSet is an ad set; DailyBudget is in the currency's minor units (0
// means the ad set has no daily budget).
type AdSet struct {
	ID          string
	CampaignID  string
	Name        string
	Status      string
	DailyBudget int64
	// UpdatedTime is updated_time: when the ad set last changed (the
	// fake's start when zero; a write through the API and SetAdSetStatus
	// move it, not its ads').
	UpdatedTime time.Time
}

// Ad is an ad and its creative.
type Ad struct {
	ID         string
	Name       string
	AdSetID    string
	CampaignID string
	// Status is the configured status (default ACTIVE); EffectiveStatus
	// the delivery status (default Status). While the ad is ACTIVE the
	// edge derives CAMPAIGN_PAUSED or ADSET_PAUSED from a paused parent,
	// as Meta does, without moving the ad's updated_time.
	Status          string
	EffectiveStatus string
	// UpdatedTime is updated_time: when the ad last changed (the fake's
	// start when zero). A status write, a deletion and AddAd move it.
	UpdatedTime time.Time
	Creative    Creative
}

// Creative is the part of an ad creative roasd reads.
type Creative struct {
	ID string
	// ObjectStoryID is set when the ad promotes an existing (published)
	// page post; empty means the creative was built from an
	// object_story_spec, which creates an unpublished (dark) post.
	ObjectStoryID          string
	EffectiveObjectStoryID string
	// PageID is object_story_spec.page_id.
	PageID string
	// InstagramUserID is the identity the ad runs as on Instagram (the
	// creator's account for partnership ads).
	InstagramUserID           string
	EffectiveInstagramMediaID string
	SourceInstagramMediaID    string
	// SponsorID is instagram_branded_content.sponsor_id: the brand's
	// Instagram account sponsoring a partnership ad.
	SponsorID string
	// SponsorPageID is facebook_branded_content.sponsor_page_id.
	SponsorPageID string
	URLTags       string
	// Link is the landing page: object_story_spec.link_data.link for
	// spec-built creatives, link_url otherwise.
	Link string
}

// Insight is one ad's results on one day.
type Insight struct {
	AdID string
	// Day is "YYYY-MM-DD" in the account's time zone.
	Day                  string
	SpendMicros          int64
	Impressions          int64
	Clicks               int64
	InlinePostEngagement int64
	// Actions are counts; ActionValues are micro-units of the currency.
	Actions      []Action
	ActionValues []Action
}

// Action is one entry of an actions or action_values array: Value under
// the default attribution, and per-window values keyed by window name
// ("7d_click", "1d_view", ...), reported only for requested windows.
type Action struct {
	Type    string
	Value   int64
	Windows map[string]int64
}

// Permission is a partnership-ad permission between a brand's Instagram
// account and a creator.
type Permission struct {
	ID              string
	BrandIGID       string
	CreatorUsername string
	CreatorID       string
	CreatorPageID   string
	// Status is APPROVED, PENDING, REVOKED, ... as Meta reports it.
	Status      string
	CreatedTime time.Time
	// Media are the creator's posts the brand may boost.
	Media []Media
}

// Media is a creator post the brand may (or may not) run as a partnership
// ad, listed by the legacy branded_content_advertisable_medias edge and by
// partnership-ads-advertisable-content (as content_id).
type Media struct {
	ID                string
	Permalink         string
	HasPermission     bool
	EligibilityErrors []string
	// Platform is INSTAGRAM (default) or FACEBOOK; MediaType IMAGE, VIDEO
	// or CAROUSEL_ALBUM (default IMAGE); PostType FEED, REEL or STORY
	// (default FEED); AdUsage NEVER_USED (default), ACTIVE or
	// PREVIOUSLY_USED.
	Platform, MediaType, PostType, AdUsage string
	// CreatedTime is the post's creation time (creation_time).
	CreatedTime time.Time
}

// clone deep-copies a seed so the caller's slices are never shared.
func (s Seed) clone() Seed {
	out := s
	out.Accounts = make([]Account, len(s.Accounts))
	for i, a := range s.Accounts {
		out.Accounts[i] = a.clone()
	}
	out.Permissions = make([]Permission, len(s.Permissions))
	for i, p := range s.Permissions {
		out.Permissions[i] = p.clone()
	}
	return out
}

func (a Account) clone() Account {
	out := a
	out.Campaigns = slices.Clone(a.Campaigns)
	out.AdSets = slices.Clone(a.AdSets)
	out.Ads = slices.Clone(a.Ads)
	out.Insights = make([]Insight, len(a.Insights))
	for i, in := range a.Insights {
		out.Insights[i] = in.clone()
	}
	return out
}

func (in Insight) clone() Insight {
	out := in
	out.Actions = cloneActions(in.Actions)
	out.ActionValues = cloneActions(in.ActionValues)
	return out
}

func cloneActions(as []Action) []Action {
	if as == nil {
		return nil
	}
	out := make([]Action, len(as))
	for i, a := range as {
		out[i] = a
		if a.Windows != nil {
			out[i].Windows = make(map[string]int64, len(a.Windows))
			for k, v := range a.Windows {
				out[i].Windows[k] = v
			}
		}
	}
	return out
}

func (p Permission) clone() Permission {
	out := p
	out.Media = make([]Media, len(p.Media))
	for i, m := range p.Media {
		out.Media[i] = m
		out.Media[i].EligibilityErrors = slices.Clone(m.EligibilityErrors)
	}
	return out
}
