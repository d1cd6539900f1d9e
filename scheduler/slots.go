package scheduler

import (
	"context"
	"slices"
	"sync"
)

// Slots bounds how many brands are in their first sync at once. A job
// whose run is a first sync (Job.FirstSync) holds its brand's slot while
// it runs; the brand's other first-sync jobs share that slot, so a brand
// counts once however many of its lanes backfill together. A job of a
// brand without a slot waits, first come first served, until one frees.
// Jobs that are not first syncs never wait. The zero value and a nil
// *Slots limit nothing.
type Slots struct {
	mu     sync.Mutex
	limit  int
	active map[string]int // brand → its first-sync jobs now running
	queue  []*slotWaiter
	onWait func(brand string)
}

// slotWaiter is one job waiting for its brand's slot; ready is closed when
// the slot is granted to it.
type slotWaiter struct {
	brand   string
	ready   chan struct{}
	granted bool
}

// NewSlots returns slots for limit brands at once (limit < 1: no limit).
func NewSlots(limit int) *Slots { return &Slots{limit: limit} }

// OnWait sets a function called with the brand each time one of its
// first-sync jobs starts waiting for a slot, once the wait is recorded in
// the run history: a hook for tests and metrics.
func (s *Slots) OnWait(f func(brand string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onWait = f
}

// waiting calls the OnWait hook for brand.
func (s *Slots) waiting(brand string) {
	s.mu.Lock()
	f := s.onWait
	s.mu.Unlock()
	if f != nil {
		f(brand)
	}
}

// SetLimit changes the number of brands whose first syncs may run at once
// (e.g. after a config reload); waiting jobs that now fit start at once,
// and running ones are never stopped.
func (s *Slots) SetLimit(limit int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = limit
	s.grantLocked()
}

// Limit is the number of brands whose first syncs may run at once (< 1:
// no limit).
func (s *Slots) Limit() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}

// fitsLocked reports whether a first-sync job of brand may run now.
func (s *Slots) fitsLocked(brand string) bool {
	return s.limit < 1 || s.active[brand] > 0 || len(s.active) < s.limit
}

// take gives brand's job its slot at once (nil), or queues it and returns
// the waiter to pass to wait.
func (s *Slots) take(brand string) *slotWaiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		s.active = map[string]int{}
	}
	if s.fitsLocked(brand) {
		s.active[brand]++
		return nil
	}
	w := &slotWaiter{brand: brand, ready: make(chan struct{})}
	s.queue = append(s.queue, w)
	return w
}

// wait blocks until w is granted its slot or ctx ends; on ctx's end the
// job holds no slot and wait returns ctx.Err().
func (s *Slots) wait(ctx context.Context, w *slotWaiter) error {
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	s.leave(w)
	return ctx.Err()
}

// leave gives up w's place: out of the queue, or its slot handed on when
// it was granted meanwhile.
func (s *Slots) leave(w *slotWaiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.granted {
		s.releaseLocked(w.brand)
		return
	}
	s.queue = slices.DeleteFunc(s.queue, func(q *slotWaiter) bool { return q == w })
}

// release ends one first-sync job of brand.
func (s *Slots) release(brand string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(brand)
}

func (s *Slots) releaseLocked(brand string) {
	if s.active[brand]--; s.active[brand] <= 0 {
		delete(s.active, brand)
	}
	s.grantLocked()
}

// grantLocked starts the queued jobs that fit, oldest first: after it no
// queued job fits.
func (s *Slots) grantLocked() {
	if s.active == nil {
		s.active = map[string]int{}
	}
	for i := 0; i < len(s.queue); {
		w := s.queue[i]
		if !s.fitsLocked(w.brand) {
			i++
			continue
		}
		s.active[w.brand]++
		w.granted = true
		close(w.ready)
		s.queue = slices.Delete(s.queue, i, i+1)
		// A brand just admitted may let queued jobs of its own in ahead
		// of others: start again from the oldest.
		i = 0
	}
}

// Brands counts the brands in their first sync now and the first-sync
// jobs waiting for a slot.
func (s *Slots) Brands() (running, waiting int) {
	if s == nil {
		return 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.active), len(s.queue)
}
