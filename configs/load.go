package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/roasd/roasd/ads"

	// The brand's time zone must load on hosts without a zoneinfo database.
	_ "time/tzdata"
)

// srcFile is one configuration file's name (as shown in problems) and bytes.
type srcFile struct {
	name string
	data []byte
}

// isYAML reports whether name is a configuration file by its extension.
func isYAML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// Load reads the configuration at path: one YAML file, or every *.yaml and
// *.yml file directly inside a directory (sorted by name, not recursive).
// Files naming the same brand are merged. When the configuration is invalid
// the error is a *Problems listing every problem found, each with its
// file:line:col; other errors (a missing path, an unreadable file) are
// ordinary wrapped errors. It is LoadFS on the directory holding path,
// naming files as path does.
func Load(p string) (*Set, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("loading config: %w", err)
	}
	root, name := p, "."
	if !info.IsDir() {
		root, name = filepath.Dir(p), filepath.Base(p)
	}
	return loadFS(os.DirFS(root), name, func(n string) string { return filepath.Join(root, filepath.FromSlash(n)) })
}

// LoadFS is Load on a file system (e.g. Examples): dir names one file or a
// directory in fsys ("." for its root). Problems name files by their path in
// fsys.
func LoadFS(fsys fs.FS, dir string) (*Set, error) {
	return loadFS(fsys, dir, func(name string) string { return name })
}

// loadFS reads dir (a file or a directory) in fsys; shown turns a path in
// fsys into the name problems give the file.
func loadFS(fsys fs.FS, dir string, shown func(string) string) (*Set, error) {
	info, err := fs.Stat(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("loading config: %w", err)
	}
	if !info.IsDir() {
		data, err := fs.ReadFile(fsys, dir)
		if err != nil {
			return nil, fmt.Errorf("loading config %s: %w", shown(dir), err)
		}
		return load([]srcFile{{name: shown(dir), data: data}})
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("loading config %s: %w", shown(dir), err)
	}
	var files []srcFile
	for _, e := range entries {
		if e.IsDir() || !isYAML(e.Name()) {
			continue
		}
		name := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("loading config %s: %w", shown(name), err)
		}
		files = append(files, srcFile{name: shown(name), data: data})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("loading config %s: no .yaml or .yml files in the directory", shown(dir))
	}
	return load(files)
}

// fieldRef names one key of one decoded object, for positions the schema
// types do not carry.
type fieldRef struct {
	obj any
	key string
}

// loader decodes yaml.Nodes into the schema, collecting problems.
type loader struct {
	file    string
	probs   Problems
	brands  map[string]*Brand
	order   []*Brand
	at      map[fieldRef]Pos // where a field of a decoded object was written
	secrets map[*yaml.Node]bool
	files   []string
	// broken reports whether some file could not be parsed; checks that
	// need the whole configuration (references, required settings) are
	// then skipped rather than reported as noise.
	broken bool
	// daemon are the daemon settings read so far (see daemonDoc).
	daemon Daemon
}

func load(files []srcFile) (*Set, error) {
	l := &loader{
		brands:  map[string]*Brand{},
		at:      map[fieldRef]Pos{},
		secrets: map[*yaml.Node]bool{},
	}
	for _, f := range files {
		l.decodeFile(f)
	}
	for _, b := range l.order {
		l.finish(b)
	}
	l.checkAccounts(l.order)
	if len(l.order) == 0 && len(l.probs.List) == 0 {
		l.probs.add(Pos{File: files[0].name, Line: 1, Col: 1}, "no brand declared (start the file with brand: NAME)")
	}
	if len(l.probs.List) > 0 {
		l.probs.sort()
		return nil, &l.probs
	}
	set := &Set{Brands: slices.Clone(l.order), Files: l.files, Daemon: l.finishDaemon()}
	slices.SortFunc(set.Brands, func(a, b *Brand) int { return strings.Compare(a.Name, b.Name) })
	return set, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) decodeFile(f srcFile) {
	l.file = f.name
	l.files = append(l.files, f.name)
	dec := yaml.NewDecoder(bytes.NewReader(f.data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			at := syntaxPos(f, err)
			l.probs.add(at, "%s", syntaxSentence(syntaxMessage(err), at.Line, strings.SplitAfter(string(f.data), "\n")))
			l.broken = true
			return
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := resolve(doc.Content[0])
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			continue // an empty document
		}
		l.scanSecrets(root, "")
		l.decodeDoc(root)
	}
}

