package ads

import (
	"time"
)

// Platform names an ad platform.
type Platform string

// The ad platforms roasd runs variants on.
const (
	Meta   Platform = "meta"
	TikTok Platform = "tiktok"
)

// Kind is how a paid variant runs a creator's content.
type Kind string

// Variant and ad kinds.
const (
	// Whitelisted ads run from the creator's handle (Meta partnership ads).
	Whitelisted Kind = "whitelisted"
	// Spark ads run a creator's TikTok post under a Spark authorization.
	Spark Kind = "spark"
	// Dark posts are unpublished brand posts that exist only as ads.
	Dark Kind = "dark"
	// Standard ads are ordinary brand ads (no creator identity, not dark).
	Standard Kind = "standard"
)

// PermissionStatus is the state of a whitelisting permission.
type PermissionStatus string

// Permission states, common to Meta partnership permissions and TikTok Spark
// authorizations.
const (
	PermissionActive  PermissionStatus = "active"
	PermissionPending PermissionStatus = "pending"
	PermissionRevoked PermissionStatus = "revoked"
	PermissionExpired PermissionStatus = "expired"
)

// Permission is a creator's grant that lets the brand run ads from the
// creator's handle or post.
type Permission struct {
	Platform Platform
	// Account is the ad account (Meta act_…) or advertiser id it belongs to.
	Account string
	// ID identifies the permission on its platform (a Meta permission or
	// creator id, a TikTok Spark item id).
	ID string
	// Creator is the creator's handle on the platform.
	Creator string
	// CreatorID is the creator's platform user id, when known.
	CreatorID string
	// ItemID is the authorized post/media, when the grant is per post.
	ItemID string
	Status PermissionStatus
	// GrantedAt, ExpiresAt and RevokedAt are zero when unknown / not set.
	GrantedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// UTM holds the five standard UTM parameters.
type UTM struct {
	Source   string `json:"source,omitempty"`
	Medium   string `json:"medium,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Content  string `json:"content,omitempty"`
	Term     string `json:"term,omitempty"`
}

// IsZero reports whether no UTM parameter is set.
func (u UTM) IsZero() bool { return u == UTM{} }

// Ad is a paid ad on a platform as roasd sees it.
type Ad struct {
	Platform Platform
	Account  string
	ID       string
	Name     string
	// CampaignID and AdSetID are the parents (AdSetID is TikTok's ad group).
	CampaignID string
	AdSetID    string
	// Status is the platform's effective/delivery status, e.g. ACTIVE, PAUSED.
	Status string
	Kind   Kind
	// CreatorIdentity is the creator account the ad runs as (Instagram user
	// id for partnership ads, TikTok identity for Spark ads); empty for brand.
	CreatorIdentity string
	// ItemID is the post behind the ad: Meta object story id or Instagram
	// media id, TikTok item id.
	ItemID string
	// URLTags is the ad-level tracking query string (Meta url_tags).
	URLTags string
	// LinkURL is the landing page.
	LinkURL string
	// UTM is parsed from URLTags and LinkURL (URLTags wins per field).
	UTM UTM
	// UpdatedAt is the platform's last-modified time, when given.
	UpdatedAt time.Time
}

// Where a campaign's budget lives (Campaign.BudgetLevel).
const (
	// BudgetAtAdSet: each ad set (TikTok ad group) has its own budget.
	BudgetAtAdSet = "adset"
	// BudgetAtCampaign: the campaign holds one budget its ad sets share
	// (Meta Advantage+ campaign budget, TikTok campaign budget
	// optimisation, Smart+); an ad-set budget write is refused there.
	BudgetAtCampaign = "campaign"
)

// Campaign is a platform campaign as roasd labels it.
type Campaign struct {
	Platform Platform
	Account  string
	ID       string
	Name     string
	// BudgetLevel is BudgetAtCampaign or BudgetAtAdSet.
	BudgetLevel string
	// Automation is the platform's label for an automated campaign: Meta's
	// advantage_state (ADVANTAGE_PLUS_SALES, …) or legacy
	// smart_promotion_type (AUTOMATED_SHOPPING_ADS), TikTok's
	// campaign_automation_type (SMART_PLUS, UPGRADED_SMART_PLUS); empty
	// for a manual campaign.
	Automation string
	// DailyBudget is the campaign's daily budget in micro-units of the
	// account currency (0: none, or a lifetime budget).
	DailyBudget int64
	// UpdatedAt is when the platform last changed the campaign (Meta's
	// updated_time, TikTok's modify_time; zero when not reported): the
	// ads sync's high-water mark, not stored with the campaign.
	UpdatedAt time.Time
}

// AdUTM merges the UTM parameters of an ad's url tags and link URL: a
// parameter in urlTags overrides the same parameter in linkURL.
func AdUTM(urlTags, linkURL string) UTM {
	a, b := ParseUTM(urlTags), ParseUTM(linkURL)
	pick := func(x, y string) string {
		if x != "" {
			return x
		}
		return y
	}
	return UTM{
		Source:   pick(a.Source, b.Source),
		Medium:   pick(a.Medium, b.Medium),
		Campaign: pick(a.Campaign, b.Campaign),
		Content:  pick(a.Content, b.Content),
		Term:     pick(a.Term, b.Term),
	}
}

// DayStat is one ad's delivery and platform-reported results for one day in
// the ad account's own time zone and currency. The db tags name
// ad_day_stats' columns.
type DayStat struct {
	Platform Platform `db:"platform"`
	Account  string   `db:"account"`
	AdID     string   `db:"ad_id"`
	Day      Date     `db:"day"`
	Currency string   `db:"currency"`
	// Spend and ConversionValue are micro-units of Currency.
	Spend           int64 `db:"spend_micros"`
	Impressions     int64 `db:"impressions"`
	Clicks          int64 `db:"clicks"`
	Engagements     int64 `db:"engagements"`
	Views           int64 `db:"views"`
	Conversions     int64 `db:"conversions"`
	ConversionValue int64 `db:"conversion_value_micros"`
}

// Order is a store order with the fields attribution needs. Amounts are
// micro-units of Currency (the shop's currency).
type Order struct {
	Shop string
	// ID is the platform's stable id (Shopify GID); Name the human "#1001".
	ID          string
	Name        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CancelledAt time.Time // zero when not cancelled
	Currency    string
	// Gross is merchandise before discounts; Discounts and Refunded come off
	// it; Net = Gross − Discounts − Refunded (zero once cancelled, never
	// negative) is the order's product revenue, what attribution credits.
	//
	// Refunded is the product part of the order's refunds only: refunded
	// line items (after their discounts) plus refund discrepancies (money
	// returned beyond, or held back from, what the refunded lines, shipping
	// and tax come to — a custom amount refunded on the goods). Refunded
	// tax, shipping and duties never reduce product revenue: they were
	// never part of it.
	Gross     int64
	Discounts int64
	Refunded  int64
	Net       int64
	// RefundIDs are the refunds (Shopify GIDs) Refunded already counts, so
	// a refund reported again on its own (refunds/create) is not counted
	// twice.
	RefundIDs []string
	// DiscountCodes are the codes redeemed on the order, as typed.
	DiscountCodes []string
	// UTM and LandingPage are from the last visit before purchase;
	// FirstUTM and FirstLandingPage from the first.
	UTM              UTM
	LandingPage      string
	FirstUTM         UTM
	FirstLandingPage string
	Test             bool
	// JourneyPending is true when Shopify said the customer journey was
	// not ready (customerJourneySummary.ready false): its visits may
	// still come, so the sync reads the order again.
	JourneyPending bool
}

// Cancelled reports whether the order was cancelled.
func (o Order) Cancelled() bool { return !o.CancelledAt.IsZero() }

// LinkConversion is a conversion reported by an affiliate or link platform.
type LinkConversion struct {
	// ID is the conversion id from the source, unique per Source.
	ID     string
	Source string
	// Creator is the creator handle, or empty when only Link is known.
	Creator string
	Link    string
	// OrderID is the store order id when the source knows it (Shopify GID,
	// numeric id or "#1001" name).
	OrderID  string
	Amount   int64
	Currency string
	At       time.Time
	// Brand owns the conversion: reconcile counts it for that brand only.
	// It is given by the import or webhook (a brand or shop field, or the
	// importer's --brand) or attributed by the creator when exactly one
	// brand lists them.
	Brand string
	// Shop is the Shopify shop the source says the sale was made in, when
	// it says (input only: it names the owner brand).
	Shop string
}
