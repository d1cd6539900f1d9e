package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/scheduler"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
)

// defaultBulkAfter is Deps.BulkAfter's default.
const defaultBulkAfter = 24 * time.Hour

// rateWindow is the span before an order sync's high-water mark whose
// stored orders give the shop's recent change rate (useBulk).
const rateWindow = time.Hour

// useBulk reports whether an order sync of shop's orders updated at or
// after since exports them with a bulk operation rather than paging: on a
// first sync, when the high-water mark is more than BulkAfter behind now,
// when an export started earlier is still to be finished, or when paging
// what changed would take more calls than an export (exportPays); never
// when BulkAfter is negative.
func (d *Deps) useBulk(ctx context.Context, shop string, first bool, since, mark, now time.Time) (bool, error) {
	after := d.BulkAfter
	if after < 0 {
		return false, nil
	}
	if after == 0 {
		after = defaultBulkAfter
	}
	if first || now.Sub(mark) > after {
		return true, nil
	}
	id, err := d.DB.BulkOrdersOp(ctx, shop)
	// An unreadable id is read again (and fails the job) by the bulk
	// path.
	if err != nil || id != "" {
		return true, nil
	}
	c, err := d.DB.CountOrderChanges(ctx, shop, since, mark, rateWindow)
	if err != nil {
		return false, err
	}
	bulk, pages, exportCalls := exportPays(c, mark.Sub(since), now.Sub(mark), d.Shopify(shop).PageSize())
	if bulk {
		d.logger().Info("exporting shopify orders in bulk: paging would take more calls", "shop", shop,
			"pages", pages, "export_calls", exportCalls, "recent_per_hour", c.Recent)
	}
	return bulk, nil
}

