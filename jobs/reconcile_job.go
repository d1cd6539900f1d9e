package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/notify"
	"github.com/roasd/roasd/reconcile"
	"github.com/roasd/roasd/store"
)

// ReconcileLag is how far behind the database clock a reconcile sets its
// watermark, so that source rows written by transactions still open when it
// read (their changed_at is their start time) are picked up next run.
// Reconciling a day twice is harmless.
const ReconcileLag = 10 * time.Minute

// fullRange bounds a full rebuild's reads of daily stats.
var fullRange = ads.DateRange{From: ads.MustDate("2000-01-01"), To: ads.MustDate("2100-12-31")}

// ReconcileBrand brings the brand's ledger and daily KPI cells up to date
// and returns how many rows it reconciled: the ledger rows and KPI cells of
// the days it covered, as derived now (only those that differ from what
// was stored are written; see store.ReplaceReconciled).
//
// Incrementally (full false), it reconciles only the days whose source rows
// (orders, link conversions, daily stats of the brand's variant ads)
// changed since the brand's watermark, and replaces only those days' rows.
// It rebuilds everything when full is set, when the brand was never
// reconciled, or when the configuration or the variant→ad links changed
// (reconcile.Fingerprint). Both read, attribute (reconcile.Build) and
// write a chunk of rebuildChunkDays consecutive days at a time, in one
// transaction, reading ahead while it writes, so their memory is that of a
// few days' records however many days they cover. Both paths give
// identical tables. now is recorded as the reconcile time.
func ReconcileBrand(ctx context.Context, db *store.DB, brand *configs.Brand, now time.Time, full bool) (rows int64, err error) {
	return reconcileBrand(ctx, db, brand, now, full, chunking{days: rebuildChunkDays})
}

// chunking is how a reconcile splits its days into chunks: at most days
// consecutive days each. Tests watch an incremental reconcile's chunks
// through wrap, which (when not nil) wraps its chunk builder, and stopped
// (see writeChunks).
type chunking struct {
	days    int
	wrap    func(chunkBuilder) chunkBuilder
	stopped func()
}

// reconcileBrand is ReconcileBrand with its chunks as ch says.
func reconcileBrand(ctx context.Context, db *store.DB, brand *configs.Brand, now time.Time, full bool, ch chunking) (rows int64, err error) {
	loc, err := reconcile.Location(brand)
	if err != nil {
		return 0, err
	}
	va, err := brandVariantAds(ctx, db, brand)
	if err != nil {
		return 0, err
	}
	matches := make([]reconcile.VariantMatch, len(va))
	for i, v := range va {
		matches[i] = reconcile.VariantMatch{TestID: v.TestID, VariantKey: v.VariantKey, MatchedBy: v.MatchedBy,
			Ad: ads.Ad{Platform: v.Platform, Account: v.Account, ID: v.AdID}}
	}
	fp := reconcile.Fingerprint(brand, matches)
	st, err := db.ReconcileState(ctx, brand.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		full = true
	case err != nil:
		return 0, err
	case st.Fingerprint != fp:
		full = true
	}
	asOf, err := db.Clock(ctx)
	if err != nil {
		return 0, err
	}
	shops := brand.Shops()
	state := store.ReconcileState{Brand: brand.Name, Currency: brand.Currency, Timezone: loc.String(), Fingerprint: fp,
		Watermark: asOf.Add(-ReconcileLag), ReconciledAt: now, Policies: policiesOf(brand)}
	today := ads.DateOf(now, loc)
	fin := reconcile.FinalityOf(brand, today)
	state.FinalThrough, state.ProvisionalWhy = fin.FinalThrough, fin.Why
	var orderLinks []ads.LinkConversion
	if len(shops) > 0 {
		if orderLinks, err = db.OrderLinks(ctx, brand.Name); err != nil {
			return 0, err
		}
	}
	if full {
		return rebuildBrand(ctx, db, brand, loc, shops, matches, orderLinks, today, state, ch.days)
	}
	days, err := db.AffectedDays(ctx, store.AffectedQuery{Brand: brand.Name, Shops: shops, Timezone: loc.String(), Since: st.Watermark,
		Accounts: brandAccounts(brand, matches)})
	if err != nil {
		return 0, err
	}
	days = withAccruedDays(days, brand, ads.DateOf(st.ReconciledAt, loc), today)
	return reconcileDays(ctx, db, brand, loc, shops, matches, orderLinks, today, state, days, ch)
}

