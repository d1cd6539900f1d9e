package jobs

import (
	"strings"
	"testing"

	"github.com/roasd/roasd/configs"
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
