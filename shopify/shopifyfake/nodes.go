package shopifyfake

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// MaxInputSize is the most items an input array may hold (Shopify API
// limits, "Input limits": 250 for all APIs since 2020-01; more is an
// error, MAX_INPUT_SIZE_EXCEEDED).
const MaxInputSize = 250

// gidRE is a well-formed global id: gid://shopify/{Type}/{id}.
var gidRE = regexp.MustCompile(`^gid://shopify/[A-Za-z][A-Za-z0-9]*/[^/\s]+$`)

// orderGID is the prefix of an Order's global id.
const orderGID = "gid://shopify/Order/"

// serveNodes answers QueryRoot.nodes(ids:): the objects with those global
// ids, in the order asked, null for an id this shop has no object for
// (another shop's order, a deleted one, a type the fake does not serve).
// Like the Admin API it refuses more than MaxInputSize ids and a
// malformed global id before running anything, and charges the calculated
// cost: one object per id times the selection's objects (an interface
// costs the most of its type conditions), refunded down to the objects
// returned.
func (s *Server) serveNodes(w http.ResponseWriter, query string, vars map[string]any) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil || len(doc.Operations) != 1 {
		// checkQuery has accepted it; a document with several
		// operations needs an operationName the fake does not take.
		s.record(Call{Op: "nodes", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, gqlError("An operation name is required", "operationNameRequired"))
		return
	}
	op := doc.Operations[0]
	root := string(op.Operation)
	if op.Name != "" {
		root += " " + op.Name
	}
	var field *ast.Field
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && f.Name == "nodes" {
			field = f
			break
		}
	}
	if field == nil {
		s.record(Call{Op: "nodes", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, gqlError("this fake serves nodes only as a root field", "undefinedField"))
		return
	}
	ids, e := nodeIDs(op, field, root, vars)
	if e != nil {
		s.record(Call{Op: "nodes", Variables: vars, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{e}})
		return
	}
	per := 1 + objectCost(field.SelectionSet, doc.Fragments)
	requested := len(ids) * per
	if requested > MaxQueryCost {
		s.record(Call{Op: "nodes", Variables: vars, Status: http.StatusOK, RequestedCost: requested})
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"message":    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).", requested, MaxQueryCost),
			"extensions": map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MaxQueryCost},
		}}})
		return
	}
	s.mu.Lock()
	ok, cost := s.charge(requested)
	s.calls = append(s.calls, Call{At: s.now(), Op: "nodes", Variables: vars, Status: http.StatusOK, Throttled: !ok, RequestedCost: requested})
	if !ok {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, throttled(cost))
		return
	}
	found := make([]*Order, len(ids))
	n := 0
	for i, id := range ids {
		if num, isOrder := strings.CutPrefix(id, orderGID); isOrder {
			if o := s.orders[num]; o != nil {
				found[i] = o
				n++
			}
		}
	}
	s.refund(cost, requested, n*per)
	sel := selectionOf(query)
	sel.now = s.now()
	currency := s.shop.Currency
	s.mu.Unlock()
	// Stored orders are replaced, never changed in place (UpsertOrder):
	// rendering needs no lock.
	list := make([]any, len(found))
	for i, o := range found {
		if o != nil {
			list[i] = renderOrder(o, currency, sel)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{field.Name: list}, "extensions": map[string]any{"cost": cost}})
}

// nodeIDs reads the ids argument of field (a variable or a list literal)
// and checks it as the Admin API does: at most MaxInputSize ids, each a
// well-formed global id. The error is in Shopify's shape: a variable's
// is INVALID_VARIABLE with its problems, a literal's carries the path to
// the argument.
func nodeIDs(op *ast.OperationDefinition, field *ast.Field, root string, vars map[string]any) ([]string, map[string]any) {
	arg := field.Arguments.ForName("ids")
	at := func(p *ast.Position) []map[string]int {
		if p == nil {
			return nil
		}
		return []map[string]int{{"line": p.Line, "column": p.Column}}
	}
	var raw []any
	variable := arg.Value.Kind == ast.Variable
	if variable {
		v, _ := vars[arg.Value.Raw].([]any)
		if v == nil {
			def := op.VariableDefinitions.ForName(arg.Value.Raw)
			return nil, map[string]any{"message": fmt.Sprintf("Variable $%s of type [ID!]! was provided invalid value", arg.Value.Raw),
				"locations": at(def.Position), "extensions": map[string]any{"code": "INVALID_VARIABLE", "value": vars[arg.Value.Raw],
					"problems": []any{map[string]any{"path": []any{}, "explanation": "Expected value to not be null"}}}}
		}
		raw = v
	} else {
		for _, c := range arg.Value.Children {
			raw = append(raw, c.Value.Raw)
		}
	}
	if len(raw) > MaxInputSize {
		return nil, map[string]any{"message": fmt.Sprintf("The input array size of %d is greater than the maximum allowed of %d.", len(raw), MaxInputSize),
			"locations": at(field.Position), "path": []any{root, field.Name, "ids"},
			"extensions": map[string]any{"code": "MAX_INPUT_SIZE_EXCEEDED"}}
	}
	ids := make([]string, len(raw))
	for i, r := range raw {
		id, _ := r.(string)
		if gidRE.MatchString(id) {
			ids[i] = id
			continue
		}
		bad := fmt.Sprintf("Invalid global id '%v'", r)
		if !variable {
			return nil, map[string]any{"message": bad, "locations": at(arg.Position), "path": []any{root, field.Name, "ids"},
				"extensions": map[string]any{"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"}}
		}
		def := op.VariableDefinitions.ForName(arg.Value.Raw)
		return nil, map[string]any{"message": fmt.Sprintf("Variable $%s of type [ID!]! was provided invalid value for %d (%s)", arg.Value.Raw, i, bad),
			"locations": at(def.Position), "extensions": map[string]any{"code": "INVALID_VARIABLE", "value": raw,
				"problems": []any{map[string]any{"path": []any{i}, "explanation": bad, "message": bad}}}}
	}
	return ids, nil
}

// objectCost is the calculated cost of what set selects below an object:
// one point per object field (with what it selects), nothing for
// scalars; fragments on different types are alternatives (an interface
// costs the most of its possible selections), on the same type they add
// up.
func objectCost(set ast.SelectionSet, frags ast.FragmentDefinitionList) int {
	base, byType := 0, map[string]int{}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) > 0 {
				base += 1 + objectCost(s.SelectionSet, frags)
			}
		case *ast.InlineFragment:
			byType[s.TypeCondition] += objectCost(s.SelectionSet, frags)
		case *ast.FragmentSpread:
			if fd := frags.ForName(s.Name); fd != nil {
				byType[fd.TypeCondition] += objectCost(fd.SelectionSet, frags)
			}
		}
	}
	most := byType[""]
	for t, c := range byType {
		if t != "" {
			most = max(most, byType[""]+c)
		}
	}
	return base + most
}
