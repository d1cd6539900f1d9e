package shopifyfake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// filter is the parsed `query:` search string: updated_at comparisons,
// all of which must hold.
type filter struct {
	terms []term
}

// term is one comparison: op is ">=", ">", "<=", "<" or "" (equal).
type term struct {
	op string
	t  time.Time
}

var updatedTerm = regexp.MustCompile(`updated_at:(>=|<=|>|<)?\s*['"]?([0-9T:.+\-Z ]+?)['"]?(\s|$)`)

func parseFilter(q string) (filter, error) {
	var f filter
	for _, m := range updatedTerm.FindAllStringSubmatch(q, -1) {
		v := strings.TrimSpace(m[2])
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return f, fmt.Errorf("invalid updated_at value %q", v)
			}
		}
		f.terms = append(f.terms, term{op: m[1], t: t})
	}
	return f, nil
}

func (f filter) match(u time.Time) bool {
	for _, tm := range f.terms {
		var ok bool
		switch tm.op {
		case ">=":
			ok = !u.Before(tm.t)
		case ">":
			ok = u.After(tm.t)
		case "<=":
			ok = !u.After(tm.t)
		case "<":
			ok = u.Before(tm.t)
		default:
			ok = u.Equal(tm.t)
		}
		if !ok {
			return false
		}
	}
	return true
}

