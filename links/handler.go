package links

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/roasd/roasd/ads"
)

// maxBody bounds one webhook request.
const maxBody = 10 << 20

// LinkSink stores link conversions; store.DB implements it.
type LinkSink interface {
	// UpsertLinkConversions stores conversions keyed by (source, id) and
	// reports how many rows were new or changed.
	UpsertLinkConversions(ctx context.Context, cs []ads.LinkConversion) (int64, error)
}

// Response is the JSON answer of Handler.
type Response struct {
	// Accepted is how many rows were valid and stored; Changed how many of
	// them were new or different from what was stored.
	Accepted int        `json:"accepted"`
	Changed  int64      `json:"changed"`
	Rejected []RowError `json:"rejected"`
}

// authorized reports whether the request carries "Authorization: Bearer
// token", compared in constant time. An empty token authorizes nothing.
func authorized(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Handler accepts link conversions as a JSON body (see ParseJSON) at any
// path, authenticated with "Authorization: Bearer token" (401 otherwise).
// The source is the "source" query parameter, the body's "source" member,
// or DefaultSource. Valid rows are stored even when others are rejected;
// the answer (200, a Response) lists the rejected rows. A body that is not
// JSON is 400; a storage failure is 500 so the sender retries, which is
// safe because storing is idempotent. owner, when set, attributes each row
// to its brand (the "brand" query parameter is the default for rows that
// name neither brand nor shop); rows it cannot attribute are rejected.
func Handler(token string, sink LinkSink, owner func(defaultBrand string) Owner, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !authorized(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roasd"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var own Owner
		if owner != nil {
			own = owner(r.URL.Query().Get("brand"))
		}
		cs, errs := ParseJSONOwned(http.MaxBytesReader(w, r.Body, maxBody), r.URL.Query().Get("source"), own)
		if len(errs) == 1 && errs[0].Row == 0 {
			http.Error(w, errs[0].Reason, http.StatusBadRequest)
			return
		}
		resp := Response{Accepted: len(cs), Rejected: errs}
		if resp.Rejected == nil {
			resp.Rejected = []RowError{}
		}
		if len(cs) > 0 {
			n, err := sink.UpsertLinkConversions(r.Context(), cs)
			if err != nil {
				log.Error("link conversions not stored", "rows", len(cs), "err", err)
				http.Error(w, "could not store the conversions", http.StatusInternalServerError)
				return
			}
			resp.Changed = n
		}
		log.Info("link conversions received", "accepted", resp.Accepted, "changed", resp.Changed, "rejected", len(errs))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
}
