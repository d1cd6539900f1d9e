package metaads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

type graphPermission struct {
	ID              string `json:"id"`
	CreatorUsername string `json:"creator_username"`
	CreatorID       string `json:"creator_id"`
	// Status is the official SDKs' name (IGBCAdsPermission.status);
	// PermissionStatus the partnership-ads guide's. Either may be the one
	// Meta sends.
	Status           json.RawMessage `json:"status"`
	PermissionStatus json.RawMessage `json:"permission_status"`
	CreatedTime      json.RawMessage `json:"permission_created_time"`
}

// permissionFields are asked of the permission edge; Meta returns only
// id without them. The optional ones are dropped again when Meta says the
// edge has no such field (the SDK and the guide disagree on the status
// name, and only the business edge documents permission_created_time).
var (
	permissionFields         = []string{"id", "creator_username", "creator_id"}
	permissionOptionalFields = []string{"status", "permission_status", "permission_created_time"}
)

type graphMedia struct {
	ID                string `json:"id"`
	Permalink         string `json:"permalink"`
	HasPermission     bool   `json:"has_permission_for_partnership_ad"`
	EligibilityErrors []any  `json:"eligibility_errors"`
}

// legacyMediaFields are asked of the legacy media edge.
const legacyMediaFields = "id,permalink,owner_id,has_permission_for_partnership_ad,eligibility_errors"

// contentFields are asked of partnership-ads-advertisable-content, whose
// default answer is content_id alone.
const contentFields = "content_id,platform,media_type,post_type,permalink,creation_time,ad_usage," +
	"author{display_name,ig_user_id,fb_page_id}," +
	"partnership_info{ad_eligibility,permission_status,permission_type,content_types}"

// ContentPageSize is the largest page partnership-ads-advertisable-content
// serves (limit 1–50).
const ContentPageSize = 50

type graphContent struct {
	ContentID string `json:"content_id"`
	Platform  string `json:"platform"`
	Permalink string `json:"permalink"`
	Author    struct {
		DisplayName string `json:"display_name"`
		IGUserID    string `json:"ig_user_id"`
		FBPageID    string `json:"fb_page_id"`
	} `json:"author"`
	// PartnershipInfo has one entry per tagged partner.
	PartnershipInfo []struct {
		AdEligibility    string          `json:"ad_eligibility"`
		PermissionStatus json.RawMessage `json:"permission_status"`
		PermissionType   string          `json:"permission_type"`
	} `json:"partnership_info"`
}

// LegacyMediaRemoved is when Meta removes
// GET /{ig_user}/branded_content_advertisable_medias (its partnership-ads
// docs: 2026-12-01, read as midnight UTC, the earliest instant that date
// begins anywhere Meta operates from). The client calls it only before
// then, and only for brands with no business id.
var LegacyMediaRemoved = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// ErrNoBusiness is returned by EligibleMedia from LegacyMediaRemoved on
// when the brand has no Meta business id (accounts.meta.business).
var ErrNoBusiness = errors.New("no Meta business id (accounts.meta.business): from 2026-12-01 Meta lists a brand's eligible partnership-ad media only per business")

// Permissions lists the partnership-ad (branded content ad) permissions
// the brand's Instagram account holds, from
// GET /{instagram}/branded_content_ad_permissions, with status (read from
// status or permission_status, whichever Meta sends) mapped to active
// (APPROVED), pending (PENDING, PENDING_APPROVAL), revoked (REVOKED,
// REJECTED, SELF_REMOVED, CANCELED) or expired. The media the brand may
// run are listed by EligibleMedia.
//
// Meta exposes no grant, revoke or expiry time on this edge, so those stay
// zero unless a permission_created_time is reported; status changes are to
// be observed over time. Facebook-Page partnership permissions live on a
// separate non-Graph API and are not read: page is accepted for symmetry
// and unused. An empty instagram returns no permissions.
func (c *Client) Permissions(ctx context.Context, adAccount, page, instagram string) ([]ads.Permission, error) {
	_ = page
	if instagram == "" {
		return nil, nil
	}
	act := actID(adAccount)
	path := instagram + "/branded_content_ad_permissions"
	optional := append([]string(nil), permissionOptionalFields...)
	var list []graphPermission
	for {
		fields := strings.Join(append(append([]string(nil), permissionFields...), optional...), ",")
		var err error
		list, err = getAll[graphPermission](ctx, c, act, path, url.Values{"fields": {fields}})
		if err == nil {
			break
		}
		missing := nonexistingField(err)
		i := slices.Index(optional, missing)
		if i < 0 {
			return nil, err
		}
		c.log.Warn("meta: the permission edge has no such field; asking without it", "account", act, "field", missing)
		optional = slices.Delete(optional, i, i+1)
	}
	var out []ads.Permission
	for _, g := range list {
		status := g.Status
		if len(status) == 0 || string(status) == "null" {
			status = g.PermissionStatus
		}
		out = append(out, ads.Permission{
			Platform: ads.Meta, Account: act, ID: g.ID, Creator: g.CreatorUsername, CreatorID: g.CreatorID,
			Status: permissionStatus(status), GrantedAt: unixTime(g.CreatedTime),
		})
	}
	return out, nil
}