// exportPays estimates, without asking Shopify, the calls of an order
// sync that reads the orders updated within overlap before the high-water
// mark and since, lag ago: paging takes the pages of the overlap's stored
// orders plus the changes since the mark — the shop's recent rate (the
// orders updated in the rateWindow before the mark) over the lag, or
// those a webhook already stored if more; an export takes
// shopify.BulkExportCalls plus the pages of what changed in the overlap
// before it began, at that rate (at least one page). It reports whether
// the export takes fewer calls (a tie pages: an export has latency).
func exportPays(c store.OrderChanges, overlap, lag time.Duration, pageSize int) (bulk bool, pages, exportCalls int) {
	if pageSize <= 0 {
		return false, 0, 0
	}
	perWindow := float64(c.Recent) / float64(rateWindow)
	since := max(int(math.Ceil(perWindow*float64(lag))), c.After)
	pages = max(1, ceilDiv(c.Overlap+since, pageSize))
	exportCalls = shopify.BulkExportCalls + max(1, ceilDiv(int(math.Ceil(perWindow*float64(overlap))), pageSize))
	return pages > exportCalls, pages, exportCalls
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// analyzeAfterOrders is how many orders a bulk export must have stored
// for the sync to refresh the orders table's planner statistics.
const analyzeAfterOrders = 50000

// shopifyBulkOrders syncs the shop's orders updated at or after since (all
// when zero) with a bulk operation: it starts one (or resumes the one a
// killed run left, whose id is kept in the store), waits for it,
// and streams its file into the store in batches of orderBatch. A bulk
// file follows no order, so the high-water mark moves only once the whole
// file is stored, to the operation's creation time on Shopify's clock
// (never backwards from prev); shopifyOrders then pages through what
// changed since, from that mark less the overlap. It returns the ids of
// the stored orders whose journey was not ready: the export read them,
// so their due re-reads by id are not made again (rereadJourneys).
func (d *Deps) shopifyBulkOrders(ctx context.Context, b *configs.Brand, shop string, r *scheduler.Run, since, prev time.Time) ([]string, error) {
	client := d.Shopify(shop)
	op, err := d.bulkOperation(ctx, client, shop, since)
	if err != nil {
		return nil, err
	}
	// A resumed export already seen COMPLETED is not asked for again.
	// The wait is sized from the export's progress against the count of
	// the orders it covers, so the polls stay near one however long it
	// runs.
	if op.Status != shopify.BulkCompleted {
		op, err = client.WaitBulkOrders(ctx, op.ID, since)
	}
	if err != nil {
		// The id stays: the next run sees the operation failed and starts
		// another.
		return nil, fmt.Errorf("waiting for shopify bulk orders export %s of %s: %w", op.ID, shop, err)
	}
	var pending []string
	n, err := client.BulkOrdersFile(ctx, op, orderBatch, func(batch []ads.Order) error {
		for _, o := range batch {
			if o.JourneyPending {
				pending = append(pending, o.ID)
			}
		}
		n, err := d.DB.UpsertOrders(ctx, batch)
		r.AddRows(n)
		return err
	})
	if err != nil {
		// The id stays: the next run downloads the same file again.
		return nil, fmt.Errorf("storing shopify bulk orders export %s of %s (%d orders stored): %w", op.ID, shop, n, err)
	}
	if n >= analyzeAfterOrders {
		// The reconcile that follows reads these orders day by day; plan
		// it for the table as it now is.
		if err := d.DB.Analyze(ctx, "orders"); err != nil {
			d.logger().Warn("analyzing orders after a bulk export", "shop", shop, "err", err)
		}
	}
	mark := op.CreatedAt
	if mark.Before(prev) {
		mark = prev
	}
	if err := d.DB.SetOrdersMark(ctx, shop, mark); err != nil {
		return nil, err
	}
	d.logger().Info("shopify bulk orders export stored", "shop", shop, "op", op.ID, "orders", n, "bytes", op.FileSize)
	return pending, d.DB.SetBulkOrdersOp(ctx, shop, "")
}

// bulkOperation returns the bulk export to wait for: the one whose id a
// previous run stored, while it can still deliver (running or completed),
// else a new one, whose id is stored before it is waited for.
func (d *Deps) bulkOperation(ctx context.Context, client *shopify.Client, shop string, since time.Time) (shopify.BulkOperation, error) {
	id, err := d.DB.BulkOrdersOp(ctx, shop)
	if err != nil {
		return shopify.BulkOperation{}, err
	}
	if id != "" {
		op, err := client.BulkOperation(ctx, id)
		var ae *ads.APIError
		switch {
		case err == nil && !deadBulk(op):
			d.logger().Info("resuming shopify bulk orders export", "shop", shop, "op", id, "status", op.Status)
			return op, nil
		case err == nil || (errors.As(err, &ae) && ae.Kind == ads.KindNotFound):
			d.logger().Warn("shopify bulk orders export is gone; starting another", "shop", shop, "op", id, "status", op.Status, "error_code", op.ErrorCode)
		default:
			return op, fmt.Errorf("reading shopify bulk orders export %s of %s: %w", id, shop, err)
		}
	}
	op, err := client.StartBulkOrders(ctx, since)
	if errors.Is(err, shopify.ErrBulkInProgress) && op.ID != "" {
		// Ours, when a run was killed between starting it and storing its
		// id (bulk operations belong to the app): adopt it if it runs the
		// same query, else let it finish and start ours.
		running, rerr := client.BulkOperation(ctx, op.ID)
		if rerr == nil && running.Query == shopify.BulkOrdersQuery(since) {
			op, err = running, nil
		} else if rerr == nil {
			d.logger().Warn("another shopify bulk query runs; waiting for it to finish", "shop", shop, "op", op.ID)
			if _, werr := client.WaitBulk(ctx, op.ID); werr != nil && ctx.Err() != nil {
				return op, ctx.Err()
			}
			op, err = client.StartBulkOrders(ctx, since)
		}
	}
	if err != nil {
		return op, fmt.Errorf("starting shopify bulk orders export of %s: %w", shop, err)
	}
	if err := d.DB.SetBulkOrdersOp(ctx, shop, op.ID); err != nil {
		return op, err
	}
	return op, nil
}

// deadBulk reports whether an operation will never deliver a file.
func deadBulk(op shopify.BulkOperation) bool {
	switch op.Status {
	case shopify.BulkFailed, shopify.BulkCanceled, shopify.BulkCanceling, shopify.BulkExpired:
		return true
	}
	return false
}

func (d *Deps) logger() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}
