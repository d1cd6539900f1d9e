package shopify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/platformhttp"
)

// Bulk operation statuses (BulkOperation.Status).
const (
	BulkCreated   = "CREATED"
	BulkRunning   = "RUNNING"
	BulkCompleted = "COMPLETED"
	BulkFailed    = "FAILED"
	BulkCanceling = "CANCELING"
	BulkCanceled  = "CANCELED"
	BulkExpired   = "EXPIRED"
)

// Calculated costs of the bulk calls: the mutation and one poll.
const (
	bulkRunCost  = 10
	bulkPollCost = 1
	// bulkCountCost is ordersCount's, asked with the first poll.
	bulkCountCost = 1
)

// ErrBulkInProgress is wrapped by StartBulkOrders when the shop already
// runs a bulk query for this app (API versions before 2026-01 allow one
// at a time); the BulkOperation it returns then carries the running
// operation's ID when Shopify named it.
var ErrBulkInProgress = errors.New("a bulk query operation is already in progress")

// BulkOperation is the state of a Shopify bulk query operation.
type BulkOperation struct {
	// ID is the operation's GID, e.g. "gid://shopify/BulkOperation/1".
	ID string
	// Status is one of BulkCreated, BulkRunning, BulkCompleted,
	// BulkFailed, BulkCanceling, BulkCanceled or BulkExpired.
	Status string
	// ErrorCode says why a FAILED operation failed: ACCESS_DENIED,
	// INTERNAL_SERVER_ERROR or TIMEOUT.
	ErrorCode string
	// CreatedAt is when Shopify created the operation (its clock): the
	// results reflect the shop at about that time.
	CreatedAt   time.Time
	CompletedAt time.Time
	// ObjectCount is how many objects the operation has written so far.
	ObjectCount int64
	// FileSize is the size in bytes of the result file.
	FileSize int64
	// URL is the signed result file URL of a COMPLETED operation (empty
	// when it found nothing). It grants access without the access token:
	// treat it as a secret.
	URL string
	// Query is the bulk query the operation runs.
	Query string
}

// Done reports whether the operation will not change any more.
func (b BulkOperation) Done() bool {
	switch b.Status {
	case BulkCompleted, BulkFailed, BulkCanceled, BulkExpired:
		return true
	}
	return false
}

// BulkOrdersQuery is the bulk query StartBulkOrders runs for orders
// updated at or after updatedSince (all orders when zero). Bulk queries
// take no first/after: the whole connection is exported, one order per
// JSONL line.
func BulkOrdersQuery(updatedSince time.Time) string {
	args := "sortKey: UPDATED_AT"
	if !updatedSince.IsZero() {
		q, _ := json.Marshal(UpdatedFilter(updatedSince)) // a GraphQL string literal
		args = "query: " + string(q) + ", " + args
	}
	return "{\n  orders(" + args + ") {\n    edges {\n      node {\n      " + orderFields + "\n      }\n    }\n  }\n}"
}

const bulkRunMutation = `mutation BulkOrders($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status errorCode createdAt completedAt objectCount fileSize url query }
    userErrors { field message code }
  }
}`

const bulkNodeQuery = `query BulkOperation($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode createdAt completedAt objectCount fileSize url query }
  }
}`

// bulkNodeCountQuery is bulkNodeQuery that also counts the orders the
// export covers (QueryRoot.ordersCount, uncapped): one request, so the
// count costs no call of its own.
const bulkNodeCountQuery = `query BulkOperation($id: ID!, $orders: String) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode createdAt completedAt objectCount fileSize url query }
  }
  ordersCount(query: $orders, limit: null) { count precision }
}`

// bulkOpNode is a BulkOperation object.
type bulkOpNode struct {
	ID          string       `json:"id"`
	Status      string       `json:"status"`
	ErrorCode   *string      `json:"errorCode"`
	CreatedAt   string       `json:"createdAt"`
	CompletedAt *string      `json:"completedAt"`
	ObjectCount uint64String `json:"objectCount"`
	FileSize    uint64String `json:"fileSize"`
	URL         *string      `json:"url"`
	Query       string       `json:"query"`
}

