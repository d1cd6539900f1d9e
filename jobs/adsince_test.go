package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/metaads/metafake"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
	"github.com/roasd/roasd/tiktokads/tiktokfake"
)

// listCall is one ads, campaigns or ad sets list call a fake answered:
// the account, the edge ("ads", "campaigns", "adsets" — TikTok's ad
// groups —, or "parents" for a read of the ads of given campaigns or ad
// sets), the change filter sent (Meta's updated_since, TikTok's
// modified_after; "" for a full list) and the ids the answer held.
type listCall struct {
	account, edge, since string
	ids                  []string
}

// listTap records the list calls a fake answers, and can lose an answer:
// the fake serves the call, then the client gets a 502 instead.
type listTap struct {
	h    http.Handler
	mu   sync.Mutex
	seen []listCall
	lose string // the edge whose next answer is lost
}

func (l *listTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, r)
	c, ok := parseListCall(r, rec.Body.Bytes())
	l.mu.Lock()
	lost := ok && l.lose == c.edge
	if ok {
		l.seen = append(l.seen, c)
	}
	if lost {
		l.lose = ""
	}
	l.mu.Unlock()
	if lost {
		http.Error(w, "upstream connect error or disconnect/reset before headers", http.StatusBadGateway)
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// calls returns the list calls recorded since the last call of calls,
// those of the given edges only when some are named.
func (l *listTap) calls(edges ...string) []listCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.seen
	l.seen = nil
	if len(edges) == 0 {
		return out
	}
	var sel []listCall
	for _, c := range out {
		for _, e := range edges {
			if c.edge == e {
				sel = append(sel, c)
			}
		}
	}
	return sel
}

func (l *listTap) loseNext(edge string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lose = edge
}