// cursor is the opaque position after a node in the chosen sort order.
type cursor struct {
	U  time.Time `json:"u"`
	ID int64     `json:"id"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	return c, err
}

func gqlError(msg, code string) map[string]any {
	return map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}}
}

// entry is an order in the (updatedAt, id) index.
type entry struct {
	u  time.Time
	ns int64 // u in Unix nanoseconds, for a fast sort
	id int64
	o  *Order
}

func (e entry) key() cursor { return cursor{U: e.u, ID: e.id} }

func less(a, b cursor) bool {
	if !a.U.Equal(b.U) {
		return a.U.Before(b.U)
	}
	return a.ID < b.ID
}

// sorted returns the orders sorted by (updatedAt, id), rebuilding the index
// when an order changed since it was built. The slice is never modified
// afterwards (a rebuild makes a new one), so callers may keep it. Caller
// holds s.mu.
func (s *Server) sorted() []entry {
	if s.index != nil {
		return s.index
	}
	idx := make([]entry, 0, len(s.orders))
	for _, o := range s.orders {
		id, _ := strconv.ParseInt(o.ID, 10, 64)
		u := o.UpdatedAt.UTC()
		idx = append(idx, entry{u: u, ns: u.UnixNano(), id: id, o: o})
	}
	slices.SortFunc(idx, func(a, b entry) int {
		if c := cmp.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	s.index = idx
	return idx
}

// matching returns the run of the index that f matches and that comes
// after `after` (when not nil): the filter's terms are all updated_at
// comparisons, so the matches are contiguous in updatedAt order and found
// by binary search. Caller holds s.mu.
func (s *Server) matching(f filter, after *cursor) []entry {
	idx := s.sorted()
	lo := 0
	for _, tm := range f.terms {
		var i int
		switch tm.op {
		case ">=", "":
			i = sort.Search(len(idx), func(i int) bool { return !idx[i].u.Before(tm.t) })
		case ">":
			i = sort.Search(len(idx), func(i int) bool { return idx[i].u.After(tm.t) })
		default:
			continue
		}
		lo = max(lo, i)
	}
	if after != nil {
		lo = max(lo, sort.Search(len(idx), func(i int) bool { return less(*after, idx[i].key()) }))
	}
	hi := len(idx)
	for _, tm := range f.terms {
		switch tm.op {
		case "<=", "":
			hi = min(hi, sort.Search(len(idx), func(i int) bool { return idx[i].u.After(tm.t) }))
		case "<":
			hi = min(hi, sort.Search(len(idx), func(i int) bool { return !idx[i].u.Before(tm.t) }))
		}
	}
	return idx[lo:max(hi, lo)]
}

// edge is a connection edge.
type edge struct {
	Cursor string     `json:"cursor"`
	Node   *orderJSON `json:"node"`
}

func (s *Server) serveOrders(w http.ResponseWriter, query string, vars map[string]any) {
	first, ok := intVar(vars, "first")
	if !ok {
		if m := regexp.MustCompile(`\borders\s*\([^)]*\bfirst:\s*(\d+)`).FindStringSubmatch(query); m != nil {
			first, _ = strconv.Atoi(m[1])
		} else {
			s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
			writeJSON(w, http.StatusOK, gqlError("you must provide one of first or last", "argumentLiteralsIncompatible"))
			return
		}
	}
	if first < 0 || first > MaxPageSize {
		s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, gqlError(fmt.Sprintf("first cannot exceed %d. To query larger amounts of data with fewer limits, bulk operations should be used instead.", MaxPageSize), "argumentLiteralsIncompatible"))
		return
	}
	per := nodeCost(query)
	requested := 2 + first*per
	if requested > MaxQueryCost {
		s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK, RequestedCost: requested})
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"message":    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).", requested, MaxQueryCost),
			"extensions": map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MaxQueryCost},
		}}})
		return
	}
	q, _ := vars["query"].(string)
	f, err := parseFilter(q)
	if err != nil {
		s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, gqlError(err.Error(), "BAD_REQUEST"))
		return
	}
	var after *cursor
	if a, _ := vars["after"].(string); a != "" {
		c, err := decodeCursor(a)
		if err != nil {
			s.record(Call{Op: "orders", Variables: vars, Status: http.StatusOK})
			writeJSON(w, http.StatusOK, gqlError("Invalid cursor for current pagination sort.", "BAD_REQUEST"))
			return
		}
		after = &c
	}
	sortKey, _ := vars["sortKey"].(string)
	if sortKey == "" && regexp.MustCompile(`sortKey:\s*UPDATED_AT`).MatchString(query) {
		sortKey = "UPDATED_AT"
	}
	byUpdated := sortKey == "UPDATED_AT"

	s.mu.Lock()
	defer s.mu.Unlock()
	ok, cost := s.charge(requested)
	s.calls = append(s.calls, Call{At: s.now(), Op: "orders", Variables: vars, Status: http.StatusOK, Throttled: !ok, RequestedCost: requested})
	if !ok {
		writeJSON(w, http.StatusOK, throttled(cost))
		return
	}
	var page []entry
	more := false
	if byUpdated {
		run := s.matching(f, after)
		page, more = run[:min(first, len(run))], len(run) > first
	} else {
		// By id: a rare sort for this fake's clients, served by a scan.
		var all []entry
		for _, e := range s.sorted() {
			k := cursor{ID: e.id}
			if f.match(e.u) && (after == nil || less(*after, k)) {
				all = append(all, entry{id: e.id, o: e.o})
			}
		}
		slices.SortFunc(all, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
		page, more = all[:min(first, len(all))], len(all) > first
	}
	edges, nodes := make([]edge, 0, len(page)), make([]orderJSON, 0, len(page))
	var start, end any
	sel := selectionOf(query)
	sel.now = s.now()
	for i, e := range page {
		n := renderOrder(e.o, s.shop.Currency, sel)
		c := encodeCursor(e.key())
		nodes = append(nodes, n)
		edges = append(edges, edge{Cursor: c, Node: &nodes[len(nodes)-1]})
		if i == 0 {
			start = c
		}
		end = c
	}
	conn := map[string]any{"pageInfo": map[string]any{"hasNextPage": more, "hasPreviousPage": after != nil,
		"startCursor": start, "endCursor": end}}
	if strings.Contains(query, "edges") {
		conn["edges"] = edges
	}
	if regexp.MustCompile(`\bnodes\s*\{`).MatchString(query) {
		conn["nodes"] = nodes
	}
	s.refund(cost, requested, 2+len(page)*per)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"orders": conn}, "extensions": map[string]any{"cost": cost}})
}
