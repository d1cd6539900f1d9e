package tiktokads_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

const (
	codeNew     = "#v2#newJacqCode"
	codeBound   = "#v2#boundMiaCode"
	codeOld     = "#v2#oldExpiredCode"
	codeOther   = "#v2#otherAdvertiser"
	itemNew     = "7345678901234567890"
	itemBound   = "7345678901234567891"
	itemOld     = "7345678901234567892"
	itemOther   = "7345678901234567893"
	otherAdvert = "7100000000000000002"
)

func sparkSeed() tiktokfake.Seed {
	a := advertiser(2, ads.MustDate("2026-03-01"), 0)
	return tiktokfake.Seed{
		Advertisers: []tiktokfake.Advertiser{a, {ID: otherAdvert, Currency: "EUR", Timezone: "Europe/Berlin"}},
		SparkPosts: []tiktokfake.SparkPost{
			{AuthCode: codeNew, ItemID: itemNew, Text: "morning routine #ad", IdentityID: "6f1c2a9e-jacq", TikTokName: "jacq",
				AuthEnd: now.Add(30 * 24 * time.Hour)},
			{AuthCode: codeBound, ItemID: itemBound, IdentityID: "6f1c2a9e-mia", TikTokName: "mia", Advertiser: adv,
				AuthStart: now.Add(-48 * time.Hour), AuthEnd: now.Add(5 * 24 * time.Hour)},
			{AuthCode: codeOld, ItemID: itemOld, IdentityID: "6f1c2a9e-old", TikTokName: "old",
				AuthEnd: now.Add(-time.Hour)},
			{AuthCode: codeOther, ItemID: itemOther, IdentityID: "6f1c2a9e-x", TikTokName: "x", Advertiser: otherAdvert,
				AuthEnd: now.Add(24 * time.Hour)},
		},
	}
}

func TestSparkAuthorizationLifeCycle(t *testing.T) {
	t.Parallel()
	b := setup(t, sparkSeed(), nil)
	ctx := context.Background()

	// Apply a new code: active, with item, creator and window.
	p, err := b.client.AuthorizeSpark(ctx, adv, codeNew)
	if err != nil {
		t.Fatal(err)
	}
	want := ads.Permission{Platform: ads.TikTok, Account: adv, ID: itemNew, Creator: "jacq", CreatorID: "6f1c2a9e-jacq",
		ItemID: itemNew, Status: ads.PermissionActive, GrantedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	if p != want {
		t.Fatalf("first authorize = %+v\nwant %+v", p, want)
	}

	// Applying it again is not an error (TikTok rejects the re-use).
	again, err := b.client.AuthorizeSpark(ctx, adv, codeNew)
	if err != nil || again != want {
		t.Fatalf("second authorize = %+v, %v; want %+v, nil", again, err, want)
	}
	if c := b.calls("/tt_video/authorize/"); len(c) != 2 || c[1].Code != tiktokfake.CodeInvalidParam {
		t.Errorf("want the fake to have rejected the second authorize with 40002, calls %+v", c)
	}

	// Listing shows both authorized posts, active.
	posts, err := b.client.SparkPosts(ctx, adv)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(posts); len(got) != 2 || got[itemNew] != ads.PermissionActive || got[itemBound] != ads.PermissionActive {
		t.Fatalf("posts = %v, want both active", got)
	}

	// The creator's grant runs out; then the other creator revokes.
	b.fake.ExpireSpark(codeNew)
	b.fake.RevokeSpark(codeBound)
	posts, err = b.client.SparkPosts(ctx, adv)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(posts); got[itemNew] != ads.PermissionExpired || got[itemBound] != ads.PermissionRevoked {
		t.Errorf("after expiry and revocation: %v, want expired and revoked", got)
	}
	// Re-applying an expired code of ours reports its state, without error.
	p, err = b.client.AuthorizeSpark(ctx, adv, codeNew)
	if err != nil || p.Status != ads.PermissionExpired {
		t.Errorf("authorize after expiry = %+v, %v; want status expired, nil", p, err)
	}
	// The ads running the posts show it too.
	list, err := b.client.Ads(ctx, adv)
	if err != nil {
		t.Fatal(err)
	}
	if list[0].Status != "ENABLE/AD_STATUS_ASSET_AUTHORIZATION_LOST" || list[1].Status != "ENABLE/AD_STATUS_CREATOR_AUTHORIZATION_REVOKED" {
		t.Errorf("ad statuses %q, %q", list[0].Status, list[1].Status)
	}
}

func TestSparkAuthorizeFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		code string
		want ads.ErrorKind
	}{
		{"unknown code", "#v2#nope", ads.KindNotFound},
		{"code expired before it was applied", codeOld, ads.KindInvalid},
		{"code bound to another advertiser", codeOther, ads.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sparkSeed(), nil)
			_, err := b.client.AuthorizeSpark(context.Background(), adv, tc.code)
			var ae *ads.APIError
			if !errors.As(err, &ae) || ae.Kind != tc.want || ae.Op != "POST /open_api/v1.3/tt_video/authorize/" || ae.Account != adv {
				t.Fatalf("got %v, want a %v APIError of POST /tt_video/authorize/ for %s", err, tc.want, adv)
			}
		})
	}
}