// pos is n's position in the current file.
func (l *loader) pos(n *yaml.Node) Pos { return Pos{File: l.file, Line: n.Line, Col: n.Column} }

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.probs.add(l.pos(n), format, args...)
}

// mark records where key of obj was written.
func (l *loader) mark(obj any, key string, n *yaml.Node) { l.at[fieldRef{obj, key}] = l.pos(n) }

// where returns where key of obj was written (zero if never).
func (l *loader) where(obj any, key string) Pos { return l.at[fieldRef{obj, key}] }

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe names a node's type for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "nothing"
	case "!!timestamp":
		return "a date"
	}
	return "a string"
}

type pair struct{ k, v *yaml.Node }

// pairs lists a mapping's key/value pairs with YAML merge keys (<<) expanded
// and duplicate keys reported.
func (l *loader) pairs(n *yaml.Node) []pair {
	var out, merged []pair
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			v = resolve(v)
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				if s = resolve(s); s.Kind != yaml.MappingNode {
					l.errorf(s, "<<: want a mapping to merge, got %s", describe(s))
					continue
				}
				merged = append(merged, l.pairs(s)...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, "keys must be plain strings, got %s", describe(k))
			continue
		}
		if f, dup := first[k.Value]; dup {
			l.errorf(k, "duplicate key %q (first at line %d)", k.Value, f.Line)
			continue
		}
		first[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, p := range merged {
		if _, ok := first[p.k.Value]; !ok {
			first[p.k.Value] = p.k
			out = append(out, p)
		}
	}
	return out
}

// str decodes a string. Integers and dates are taken as written, so ids need
// no quotes.
func (l *loader) str(key string, n *yaml.Node) (string, bool) {
	if l.secrets[n] {
		return "", false
	}
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str", "!!int", "!!timestamp":
			return n.Value, true
		case "!!float", "!!bool":
			l.errorf(n, "%s: want a string, got %s (quote it)", key, describe(n))
			return "", false
		}
	}
	l.errorf(n, "%s: want a string, got %s", key, describe(n))
	return "", false
}

// strs decodes a list of strings.
func (l *loader) strs(key string, n *yaml.Node) ([]string, []*yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "%s: want a list, got %s", key, describe(n))
		return nil, nil
	}
	var out []string
	var nodes []*yaml.Node
	for _, c := range n.Content {
		c = resolve(c)
		if s, ok := l.str(key, c); ok {
			out = append(out, s)
			nodes = append(nodes, c)
		}
	}
	return out, nodes
}

// list returns the items of a sequence.
func (l *loader) list(key string, n *yaml.Node) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "%s: want a list, got %s", key, describe(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

// integer decodes an int (32 bits); a whole number beyond that range, of
// any size, is reported as out of range.
func (l *loader) integer(key string, n *yaml.Node) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		v, err := strconv.ParseInt(n.Value, 0, 32)
		if err == nil {
			return int(v), true
		}
	}
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		if v, whole := new(big.Int).SetString(n.Value, 0); whole {
			bound := fmt.Sprintf("at most %d", math.MaxInt32)
			if v.Sign() < 0 {
				bound = fmt.Sprintf("at least %d", math.MinInt32)
			}
			l.errorf(n, "%s: %s is out of range (%s)", key, n.Value, bound)
			return 0, false
		}
	}
	l.errorf(n, "%s: want a whole number, got %s", key, describe(n))
	return 0, false
}

// number decodes a ratio such as a ROAS target (never money).
func (l *loader) number(key string, n *yaml.Node) (float64, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int", "!!float", "!!str":
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return f, true
			}
		}
	}
	l.errorf(n, "%s: want a number, got %s", key, describe(n))
	return 0, false
}