// uint64String is an UnsignedInt64, which Shopify sends as a JSON string
// (read leniently from a number or null too).
type uint64String int64

// UnmarshalJSON reads "123", 123 or null.
func (u *uint64String) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*u = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("parsing UnsignedInt64 %s: %w", b, err)
	}
	*u = uint64String(n)
	return nil
}

func (n bulkOpNode) op() (BulkOperation, error) {
	b := BulkOperation{ID: n.ID, Status: n.Status, Query: n.Query, ObjectCount: int64(n.ObjectCount), FileSize: int64(n.FileSize)}
	if n.ErrorCode != nil {
		b.ErrorCode = *n.ErrorCode
	}
	if n.URL != nil {
		b.URL = *n.URL
	}
	var err error
	if n.CreatedAt != "" {
		if b.CreatedAt, err = parseTime("createdAt", n.CreatedAt); err != nil {
			return b, err
		}
	}
	if n.CompletedAt != nil && *n.CompletedAt != "" {
		if b.CompletedAt, err = parseTime("completedAt", *n.CompletedAt); err != nil {
			return b, err
		}
	}
	return b, nil
}

var runningOpRE = regexp.MustCompile(`gid://shopify/BulkOperation/\d+`)

// StartBulkOrders starts a bulk query of every order updated at or after
// updatedSince (all orders when zero) and returns the created operation.
// When the shop already runs a bulk query the error wraps
// ErrBulkInProgress and the returned operation's ID is the running one's
// (when Shopify named it), so the caller can wait for it. LIMIT_REACHED
// (as many bulk queries running as the API version allows) is an
// *ads.APIError of KindRateLimited; other userErrors are of KindInvalid.
func (c *Client) StartBulkOrders(ctx context.Context, updatedSince time.Time) (BulkOperation, error) {
	var d struct {
		Run struct {
			BulkOperation *bulkOpNode `json:"bulkOperation"`
			UserErrors    []struct {
				Field   []string `json:"field"`
				Message string   `json:"message"`
				Code    *string  `json:"code"`
			} `json:"userErrors"`
		} `json:"bulkOperationRunQuery"`
	}
	if err := c.do(ctx, "bulk", bulkRunMutation, map[string]any{"query": BulkOrdersQuery(updatedSince)}, bulkRunCost, &d); err != nil {
		return BulkOperation{}, fmt.Errorf("starting bulk orders query of %s: %w", c.shop, err)
	}
	if ue := d.Run.UserErrors; len(ue) > 0 {
		e := ue[0]
		code := ""
		if e.Code != nil {
			code = *e.Code
		}
		if code == "OPERATION_IN_PROGRESS" || strings.Contains(strings.ToLower(e.Message), "already in progress") {
			running := BulkOperation{ID: runningOpRE.FindString(e.Message), Status: BulkRunning}
			return running, fmt.Errorf("starting bulk orders query of %s: operation %q runs: %w", c.shop, running.ID, ErrBulkInProgress)
		}
		msg := e.Message
		if code != "" {
			msg = code + ": " + msg
		}
		kind := ads.KindInvalid
		if code == "LIMIT_REACHED" {
			// "Bulk operations limit reached. Please try again later."
			// (BulkOperationUserErrorCode): the shop-app already runs as
			// many bulk queries as the version allows; a wait, not a bad
			// request.
			kind = ads.KindRateLimited
		}
		return BulkOperation{}, fmt.Errorf("starting bulk orders query of %s: %w", c.shop, c.apiError("bulk", http.StatusOK, kind, msg, ""))
	}
	if d.Run.BulkOperation == nil {
		return BulkOperation{}, fmt.Errorf("starting bulk orders query: %w", c.apiError("bulk", http.StatusOK, ads.KindUnknown, "no bulk operation and no userErrors in the answer", ""))
	}
	op, err := d.Run.BulkOperation.op()
	if err != nil {
		return op, fmt.Errorf("reading bulk operation of %s: %w", c.shop, err)
	}
	return op, nil
}

