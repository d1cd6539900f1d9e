package tiktokfake

import (
	"sort"
	"strings"
	"time"
)

// sparkItem renders a post in the /tt_video/info/ and /tt_video/list/
// item shape.
func (s *Server) sparkItem(p *SparkPost) map[string]any {
	status := p.AuthStatus
	if status == "" {
		status = AuthAuthorized
	}
	if status == AuthAuthorized && !p.AuthEnd.IsZero() && !s.now().Before(p.AuthEnd) {
		status = AuthExpired
	}
	itemStatus := p.ItemStatus
	if itemStatus == "" {
		itemStatus = "HESITATE_RECOMMEND"
	}
	return map[string]any{
		"item_info": map[string]any{
			"item_id": p.ItemID, "auth_code": p.AuthCode, "item_type": "VIDEO",
			"text": p.Text, "status": itemStatus, "anchor_list": nil,
		},
		"auth_info": map[string]any{
			"ad_auth_status":    status,
			"auth_start_time":   fmtTime(p.AuthStart),
			"auth_end_time":     fmtTime(p.AuthEnd),
			"invite_start_time": fmtTime(p.AuthStart),
		},
		"user_info": map[string]any{
			"identity_id": p.IdentityID, "identity_type": IdentityAuthCode, "tiktok_name": p.TikTokName,
		},
		"video_info": map[string]any{
			"video_id": "v10044g5" + p.ItemID, "duration": 15.2, "width": 720, "height": 1280,
			"poster_url":  "https://p16-sign.tiktokcdn.example/poster/" + p.ItemID + "?x-expires=3600",
			"preview_url": "https://v16-sign.tiktokcdn.example/preview/" + p.ItemID + "?x-expires=3600",
		},
	}
}

func (s *Server) sparkAuthorize(r *request) (any, *apiError) {
	a, e := s.owned(r)
	if e != nil {
		return nil, e
	}
	code := r.str("auth_code")
	if code == "" {
		return nil, invalid("auth_code: field is required")
	}
	p := s.spark(code)
	switch {
	case p == nil:
		return nil, &apiError{CodeNotFound, "The authorization code does not exist. Please check auth_code."}
	case p.AuthStatus == AuthRevoked:
		return nil, invalid("The authorization of this post has been revoked by the creator.")
	case p.AuthStatus == AuthExpired || (!p.AuthEnd.IsZero() && !s.now().Before(p.AuthEnd)):
		return nil, invalid("The authorization code has expired.")
	case p.Advertiser == a.ID:
		return nil, invalid("The authorization code has already been applied to this advertiser.")
	case p.Advertiser != "":
		return nil, invalid("The authorization code has already been applied to another advertiser.")
	}
	p.Advertiser = a.ID
	if p.AuthStatus == "" {
		p.AuthStatus = AuthAuthorized
	}
	if p.AuthStart.IsZero() {
		p.AuthStart = s.now().UTC().Truncate(time.Second)
	}
	return map[string]any{}, nil
}

func (s *Server) sparkInfo(r *request) (any, *apiError) {
	if _, e := s.owned(r); e != nil {
		return nil, e
	}
	code := r.str("auth_code")
	if code == "" {
		return nil, invalid("auth_code: field is required")
	}
	p := s.spark(code)
	if p == nil {
		return nil, &apiError{CodeNotFound, "The authorization code does not exist. Please check auth_code."}
	}
	return s.sparkItem(p), nil
}

func (s *Server) sparkList(r *request) (any, *apiError) {
	a, e := s.owned(r)
	if e != nil {
		return nil, e
	}
	page, size, e := r.paging(20, MaxSparkPageSize)
	if e != nil {
		return nil, e
	}
	kw := r.str("keyword")
	byID := len(kw) >= 19 && strings.Trim(kw, "0123456789") == ""
	var posts []*SparkPost
	for i := range s.seed.SparkPosts {
		p := &s.seed.SparkPosts[i]
		if p.Advertiser != a.ID {
			continue
		}
		if kw != "" && ((byID && p.ItemID != kw) || (!byID && !strings.Contains(p.Text, kw))) {
			continue
		}
		posts = append(posts, p)
	}
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].ItemID < posts[j].ItemID })
	lo, hi, info := pageOf(len(posts), page, size)
	list := []any{}
	for _, p := range posts[lo:hi] {
		list = append(list, s.sparkItem(p))
	}
	return map[string]any{"list": list, "page_info": info}, nil
}