func TestSparkPostsPaging(t *testing.T) {
	t.Parallel()
	seed := sparkSeed()
	for i := range 120 {
		seed.SparkPosts = append(seed.SparkPosts, tiktokfake.SparkPost{
			AuthCode: "#v2#bulk" + string(rune('A'+i%26)) + itoa(i), ItemID: "73000000000000" + pad(i), Advertiser: adv,
			TikTokName: "bulk", AuthEnd: now.Add(time.Hour),
		})
	}
	b := setup(t, seed, nil)
	posts, err := b.client.SparkPosts(context.Background(), adv)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 121 {
		t.Errorf("got %d posts, want 121", len(posts))
	}
	calls := b.calls("/tt_video/list/")
	if len(calls) != 3 {
		t.Errorf("got %d list calls, want 3 pages of 50", len(calls))
	}
	for _, c := range calls {
		if c.Query.Get("page_size") != "50" {
			t.Errorf("page_size %s, want 50 (the endpoint's maximum)", c.Query.Get("page_size"))
		}
	}
}

func TestSparkStatus(t *testing.T) {
	t.Parallel()
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	for _, tc := range []struct {
		auth string
		end  time.Time
		item string
		want ads.PermissionStatus
	}{
		{"AUTHORIZED", future, "HESITATE_RECOMMEND", ads.PermissionActive},
		{"AUTHORIZED", time.Time{}, "", ads.PermissionActive},
		{"AUTHORIZED", past, "", ads.PermissionExpired},
		{"EXPIRED", future, "", ads.PermissionExpired},
		{"AUTHORIZED", future, "USER_DELETE", ads.PermissionRevoked},
		{"AUTHORIZED", future, "ITEM_STATUS_ONLY_AUTHOR_SEE", ads.PermissionRevoked},
		{"REVOKED", future, "", ads.PermissionRevoked},
		{"UNAUTHORIZED", future, "", ads.PermissionRevoked},
		{"PENDING", future, "", ads.PermissionPending},
	} {
		if got := tiktokads.SparkStatus(tc.auth, tc.end, tc.item, now); got != tc.want {
			t.Errorf("SparkStatus(%q, %v, %q) = %s, want %s", tc.auth, tc.end, tc.item, got, tc.want)
		}
	}
}

func statuses(ps []ads.Permission) map[string]ads.PermissionStatus {
	m := map[string]ads.PermissionStatus{}
	for _, p := range ps {
		m[p.ItemID] = p.Status
	}
	return m
}

func itoa(i int) string { return pad(i) }

func pad(i int) string {
	s := ""
	for range 5 {
		s = string(rune('0'+i%10)) + s
		i /= 10
	}
	return s
}

// TestSyncSpark applies new codes once each and finds their posts in the
// one post listing by auth_code — no /tt_video/info/ per code: a new
// code, one already applied (TikTok rejects it, its post is listed), one
// applied to another advertiser and one unknown (both errors, the others
// still synced); only those two are looked up by themselves.
func TestSyncSpark(t *testing.T) {
	t.Parallel()
	b := setup(t, sparkSeed(), nil)
	ctx := context.Background()
	res, err := b.client.SyncSpark(ctx, adv, []string{codeNew, codeBound, codeOther, "#v2#nosuchcode"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Items[codeNew] != itemNew || res.Items[codeBound] != itemBound || len(res.Items) != 2 {
		t.Errorf("items = %v, want %s→%s and %s→%s", res.Items, codeNew, itemNew, codeBound, itemBound)
	}
	if res.CodeErrs[codeOther] == nil || res.CodeErrs["#v2#nosuchcode"] == nil || len(res.CodeErrs) != 2 {
		t.Errorf("code errors = %v, want the other advertiser's and the unknown code's", res.CodeErrs)
	}
	if len(res.Posts) != 2 {
		t.Errorf("posts = %+v, want the two authorized to %s", res.Posts, adv)
	}
	if n := len(b.calls("/tt_video/authorize/")); n != 4 {
		t.Errorf("%d authorize calls, want one per code (4)", n)
	}
	if n := len(b.calls("/tt_video/list/")); n != 1 {
		t.Errorf("%d list calls, want 1", n)
	}
	// Only the codes the list does not show are looked up by themselves.
	if n := len(b.calls("/tt_video/info/")); n != 2 {
		t.Errorf("%d info calls, want 2 (the two failing codes)", n)
	}
}