// BulkOperation reads a bulk operation's state. A missing operation is an
// *ads.APIError of KindNotFound.
func (c *Client) BulkOperation(ctx context.Context, id string) (BulkOperation, error) {
	var d struct {
		Node *bulkOpNode `json:"node"`
	}
	if err := c.do(ctx, "bulk-poll", bulkNodeQuery, map[string]any{"id": id}, bulkPollCost, &d); err != nil {
		return BulkOperation{}, fmt.Errorf("reading bulk operation %s of %s: %w", id, c.shop, err)
	}
	if d.Node == nil || d.Node.ID == "" {
		return BulkOperation{}, c.apiError("bulk", http.StatusOK, ads.KindNotFound, fmt.Sprintf("bulk operation %s not found", id), "")
	}
	op, err := d.Node.op()
	if err != nil {
		return op, fmt.Errorf("reading bulk operation %s of %s: %w", id, c.shop, err)
	}
	return op, nil
}

// WaitBulk waits for a bulk operation's bulk_operations/finish webhook
// when Options.BulkFinish is set (see there); else it polls the
// operation until it is done, waiting
// Options.BulkPollMin before the first poll (an export just started is
// never done at once; one the caller already saw done needs no wait) and
// a quarter longer before each next one (so a finished export waits at
// most a quarter of the time already spent), up to Options.BulkPollMax,
// and returns it once COMPLETED. A FAILED, CANCELED
// or EXPIRED operation is returned with an *ads.APIError of KindJobFailed
// (Op "bulk") naming its status and errorCode.
func (c *Client) WaitBulk(ctx context.Context, id string) (BulkOperation, error) {
	return c.waitBulk(ctx, id, nil)
}

// WaitBulkOrders is WaitBulk for an orders export of StartBulkOrders(ctx,
// updatedSince): its first poll also counts the orders the export covers
// (in the same request), and from then on each wait is sized from the
// operation's progress — objectCount over the time spent, the rest of the
// count at that rate, plus a tenth — so a long export is polled about
// twice instead of a number of times that grows with its length.
func (c *Client) WaitBulkOrders(ctx context.Context, id string, updatedSince time.Time) (BulkOperation, error) {
	filter := ""
	if !updatedSince.IsZero() {
		filter = UpdatedFilter(updatedSince)
	}
	return c.waitBulk(ctx, id, &filter)
}

// bulkEstimateMax caps a wait sized from an export's progress.
const bulkEstimateMax = 2 * time.Minute

// NextBulkWait is how long WaitBulkOrders waits before its next poll of
// an export that has written objects of total after elapsed, having
// waited prev before this poll: with a known total (> objects > 0), the
// rest at the rate so far plus a tenth, at least min and at most
// bulkEstimateMax; else a quarter longer than prev, up to max.
func NextBulkWait(elapsed time.Duration, objects, total int64, prev, min, max time.Duration) time.Duration {
	if total > objects && objects > 0 && elapsed > 0 {
		rest := time.Duration(float64(elapsed) * float64(total-objects) / float64(objects))
		return clampDuration(rest+rest/10, min, bulkEstimateMax)
	}
	return clampDuration(prev+prev/4, min, max)
}

func clampDuration(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		return lo
	}
	if d > hi {
		return hi
	}
	return d
}

