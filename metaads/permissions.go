package metaads

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

type graphPermission struct {
	ID              string          `json:"id"`
	CreatorUsername string          `json:"creator_username"`
	CreatorID       string          `json:"creator_id"`
	Status          json.RawMessage `json:"permission_status"`
	CreatedTime     json.RawMessage `json:"permission_created_time"`
}

type graphMedia struct {
	ID                string `json:"id"`
	Permalink         string `json:"permalink"`
	HasPermission     bool   `json:"has_permission_for_partnership_ad"`
	EligibilityErrors []any  `json:"eligibility_errors"`
}

// Permissions lists the partnership-ad (branded content ad) permissions
// the brand's Instagram account holds, from
// GET /{instagram}/branded_content_ad_permissions, with status mapped to
// active (APPROVED), pending (PENDING, PENDING_APPROVAL), revoked (REVOKED,
// REJECTED, SELF_REMOVED, CANCELED) or expired. For each active creator it
// also lists the creator media the brand may boost now
// (GET /{instagram}/branded_content_advertisable_medias), one Permission per
// eligible media with ItemID set and ID "<permission>:<media>".
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
	list, err := getAll[graphPermission](ctx, c, act, instagram+"/branded_content_ad_permissions", nil)
	if err != nil {
		return nil, err
	}
	var out []ads.Permission
	for _, g := range list {
		p := ads.Permission{
			Platform: ads.Meta, Account: act, ID: g.ID, Creator: g.CreatorUsername, CreatorID: g.CreatorID,
			Status: permissionStatus(g.Status), GrantedAt: unixTime(g.CreatedTime),
		}
		out = append(out, p)
		if p.Status != ads.PermissionActive || p.Creator == "" {
			continue
		}
		media, err := getAll[graphMedia](ctx, c, act, instagram+"/branded_content_advertisable_medias",
			url.Values{"creator_username": {p.Creator}})
		if err != nil {
			return nil, err
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