// reconcileDays reconciles the brand's days (ascending) and only them, as
// a rebuild does but in chunks of at most ch.days consecutive days of
// days, written in one transaction (store.ReplaceReconciledParts). Each
// chunk is one reconcile.Build over that chunk's records, which gives the
// rows one Build over every day would (see rebuildBrand); the orders that
// the link conversions of days name are looked up once for all chunks.
func reconcileDays(ctx context.Context, db *store.DB, brand *configs.Brand, loc *time.Location, shops []string,
	matches []reconcile.VariantMatch, orderLinks []ads.LinkConversion, today ads.Date, state store.ReconcileState,
	days []ads.Date, ch chunking) (int64, error) {
	var refs []reconcile.OrderRef
	if len(shops) > 0 {
		// The link conversions of days that name an order are among
		// orderLinks (all of the brand's that name one).
		on := make(map[ads.Date]bool, len(days))
		for _, d := range days {
			on[d] = true
		}
		var ids []string
		for _, l := range orderLinks {
			if on[ads.DateOf(l.At, loc)] {
				ids = append(ids, l.OrderID)
			}
		}
		var err error
		if refs, err = orderRefs(ctx, db, shops, ids); err != nil {
			return 0, err
		}
	}
	fees := reconcile.FixedFees(brand, today)
	if fees == nil {
		fees = []reconcile.FeeDay{}
	}
	var build chunkBuilder = func(ctx context.Context, chunk ads.DateRange, orders []ads.Order) (store.ReconcilePart, []ads.Order, error) {
		return buildChunk(ctx, db, brand, loc, shops, matches, refs, orderLinks, today, fees, chunk, orders)
	}
	if ch.wrap != nil {
		build = ch.wrap(build)
	}
	var chunks []ads.DateRange
	for _, span := range spans(days) {
		chunks = append(chunks, chunksOf(span, ch.days)...)
	}
	return writeChunks(ctx, db.ReplaceReconciledParts, state, chunks, build, ch.stopped)
}

// withAccruedDays adds to days (ascending) the fee days between the
// previous reconcile's today and this one's: fees accrue day by day
// (reconcile.FixedFees), so a day that came due since — or, with a clock
// set back, is no longer due — is reconciled again though no source row
// on it changed.
func withAccruedDays(days []ads.Date, brand *configs.Brand, prev, today ads.Date) []ads.Date {
	lo, hi := prev, today
	if hi.Before(lo) {
		lo, hi = hi, lo
	}
	if lo == hi {
		return days
	}
	set := map[ads.Date]bool{}
	for _, d := range days {
		set[d] = true
	}
	added := false
	for _, f := range reconcile.FixedFees(brand, ads.Date{}) {
		if f.Day.After(lo) && !f.Day.After(hi) && !set[f.Day] {
			set[f.Day], added = true, true
		}
	}
	if !added {
		return days
	}
	out := make([]ads.Date, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b ads.Date) int { return a.Compare(b) })
	return out
}

// rebuildChunkDays is how many days of source rows a full rebuild reads,
// attributes and writes at a time: only a few chunks' orders are in memory.
// One day keeps the memory of a 1,000,000-order brand's rebuild to a few
// days' ~11,000 orders and is no slower than longer chunks (see
// BenchmarkReconcileBrandFull).
const rebuildChunkDays = 1

// rebuildAhead is how many chunks a full rebuild may read and attribute
// ahead of the one being written.
const rebuildAhead = 2

