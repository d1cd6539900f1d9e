package tiktokads

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roasd/roasd/ads"
)

// sparkItem is the item shape of /tt_video/info/ and /tt_video/list/.
type sparkItem struct {
	ItemInfo struct {
		ItemID   flexString `json:"item_id"`
		AuthCode string     `json:"auth_code"`
		Text     string     `json:"text"`
		Status   string     `json:"status"`
		// AuthInfo appears here in some doc versions.
		AuthInfo *authInfo `json:"auth_info"`
	} `json:"item_info"`
	AuthInfo *authInfo `json:"auth_info"`
	UserInfo struct {
		IdentityID   flexString `json:"identity_id"`
		IdentityType string     `json:"identity_type"`
		TikTokName   string     `json:"tiktok_name"`
	} `json:"user_info"`
}

type authInfo struct {
	AdAuthStatus  string `json:"ad_auth_status"`
	AuthStartTime tkTime `json:"auth_start_time"`
	AuthEndTime   tkTime `json:"auth_end_time"`
}

func (it *sparkItem) auth() authInfo {
	switch {
	case it.AuthInfo != nil:
		return *it.AuthInfo
	case it.ItemInfo.AuthInfo != nil:
		return *it.ItemInfo.AuthInfo
	}
	return authInfo{}
}

// SparkStatus maps a Spark post's authorization to a permission status:
// expired when TikTok says so or auth_end_time has passed, revoked when the
// status is anything else not usable (or the post was deleted or made
// private), pending while an invitation or review is open, active
// otherwise. TikTok does not publish the full ad_auth_status enum, so
// unknown values count as revoked.
func SparkStatus(adAuthStatus string, end time.Time, itemStatus string, now time.Time) ads.PermissionStatus {
	s := strings.ToUpper(adAuthStatus)
	item := strings.ToUpper(itemStatus)
	switch {
	case strings.Contains(s, "EXPIRE"):
		return ads.PermissionExpired
	case s == "AUTHORIZED" || s == "":
		if !end.IsZero() && !now.Before(end) {
			return ads.PermissionExpired
		}
		if strings.Contains(item, "DELETE") || strings.Contains(item, "ONLY_AUTHOR") || strings.Contains(item, "ONLY_FRIEND") {
			return ads.PermissionRevoked
		}
		return ads.PermissionActive
	case strings.Contains(s, "PENDING") || strings.Contains(s, "INVIT") || strings.Contains(s, "REVIEW"):
		return ads.PermissionPending
	}
	return ads.PermissionRevoked
}

func (c *Client) permission(advertiserID string, it *sparkItem) ads.Permission {
	a := it.auth()
	return ads.Permission{
		Platform:  ads.TikTok,
		Account:   advertiserID,
		ID:        string(it.ItemInfo.ItemID),
		Creator:   it.UserInfo.TikTokName,
		CreatorID: string(it.UserInfo.IdentityID),
		ItemID:    string(it.ItemInfo.ItemID),
		Status:    SparkStatus(a.AdAuthStatus, a.AuthEndTime.Time, it.ItemInfo.Status, c.now()),
		GrantedAt: a.AuthStartTime.Time,
		ExpiresAt: a.AuthEndTime.Time,
	}
}

// AuthorizeSpark applies a creator's Spark authorization code to the
// advertiser (POST /tt_video/authorize/) and returns the authorized post
// (GET /tt_video/info/). It is idempotent: when TikTok rejects the code
// because it was already applied to this advertiser — also after the
// authorization expired or was revoked — the post is looked up in
// /tt_video/list/ and returned with its current status and no error. A
// code that TikTok rejects and that is not among the advertiser's posts
// returns TikTok's error.
func (c *Client) AuthorizeSpark(ctx context.Context, advertiserID, code string) (ads.Permission, error) {
	err := c.call(ctx, http.MethodPost, "/tt_video/authorize/", advertiserID, nil,
		map[string]string{"advertiser_id": advertiserID, "auth_code": code}, nil)
	if err == nil {
		it, err := c.sparkInfo(ctx, advertiserID, code)
		if err != nil {
			return ads.Permission{}, err
		}
		return c.permission(advertiserID, it), nil
	}
	var ae *ads.APIError
	if !errors.As(err, &ae) || (ae.Kind != ads.KindInvalid && ae.Kind != ads.KindNotFound) {
		return ads.Permission{}, err
	}
	it, ierr := c.sparkInfo(ctx, advertiserID, code)
	if ierr != nil || it.ItemInfo.ItemID == "" {
		return ads.Permission{}, err
	}
	var mine *sparkItem
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("keyword", string(it.ItemInfo.ItemID))
	lerr := pages(ctx, c, "/tt_video/list/", advertiserID, q, c.sparkPageSize(), func(x sparkItem) error {
		if x.ItemInfo.ItemID == it.ItemInfo.ItemID {
			mine = &x
		}
		return nil
	})
	if lerr != nil {
		return ads.Permission{}, lerr
	}
	if mine == nil {
		return ads.Permission{}, err
	}
	return c.permission(advertiserID, mine), nil
}

