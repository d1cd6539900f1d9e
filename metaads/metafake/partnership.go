package metafake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// permissionType is the permission node type as this seed has it: with
// status, permission_status or both.
func (s *Server) permissionType() *nodeType {
	drop := ""
	switch s.seed.PermissionStatusField {
	case "status":
		drop = "permission_status"
	case "permission_status":
		drop = "status"
	default:
		return nodeIGPermission
	}
	nt := &nodeType{name: nodeIGPermission.name, defaults: nodeIGPermission.defaults, fields: map[string]*nodeType{}}
	for k, v := range nodeIGPermission.fields {
		if k != drop {
			nt.fields[k] = v
		}
	}
	return nt
}

func (s *Server) listPermissions(r *http.Request, ig string, params url.Values, hdr http.Header) response {
	creator := params.Get("creator_username")
	var objs []map[string]any
	for _, p := range s.seed.Permissions {
		if p.BrandIGID != ig || creator != "" && p.CreatorUsername != creator {
			continue
		}
		st := orDefault(p.Status, "PENDING")
		row := map[string]any{
			"id": p.ID, "creator_username": p.CreatorUsername, "creator_id": p.CreatorID,
			"brand_ig_user": map[string]any{"id": p.BrandIGID}, "permission_status": st, "status": st,
			"permission_type": "ACCOUNT_LEVEL",
		}
		if p.CreatorPageID != "" {
			row["creator_fb_page"] = p.CreatorPageID
		}
		if !p.CreatedTime.IsZero() {
			row["permission_created_time"] = p.CreatedTime.Unix()
		}
		objs = append(objs, row)
	}
	items, err := projectAll(objs, s.permissionType(), params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

func (s *Server) listMedia(r *http.Request, ig string, params url.Values, hdr http.Header) response {
	creator := params.Get("creator_username")
	var objs []map[string]any
	for _, p := range s.seed.Permissions {
		if p.BrandIGID != ig || creator != "" && p.CreatorUsername != creator {
			continue
		}
		for _, m := range p.Media {
			if orDefault(m.Platform, "INSTAGRAM") != "INSTAGRAM" {
				continue
			}
			row := map[string]any{
				"id": m.ID, "permalink": m.Permalink, "owner_id": p.CreatorID,
				"has_permission_for_partnership_ad": m.HasPermission,
			}
			if len(m.EligibilityErrors) > 0 {
				row["eligibility_errors"] = m.EligibilityErrors
			}
			objs = append(objs, row)
		}
	}
	items, err := projectAll(objs, nodeShadowMedia, params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.page(r, items, params, hdr)
}

// advertisableContent serves GET /{business_id}/partnership-ads-
// advertisable-content: the creator posts (Instagram for ig_user_id,
// Facebook for fb_page_id) the brand is tagged in, with one
// partnership_info entry per tagged partner. Only content_id comes back
// unless fields asks for more; limit is 1–50; paging is forward only (a
// before cursor is refused) and the last page has no paging at all.
func (s *Server) advertisableContent(r *http.Request, biz string, params url.Values, hdr http.Header) response {
	want := s.seed.BusinessID
	if want == "" {
		want = DefaultBusinessID
	}
	if biz != want {
		return s.unsupported(http.MethodGet, biz, hdr)
	}
	if params.Get("before") != "" {
		return s.invalid("Param before is not supported: this edge pages forward only (use after)", hdr)
	}
	limit := ContentDefaultLimit
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > ContentMaxLimit {
			return s.invalid(fmt.Sprintf("Param limit must be an integer between 1 and %d", ContentMaxLimit), hdr)
		}
		limit = n
	}
	ig, page := params.Get("ig_user_id"), params.Get("fb_page_id")
	if ig == "" && page == "" {
		return s.invalid("One of ig_user_id or fb_page_id is required", hdr)
	}
	var objs []map[string]any
	for _, p := range s.seed.Permissions {
		if ig != "" && p.BrandIGID != ig && page == "" {
			continue
		}
		for _, m := range p.Media {
			platform := orDefault(m.Platform, "INSTAGRAM")
			if platform == "INSTAGRAM" && (ig == "" || p.BrandIGID != ig) || platform == "FACEBOOK" && page == "" {
				continue
			}
			eligibility := "AD_READY"
			switch {
			case len(m.EligibilityErrors) > 0:
				eligibility = "INELIGIBLE"
			case !m.HasPermission:
				eligibility = "NEEDS_ATTENTION"
			}
			author := map[string]any{"display_name": p.CreatorUsername}
			if platform == "INSTAGRAM" {
				author["ig_user_id"] = p.CreatorID
			} else if p.CreatorPageID != "" {
				author["fb_page_id"] = p.CreatorPageID
			}
			row := map[string]any{
				"content_id": m.ID, "platform": platform, "media_type": orDefault(m.MediaType, "IMAGE"),
				"post_type": orDefault(m.PostType, "FEED"), "permalink": m.Permalink, "ad_usage": orDefault(m.AdUsage, "NEVER_USED"),
				"author": author,
				"partnership_info": []any{map[string]any{
					"ad_eligibility": eligibility, "permission_status": orDefault(p.Status, "PENDING"),
					"permission_type": "ACCOUNT_LEVEL", "content_types": []string{"BRANDED_CONTENT"},
				}},
			}
			if !m.CreatedTime.IsZero() {
				row["creation_time"] = m.CreatedTime.UTC().Format(graphTime)
			}
			objs = append(objs, row)
		}
	}
	items, err := projectAll(objs, nodeAdvertisableContent, params.Get("fields"))
	if err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, err.Error(), "OAuthException", hdr)
	}
	return s.pageAt(r, items, params, hdr, limit, true)
}