// rebuildPart is one chunk of a full rebuild, attributed.
type rebuildPart struct {
	store.ReconcilePart
	err error
}

// rebuildBrand rebuilds every ledger row and KPI cell of the brand, in
// chunks of chunkDays days written in one transaction. Splitting by
// day gives the same rows as one pass over everything: an order's
// attribution depends only on the order, fees and stats are per day, and a
// link conversion's deduplication needs only the keys of the orders link
// conversions name, which are looked up once for all chunks.
//
// The chunks are read and attributed by a goroutine (on pool connections)
// up to rebuildAhead chunks ahead of the transaction writing them, so that
// reading, attributing and writing overlap. A failure on either side, or
// ctx ending, stops both and rolls the transaction back.
func rebuildBrand(ctx context.Context, db *store.DB, brand *configs.Brand, loc *time.Location, shops []string,
	matches []reconcile.VariantMatch, orderLinks []ads.LinkConversion, today ads.Date, state store.ReconcileState,
	chunkDays int) (int64, error) {
	span, ok, err := db.SourceDays(ctx, shops, loc.String())
	if err != nil {
		return 0, err
	}
	fees := reconcile.FixedFees(brand, today)
	for _, f := range fees {
		if !ok {
			span, ok = ads.DateRange{From: f.Day, To: f.Day}, true
		}
		if f.Day.Before(span.From) {
			span.From = f.Day
		}
		if span.To.Before(f.Day) {
			span.To = f.Day
		}
	}
	// Daily stats outside fullRange are not read.
	if span.From.Before(fullRange.From) {
		span.From = fullRange.From
	}
	if fullRange.To.Before(span.To) {
		span.To = fullRange.To
	}
	var refs []reconcile.OrderRef
	if len(shops) > 0 {
		ids, err := db.LinkOrderRefs(ctx, brand.Name)
		if err != nil {
			return 0, err
		}
		if refs, err = orderRefs(ctx, db, shops, ids); err != nil {
			return 0, err
		}
	}
	var chunks []ads.DateRange
	if ok {
		chunks = chunksOf(span, chunkDays)
	}

	if fees == nil {
		fees = []reconcile.FeeDay{}
	}
	build := func(ctx context.Context, chunk ads.DateRange, orders []ads.Order) (store.ReconcilePart, []ads.Order, error) {
		return buildChunk(ctx, db, brand, loc, shops, matches, refs, orderLinks, today, fees, chunk, orders)
	}
	return rebuildChunks(ctx, db, state, chunks, build, nil)
}

// chunkBuilder reads and attributes the source rows of a chunk of days,
// reading the orders into orders' storage, which it returns for reuse.
type chunkBuilder func(ctx context.Context, chunk ads.DateRange, orders []ads.Order) (store.ReconcilePart, []ads.Order, error)

// partsWriter stores a reconcile pass made of parts in one transaction:
// store.DB's RebuildReconciled or ReplaceReconciledParts.
type partsWriter func(ctx context.Context, state store.ReconcileState,
	next func() (store.ReconcilePart, bool, error)) (int64, error)

// rebuildChunks stores a full rebuild of state.Brand made of chunks (see
// store.RebuildReconciled and writeChunks).
func rebuildChunks(ctx context.Context, db *store.DB, state store.ReconcileState, chunks []ads.DateRange, build chunkBuilder, stopped func()) (int64, error) {
	return writeChunks(ctx, db.RebuildReconciled, state, chunks, build, stopped)
}

