package shopify

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// TopicBulkOperationsFinish is the webhook topic Shopify delivers when a
// bulk operation of the app ends (completed, failed or canceled). Its
// payload names the operation (admin_graphql_api_id) and its status but
// not the result file's URL: the client reads the operation once to get
// it.
const TopicBulkOperationsFinish = "bulk_operations/finish"

// BulkWaiter is what WaitBulk waits on when Options.BulkFinish is set:
// Wait returns a channel closed once shop's bulk operation id is reported
// finished, and a function to call when the caller stops waiting.
// BulkFinishes implements it.
type BulkWaiter interface {
	Wait(shop, id string) (finished <-chan struct{}, done func())
}

// BulkNotifier is told by the webhook receiver (see BulkFinished) that a
// shop's bulk operation finished; it reports whether anyone was waiting.
// BulkFinishes implements it.
type BulkNotifier interface {
	Finished(shop, id string) (waited bool)
}

// bulkFinishKeep is how long a finish nobody waited for is kept, so a
// waiter that registers after its webhook (the webhook can beat the
// bulkOperationRunQuery answer, or the job's next step) still sees it;
// bulkFinishMax bounds how many are kept.
const (
	bulkFinishKeep = time.Hour
	bulkFinishMax  = 10_000
)

// BulkFinishes hands bulk_operations/finish deliveries from the webhook
// receiver to the clients waiting for those operations, keyed by shop
// (case-insensitive) and operation GID. A finish that arrives before its
// waiter is kept for an hour (at most 10,000 of them, the oldest dropped
// first). It is safe for concurrent use; make one per daemon and give it
// to both the receiver (BulkFinished) and the clients
// (Options.BulkFinish).
type BulkFinishes struct {
	mu  sync.Mutex
	ops map[bulkKey]*bulkFinish
	now func() time.Time
}

type bulkKey struct{ shop, id string }

type bulkFinish struct {
	ch       chan struct{}
	finished bool
	at       time.Time // when finished
	waiters  int
}

// NewBulkFinishes returns an empty BulkFinishes on clock now (nil: the
// real one).
func NewBulkFinishes(now func() time.Time) *BulkFinishes {
	if now == nil {
		now = time.Now
	}
	return &BulkFinishes{ops: map[bulkKey]*bulkFinish{}, now: now}
}

func keyOf(shop, id string) bulkKey {
	return bulkKey{strings.ToLower(strings.TrimSpace(shop)), strings.TrimSpace(id)}
}

// entry is the key's entry, made when missing. Caller holds b.mu.
func (b *BulkFinishes) entry(k bulkKey) *bulkFinish {
	e, ok := b.ops[k]
	if !ok {
		e = &bulkFinish{ch: make(chan struct{})}
		b.ops[k] = e
	}
	return e
}

// Finished records that shop's operation id finished and wakes whoever
// waits for it; it reports whether someone was. Repeated reports (a
// redelivery) change nothing.
func (b *BulkFinishes) Finished(shop, id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.prune(now)
	e := b.entry(keyOf(shop, id))
	if !e.finished {
		e.finished, e.at = true, now
		close(e.ch)
	}
	return e.waiters > 0
}

// Wait implements BulkWaiter: the channel is already closed when the
// finish was reported before.
func (b *BulkFinishes) Wait(shop, id string) (<-chan struct{}, func()) {
	k := keyOf(shop, id)
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entry(k)
	e.waiters++
	var once sync.Once
	return e.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			e.waiters--
			// Done with it: nobody else asks for an operation once its
			// waiter has read it.
			if e.waiters == 0 && b.ops[k] == e {
				delete(b.ops, k)
			}
		})
	}
}

// prune drops finishes nobody waited for after bulkFinishKeep, and the
// oldest ones beyond bulkFinishMax. Caller holds b.mu.
func (b *BulkFinishes) prune(now time.Time) {
	var oldest bulkKey
	var oldestAt time.Time
	for k, e := range b.ops {
		if !e.finished || e.waiters > 0 {
			continue
		}
		if now.Sub(e.at) > bulkFinishKeep {
			delete(b.ops, k)
			continue
		}
		if oldestAt.IsZero() || e.at.Before(oldestAt) {
			oldest, oldestAt = k, e.at
		}
	}
	if len(b.ops) >= bulkFinishMax && !oldestAt.IsZero() {
		delete(b.ops, oldest)
	}
}

// BulkFinishEvent is a bulk_operations/finish payload.
type BulkFinishEvent struct {
	// ID is the operation's GID (admin_graphql_api_id).
	ID string
	// Status is the operation's status, upper-cased as the GraphQL enum
	// (the payload sends it in lower case).
	Status string
	// ErrorCode is why a failed operation failed, upper-cased.
	ErrorCode string
}

// BulkFinishFromWebhook decodes a bulk_operations/finish payload.
func BulkFinishFromWebhook(body []byte) (BulkFinishEvent, error) {
	var p struct {
		ID        string  `json:"admin_graphql_api_id"`
		Status    string  `json:"status"`
		ErrorCode *string `json:"error_code"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return BulkFinishEvent{}, fmt.Errorf("decoding bulk_operations/finish webhook: %w", err)
	}
	if !strings.HasPrefix(p.ID, "gid://shopify/BulkOperation/") {
		return BulkFinishEvent{}, fmt.Errorf("decoding bulk_operations/finish webhook: admin_graphql_api_id %q is not a bulk operation", p.ID)
	}
	f := BulkFinishEvent{ID: p.ID, Status: strings.ToUpper(p.Status)}
	if p.ErrorCode != nil {
		f.ErrorCode = strings.ToUpper(*p.ErrorCode)
	}
	return f, nil
}
