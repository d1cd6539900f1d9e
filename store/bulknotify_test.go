package store_test

import (
	"context"
	"testing"

	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/store"
)

// TestBulkFinishNotifications: a finish noted through one daemon's pool
// reaches the listeners of every daemon on the database (two here), shop
// and operation id intact.
func TestBulkFinishNotifications(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t, template)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	type finish struct{ shop, id string }
	var got [2]chan finish
	for i := range got {
		got[i] = make(chan finish, 4)
		l, err := store.ListenBulkFinished(dsn, func(shop, id string) { got[i] <- finish{shop, id} })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	want := finish{"glowco.myshopify.com", "gid://shopify/BulkOperation/7"}
	if err := db.NotifyBulkFinished(context.Background(), want.shop, want.id); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if f := <-got[i]; f != want {
			t.Errorf("listener %d got %+v, want %+v", i, f, want)
		}
	}
}
