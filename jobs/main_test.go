package jobs

import (
	"os"
	"testing"
	"time"

	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openDB(t *testing.T) *store.DB {
	t.Helper()
	return storetest.Open(t)
}

// TestRunStatusesMatchTheStore: the runner records its own status strings
// (it does not import store); the store, job history and the verdict gate
// read them as store's.
func TestRunStatusesMatchTheStore(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{{scheduler.StatusOK, store.RunOK}, {scheduler.StatusFailed, store.RunFailed}, {scheduler.StatusAbandoned, store.RunAbandoned}} {
		if c[0] != c[1] {
			t.Errorf("scheduler status %q, store status %q", c[0], c[1])
		}
	}
}

// The runner recognises *store.DB's refusals and platform errors through
// small interfaces of its own.
var (
	_ scheduler.Recorder            = (*store.DB)(nil)
	_ interface{ LeaseHeld() bool } = store.ErrLeaseHeld.(interface{ LeaseHeld() bool })
)

func newRunner(db *store.DB, replica string) *scheduler.Runner {
	return &scheduler.Runner{Rec: db, Replica: replica, Attempts: 3, Backoff: func(int) time.Duration { return time.Millisecond }, LeaseTTL: time.Second}
}