func parseListCall(r *http.Request, body []byte) (listCall, bool) {
	q := r.URL.Query()
	var c listCall
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/ads") || strings.HasSuffix(p, "/campaigns") || strings.HasSuffix(p, "/adsets"): // Meta
		parts := strings.Split(strings.Trim(p, "/"), "/")
		c.account, c.edge, c.since = parts[len(parts)-2], parts[len(parts)-1], q.Get("updated_since")
		if f := q.Get("filtering"); c.edge == "ads" && (strings.Contains(f, `"campaign.id"`) || strings.Contains(f, `"adset.id"`)) {
			c.edge = "parents"
		}
		var v struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &v)
		for _, d := range v.Data {
			c.ids = append(c.ids, d.ID)
		}
	case strings.HasSuffix(p, "/ad/get/") || strings.HasSuffix(p, "/campaign/get/") || strings.HasSuffix(p, "/adgroup/get/"): // TikTok
		c.account, c.edge = q.Get("advertiser_id"), "ads"
		switch {
		case strings.HasSuffix(p, "/campaign/get/"):
			c.edge = "campaigns"
		case strings.HasSuffix(p, "/adgroup/get/"):
			c.edge = "adsets"
		}
		var f struct {
			ModifiedAfter string   `json:"modified_after"`
			CampaignIDs   []string `json:"campaign_ids"`
			AdGroupIDs    []string `json:"adgroup_ids"`
		}
		_ = json.Unmarshal([]byte(q.Get("filtering")), &f)
		c.since = f.ModifiedAfter
		if c.edge == "ads" && (f.CampaignIDs != nil || f.AdGroupIDs != nil) {
			c.edge = "parents"
		}
		var v struct {
			Data struct {
				List []struct {
					AdID       string `json:"ad_id"`
					AdGroupID  string `json:"adgroup_id"`
					CampaignID string `json:"campaign_id"`
				} `json:"list"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &v)
		for _, o := range v.Data.List {
			switch c.edge {
			case "campaigns":
				c.ids = append(c.ids, o.CampaignID)
			case "adsets":
				c.ids = append(c.ids, o.AdGroupID)
			default:
				c.ids = append(c.ids, o.AdID)
			}
		}
	default:
		return c, false
	}
	sort.Strings(c.ids)
	return c, true
}

// adSpec is a seeded ad: its id, utm_content and last change.
type adSpec struct {
	id, tag string
	at      time.Time
}

// adFake is what the scenario does to a platform's fake.
type adFake interface {
	http.Handler
	// pause pauses (disables) an ad, del deletes it, purge removes it
	// from every list, as the platforms do to deleted ads in time.
	pause(account, id string)
	del(account, id string)
	purge(account, id string)
}

type metaAdFake struct{ *metafake.Server }

func newMetaAdFake(now func() time.Time, accounts map[string][]adSpec) adFake {
	seed := metafake.Seed{Token: actToken, Now: now}
	for _, act := range sortedKeys(accounts) {
		a := metafake.Account{ID: act, Currency: "USD", Timezone: "America/New_York",
			Campaigns: []metafake.Campaign{{ID: "c" + act, Name: "spring", UpdatedTime: accounts[act][0].at}}}
		for _, s := range accounts[act] {
			a.Ads = append(a.Ads, metafake.Ad{ID: s.id, Name: s.id, AdSetID: "s" + s.id, CampaignID: "c" + act, Status: "ACTIVE",
				UpdatedTime: s.at, Creative: metafake.Creative{ID: "cr" + s.id, URLTags: "utm_content=" + s.tag}})
		}
		seed.Accounts = append(seed.Accounts, a)
	}
	return metaAdFake{metafake.New(seed)}
}

func (f metaAdFake) set(id, status string) {
	ad, _ := f.Ad(id)
	ad.Status, ad.EffectiveStatus, ad.UpdatedTime = status, status, time.Time{}
	act, _ := f.account(id)
	f.AddAd(act, ad)
}

// account finds the ad's account by its id's prefix (the scenario's ids
// start with their account's).
func (f metaAdFake) account(id string) (string, bool) {
	act, _, ok := strings.Cut(id, ".")
	return act, ok
}

func (f metaAdFake) pause(_, id string) { f.set(id, "PAUSED") }
func (f metaAdFake) del(_, id string)   { f.set(id, "DELETED") }
func (f metaAdFake) purge(_, id string) { f.PurgeAd(id) }

type tiktokAdFake struct{ *tiktokfake.Server }

func newTikTokAdFake(now func() time.Time, accounts map[string][]adSpec) adFake {
	seed := tiktokfake.Seed{Token: actToken, Now: now}
	for _, adv := range sortedKeys(accounts) {
		a := tiktokfake.Advertiser{ID: adv, Currency: "USD", Timezone: "America/New_York",
			Campaigns: []tiktokfake.Campaign{{ID: "c" + adv, Name: "spring", ModifyTime: accounts[adv][0].at}}}
		for _, s := range accounts[adv] {
			a.Ads = append(a.Ads, tiktokfake.Ad{ID: s.id, Name: s.id, AdGroupID: "g" + s.id, CampaignID: "c" + adv,
				LandingPageURL: "https://glowco.example/?utm_content=" + s.tag, CreateTime: s.at, ModifyTime: s.at})
		}
		seed.Advertisers = append(seed.Advertisers, a)
	}
	return tiktokAdFake{tiktokfake.New(seed)}
}

func (f tiktokAdFake) set(adv, id, op string) {
	ad, _ := f.Ad(adv, id)
	ad.OperationStatus, ad.SecondaryStatus, ad.ModifyTime = op, "", time.Time{}
	f.SetAd(adv, ad)
}

func (f tiktokAdFake) pause(adv, id string) { f.set(adv, id, "DISABLE") }
func (f tiktokAdFake) del(adv, id string)   { f.set(adv, id, "DELETE") }
func (f tiktokAdFake) purge(adv, id string) { f.PurgeAd(adv, id) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestAdsSyncIsIncremental runs the ads sync of two brands for a day on
// each platform: glowco's account, which lunaskin shares, and lunaskin's
// own. The first sync lists everything; the next ones ask for what
// changed since the newest change listed less DefaultAdOverlap and get
// only that (the changed ads and the overlap's); a paused ad and a
// deleted one are stored so (deleted: Meta DELETED, TikTok DELETE), the
// links of the unchanged ads stay; a lost list answer moves no mark, so
// the next sync asks from the same instant; each account keeps its own
// marks, and the shared account's one for both brands; an ad purged from
// the platform's lists is not seen by an incremental list but is stored
// deleted by the full list a day after the last.
func TestAdsSyncIsIncremental(t *testing.T) {
	t.Parallel()
	t0 := day15
	for _, tc := range []struct {
		name          string
		p             ads.Platform
		acct, own     string // glowco's account (shared) and lunaskin's
		tags          []string
		newFake       func(now func() time.Time, accounts map[string][]adSpec) adFake
		since         func(mark time.Time) string // the filter sent for a mark
		paused, gone  string                      // the stored status of a paused and a deleted ad
		deletedListed string                      // of an ad listed as deleted
	}{
		{name: "meta", p: ads.Meta, acct: actMeta, own: actMetaEU, tags: []string{"hook-a", "hook-b", "hook-c"},
			newFake: newMetaAdFake,
			since: func(m time.Time) string {
				return fmt.Sprint(m.Add(-DefaultAdOverlap).Unix() - 1)
			},
			paused: "PAUSED", gone: "DELETED", deletedListed: "DELETED"},
		{name: "tiktok", p: ads.TikTok, acct: actTikTok, own: "7100000000000000002", tags: []string{"tk-a", "tk-b", "tk-c"},
			newFake: newTikTokAdFake,
			since: func(m time.Time) string {
				return m.Add(-DefaultAdOverlap - time.Second).UTC().Format("2006-01-02 15:04:05")
			},
			paused: "DISABLE/AD_STATUS_DISABLE", gone: "DELETE/AD_STATUS_DELETE", deletedListed: "DELETE/AD_STATUS_DELETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openDB(t)
			glowco, lunaskin := actBrands(t)
			glowco.Accounts = configs.Accounts{}
			lunaskin.Accounts = configs.Accounts{}
			for _, v := range lunaskin.Tests[0].Variants {
				v.Platform = tc.p
			}
			if tc.p == ads.Meta {
				glowco.Accounts.Meta = []*configs.MetaAccount{{AdAccount: tc.acct}}
				lunaskin.Accounts.Meta = []*configs.MetaAccount{{AdAccount: tc.own}, {AdAccount: tc.acct}}
			} else {
				glowco.Accounts.TikTok = []*configs.TikTokAccount{{Advertiser: tc.acct}}
				lunaskin.Accounts.TikTok = []*configs.TikTokAccount{{Advertiser: tc.own}, {Advertiser: tc.acct}}
			}
			var clock atomic.Int64
			clock.Store(t0.UnixNano())
			now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
			id := func(acct string, n int) string { return fmt.Sprintf("%s.%d", acct, n) }
			// Ads changed at different hours; 4 is the newest of the
			// shared account (lunaskin's eu-a).
			spec := map[string][]adSpec{tc.own: {{id(tc.own, 1), "eu-b", t0.Add(-50 * time.Hour)}}}
			for i, tag := range append(append([]string{}, tc.tags...), "eu-a") {
				spec[tc.acct] = append(spec[tc.acct], adSpec{id(tc.acct, i+1), tag, t0.Add(time.Duration(i-72) * time.Hour)})
			}
			fake := tc.newFake(now, spec)
			tap := &listTap{h: fake}
			srv := httptest.NewServer(tap)
			t.Cleanup(srv.Close)
			d := &Deps{DB: db}
			var glowcoSync, ownSync, sharedSync func(*scheduler.Run) error
			if tc.p == ads.Meta {
				d.Meta = metaads.New(metaads.Options{BaseURL: srv.URL, AccessToken: actToken, RetryMax: -1})
				glowcoSync = func(r *scheduler.Run) error {
					return d.syncAds(ctx, glowco, d.metaPlatform(glowco.Accounts.Meta[0]), r)
				}
				ownSync = func(r *scheduler.Run) error {
					return d.syncAds(ctx, lunaskin, d.metaPlatform(lunaskin.Accounts.Meta[0]), r)
				}
				sharedSync = func(r *scheduler.Run) error {
					return d.syncAds(ctx, lunaskin, d.metaPlatform(lunaskin.Accounts.Meta[1]), r)
				}
			} else {
				d.TikTok = tiktokads.New(tiktokads.Options{BaseURL: srv.URL, AccessToken: actToken, RetryMax: -1, Now: now})
				glowcoSync = func(r *scheduler.Run) error { return d.syncAds(ctx, glowco, d.tiktokPlatform(tc.acct), r) }
				ownSync = func(r *scheduler.Run) error { return d.syncAds(ctx, lunaskin, d.tiktokPlatform(tc.own), r) }
				sharedSync = func(r *scheduler.Run) error { return d.syncAds(ctx, lunaskin, d.tiktokPlatform(tc.acct), r) }
			}
			cycle := func(what string) {
				t.Helper()
				r := &scheduler.Run{Now: now()}
				for _, s := range []func(*scheduler.Run) error{glowcoSync, ownSync, sharedSync} {
					if err := s(r); err != nil {
						t.Fatalf("%s: %v", what, err)
					}
				}
			}
			marks := func(acct string) store.AdListMarks {
				t.Helper()
				m, err := db.AdListMarks(ctx, tc.p, acct)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			status := func() map[string]string {
				t.Helper()
				list, err := db.Ads(ctx, tc.p, "")
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]string{}
				for _, a := range list {
					out[a.ID] = a.Status
				}
				return out
			}
			links := func() string {
				t.Helper()
				var out []string
				for _, b := range []string{"glowco", "lunaskin"} {
					vs, err := db.VariantAds(ctx, b)
					if err != nil {
						t.Fatal(err)
					}
					for _, v := range vs {
						out = append(out, b+":"+v.VariantKey+"="+v.AdID)
					}
				}
				sort.Strings(out)
				return strings.Join(out, " ")
			}
			show := func(cs []listCall) string {
				var b bytes.Buffer
				for _, c := range cs {
					fmt.Fprintf(&b, "%s %s since=%q %v; ", c.account, c.edge, c.since, c.ids)
				}
				return b.String()
			}
			shared := tc.acct
			wantLinks := fmt.Sprintf("glowco:%s=%s glowco:%s=%s glowco:%s=%s lunaskin:eu-a=%s lunaskin:eu-b=%s",
				tc.tags[0], id(shared, 1), tc.tags[1], id(shared, 2), tc.tags[2], id(shared, 3), id(shared, 4), id(tc.own, 1))

			// The first sync lists everything of every account; lunaskin's
			// sync of the shared account, after glowco's, lists only what
			// changed since.
			cycle("first sync")
			firstCalls := tap.calls("ads", "campaigns")
			for i, c := range firstCalls {
				if c.since != "" && i < 4 || c.since == "" && i >= 4 || len(firstCalls) != 6 {
					t.Errorf("first sync: call %d of %d: %s %s asked since %q", i, len(firstCalls), c.account, c.edge, c.since)
				}
			}
			if got := links(); got != wantLinks {
				t.Errorf("links after the first sync:\n %s\nwant\n %s", got, wantLinks)
			}
			first := marks(shared)
			if want := (store.AdListMarks{Ads: t0.Add(-69 * time.Hour), Campaigns: t0.Add(-72 * time.Hour), Full: t0}); first != want {
				t.Errorf("shared account's marks %+v, want %+v", first, want)
			}
			ownMarks := marks(tc.own)
			if want := (store.AdListMarks{Ads: t0.Add(-50 * time.Hour), Campaigns: t0.Add(-50 * time.Hour), Full: t0}); ownMarks != want {
				t.Errorf("lunaskin's account's marks %+v, want %+v", ownMarks, want)
			}

			// 15 minutes later ad 2 is paused and ad 3 deleted: each
			// brand's sync asks for the changes since its account's mark
			// less the overlap and gets them (ad 4 is in the overlap);
			// lunaskin's sync of the shared account, after glowco's, asks
			// from the moved mark.
			clock.Add(int64(15 * time.Minute))
			t15 := now()
			fake.pause(shared, id(shared, 2))
			fake.del(shared, id(shared, 3))
			cycle("15 minutes later")
			want := []listCall{
				{shared, "ads", tc.since(first.Ads), []string{id(shared, 2), id(shared, 3), id(shared, 4)}},
				{shared, "campaigns", tc.since(first.Campaigns), []string{"c" + shared}},
				{tc.own, "ads", tc.since(ownMarks.Ads), []string{id(tc.own, 1)}},
				{tc.own, "campaigns", tc.since(ownMarks.Campaigns), []string{"c" + tc.own}},
				{shared, "ads", tc.since(t15), []string{id(shared, 2), id(shared, 3)}},
				{shared, "campaigns", tc.since(first.Campaigns), []string{"c" + shared}},
			}
			if got := tap.calls("ads", "campaigns"); show(got) != show(want) {
				t.Errorf("15 minutes later, list calls:\n %s\nwant\n %s", show(got), show(want))
			}
			st := status()
			if st[id(shared, 2)] != tc.paused || st[id(shared, 3)] != tc.deletedListed || st[id(shared, 1)] == tc.gone {
				t.Errorf("statuses %v: want ad 2 %s, ad 3 %s", st, tc.paused, tc.deletedListed)
			}
			if got := links(); got != wantLinks {
				t.Errorf("links 15 minutes later:\n %s\nwant\n %s", got, wantLinks)
			}
			if got, want := marks(shared), (store.AdListMarks{Ads: t15, Campaigns: first.Campaigns, Full: t0}); got != want {
				t.Errorf("shared account's marks %+v, want %+v", got, want)
			}
			if got := marks(tc.own); got != ownMarks {
				t.Errorf("lunaskin's account's marks moved: %+v, want %+v", got, ownMarks)
			}

			// Half an hour later ad 1 is paused, and the answer to
			// glowco's campaigns list is lost: the sync fails, the ads it
			// stored stay, no mark moves, and the next sync asks from the
			// same instant again.
			clock.Add(int64(15 * time.Minute))
			fake.pause(shared, id(shared, 1))
			before := marks(shared)
			tap.loseNext("campaigns")
			if err := glowcoSync(&scheduler.Run{Now: now()}); err == nil {
				t.Fatal("a lost campaigns answer did not fail the sync")
			}
			if got := marks(shared); got != before {
				t.Errorf("a lost answer moved the marks: %+v, want %+v", got, before)
			}
			lost := tap.calls("ads", "campaigns")
			if err := glowcoSync(&scheduler.Run{Now: now()}); err != nil {
				t.Fatal(err)
			}
			again := tap.calls("ads", "campaigns")
			if show(again) != show(lost) || len(lost) != 2 || !strings.Contains(show(lost), id(shared, 1)) {
				t.Errorf("after a lost answer, list calls:\n %s\nwant the lost ones again:\n %s", show(again), show(lost))
			}
			if got := marks(shared); !got.Ads.Equal(now().Truncate(time.Second)) {
				t.Errorf("marks after the retry %+v, want ads at %v", got, now())
			}

			// An hour later ad 1 is purged: an incremental list cannot see
			// it go. The first sync a day after the last full list lists
			// everything and stores it deleted; its links stay, as a
			// deleted ad's do.
			clock.Add(int64(time.Hour))
			fake.purge(shared, id(shared, 1))
			cycle("an hour later")
			if st := status(); st[id(shared, 1)] != tc.paused {
				t.Errorf("an incremental list changed the purged ad: %q", st[id(shared, 1)])
			}
			tap.calls("ads", "campaigns")
			clock.Store(t0.Add(FullAdListEvery).UnixNano())
			cycle("a day later")
			for i, c := range tap.calls("ads", "campaigns") {
				if c.since != "" && i < 4 || c.since == "" && i >= 4 {
					t.Errorf("a day later: call %d: %s %s asked since %q, want a full list from glowco's and lunaskin's own", i, c.account, c.edge, c.since)
				}
			}
			if st := status(); st[id(shared, 1)] != tc.gone || st[id(shared, 3)] != tc.deletedListed || st[id(shared, 2)] != tc.paused {
				t.Errorf("statuses a day later %v: want ad 1 %s", st, tc.gone)
			}
			if got := links(); got != wantLinks {
				t.Errorf("links a day later:\n %s\nwant\n %s", got, wantLinks)
			}
			if got := marks(shared); !got.Full.Equal(now()) {
				t.Errorf("marks a day later %+v, want full at %v", got, now())
			}
		})
	}
}