// Safety-net polls while waiting for a bulk_operations/finish webhook
// (Options.BulkFinish): the first after bulkSafetyFirst, each next twice
// the last, up to bulkSafetyMax. Shopify delivers the webhook within
// seconds of the end; these polls only bound how late a lost one (the
// receiver down through Shopify's retries, a subscription missing) makes
// the sync: an export found done by them waited at most about as long
// again as it ran (at most bulkSafetyMax longer), and a steady cycle's
// short export is late by at most bulkSafetyFirst. An export that runs
// for less than bulkSafetyFirst costs no poll at all: at 30 s, the first
// sync of a 4M-order shop paid one (bench, session 6).
const (
	bulkSafetyFirst = 2 * time.Minute
	bulkSafetyMax   = 10 * time.Minute
)

// waitBulk waits until the operation is done: for its
// bulk_operations/finish webhook when the client has a BulkWaiter, else
// by polling; countFilter, when not nil, is the orders search of the
// export, counted on the first poll.
func (c *Client) waitBulk(ctx context.Context, id string, countFilter *string) (BulkOperation, error) {
	if c.finish != nil {
		return c.waitBulkHook(ctx, id, countFilter)
	}
	return c.pollBulk(ctx, id, countFilter)
}

// waitBulkHook waits for the operation's bulk_operations/finish webhook,
// then reads the operation once (the payload has no file URL). Without a
// webhook it polls on the safety schedule (bulkSafetyFirst, doubling up
// to bulkSafetyMax); a webhook arriving meanwhile cuts the wait short. An
// operation the webhook said finished but the read says is not (a read
// answered before the end propagated) is polled as without webhooks.
func (c *Client) waitBulkHook(ctx context.Context, id string, countFilter *string) (BulkOperation, error) {
	finished, done := c.finish.Wait(c.shop, id)
	defer done()
	wait := c.safetyPoll
	for {
		hooked := false
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return BulkOperation{ID: id}, ctx.Err()
		case <-finished:
			t.Stop()
			hooked = true
		case <-t.C:
		}
		op, err := c.BulkOperation(ctx, id)
		if err != nil {
			return op, err
		}
		if op.Done() {
			if !hooked {
				c.log.Warn("shopify bulk operation found done by a safety poll, without its bulk_operations/finish webhook: check the app's subscription to that topic and that Shopify reaches /webhooks/shopify",
					"shop", c.shop, "op", op.ID, "status", op.Status)
			}
			return c.bulkDone(op)
		}
		if hooked {
			c.log.Warn("shopify bulk operation not done after its bulk_operations/finish webhook; polling it", "shop", c.shop, "op", op.ID, "status", op.Status)
			return c.pollBulk(ctx, id, countFilter)
		}
		wait = min(2*wait, max(bulkSafetyMax, c.safetyPoll))
		c.log.Debug("waiting for shopify bulk operation's webhook", "shop", c.shop, "op", op.ID, "status", op.Status, "objects", op.ObjectCount, "wait", wait)
	}
}

// bulkDone returns a done operation: with no error once COMPLETED, else
// with an *ads.APIError of KindJobFailed naming its status and errorCode.
func (c *Client) bulkDone(op BulkOperation) (BulkOperation, error) {
	if op.Status == BulkCompleted {
		return op, nil
	}
	msg := fmt.Sprintf("bulk operation %s ended %s", op.ID, op.Status)
	if op.ErrorCode != "" {
		msg += " (" + op.ErrorCode + ")"
	}
	return op, c.apiError("bulk", http.StatusOK, ads.KindJobFailed, msg, "")
}

// pollBulk polls until the operation is done; countFilter, when not nil,
// is the orders search of the export, counted on the first poll.
func (c *Client) pollBulk(ctx context.Context, id string, countFilter *string) (BulkOperation, error) {
	start := time.Now()
	wait := c.pollMin
	total := int64(-1)
	for {
		if err := sleep(ctx, wait); err != nil {
			return BulkOperation{ID: id}, err
		}
		var (
			op  BulkOperation
			err error
		)
		if countFilter != nil && total < 0 {
			op, total, err = c.bulkOperationCounted(ctx, id, *countFilter)
		} else {
			op, err = c.BulkOperation(ctx, id)
		}
		if err != nil {
			return op, err
		}
		if op.Done() {
			return c.bulkDone(op)
		}
		wait = NextBulkWait(time.Since(start), op.ObjectCount, total, wait, c.pollMin, c.pollMax)
		c.log.Debug("waiting for shopify bulk operation", "shop", c.shop, "op", op.ID, "status", op.Status, "objects", op.ObjectCount, "of", total, "wait", wait)
	}
}

