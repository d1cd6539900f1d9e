package jobs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/metaads"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
	"github.com/roasd/roasd/tiktokads"
)

// TestJobsKnowTheirBrand: every sync job and brand stage Jobs builds for
// the examples' two brands names its own brand (RunOnce gates verdicts per
// brand by it); the token check names none, since it holds no verdicts
// back. Only the verdicts stage is Gated.
func TestJobsKnowTheirBrand(t *testing.T) {
	t.Parallel()
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	d := &Deps{Meta: metaClientForGate(), Stages: []Stage{{Name: StageReconcile}, {Name: StageVerdicts}}}
	jobs := Jobs(set, d, nil)
	if len(jobs) < 5 {
		t.Fatalf("jobs = %d, want the meta syncs, the token check and two stages", len(jobs))
	}
	// The examples' two brands, by their accounts and brand stages.
	owner := map[string]string{"act_1234567890": "glowco", "brand:glowco": "glowco",
		"act_2234567890": "hautwerk", "brand:hautwerk": "hautwerk"}
	for _, j := range jobs {
		_, scope, _ := strings.Cut(j.Key(), ":")
		want := owner[scope]
		if j.Name == JobMetaToken {
			want = ""
		}
		if got := strings.Join(j.Brands, ","); got != want {
			t.Errorf("%s: brands %q, want %q", j.Key(), got, want)
		}
		if j.Gated != (j.Name == StageVerdicts) {
			t.Errorf("%s: gated %v, want only the verdicts stage gated", j.Key(), j.Gated)
		}
	}
}

// TestSyncKeysAreTheSyncJobs: the gate and the digest read the brand's
// sync jobs from syncKeys, without building them; the jobs built are
// exactly those keys, each with its work, for every brand and platform of
// the examples.
func TestSyncKeysAreTheSyncJobs(t *testing.T) {
	t.Parallel()
	set, err := configs.LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	d := &Deps{Meta: &metaads.Client{}, TikTok: &tiktokads.Client{}, Shopify: func(string) *shopify.Client { return nil }}
	platforms := map[string]bool{}
	for _, b := range set.Brands {
		var built []store.RunKey
		for _, j := range d.syncJobs(b) {
			if j.Run == nil {
				t.Errorf("%s: no work", j.Key())
			}
			built = append(built, store.RunKey{Job: j.Name, Scope: j.Scope})
			platforms[strings.Split(j.Name, ".")[0]] = true
		}
		if keys := d.syncKeys(b); !reflect.DeepEqual(keys, built) {
			t.Errorf("brand %s: syncKeys %v, jobs built %v", b.Name, keys, built)
		}
		if keys := d.gateKeys(b); keys[len(keys)-1] != (store.RunKey{Job: StageReconcile, Scope: "brand:" + b.Name}) {
			t.Errorf("brand %s: gate keys %v do not end with its reconcile", b.Name, keys)
		}
	}
	if len(platforms) != 3 {
		t.Errorf("sync jobs of platforms %v, want meta, tiktok and shopify", platforms)
	}
}
