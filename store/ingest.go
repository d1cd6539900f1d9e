package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/roasd/roasd/ads"
)

// upsertBatch is how many rows one INSERT … SELECT FROM unnest carries.
const upsertBatch = 5000

// nullTime binds a zero time as NULL.
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// timeArray binds times as a timestamptz[] with NULL for zero.
func timeArray(ts []time.Time) any {
	vals := make([]sql.NullString, len(ts))
	for i, t := range ts {
		if !t.IsZero() {
			vals[i] = sql.NullString{String: t.UTC().Format(time.RFC3339Nano), Valid: true}
		}
	}
	return pq.GenericArray{A: vals}
}

// upsertSQL builds an idempotent bulk upsert: rows arrive as parallel arrays
// (one per column, cast to types), conflicts on key update the other columns
// only when a value differs, so an unchanged re-run writes nothing and
// RowsAffected counts real changes.
func upsertSQL(table string, cols, types, key []string) string {
	var sel, set, cmpOld, cmpNew []string
	isKey := map[string]bool{}
	for _, k := range key {
		isKey[k] = true
	}
	for i, c := range cols {
		sel = append(sel, fmt.Sprintf("$%d::%s", i+1, types[i]))
		if !isKey[c] {
			set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", c, c))
			cmpOld = append(cmpOld, "t."+c)
			cmpNew = append(cmpNew, "EXCLUDED."+c)
		}
	}
	return fmt.Sprintf(`INSERT INTO %s AS t (%s) SELECT * FROM unnest(%s)
ON CONFLICT (%s) DO UPDATE SET %s, changed_at = now()
WHERE (%s) IS DISTINCT FROM (%s)`,
		table, strings.Join(cols, ", "), strings.Join(sel, ", "), strings.Join(key, ", "),
		strings.Join(set, ", "), strings.Join(cmpOld, ", "), strings.Join(cmpNew, ", "))
}

func (db *DB) execBatches(ctx context.Context, what string, n int, q string, args func(lo, hi int) []any) (int64, error) {
	var total int64
	for lo := 0; lo < n; lo += upsertBatch {
		hi := min(lo+upsertBatch, n)
		res, err := db.x.ExecContext(ctx, q, args(lo, hi)...)
		if err != nil {
			return total, fmt.Errorf("upserting %s: %w", what, err)
		}
		c, _ := res.RowsAffected()
		total += c
	}
	return total, nil
}