// bulkOperationCounted is BulkOperation that also counts the orders
// matching filter (-1 when Shopify did not give an exact count).
func (c *Client) bulkOperationCounted(ctx context.Context, id, filter string) (BulkOperation, int64, error) {
	var d struct {
		Node   *bulkOpNode `json:"node"`
		Orders *struct {
			Count     int64  `json:"count"`
			Precision string `json:"precision"`
		} `json:"ordersCount"`
	}
	vars := map[string]any{"id": id, "orders": nil}
	if filter != "" {
		vars["orders"] = filter
	}
	if err := c.do(ctx, "bulk-poll", bulkNodeCountQuery, vars, bulkPollCost+bulkCountCost, &d); err != nil {
		return BulkOperation{}, -1, fmt.Errorf("reading bulk operation %s of %s: %w", id, c.shop, err)
	}
	if d.Node == nil || d.Node.ID == "" {
		return BulkOperation{}, -1, c.apiError("bulk", http.StatusOK, ads.KindNotFound, fmt.Sprintf("bulk operation %s not found", id), "")
	}
	op, err := d.Node.op()
	if err != nil {
		return op, -1, fmt.Errorf("reading bulk operation %s of %s: %w", id, c.shop, err)
	}
	total := int64(-1)
	if d.Orders != nil && d.Orders.Precision == "EXACT" {
		total = d.Orders.Count
	}
	return op, total, nil
}

// bulkBatches is how many decoded batches may wait for fn.
const bulkBatches = 2

// BulkOrdersFile downloads a COMPLETED bulk orders operation's JSONL file
// and calls fn with its orders in batches of at most batch (unordered:
// bulk results follow no sort), returning how many orders fn accepted.
// The file is streamed: one goroutine downloads and decodes while fn runs
// in the caller's, so the download overlaps what fn does (e.g. database
// writes). The access token is never sent to the file's URL. A malformed
// line stops the download with an error naming its line number; the
// orders before it are delivered, none after. An error from fn stops the
// download and is returned as is.
func (c *Client) BulkOrdersFile(ctx context.Context, op BulkOperation, batch int, fn func([]ads.Order) error) (int64, error) {
	if op.Status != "" && op.Status != BulkCompleted {
		return 0, c.apiError("bulk-download", 0, ads.KindInvalid, fmt.Sprintf("bulk operation %s is %s, not COMPLETED", op.ID, op.Status), "")
	}
	if op.URL == "" {
		// A completed operation that matched nothing has no file.
		return 0, nil
	}
	if batch <= 0 {
		batch = 1000
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body, err := c.openBulkFile(ctx, op)
	if err != nil {
		return 0, err
	}
	batches := make(chan []ads.Order, bulkBatches)
	decErr := make(chan error, 1)
	go func() {
		defer close(batches)
		defer body.Close()
		decErr <- c.decodeBulk(ctx, op, body, batch, batches)
	}()
	var n int64
	for b := range batches {
		if err := fn(b); err != nil {
			cancel()
			for range batches { // let the decoder finish
			}
			return n, err
		}
		n += int64(len(b))
	}
	if err := <-decErr; err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return n, ctx.Err()
		}
		return n, err
	}
	return n, nil
}

