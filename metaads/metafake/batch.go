package metafake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxBatch is the most operations one Graph batch request may carry.
const MaxBatch = 50

// isBatch reports whether r is a Graph batch request: a POST to the root
// (versioned or not) with a batch parameter.
func isBatch(r *http.Request, params url.Values) bool {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	root := len(segs) == 1 && (segs[0] == "" || versionRE.MatchString(segs[0]))
	return r.Method == http.MethodPost && root && params.Has("batch")
}

// batchOp is one operation of a batch request.
type batchOp struct {
	Method      string `json:"method"`
	RelativeURL string `json:"relative_url"`
	Body        string `json:"body"`
	Name        string `json:"name"`
}

// batch serves POST / with batch=[…]: at most MaxBatch operations, each
// authenticated with the request's token and answered in order as
// {"code","headers","body"} (body a JSON string; headers dropped with
// include_headers=false). Each operation is recorded as a Call of its own
// (Batched set) and counts against the limits as a separate call would;
// the batch request itself is recorded by ServeHTTP.
func (s *Server) batch(r *http.Request, params url.Values) response {
	var ops []batchOp
	if err := json.Unmarshal([]byte(params.Get("batch")), &ops); err != nil {
		return s.graphError(http.StatusBadRequest, 100, 0, "(#100) The parameter batch must be a JSON array", "OAuthException", nil)
	}
	if len(ops) == 0 {
		return s.graphError(http.StatusBadRequest, 100, 0, "(#100) The parameter batch is required and must not be empty", "OAuthException", nil)
	}
	if len(ops) > MaxBatch {
		return s.graphError(http.StatusBadRequest, 1, 0, fmt.Sprintf("(#1) Too many requests in batch message. Maximum batch size is %d", MaxBatch), "OAuthException", nil)
	}
	if resp, ok := s.authenticate(r, params, http.Header{}); !ok {
		return resp
	}
	version := strings.Trim(r.URL.Path, "/")
	headers := params.Get("include_headers") != "false"
	out := make([]any, len(ops))
	for i, op := range ops {
		method := strings.ToUpper(op.Method)
		if method == "" {
			method = http.MethodGet
		}
		rel := strings.TrimLeft(op.RelativeURL, "/")
		if first, _, _ := strings.Cut(rel, "/"); !versionRE.MatchString(first) && version != "" {
			rel = version + "/" + rel
		}
		var body io.Reader
		if op.Body != "" {
			body = strings.NewReader(op.Body)
		}
		req, err := http.NewRequest(method, "/"+rel, body)
		if err != nil {
			out[i] = map[string]any{"code": http.StatusBadRequest, "body": string(s.graphError(http.StatusBadRequest, 100, 0, "(#100) Invalid relative_url", "OAuthException", nil).body)}
			continue
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		opParams, err := requestParams(req)
		if err != nil {
			opParams = url.Values{}
		}
		for _, k := range []string{"access_token", "appsecret_proof"} {
			if !opParams.Has(k) && params.Has(k) {
				opParams.Set(k, params.Get(k))
			}
		}
		resp := s.handle(req, opParams)
		s.calls = append(s.calls, Call{Method: method, Path: req.URL.Path, Params: cloneValues(opParams), Status: resp.status, Code: resp.code, At: time.Now(), Batched: true})
		item := map[string]any{"code": resp.status, "body": string(resp.body)}
		if headers {
			var hs []map[string]string
			for k, vs := range resp.header {
				for _, v := range vs {
					hs = append(hs, map[string]string{"name": k, "value": v})
				}
			}
			item["headers"] = hs
		}
		out[i] = item
	}
	return response{status: http.StatusOK, body: []byte(mustJSON(out))}
}
