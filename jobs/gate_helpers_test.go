package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/store"
)

// recordRuns records one finished run with status of each of the brand's
// sync jobs and its reconcile, as the runner would have, so that the
// verdicts gate sees them.
func recordRuns(t *testing.T, d *Deps, b *configs.Brand, status string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, k := range d.gateKeys(b) {
		id, err := d.DB.StartRun(ctx, k.Job, k.Scope, "test", 1, at)
		if err != nil {
			t.Fatal(err)
		}
		text := ""
		if status != store.RunOK {
			text = "boom"
		}
		if err := d.DB.FinishRun(ctx, id, status, 0, 0, text, at); err != nil {
			t.Fatal(err)
		}
	}
}