// openBulkFile GETs the result file without the access token;
// transport errors and 5xx are retried until the body starts.
func (c *Client) openBulkFile(ctx context.Context, op BulkOperation) (io.ReadCloser, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, op.URL, nil)
	if err != nil {
		return nil, c.apiError("bulk-download", 0, ads.KindInvalid, platformhttp.RedactURL("building request: "+err.Error(), op.URL), "")
	}
	req.Header.Set("Accept", "application/jsonl, application/octet-stream, */*")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.apiError("bulk-download", 0, ads.KindTransient, platformhttp.RedactURL(err.Error(), op.URL), "")
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		msg := fmt.Sprintf("downloading bulk operation %s: %s", op.ID, http.StatusText(resp.StatusCode))
		if m := regexp.MustCompile(`<Code>([^<]+)</Code>`).FindSubmatch(snippet); m != nil {
			msg += " (" + string(m[1]) + ")"
		}
		return nil, c.apiError("bulk-download", resp.StatusCode, kindOfStatus(resp.StatusCode), platformhttp.RedactURL(msg, op.URL), "")
	}
	return resp.Body, nil
}

// decodeBulk reads JSONL lines from body into batches of orders. Child
// lines (with `__parentId`: records of a nested connection the query did
// not ask for) are skipped. A file whose object lines, children included,
// differ from the operation's objectCount is an error (a file cut short or
// read wrongly), after its orders are delivered. Caller closes body.
func (c *Client) decodeBulk(ctx context.Context, op BulkOperation, body io.Reader, batch int, out chan<- []ads.Order) error {
	r := bufio.NewReaderSize(body, 1<<20)
	buf := make([]ads.Order, 0, batch)
	send := func() error {
		if len(buf) == 0 {
			return nil
		}
		select {
		case out <- buf:
			buf = make([]ads.Order, 0, batch)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var objects, children int64
	for line := 1; ; line++ {
		raw, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it.
			long := append([]byte(nil), raw...)
			for errors.Is(err, bufio.ErrBufferFull) {
				raw, err = r.ReadSlice('\n')
				long = append(long, raw...)
			}
			raw = long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if serr := send(); serr != nil {
				return serr
			}
			return c.apiError("bulk-download", http.StatusOK, ads.KindTransient,
				platformhttp.RedactURL(fmt.Sprintf("reading bulk operation %s file at line %d: %v", op.ID, line, err), op.URL), "")
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 {
			var n orderNode
			// goccy/go-json decodes these lines 4–5× faster than
			// encoding/json (BenchmarkBulkOrdersFile), with the same
			// semantics for this struct.
			if jerr := gojson.Unmarshal(t, &n); jerr != nil {
				if serr := send(); serr != nil {
					return serr
				}
				return fmt.Errorf("reading bulk operation %s file of %s: line %d: %w", op.ID, c.shop, line, jerr)
			}
			objects++
			if n.ParentID != "" {
				children++
				goto next
			}
			if n.ID == "" {
				if serr := send(); serr != nil {
					return serr
				}
				return fmt.Errorf("reading bulk operation %s file of %s: line %d: not an order (no id)", op.ID, c.shop, line)
			}
			o, cerr := n.order(c.shop)
			if cerr != nil {
				if serr := send(); serr != nil {
					return serr
				}
				return fmt.Errorf("reading bulk operation %s file of %s: line %d: order %s: %w", op.ID, c.shop, line, n.ID, cerr)
			}
			buf = append(buf, o)
			if len(buf) == batch {
				if err := send(); err != nil {
					return err
				}
			}
		}
	next:
		if errors.Is(err, io.EOF) {
			if serr := send(); serr != nil {
				return serr
			}
			if op.ObjectCount > 0 && objects != op.ObjectCount {
				return c.apiError("bulk-download", http.StatusOK, ads.KindTransient,
					fmt.Sprintf("bulk operation %s file has %d objects (%d of them child lines) but its objectCount is %d: the file is incomplete or was read wrongly", op.ID, objects, children, op.ObjectCount), "")
			}
			if children > 0 {
				c.log.Warn("skipped child lines in a shopify bulk file", "shop", c.shop, "op", op.ID, "children", children)
			}
			return nil
		}
	}
}