var nonexistingFieldRE = regexp.MustCompile(`nonexisting field \(([a-z_]+)\)`)

// nonexistingField is the field a Graph error 100 says the node lacks
// ("Tried accessing nonexisting field (x) on node type (Y)"), or "".
func nonexistingField(err error) string {
	var ae *ads.APIError
	if !errors.As(err, &ae) || ae.Code != 100 {
		return ""
	}
	if m := nonexistingFieldRE.FindStringSubmatch(ae.Message); m != nil {
		return m[1]
	}
	return ""
}

// MediaQuery names whose eligible partnership-ad media EligibleMedia
// lists.
type MediaQuery struct {
	AdAccount string
	// Business is the brand's Meta business id; Page and Instagram are
	// the brand's Facebook Page and Instagram account.
	Business, Page, Instagram string
	// Now is the job's clock: without Business the legacy Instagram edge
	// is used, and only before LegacyMediaRemoved.
	Now time.Time
}

// EligibleMedia lists the creator media the brand may run as partnership
// ads now, as one Permission per media (ItemID set, ID
// "<permission>:<media>"), attached to the creator's permission in perms
// when one matches (by creator id or username).
//
// With a business id it reads
// GET /{business}/partnership-ads-advertisable-content (ig_user_id and
// fb_page_id of the brand, 50 a page, explicit fields) and keeps content
// with an AD_READY partnership_info entry; content of a creator with no
// account-level permission in perms (a post-level permission or an ad
// code) gets ID "content:<id>". Without one, before LegacyMediaRemoved it
// reads GET /{instagram}/branded_content_advertisable_medias per active
// creator; from then on it returns ErrNoBusiness.
func (c *Client) EligibleMedia(ctx context.Context, q MediaQuery, perms []ads.Permission) ([]ads.Permission, error) {
	act := actID(q.AdAccount)
	if q.Business == "" {
		if !q.Now.Before(LegacyMediaRemoved) {
			return nil, fmt.Errorf("listing meta eligible media of %s: %w", act, ErrNoBusiness)
		}
		return c.legacyMedia(ctx, act, q.Instagram, perms)
	}
	if q.Instagram == "" && q.Page == "" {
		return nil, nil
	}
	params := url.Values{"fields": {contentFields}}
	if q.Instagram != "" {
		params.Set("ig_user_id", q.Instagram)
	}
	if q.Page != "" {
		params.Set("fb_page_id", q.Page)
	}
	var out []ads.Permission
	err := eachPageOf(ctx, c, act, q.Business+"/partnership-ads-advertisable-content", params, min(c.pageSize, ContentPageSize),
		func(page []graphContent) error {
			for _, g := range page {
				if row, ok := contentPermission(act, g, perms); ok {
					out = append(out, row)
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// contentPermission is the grant to run one piece of content, when any of
// its partnership_info entries says it is AD_READY.
func contentPermission(act string, g graphContent, perms []ads.Permission) (ads.Permission, bool) {
	ready := -1
	for i, pi := range g.PartnershipInfo {
		if strings.EqualFold(pi.AdEligibility, "AD_READY") {
			ready = i
			break
		}
	}
	if ready < 0 || g.ContentID == "" {
		return ads.Permission{}, false
	}
	creatorID := firstNonEmpty(g.Author.IGUserID, g.Author.FBPageID)
	for _, p := range perms {
		if p.ItemID != "" || p.Platform != ads.Meta {
			continue
		}
		if p.CreatorID != "" && p.CreatorID == g.Author.IGUserID ||
			p.Creator != "" && strings.EqualFold(p.Creator, g.Author.DisplayName) && g.Author.IGUserID != "" {
			mp := p
			mp.ID, mp.ItemID = p.ID+":"+g.ContentID, g.ContentID
			return mp, true
		}
	}
	st := ads.PermissionActive
	if raw := g.PartnershipInfo[ready].PermissionStatus; len(raw) > 0 && string(raw) != "null" {
		st = permissionStatus(raw)
	}
	return ads.Permission{Platform: ads.Meta, Account: act, ID: "content:" + g.ContentID, Creator: g.Author.DisplayName,
		CreatorID: creatorID, ItemID: g.ContentID, Status: st}, true
}

// legacyMedia lists, per active creator permission, the media
// GET /{instagram}/branded_content_advertisable_medias says the brand may
// boost: one operation per creator, sent in Graph batches of MaxBatch; a
// creator with more than a page of media is paged on by itself.
func (c *Client) legacyMedia(ctx context.Context, act, instagram string, perms []ads.Permission) ([]ads.Permission, error) {
	if instagram == "" {
		return nil, nil
	}
	path := instagram + "/branded_content_advertisable_medias"
	var creators []ads.Permission
	var ops []string
	for _, p := range perms {
		if p.Status != ads.PermissionActive || p.Creator == "" || p.ItemID != "" {
			continue
		}
		creators = append(creators, p)
		q := url.Values{"creator_username": {p.Creator}, "fields": {legacyMediaFields}, "limit": {strconv.Itoa(c.pageSize)}}
		ops = append(ops, path+"?"+q.Encode())
	}
	if len(ops) == 0 {
		return nil, nil
	}
	bodies, errs, err := c.batchGet(ctx, act, ops)
	if err != nil {
		return nil, err
	}
	var out []ads.Permission
	for i, p := range creators {
		if errs[i] != nil {
			return nil, errs[i]
		}
		var pg listPage[graphMedia]
		if err := json.Unmarshal(bodies[i], &pg); err != nil {
			return nil, fmt.Errorf("decoding meta GET %s response for %s: %w", path, p.Creator, err)
		}
		media := pg.Data
		if pg.Paging.Next != "" && pg.Paging.Cursors.After != "" && len(pg.Data) > 0 {
			rest, err := getAll[graphMedia](ctx, c, act, path,
				url.Values{"creator_username": {p.Creator}, "fields": {legacyMediaFields}, "after": {pg.Paging.Cursors.After}})
			if err != nil {
				return nil, err
			}
			media = append(media, rest...)
		}
		for _, m := range media {
			if !m.HasPermission || len(m.EligibilityErrors) > 0 {
				continue
			}
			mp := p
			mp.ID, mp.ItemID = p.ID+":"+m.ID, m.ID
			out = append(out, mp)
		}
	}
	return out, nil
}

// permissionStatus maps Meta's permission_status, a name on the Instagram
// edge or a number on the business edge (1 pending, 2/7 approved, 3
// rejected, 4 revoked, 5 self-removed, 6 canceled).
func permissionStatus(raw json.RawMessage) ads.PermissionStatus {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n int
		if json.Unmarshal(raw, &n) == nil {
			s = map[int]string{1: "PENDING", 2: "APPROVED", 3: "REJECTED", 4: "REVOKED", 5: "SELF_REMOVED", 6: "CANCELED", 7: "APPROVED"}[n]
		}
	}
	switch strings.ToUpper(s) {
	case "APPROVED", "ACTIVE", "ACCEPTED":
		return ads.PermissionActive
	case "REVOKED", "REJECTED", "SELF_REMOVED", "CANCELED", "CANCELLED", "DECLINED":
		return ads.PermissionRevoked
	case "EXPIRED":
		return ads.PermissionExpired
	}
	return ads.PermissionPending
}

// unixTime reads a Unix-seconds number or string, or an ISO time; zero
// when absent.
func unixTime(raw json.RawMessage) time.Time {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil && n > 0 {
		return time.Unix(n, 0).UTC()
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return time.Unix(n, 0).UTC()
		}
		for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}
