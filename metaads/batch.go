package metaads

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/roasd/roasd/ads"
)

// MaxBatch is the most operations one Graph batch request carries
// (POST / with batch=[…]; each operation still counts against the rate
// limits as a call of its own).
const MaxBatch = 50

// batchItem is one operation's answer in a batch response; Meta leaves
// an operation it did not finish null.
type batchItem struct {
	Code int    `json:"code"`
	Body string `json:"body"`
}

// batchGet reads GET operations, each a path relative to the API version
// with its query, in batch requests of at most MaxBatch, and returns each
// operation's answer body in order, or its error (an *ads.APIError as a
// call of its own would give). An operation Meta left unanswered is sent
// again on its own. A failed batch request is returned as the error.
func (c *Client) batchGet(ctx context.Context, account string, ops []string) ([][]byte, []error, error) {
	bodies, errs := make([][]byte, len(ops)), make([]error, len(ops))
	for lo := 0; lo < len(ops); lo += MaxBatch {
		chunk := ops[lo:min(lo+MaxBatch, len(ops))]
		req := make([]map[string]string, len(chunk))
		for i, op := range chunk {
			req[i] = map[string]string{"method": http.MethodGet, "relative_url": op}
		}
		var items []*batchItem
		if err := c.call(ctx, http.MethodPost, account, "", url.Values{"batch": {mustJSON(req)}, "include_headers": {"false"}}, &items); err != nil {
			return nil, nil, err
		}
		for i, op := range chunk {
			k := lo + i
			var it *batchItem
			if i < len(items) {
				it = items[i]
			}
			path, query, _ := strings.Cut(op, "?")
			switch {
			case it == nil:
				// Not finished by Meta: send it again by itself.
				q, _ := url.ParseQuery(query)
				var raw json.RawMessage
				if err := c.call(ctx, http.MethodGet, account, path, q, &raw); err != nil {
					errs[k] = err
				} else {
					bodies[k] = raw
				}
			case it.Code/100 != 2:
				errs[k] = c.opError(account, "GET "+path, it.Code, []byte(it.Body))
			default:
				bodies[k] = []byte(it.Body)
			}
		}
	}
	return bodies, errs, nil
}

// opError is a batched operation's failure as the call's own would be.
func (c *Client) opError(account, op string, status int, body []byte) error {
	ge, hasEnv := parseEnvelope(body)
	kind, wait := classify(status, ge, hasEnv, nil)
	e := &ads.APIError{Platform: ads.Meta, Account: account, Op: op, HTTPStatus: status,
		Code: ge.Code, Subcode: ge.Subcode, TraceID: ge.TraceID, Kind: kind, RetryAfter: wait, Message: http.StatusText(status)}
	if hasEnv {
		e.Message = c.redact(ge.Message)
	}
	return e
}
