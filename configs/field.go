package configs

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The schema of a configuration file is written once, in decode.go: each
// kind of YAML mapping is a fieldSet, its fields in the order the docs
// list them, and each field says its key, whether it is required and how
// its value decodes. That one list gives the keys an unknown-key message
// allows and suggests, the required keys, and the decoding; the types in
// schema.go carry no tags.

// field is one key of a YAML mapping that decodes into a T.
type field[T any] struct {
	key string
	// required reports whether a mapping without the key is a problem.
	required bool
	// decode decodes the key's value v (never null) into obj; k is the
	// key's node, k.Value the key.
	decode func(l *loader, obj T, k, v *yaml.Node)
}

// fieldSet is the schema of one kind of mapping: what messages call it,
// and its fields.
type fieldSet[T any] struct {
	what   string
	fields []field[T]
}

// keys lists the set's keys in schema order.
func (s *fieldSet[T]) keys() []string {
	out := make([]string, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.key
	}
	return out
}

// decodeInto decodes mapping n into obj by s. It reports an unknown key
// (naming the nearest allowed key when one is close), skips keys already
// reported as secrets, treats a null value as absent and reports each
// required key that is missing. It reports whether n is a mapping.
func decodeInto[T any](l *loader, n *yaml.Node, s *fieldSet[T], obj T) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s: want a mapping, got %s", s.what, describe(n))
		return false
	}
	seen := map[string]bool{}
	for _, p := range l.pairs(n) {
		key := p.k.Value
		if l.secrets[p.k] {
			continue // already reported as a secret
		}
		i := slices.IndexFunc(s.fields, func(f field[T]) bool { return f.key == key })
		if i < 0 {
			allowed := s.keys()
			if near := Nearest(key, allowed); near != "" {
				l.errorf(p.k, "unknown key %q in %s: did you mean %q? (allowed: %s)", key, s.what, near, strings.Join(allowed, ", "))
			} else {
				l.errorf(p.k, "unknown key %q in %s (allowed: %s)", key, s.what, strings.Join(allowed, ", "))
			}
			continue
		}
		v := resolve(p.v)
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			continue
		}
		seen[key] = true
		s.fields[i].decode(l, obj, p.k, v)
	}
	for _, f := range s.fields {
		if f.required && !seen[f.key] {
			l.errorf(n, "%s is missing required key %q", s.what, f.key)
		}
	}
	return true
}

// text decodes a string field and hands it to set. When valid is not nil
// and rejects the string, it reports "key: " + bad (bad formats the
// string) and still hands the string on, so later checks see what was
// written.
func text[T any](valid func(string) bool, bad string, set func(l *loader, obj T, s string, v *yaml.Node)) func(*loader, T, *yaml.Node, *yaml.Node) {
	return func(l *loader, obj T, k, v *yaml.Node) {
		s, ok := l.str(k.Value, v)
		if !ok {
			return
		}
		if valid != nil && !valid(s) {
			l.errorf(v, "%s: "+bad, k.Value, s)
		}
		set(l, obj, s, v)
	}
}

// items decodes each item of a list field with one.
func items[T any](one func(l *loader, obj T, n *yaml.Node)) func(*loader, T, *yaml.Node, *yaml.Node) {
	return func(l *loader, obj T, k, v *yaml.Node) {
		for _, n := range l.list(k.Value, v) {
			one(l, obj, n)
		}
	}
}
