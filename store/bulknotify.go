package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// bulkFinishChannel is the PostgreSQL notification channel on which a
// daemon that received a Shopify bulk_operations/finish webhook tells the
// others (a load balancer may hand it to a replica other than the one
// whose job waits for the export).
const bulkFinishChannel = "roasd_bulk_finish"

// NotifyBulkFinished tells every daemon listening on the database
// (ListenBulkFinished) that shop's bulk operation id finished. The
// payload is the shop and the id; neither is a secret.
func (db *DB) NotifyBulkFinished(ctx context.Context, shop, id string) error {
	if _, err := db.x.ExecContext(ctx, `SELECT pg_notify($1, $2)`, bulkFinishChannel, shop+" "+id); err != nil {
		return fmt.Errorf("notifying bulk operation %s of %s finished: %w", id, shop, err)
	}
	return nil
}

// BulkListener receives NotifyBulkFinished notifications on a connection
// of its own (reconnecting by itself; a notification sent while it is
// disconnected is lost, which the waiters' safety polls cover).
type BulkListener struct {
	l    *pq.Listener
	stop chan struct{}
	done chan struct{}
}

// ListenBulkFinished listens on the database at dsn and calls fn with the
// shop and operation id of each NotifyBulkFinished, from a goroutine of
// its own, until Close. It returns once the LISTEN is in place, so a
// notification sent after it returns is received.
func ListenBulkFinished(dsn string, fn func(shop, id string)) (*BulkListener, error) {
	l := pq.NewListener(dsn, time.Second, time.Minute, nil)
	if err := l.Listen(bulkFinishChannel); err != nil {
		l.Close()
		return nil, fmt.Errorf("listening for bulk operation finishes: %w", err)
	}
	b := &BulkListener{l: l, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		for {
			select {
			case <-b.stop:
				return
			case n := <-l.Notify:
				if n == nil { // reconnected: what was sent meanwhile is lost
					continue
				}
				if shop, id, ok := strings.Cut(n.Extra, " "); ok {
					fn(shop, id)
				}
			}
		}
	}()
	return b, nil
}

// Close stops listening and waits for the last fn call to return.
func (b *BulkListener) Close() error {
	close(b.stop)
	<-b.done
	return b.l.Close()
}
