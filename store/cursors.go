package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/roasd/roasd/ads"
)

// The sync cursors (table sync_cursors) are named values the jobs keep
// between runs: high-water marks, running export ids, episode starts. Each
// has a typed accessor here, so callers never build the names; the names
// are what earlier versions stored (and migration 0012 reads), so existing
// databases keep working.

// OrdersMark is the high-water mark of the shop's order sync: the newest
// updated_at stored (zero before the first sync).
func (db *DB) OrdersMark(ctx context.Context, shop string) (time.Time, error) {
	return db.timeCursor(ctx, "shopify.orders:"+shop, time.RFC3339Nano)
}

// SetOrdersMark stores the shop's order high-water mark (zero clears it:
// the next sync is a first one).
func (db *DB) SetOrdersMark(ctx context.Context, shop string, mark time.Time) error {
	return db.setTimeCursor(ctx, "shopify.orders:"+shop, time.RFC3339Nano, mark)
}

// BulkOrdersOp is the id of the shop's running bulk orders export ("" when
// none is running).
func (db *DB) BulkOrdersOp(ctx context.Context, shop string) (string, error) {
	return db.cursor(ctx, "shopify.bulk:"+shop)
}

// SetBulkOrdersOp stores the id of the shop's running bulk orders export
// ("" once it is done).
func (db *DB) SetBulkOrdersOp(ctx context.Context, shop, id string) error {
	return db.setCursor(ctx, "shopify.bulk:"+shop, id)
}

// InsightsPulled is the last day the account's daily stats were pulled up
// to; ok is false before the first pull.
func (db *DB) InsightsPulled(ctx context.Context, p ads.Platform, account string) (day ads.Date, ok bool, err error) {
	name := insightsCursor(p, account)
	v, err := db.cursor(ctx, name)
	if err != nil || v == "" {
		return ads.Date{}, false, err
	}
	day, err = ads.ParseDate(v)
	if err != nil {
		return ads.Date{}, false, fmt.Errorf("cursor %s: %w", name, err)
	}
	return day, true, nil
}

// SetInsightsPulled stores the last day the account's stats were pulled
// up to.
func (db *DB) SetInsightsPulled(ctx context.Context, p ads.Platform, account string, day ads.Date) error {
	return db.setCursor(ctx, insightsCursor(p, account), day.String())
}

func insightsCursor(p ads.Platform, account string) string { return string(p) + ".insights:" + account }

// AdListMarks are where the incremental list of an ad account's ads and
// campaigns stands, per platform and account (an account two brands share
// has one).
type AdListMarks struct {
	// Ads and Campaigns are the newest updated_time (Meta) or modify_time
	// (TikTok) listed so far, on the platform's clock (zero before the
	// first list, or when nothing listed carried one); Campaigns covers
	// the ad sets (ad groups) the ads sync lists too.
	Ads, Campaigns time.Time
	// Full is when the last full list (every ad and campaign) was stored,
	// on the jobs' clock; zero before the first.
	Full time.Time
}

// AdListMarks reads the account's ad and campaign list marks.
func (db *DB) AdListMarks(ctx context.Context, p ads.Platform, account string) (AdListMarks, error) {
	var m AdListMarks
	var err error
	for _, c := range []struct {
		name string
		t    *time.Time
	}{{"ads_mark", &m.Ads}, {"campaigns_mark", &m.Campaigns}, {"ads_full", &m.Full}} {
		if *c.t, err = db.timeCursor(ctx, adListCursor(p, c.name, account), time.RFC3339Nano); err != nil {
			return AdListMarks{}, err
		}
	}
	return m, nil
}