// writeChunks stores a reconcile pass of state.Brand made of chunks with
// write: one goroutine builds the chunks in order, one at a time, reusing
// one orders buffer, up to rebuildAhead ahead of the transaction writing
// them. It returns once both have stopped. stopped, when not nil, is
// called as the building goroutine exits (a test's barrier: it runs before
// writeChunks returns).
func writeChunks(ctx context.Context, write partsWriter, state store.ReconcileState, chunks []ads.DateRange, build chunkBuilder, stopped func()) (int64, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make(chan rebuildPart, rebuildAhead)
	var wg sync.WaitGroup
	produce := func() {
		defer wg.Done()
		if stopped != nil {
			defer stopped()
		}
		defer close(parts)
		var orders []ads.Order // reused: a chunk's orders are not needed once attributed
		for _, chunk := range chunks {
			var p rebuildPart
			p.ReconcilePart, orders, p.err = build(ctx, chunk, orders)
			select {
			case parts <- p:
			case <-ctx.Done():
				return
			}
			if p.err != nil {
				return
			}
		}
	}
	started := false
	n, err := write(ctx, state, func() (store.ReconcilePart, bool, error) {
		if !started {
			// Only now is the brand's reconcile lock held.
			started = true
			wg.Add(1)
			go produce()
		}
		select {
		case p, more := <-parts:
			if !more {
				return store.ReconcilePart{}, true, nil
			}
			return p.ReconcilePart, false, p.err
		case <-ctx.Done():
			return store.ReconcilePart{}, false, ctx.Err()
		}
	})
	cancel()
	wg.Wait()
	if err != nil && parent.Err() != nil && !errors.Is(err, parent.Err()) {
		// Cancelled mid-statement, the driver reports its own error; the
		// job must report the cancellation.
		err = fmt.Errorf("%w (%v)", parent.Err(), err)
	}
	return n, err
}

// buildChunk reads and attributes the source rows of the days of chunk,
// reading the orders into orders' storage, which it returns for reuse.
func buildChunk(ctx context.Context, db *store.DB, brand *configs.Brand, loc *time.Location, shops []string,
	matches []reconcile.VariantMatch, refs []reconcile.OrderRef, orderLinks []ads.LinkConversion, today ads.Date,
	fees []reconcile.FeeDay, chunk ads.DateRange, orders []ads.Order) (store.ReconcilePart, []ads.Order, error) {
	in, err := readSpan(ctx, db, brand, brandAccounts(brand, matches), loc, shops, chunk, orders)
	if err != nil {
		return store.ReconcilePart{}, orders, err
	}
	in.Ads, in.OrderRefs, in.OrderLinks, in.Through, in.Fees = matches, refs, orderLinks, today, fees
	for d := chunk.From; !chunk.To.Before(d); d = d.AddDays(1) {
		in.Days = append(in.Days, d)
	}
	res, err := reconcile.Build(in)
	if err != nil {
		return store.ReconcilePart{}, in.Orders, fmt.Errorf("reconciling brand %s: %w", brand.Name, err)
	}
	p := store.ReconcilePart{Days: in.Days, Sales: res.Sales}
	p.Ledger, p.Daily = res.Ledger, res.Daily
	return p, in.Orders, nil
}

// readSpan reads the source rows of the days of span (in loc), the orders
// into orders' storage. Orders, link conversions and daily stats are read
// at the same time, on three pool connections (store.PartReaders).
func readSpan(ctx context.Context, db *store.DB, brand *configs.Brand, accounts []store.AccountRef, loc *time.Location, shops []string, span ads.DateRange,
	orders []ads.Order) (reconcile.Input, error) {
	in := reconcile.Input{Brand: brand}
	from, to := span.From.In(loc), span.To.AddDays(1).In(loc)
	g, gctx := errgroup.WithContext(ctx)
	if len(shops) > 0 {
		g.Go(func() (err error) {
			in.Orders, err = db.ReconcileOrders(gctx, shops, from, to, orders)
			return err
		})
	}
	g.Go(func() (err error) {
		in.Links, err = db.LinkConversions(gctx, brand.Name, from, to)
		return err
	})
	g.Go(func() (err error) {
		in.Stats, err = db.AccountDayStats(gctx, accounts, span)
		return err
	})
	err := g.Wait()
	return in, err
}

// policiesOf is the brand's tests' attribution policies as the reconcile
// state stores them.
func policiesOf(b *configs.Brand) string {
	return store.EncodePolicies(reconcile.Policies(b))
}