// money decodes an amount in micro-units from a quoted decimal string or an
// integer; YAML floats are refused because they are binary approximations.
func (l *loader) money(key string, n *yaml.Node) (int64, bool) {
	if l.secrets[n] {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!float":
			l.errorf(n, "%s: write money as a quoted decimal string like \"%s\", not a YAML number", key, n.Value)
			return 0, false
		case "!!str", "!!int":
			v, err := ads.ParseMicros(n.Value)
			if err != nil {
				l.errorf(n, "%s: bad amount %q (want a decimal like \"500.00\")", key, n.Value)
				return 0, false
			}
			return v, true
		}
	}
	l.errorf(n, "%s: want an amount like \"500.00\", got %s", key, describe(n))
	return 0, false
}

// rate decodes an exact decimal ratio; f is the same value for range checks.
// Negative values come back with ok true and a zero Rate so the caller can
// say what range it wants.
func (l *loader) rate(key string, n *yaml.Node) (r ads.Rate, f float64, ok bool) {
	if n.Kind != yaml.ScalarNode {
		l.errorf(n, "%s: want a decimal number, got %s", key, describe(n))
		return r, 0, false
	}
	tag := n.ShortTag()
	f, err := strconv.ParseFloat(n.Value, 64)
	if (tag != "!!str" && tag != "!!int" && tag != "!!float") || err != nil {
		l.errorf(n, "%s: want a decimal number, got %s", key, describe(n))
		return r, 0, false
	}
	if f < 0 {
		return r, f, true
	}
	if tag == "!!str" {
		r, err = ads.ParseRate(strings.TrimPrefix(n.Value, "+"))
	} else {
		r, err = ads.RateFromFloat(f)
	}
	if err != nil {
		l.errorf(n, "%s: bad decimal %q (at most 12 decimals)", key, n.Value)
		return r, f, false
	}
	return r, f, true
}

// date decodes a YYYY-MM-DD day.
func (l *loader) date(key string, n *yaml.Node) (ads.Date, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!timestamp", "!!str", "!!int":
			d, err := ads.ParseDate(n.Value)
			if err == nil {
				return d, true
			}
			l.errorf(n, "%s: bad date %q (%s)", key, n.Value, dateProblem(n.Value))
			return d, false
		}
	}
	l.errorf(n, "%s: want a date YYYY-MM-DD, got %s", key, describe(n))
	return ads.Date{}, false
}

var durationRE = regexp.MustCompile(`^(\d{1,4})([dw])$`)

// duration decodes a number of days written "14d" or "2w" (a bare integer is
// days).
func (l *loader) duration(key string, n *yaml.Node) (int, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int":
			if v, err := strconv.Atoi(n.Value); err == nil {
				return v, true
			}
		case "!!str":
			if m := durationRE.FindStringSubmatch(strings.TrimSpace(n.Value)); m != nil {
				v, _ := strconv.Atoi(m[1])
				if m[2] == "w" {
					v *= 7
				}
				return v, true
			}
		}
		l.errorf(n, "%s: bad duration %q (want days like \"14d\" or weeks like \"2w\")", key, n.Value)
		return 0, false
	}
	l.errorf(n, "%s: want a duration like \"14d\", got %s", key, describe(n))
	return 0, false
}

// syntaxMessage is a yaml.v3 error without its "yaml: line N:" prefix.
func syntaxMessage(err error) string {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return m[2]
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// syntaxPos locates a YAML syntax error. yaml.v3 reports the line where the
// enclosing block began, not where parsing failed, so this finds the first
// line whose prefix of the file fails with the same message and points at
// that line's first non-blank character; failing that, it uses yaml.v3's
// line.
func syntaxPos(f srcFile, err error) Pos {
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	lines := strings.SplitAfter(string(f.data), "\n")
	msg := syntaxMessage(err)
	if len(lines) <= 2000 {
		for k := 1; k <= len(lines); k++ {
			if perr := parseAll([]byte(strings.Join(lines[:k], ""))); perr != nil && syntaxMessage(perr) == msg {
				line = k
				break
			}
		}
	}
	col := 1
	if line <= len(lines) {
		col = len(lines[line-1]) - len(strings.TrimLeft(lines[line-1], " ")) + 1
	}
	return Pos{File: f.name, Line: line, Col: col}
}

// parseAll parses every document in data and returns the first error.
func parseAll(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