var permissionUpsert = upsertSQL("permissions",
	[]string{"platform", "account", "permission_id", "creator", "creator_id", "item_id", "status", "granted_at", "expires_at", "revoked_at"},
	[]string{"text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "timestamptz[]", "timestamptz[]", "timestamptz[]"},
	[]string{"platform", "account", "permission_id"})

// UpsertPermissions stores permissions, returning how many rows changed.
func (db *DB) UpsertPermissions(ctx context.Context, ps []ads.Permission) (int64, error) {
	return db.execBatches(ctx, "permissions", len(ps), permissionUpsert, func(lo, hi int) []any {
		var plat, acct, id, cr, crID, item, st []string
		var granted, expires, revoked []time.Time
		for _, p := range ps[lo:hi] {
			plat, acct, id = append(plat, string(p.Platform)), append(acct, p.Account), append(id, p.ID)
			cr, crID, item = append(cr, p.Creator), append(crID, p.CreatorID), append(item, p.ItemID)
			st = append(st, string(p.Status))
			granted, expires, revoked = append(granted, p.GrantedAt), append(expires, p.ExpiresAt), append(revoked, p.RevokedAt)
		}
		return []any{pq.Array(plat), pq.Array(acct), pq.Array(id), pq.Array(cr), pq.Array(crID), pq.Array(item), pq.Array(st),
			timeArray(granted), timeArray(expires), timeArray(revoked)}
	})
}

type permissionRow struct {
	Platform  string       `db:"platform"`
	Account   string       `db:"account"`
	ID        string       `db:"permission_id"`
	Creator   string       `db:"creator"`
	CreatorID string       `db:"creator_id"`
	ItemID    string       `db:"item_id"`
	Status    string       `db:"status"`
	GrantedAt sql.NullTime `db:"granted_at"`
	ExpiresAt sql.NullTime `db:"expires_at"`
	RevokedAt sql.NullTime `db:"revoked_at"`
}

// Permissions lists stored permissions of one platform account (all
// accounts when account is empty), ordered by id.
func (db *DB) Permissions(ctx context.Context, platform ads.Platform, account string) ([]ads.Permission, error) {
	var rows []permissionRow
	err := db.x.SelectContext(ctx, &rows, `SELECT platform, account, permission_id, creator, creator_id, item_id, status,
		granted_at, expires_at, revoked_at FROM permissions
		WHERE platform = $1 AND ($2 = '' OR account = $2) ORDER BY account, permission_id`, string(platform), account)
	if err != nil {
		return nil, fmt.Errorf("listing permissions: %w", err)
	}
	out := make([]ads.Permission, len(rows))
	for i, r := range rows {
		out[i] = ads.Permission{Platform: ads.Platform(r.Platform), Account: r.Account, ID: r.ID, Creator: r.Creator,
			CreatorID: r.CreatorID, ItemID: r.ItemID, Status: ads.PermissionStatus(r.Status),
			GrantedAt: r.GrantedAt.Time, ExpiresAt: r.ExpiresAt.Time, RevokedAt: r.RevokedAt.Time}
	}
	return out, nil
}

var adUpsert = upsertSQL("ads",
	[]string{"platform", "account", "ad_id", "name", "campaign_id", "adset_id", "status", "kind", "creator_identity", "item_id",
		"url_tags", "link_url", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "updated_at"},
	[]string{"text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]",
		"text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "timestamptz[]"},
	[]string{"platform", "account", "ad_id"})

// UpsertAds stores ads, returning how many rows changed.
func (db *DB) UpsertAds(ctx context.Context, as []ads.Ad) (int64, error) {
	return db.execBatches(ctx, "ads", len(as), adUpsert, func(lo, hi int) []any {
		cols := make([][]string, 17)
		var upd []time.Time
		for _, a := range as[lo:hi] {
			vals := []string{string(a.Platform), a.Account, a.ID, a.Name, a.CampaignID, a.AdSetID, a.Status, string(a.Kind),
				a.CreatorIdentity, a.ItemID, a.URLTags, a.LinkURL, a.UTM.Source, a.UTM.Medium, a.UTM.Campaign, a.UTM.Content, a.UTM.Term}
			for i, v := range vals {
				cols[i] = append(cols[i], v)
			}
			upd = append(upd, a.UpdatedAt)
		}
		args := make([]any, 0, 18)
		for _, c := range cols {
			args = append(args, pq.Array(c))
		}
		return append(args, timeArray(upd))
	})
}

// MarkUnlistedAds gives status to the account's stored ads whose ids are
// not in listed, the ids a full list of the account returned: a list
// asking for every status no longer returns them, so the platform deleted
// (and purged) them. It returns how many rows changed; an ad already
// holding status is left alone.
func (db *DB) MarkUnlistedAds(ctx context.Context, p ads.Platform, account string, listed []string, status string) (int64, error) {
	res, err := db.x.ExecContext(ctx, `UPDATE ads SET status = $4, changed_at = now()
		WHERE platform = $1 AND account = $2 AND NOT ad_id = ANY($3::text[]) AND status IS DISTINCT FROM $4`,
		string(p), account, pq.Array(listed), status)
	if err != nil {
		return 0, fmt.Errorf("marking %s account %s's unlisted ads %s: %w", p, account, status, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

type adRow struct {
	Platform        string       `db:"platform"`
	Account         string       `db:"account"`
	ID              string       `db:"ad_id"`
	Name            string       `db:"name"`
	CampaignID      string       `db:"campaign_id"`
	AdSetID         string       `db:"adset_id"`
	Status          string       `db:"status"`
	Kind            string       `db:"kind"`
	CreatorIdentity string       `db:"creator_identity"`
	ItemID          string       `db:"item_id"`
	URLTags         string       `db:"url_tags"`
	LinkURL         string       `db:"link_url"`
	Source          string       `db:"utm_source"`
	Medium          string       `db:"utm_medium"`
	Campaign        string       `db:"utm_campaign"`
	Content         string       `db:"utm_content"`
	Term            string       `db:"utm_term"`
	UpdatedAt       sql.NullTime `db:"updated_at"`
}

// Ads lists stored ads of one platform account (all accounts when account
// is empty), ordered by id.
func (db *DB) Ads(ctx context.Context, platform ads.Platform, account string) ([]ads.Ad, error) {
	var rows []adRow
	err := db.x.SelectContext(ctx, &rows, `SELECT platform, account, ad_id, name, campaign_id, adset_id, status, kind,
		creator_identity, item_id, url_tags, link_url, utm_source, utm_medium, utm_campaign, utm_content, utm_term, updated_at
		FROM ads WHERE platform = $1 AND ($2 = '' OR account = $2) ORDER BY account, ad_id`, string(platform), account)
	if err != nil {
		return nil, fmt.Errorf("listing ads: %w", err)
	}
	out := make([]ads.Ad, len(rows))
	for i, r := range rows {
		out[i] = ads.Ad{Platform: ads.Platform(r.Platform), Account: r.Account, ID: r.ID, Name: r.Name, CampaignID: r.CampaignID,
			AdSetID: r.AdSetID, Status: r.Status, Kind: ads.Kind(r.Kind), CreatorIdentity: r.CreatorIdentity, ItemID: r.ItemID,
			URLTags: r.URLTags, LinkURL: r.LinkURL, UpdatedAt: r.UpdatedAt.Time,
			UTM: ads.UTM{Source: r.Source, Medium: r.Medium, Campaign: r.Campaign, Content: r.Content, Term: r.Term}}
	}
	return out, nil
}

var statUpsert = upsertSQL("ad_day_stats",
	[]string{"platform", "account", "ad_id", "day", "currency", "spend_micros", "impressions", "clicks", "engagements", "views",
		"conversions", "conversion_value_micros"},
	[]string{"text[]", "text[]", "text[]", "date[]", "text[]", "bigint[]", "bigint[]", "bigint[]", "bigint[]", "bigint[]",
		"bigint[]", "bigint[]"},
	[]string{"platform", "account", "ad_id", "day"})

// UpsertDayStats stores per-ad daily stats (restated days overwrite),
// returning how many rows changed.
func (db *DB) UpsertDayStats(ctx context.Context, ss []ads.DayStat) (int64, error) {
	return db.execBatches(ctx, "daily stats", len(ss), statUpsert, func(lo, hi int) []any {
		var plat, acct, ad, day, cur []string
		nums := make([][]int64, 7)
		for _, s := range ss[lo:hi] {
			plat, acct, ad = append(plat, string(s.Platform)), append(acct, s.Account), append(ad, s.AdID)
			day, cur = append(day, s.Day.String()), append(cur, s.Currency)
			for i, v := range []int64{s.Spend, s.Impressions, s.Clicks, s.Engagements, s.Views, s.Conversions, s.ConversionValue} {
				nums[i] = append(nums[i], v)
			}
		}
		args := []any{pq.Array(plat), pq.Array(acct), pq.Array(ad), pq.Array(day), pq.Array(cur)}
		for _, n := range nums {
			args = append(args, pq.Array(n))
		}
		return args
	})
}

// DayStats lists stored daily stats with day in r, for one platform
// (all when empty), ordered by platform, account, ad, day.
func (db *DB) DayStats(ctx context.Context, platform ads.Platform, r ads.DateRange) ([]ads.DayStat, error) {
	var rows []ads.DayStat
	err := db.x.SelectContext(ctx, &rows, `SELECT platform, account, ad_id, day, currency, spend_micros, impressions, clicks,
		engagements, views, conversions, conversion_value_micros FROM ad_day_stats
		WHERE ($1 = '' OR platform = $1) AND day BETWEEN $2 AND $3 ORDER BY platform, account, ad_id, day`,
		string(platform), r.From, r.To)
	if err != nil {
		return nil, fmt.Errorf("listing daily stats: %w", err)
	}
	return rows, nil
}

// AccountRef names one platform ad account.
type AccountRef struct {
	Platform ads.Platform
	Account  string
}

// AccountDayStats lists the daily stats of the given accounts only (a
// brand's own), in range r, ordered like DayStats. No accounts, no rows.
func (db *DB) AccountDayStats(ctx context.Context, accounts []AccountRef, r ads.DateRange) ([]ads.DayStat, error) {
	if len(accounts) == 0 {
		return nil, nil
	}
	plats, accts := make([]string, len(accounts)), make([]string, len(accounts))
	for i, a := range accounts {
		plats[i], accts[i] = string(a.Platform), a.Account
	}
	var rows []ads.DayStat
	err := db.x.SelectContext(ctx, &rows, `SELECT s.platform, s.account, s.ad_id, s.day, s.currency, s.spend_micros, s.impressions, s.clicks,
		s.engagements, s.views, s.conversions, s.conversion_value_micros
		FROM unnest($1::text[], $2::text[]) AS k(platform, account)
		JOIN ad_day_stats s ON s.platform = k.platform AND s.account = k.account
		WHERE s.day BETWEEN $3 AND $4 ORDER BY s.platform, s.account, s.ad_id, s.day`,
		pq.Array(plats), pq.Array(accts), r.From, r.To)
	if err != nil {
		return nil, fmt.Errorf("listing daily stats of %d accounts: %w", len(accounts), err)
	}
	return rows, nil
}

// Account is an ad account's reported currency and time zone.
type Account struct {
	Platform ads.Platform `db:"platform"`
	ID       string       `db:"account"`
	Name     string       `db:"name"`
	Currency string       `db:"currency"`
	Timezone string       `db:"timezone"`
}

// UpsertAccount records an ad account's currency and time zone.
func (db *DB) UpsertAccount(ctx context.Context, a Account) error {
	_, err := db.x.ExecContext(ctx, `INSERT INTO accounts (platform, account, name, currency, timezone) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (platform, account) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, timezone = EXCLUDED.timezone
		WHERE (accounts.name, accounts.currency, accounts.timezone) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.currency, EXCLUDED.timezone)`,
		string(a.Platform), a.ID, a.Name, a.Currency, a.Timezone)
	if err != nil {
		return fmt.Errorf("upserting account %s/%s: %w", a.Platform, a.ID, err)
	}
	return nil
}

// Accounts lists the recorded ad accounts.
func (db *DB) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	if err := db.x.SelectContext(ctx, &out, `SELECT platform, account, name, currency, timezone FROM accounts ORDER BY platform, account`); err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	return out, nil
}

// VariantAd links a declared variant to an ad that runs it.
type VariantAd struct {
	Brand      string       `db:"brand"`
	TestID     string       `db:"test_id"`
	VariantKey string       `db:"variant_key"`
	Platform   ads.Platform `db:"platform"`
	Account    string       `db:"account"`
	AdID       string       `db:"ad_id"`
	// MatchedBy is ad_id, item_id or utm_content.
	MatchedBy string `db:"matched_by"`
}

// ReplaceVariantAds sets the variant→ad mapping of one brand and platform
// in one ad account to exactly links, in one transaction: the links of the
// brand's other accounts on platform stay (each account's ads job replaces
// its own). An empty account replaces the links of every account.
func (db *DB) ReplaceVariantAds(ctx context.Context, brand string, platform ads.Platform, account string, links []VariantAd) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		// Only what changed is written: a cycle that matched the same ads
		// leaves the table as it was.
		cols := make([][]string, 5)
		for _, l := range links {
			cols[0] = append(cols[0], l.TestID)
			cols[1] = append(cols[1], l.VariantKey)
			cols[2] = append(cols[2], l.Account)
			cols[3] = append(cols[3], l.AdID)
			cols[4] = append(cols[4], l.MatchedBy)
		}
		args := []any{brand, string(platform), pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2]), pq.Array(cols[3]), pq.Array(cols[4])}
		if _, err := tx.ExecContext(ctx, `DELETE FROM variant_ads v WHERE brand = $1 AND platform = $2 AND ($8 = '' OR account = $8) AND NOT EXISTS (
			SELECT 1 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS l(test_id, variant_key, account, ad_id, matched_by)
			WHERE (l.test_id, l.variant_key, l.account, l.ad_id, l.matched_by) = (v.test_id, v.variant_key, v.account, v.ad_id, v.matched_by))`, append(args, account)...); err != nil {
			return fmt.Errorf("clearing variant ads: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO variant_ads (brand, test_id, variant_key, platform, account, ad_id, matched_by)
			SELECT $1, l.test_id, l.variant_key, $2, l.account, l.ad_id, l.matched_by
			FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS l(test_id, variant_key, account, ad_id, matched_by)
			ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("storing variant ads of %s/%s: %w", brand, platform, err)
		}
		return nil
	})
}

// VariantAds lists the variant→ad links of a brand.
func (db *DB) VariantAds(ctx context.Context, brand string) ([]VariantAd, error) {
	var out []VariantAd
	if err := db.x.SelectContext(ctx, &out, `SELECT brand, test_id, variant_key, platform, account, ad_id, matched_by
		FROM variant_ads WHERE brand = $1 ORDER BY test_id, variant_key, platform, ad_id`, brand); err != nil {
		return nil, fmt.Errorf("listing variant ads: %w", err)
	}
	return out, nil
}