// orderRefs looks up the orders of shops that the order references ids
// (of link conversions) may name, for every chunk's link deduplication
// (reconcile.Input.OrderRefs).
func orderRefs(ctx context.Context, db *store.DB, shops []string, ids []string) ([]reconcile.OrderRef, error) {
	keys, err := db.OrderKeys(ctx, shops, ids)
	if err != nil {
		return nil, err
	}
	var refs []reconcile.OrderRef
	for _, k := range keys {
		refs = append(refs, reconcile.OrderRef{ID: k.ID, Name: k.Name})
	}
	return refs, nil
}

// chunksOf splits span into consecutive chunks of days days (the last one
// shorter; one day when days < 1).
func chunksOf(span ads.DateRange, days int) []ads.DateRange {
	var out []ads.DateRange
	for from := span.From; !span.To.Before(from); {
		chunk := ads.DateRange{From: from, To: from.AddDays(max(days, 1) - 1)}
		if span.To.Before(chunk.To) {
			chunk.To = span.To
		}
		out = append(out, chunk)
		from = chunk.To.AddDays(1)
	}
	return out
}

// spans groups ascending days into runs of consecutive days.
func spans(days []ads.Date) []ads.DateRange {
	var out []ads.DateRange
	for _, d := range days {
		if n := len(out); n > 0 && out[n-1].To.AddDays(1) == d {
			out[n-1].To = d
			continue
		}
		out = append(out, ads.DateRange{From: d, To: d})
	}
	return out
}

// brandAccounts are the brand's own ad accounts (configured, and those of
// its variant ads): its reads of synced rows stay within them (another
// brand's rows are not its data, and reading them costs O(all brands) per
// brand).
func brandAccounts(b *configs.Brand, matches []reconcile.VariantMatch) []store.AccountRef {
	var out []store.AccountRef
	seen := map[store.AccountRef]bool{}
	add := func(a store.AccountRef) {
		if a.Account != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, p := range []ads.Platform{ads.Meta, ads.TikTok} {
		for _, id := range b.AdAccounts(p) {
			add(store.AccountRef{Platform: p, Account: id})
		}
	}
	for _, m := range matches {
		add(store.AccountRef{Platform: m.Ad.Platform, Account: m.Ad.Account})
	}
	return out
}

// AlertUnconverted queues one Slack alert per currency pair and day whose
// orders the brand's ledger holds out for want of a configured rate
// (reconcile.ChannelUnconverted), naming the pair and the day; the
// outbox's dedup key sends each once, however often the brand is
// reconciled. Once a rate is configured the rebuild counts the orders and
// no alert is queued for them again.
func AlertUnconverted(ctx context.Context, db *store.DB, b *configs.Brand) error {
	days, err := db.UnconvertedDays(ctx, b.Name, fullRange.From, fullRange.To)
	if err != nil || len(days) == 0 {
		return err
	}
	t := notify.Target{Brand: b.Name, Channel: b.Slack.Channel, Currency: b.Currency}
	rows := make([]store.OutboxRow, 0, len(days))
	for _, d := range days {
		row, err := notify.UnconvertedAlert(t, d.Currency, b.Currency, d.Day, d.Orders, d.Net).Row()
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	_, err = db.EnqueueAlerts(ctx, rows)
	return err
}

// brandVariantAds lists the brand's variant→ad links in its configured ad
// accounts: a link left by an account the brand no longer lists (its ads
// job no longer runs to replace it) is not the brand's data. On a platform
// where the brand lists no account every link is kept.
func brandVariantAds(ctx context.Context, db *store.DB, b *configs.Brand) ([]store.VariantAd, error) {
	va, err := db.VariantAds(ctx, b.Name)
	if err != nil {
		return nil, err
	}
	out := va[:0]
	for _, v := range va {
		if accts := b.AdAccounts(v.Platform); len(accts) == 0 || slices.Contains(accts, v.Account) {
			out = append(out, v)
		}
	}
	return out, nil
}