func (c *Client) sparkInfo(ctx context.Context, advertiserID, code string) (*sparkItem, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	q.Set("auth_code", code)
	var it sparkItem
	if err := c.call(ctx, http.MethodGet, "/tt_video/info/", advertiserID, q, nil, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

func (c *Client) sparkPageSize() int { return min(c.pageSize, MaxSparkPageSize) }

// SparkPosts lists the posts authorized to the advertiser through Spark
// codes (GET /tt_video/list/, every page), with their creator, identity,
// item id and authorization window; Status is active, pending, revoked or
// expired (see SparkStatus).
func (c *Client) SparkPosts(ctx context.Context, advertiserID string) ([]ads.Permission, error) {
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	var out []ads.Permission
	seen := map[string]bool{}
	err := pages(ctx, c, "/tt_video/list/", advertiserID, q, c.sparkPageSize(), func(it sparkItem) error {
		p := c.permission(advertiserID, &it)
		if p.ID != "" && !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SparkSync is what SyncSpark learned: the advertiser's Spark posts (as
// SparkPosts lists them), the post each applied code authorized, and the
// codes that failed.
type SparkSync struct {
	Posts []ads.Permission
	// Items maps each code that was applied (now or before) to its post's
	// item id.
	Items map[string]string
	// CodeErrs holds TikTok's error for each code that it rejected and
	// whose post is not among the advertiser's.
	CodeErrs map[string]error
}

// SyncSpark applies each code (POST /tt_video/authorize/, once per code:
// TikTok has no batch form), then lists the advertiser's Spark posts once
// (GET /tt_video/list/, 50 a page) and finds each code's post by the
// auth_code the list carries. Only a code the list does not show is looked
// up by itself (GET /tt_video/info/), so the usual cost is one call per
// new code plus the list's pages, against two per code with
// AuthorizeSpark. A code TikTok rejects (also one already applied, or
// expired since) is fine when its post is listed; otherwise its error is
// in CodeErrs. A failed listing is returned as the error.
func (c *Client) SyncSpark(ctx context.Context, advertiserID string, codes []string) (SparkSync, error) {
	out := SparkSync{Items: map[string]string{}, CodeErrs: map[string]error{}}
	applyErr := map[string]error{}
	for _, code := range codes {
		err := c.call(ctx, http.MethodPost, "/tt_video/authorize/", advertiserID, nil,
			map[string]string{"advertiser_id": advertiserID, "auth_code": code}, nil)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			applyErr[code] = err
		}
	}
	q := url.Values{}
	q.Set("advertiser_id", advertiserID)
	byCode := map[string]string{}
	listed := map[string]bool{}
	err := pages(ctx, c, "/tt_video/list/", advertiserID, q, c.sparkPageSize(), func(it sparkItem) error {
		p := c.permission(advertiserID, &it)
		if p.ID != "" && !listed[p.ID] {
			listed[p.ID] = true
			out.Posts = append(out.Posts, p)
		}
		if it.ItemInfo.AuthCode != "" && p.ItemID != "" {
			byCode[it.ItemInfo.AuthCode] = p.ItemID
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	for _, code := range codes {
		if item, ok := byCode[code]; ok {
			out.Items[code] = item
			continue
		}
		aerr := applyErr[code]
		var ae *ads.APIError
		if aerr != nil && (!errors.As(aerr, &ae) || (ae.Kind != ads.KindInvalid && ae.Kind != ads.KindNotFound)) {
			out.CodeErrs[code] = aerr
			continue
		}
		// The list does not name the code (TikTok may show it in another
		// spelling): ask for its post.
		it, ierr := c.sparkInfo(ctx, advertiserID, code)
		switch {
		case ierr == nil && it.ItemInfo.ItemID != "" && (aerr == nil || listed[string(it.ItemInfo.ItemID)]):
			out.Items[code] = string(it.ItemInfo.ItemID)
		case aerr != nil:
			out.CodeErrs[code] = aerr
		case ierr != nil:
			out.CodeErrs[code] = ierr
		}
	}
	return out, nil
}
