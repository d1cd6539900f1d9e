package shopifyfake

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// selectedWriter buffers a GraphQL answer so that flush can cut its data
// down to what the query selected, as a GraphQL server executes a
// selection set (spec.graphql.org, "Executing Selection Sets"): exactly
// the selected fields, under their aliases. The endpoints render whole
// objects; without this a client could decode a field it never asked for
// and pass here while Shopify leaves it out.
type selectedWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

// WriteHeader implements http.ResponseWriter.
func (w *selectedWriter) WriteHeader(status int) { w.status = status }

// Write implements http.ResponseWriter.
func (w *selectedWriter) Write(b []byte) (int, error) { return w.body.Write(b) }

// flush writes the buffered answer, its data projected onto query's
// selection set (unchanged when either does not parse).
func (w *selectedWriter) flush(query string) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	out := w.body.Bytes()
	if b, ok := projectAnswer(out, query); ok {
		out = b
	}
	w.ResponseWriter.WriteHeader(w.status)
	w.ResponseWriter.Write(out)
}

// projectAnswer projects the "data" of a GraphQL answer onto query.
func projectAnswer(answer []byte, query string) ([]byte, bool) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil || len(doc.Operations) != 1 {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(answer))
	dec.UseNumber()
	var resp map[string]any
	if dec.Decode(&resp) != nil {
		return nil, false
	}
	data, ok := resp["data"].(map[string]any)
	if !ok {
		return nil, false
	}
	resp["data"] = project(data, doc.Operations[0].SelectionSet, doc.Fragments)
	var buf bytes.Buffer
	if json.NewEncoder(&buf).Encode(resp) != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// project keeps of v (decoded JSON) what set selects; lists are projected
// item by item, scalars and null are kept.
func project(v any, set ast.SelectionSet, frags ast.FragmentDefinitionList) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = project(e, set, frags)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		projectInto(out, x, set, frags)
		return out
	}
	return v
}

// projectInto adds the fields of m that set selects to out, following
// inline fragments and fragment spreads (type conditions are not checked:
// each field the fake renders belongs to one object type).
func projectInto(out, m map[string]any, set ast.SelectionSet, frags ast.FragmentDefinitionList) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			v, ok := m[s.Name]
			if !ok {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if len(s.SelectionSet) == 0 || v == nil {
				out[key] = v
				continue
			}
			prev, seen := out[key].(map[string]any)
			obj, isObj := v.(map[string]any)
			if seen && isObj {
				projectInto(prev, obj, s.SelectionSet, frags)
				continue
			}
			out[key] = project(v, s.SelectionSet, frags)
		case *ast.InlineFragment:
			projectInto(out, m, s.SelectionSet, frags)
		case *ast.FragmentSpread:
			if fd := frags.ForName(s.Name); fd != nil {
				projectInto(out, m, fd.SelectionSet, frags)
			}
		}
	}
}
