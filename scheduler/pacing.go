package scheduler

import (
	"context"
	"sync"
	"time"
)

// AppPacer spaces one platform app's requests evenly so that, however many
// account lanes call at once, the app stays under its request quota. With
// several replicas each paces its share: the budget divided by the live
// replicas (SetReplicas, from the lease table; see LiveReplicas).
type AppPacer struct {
	mu       sync.Mutex
	budget   float64 // requests per second for the whole app
	replicas int
	next     time.Time
}

// NewAppPacer returns a pacer of perSecond requests per second for the
// whole app (0 or less: no pacing).
func NewAppPacer(perSecond float64) *AppPacer {
	return &AppPacer{budget: perSecond, replicas: 1}
}

// SetReplicas sets how many replicas share the budget (at least 1).
func (p *AppPacer) SetReplicas(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replicas = max(n, 1)
}

// Interval is the spacing between this replica's requests.
func (p *AppPacer) Interval() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.interval()
}

func (p *AppPacer) interval() time.Duration {
	if p.budget <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) * float64(p.replicas) / p.budget)
}

// Wait returns when the next request may go (each caller gets its own
// slot, first come first served), or ctx's error.
func (p *AppPacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	iv := p.interval()
	if iv <= 0 {
		p.mu.Unlock()
		return nil
	}
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(iv)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