// SetAdListMarks stores the account's ad and campaign list marks (a value
// that did not change is not written).
func (db *DB) SetAdListMarks(ctx context.Context, p ads.Platform, account string, m AdListMarks) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		for name, t := range map[string]time.Time{"ads_mark": m.Ads, "campaigns_mark": m.Campaigns, "ads_full": m.Full} {
			v := ""
			if !t.IsZero() {
				v = t.UTC().Format(time.RFC3339Nano)
			}
			if err := setCursorIn(ctx, tx, adListCursor(p, name, account), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func adListCursor(p ads.Platform, name, account string) string {
	return string(p) + "." + name + ":" + account
}

// SparkItem is the TikTok post a Spark authorization code authorized, as
// the Spark sync stored it ("" when not known yet). The code itself is not
// stored: the name holds a hash of it.
func (db *DB) SparkItem(ctx context.Context, code string) (string, error) {
	return db.cursor(ctx, sparkCursor(code))
}

// SetSparkItem stores the post a Spark code authorized.
func (db *DB) SetSparkItem(ctx context.Context, code, item string) error {
	return db.setCursor(ctx, sparkCursor(code), item)
}

func sparkCursor(code string) string {
	h := sha256.Sum256([]byte(code))
	return "tiktok.spark_item:" + hex.EncodeToString(h[:12])
}

// MediaFailingSince is when the Meta ad account's eligible-media reads
// started failing (zero while they work): the failure episode's name.
func (db *DB) MediaFailingSince(ctx context.Context, adAccount string) (time.Time, error) {
	return db.timeCursor(ctx, "meta.media_failing:"+adAccount, time.RFC3339)
}

// SetMediaFailingSince stores when the media reads started failing, to the
// second (zero: they work again).
func (db *DB) SetMediaFailingSince(ctx context.Context, adAccount string, since time.Time) error {
	return db.setTimeCursor(ctx, "meta.media_failing:"+adAccount, time.RFC3339, since)
}

// NotJudgedSince is since when the brand's tests have not been judged
// (zero while they are): the episode's name.
func (db *DB) NotJudgedSince(ctx context.Context, brand string) (time.Time, error) {
	return db.timeCursor(ctx, "verdicts.not_judged:"+brand, time.RFC3339)
}

// SetNotJudgedSince stores since when the brand is not judged, to the
// second (zero: judged again).
func (db *DB) SetNotJudgedSince(ctx context.Context, brand string, since time.Time) error {
	return db.setTimeCursor(ctx, "verdicts.not_judged:"+brand, time.RFC3339, since)
}

// DigestQueued is the brand-local day whose digests were last queued; ok is
// false before the first.
func (db *DB) DigestQueued(ctx context.Context, brand string) (day ads.Date, ok bool, err error) {
	name := "digest.queued:" + brand
	v, err := db.cursor(ctx, name)
	if err != nil || v == "" {
		return ads.Date{}, false, err
	}
	day, err = ads.ParseDate(v)
	if err != nil {
		return ads.Date{}, false, fmt.Errorf("cursor %s: %w", name, err)
	}
	return day, true, nil
}

// SetDigestQueued stores the day whose digests are queued.
func (db *DB) SetDigestQueued(ctx context.Context, brand string, day ads.Date) error {
	return db.setCursor(ctx, "digest.queued:"+brand, day.String())
}

// TokenRecord is the last read of the platform's access token (the jobs'
// JSON; nil when never read).
func (db *DB) TokenRecord(ctx context.Context, p ads.Platform) ([]byte, error) {
	v, err := db.cursor(ctx, "token:"+string(p))
	if err != nil || v == "" {
		return nil, err
	}
	return []byte(v), nil
}

// SetTokenRecord stores the last read of the platform's access token.
func (db *DB) SetTokenRecord(ctx context.Context, p ads.Platform, raw []byte) error {
	return db.setCursor(ctx, "token:"+string(p), string(raw))
}

func (db *DB) timeCursor(ctx context.Context, name, layout string) (time.Time, error) {
	v, err := db.cursor(ctx, name)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("cursor %s: %w", name, err)
	}
	return t, nil
}

func (db *DB) setTimeCursor(ctx context.Context, name, layout string, t time.Time) error {
	v := ""
	if !t.IsZero() {
		v = t.UTC().Format(layout)
	}
	return db.setCursor(ctx, name, v)
}

// cursor returns a named sync cursor ("" when unset).
func (db *DB) cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := db.x.GetContext(ctx, &v, `SELECT value FROM sync_cursors WHERE name = $1`, name)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading cursor %s: %w", name, err)
	}
	return v, nil
}

// setCursor stores a named sync cursor.
func (db *DB) setCursor(ctx context.Context, name, value string) error {
	return setCursorIn(ctx, db.x, name, value)
}

// setCursorIn stores a named sync cursor through x (the database or a
// transaction).
func setCursorIn(ctx context.Context, x sqlx.ExecerContext, name, value string) error {
	_, err := x.ExecContext(ctx, `INSERT INTO sync_cursors (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value WHERE sync_cursors.value IS DISTINCT FROM EXCLUDED.value`, name, value)
	if err != nil {
		return fmt.Errorf("storing cursor %s: %w", name, err)
	}
	return nil
}
