package metafake

import (
	"fmt"
	"strings"
)

// fieldSpec is one entry of a Graph fields parameter: a name and, for
// "creative{id,url_tags}", the nested entries.
type fieldSpec struct {
	name   string
	sub    []fieldSpec
	hasSub bool
}

// parseFields parses a Graph fields parameter ("a,b{c,d{e}},f"). Field
// modifiers such as ".limit(5)" are accepted and ignored.
func parseFields(s string) ([]fieldSpec, error) {
	p := &fieldParser{s: s}
	out, err := p.list()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
	}
	return out, nil
}

type fieldParser struct {
	s string
	i int
}

func (p *fieldParser) list() ([]fieldSpec, error) {
	var out []fieldSpec
	for p.i < len(p.s) && p.s[p.i] != '}' {
		start := p.i
		for p.i < len(p.s) && !strings.ContainsRune(",{}.", rune(p.s[p.i])) {
			p.i++
		}
		f := fieldSpec{name: strings.TrimSpace(p.s[start:p.i])}
		// Modifiers: .limit(5).summary(true)
		for p.i < len(p.s) && p.s[p.i] == '.' {
			depth := 0
			for p.i < len(p.s) {
				c := p.s[p.i]
				p.i++
				if c == '(' {
					depth++
				}
				if c == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
		}
		if p.i < len(p.s) && p.s[p.i] == '{' {
			p.i++
			sub, err := p.list()
			if err != nil {
				return nil, err
			}
			if p.i >= len(p.s) || p.s[p.i] != '}' {
				return nil, fmt.Errorf("unclosed { after %s", f.name)
			}
			p.i++
			f.sub, f.hasSub = sub, true
		}
		if f.name == "" {
			return nil, fmt.Errorf("empty field name at %d", start)
		}
		out = append(out, f)
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
		}
	}
	return out, nil
}

// nodeType is what the fake knows of a Graph node type: its fields (a
// non-nil value marks a field that is itself a node, projected with that
// type) and what a read without fields returns.
type nodeType struct {
	name     string
	fields   map[string]*nodeType
	defaults []string
}

func scalars(names ...string) map[string]*nodeType {
	m := make(map[string]*nodeType, len(names))
	for _, n := range names {
		m[n] = nil
	}
	return m
}

// Node types and the fields they answer. A field listed here but absent
// from an object is omitted (Graph leaves empty fields out); a field not
// listed is an error, as on Graph.
var (
	nodeIDOnly = &nodeType{name: "Node", fields: scalars("id"), defaults: []string{"id"}}

	nodeAdAccount = &nodeType{name: "AdAccount", defaults: []string{"id"}, fields: scalars(
		"id", "account_id", "name", "currency", "timezone_name", "timezone_offset_hours_utc", "account_status")}

	nodeAdCreative = &nodeType{name: "AdCreative", defaults: []string{"id"}, fields: scalars(
		"id", "name", "status", "object_type", "object_story_id", "effective_object_story_id", "instagram_user_id",
		"effective_instagram_media_id", "source_instagram_media_id", "url_tags", "link_url", "object_story_spec",
		"instagram_branded_content", "facebook_branded_content", "branded_content_sponsor_page_id", "branded_content",
		"asset_feed_spec")}

	nodeAd = func() *nodeType {
		f := scalars("id", "name", "adset_id", "campaign_id", "account_id", "status", "configured_status", "effective_status",
			"updated_time", "created_time", "issues_info")
		f["creative"] = nodeAdCreative
		return &nodeType{name: "Ad", fields: f, defaults: []string{"id"}}
	}()

	nodeAdSet = &nodeType{name: "AdSet", defaults: []string{"id"}, fields: scalars(
		"id", "name", "campaign_id", "status", "effective_status", "daily_budget", "lifetime_budget", "budget_remaining",
		"updated_time")}

	nodeAdReportRun = &nodeType{name: "AdReportRun", defaults: []string{"id"}, fields: scalars(
		"id", "account_id", "async_status", "async_percent_completion", "date_start", "date_stop", "time_ref",
		"time_completed", "is_running", "error_code", "error_subcode", "error_message", "error_user_title", "error_user_msg")}

	// nodeIGPermission is IGBCAdsPermission; which status names exist
	// is per seed (Seed.PermissionStatusField), see permissionType.
	nodeIGPermission = func() *nodeType {
		f := scalars("id", "creator_username", "creator_id", "creator_fb_page", "permission_type", "permission_created_time",
			"status", "permission_status")
		f["brand_ig_user"] = nodeIDOnly
		return &nodeType{name: "IGBCAdsPermission", fields: f, defaults: []string{"id"}}
	}()

	nodeShadowMedia = &nodeType{name: "BrandedContentShadowIGMediaID", defaults: []string{"id"}, fields: scalars(
		"id", "permalink", "owner_id", "has_permission_for_partnership_ad", "eligibility_errors", "is_creator_allowlisted",
		"recommended_campaign_objectives")}

	nodeAdvertisableContent = &nodeType{name: "PartnershipAdsAdvertisableContent", defaults: []string{"content_id"}, fields: scalars(
		"content_id", "platform", "media_type", "post_type", "permalink", "creation_time", "ad_usage", "author",
		"partnership_info", "caption", "thumbnail_url")}
)

// fieldsError is the Graph error for a field the node type does not have.
type fieldsError struct{ field, node string }

func (e *fieldsError) Error() string {
	return fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (%s)", e.field, e.node)
}

// project returns the fields of obj that spec asks for (the node type's
// defaults when spec is empty), plus id, as Graph answers a read.
func project(obj map[string]any, nt *nodeType, spec []fieldSpec) (map[string]any, error) {
	if len(spec) == 0 {
		for _, d := range nt.defaults {
			spec = append(spec, fieldSpec{name: d})
		}
	}
	out := map[string]any{}
	if id, ok := obj["id"]; ok {
		out["id"] = id
	}
	for _, f := range spec {
		sub, known := nt.fields[f.name]
		if !known {
			return nil, &fieldsError{field: f.name, node: nt.name}
		}
		v, ok := obj[f.name]
		if !ok {
			continue
		}
		if sub != nil {
			m, isMap := v.(map[string]any)
			if !isMap {
				continue
			}
			var nested []fieldSpec
			if f.hasSub {
				nested = f.sub
			}
			p, err := project(m, sub, nested)
			if err != nil {
				return nil, err
			}
			out[f.name] = p
			continue
		}
		if f.hasSub {
			out[f.name] = pick(v, f.sub)
			continue
		}
		out[f.name] = v
	}
	return out, nil
}

// pick keeps the named keys of a struct-valued field (an object, or an
// array of objects such as partnership_info).
func pick(v any, spec []fieldSpec) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for _, f := range spec {
			if w, ok := x[f.name]; ok {
				if f.hasSub {
					w = pick(w, f.sub)
				}
				out[f.name] = w
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pick(e, spec)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pick(e, spec)
		}
		return out
	}
	return v
}

// projectAll projects every object of items (each a map) with the fields
// parameter of the request.
func projectAll(items []map[string]any, nt *nodeType, fields string) ([]any, error) {
	spec, err := parseFields(fields)
	if err != nil {
		return nil, fmt.Errorf("(#100) Syntax error in fields: %v", err)
	}
	out := make([]any, len(items))
	for i, it := range items {
		p, err := project(it, nt, spec)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}
