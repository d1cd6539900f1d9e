package configs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// String formats p as "file:line:col" (the form editors jump to).
func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsZero reports whether p names no position.
func (p Pos) IsZero() bool { return p == Pos{} }

func comparePos(a, b Pos) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}

// Problem is one thing wrong with the configuration, written for the person
// who edits the YAML.
type Problem struct {
	Pos     Pos
	Message string
}

// String formats the problem as "file:line:col: message".
func (p Problem) String() string { return p.Pos.String() + ": " + p.Message }

// Problems is every problem found in one load, sorted by position. Load
// returns it as its error; use errors.As to get the list.
type Problems struct {
	List []Problem
}

// Error joins the problems one per line as "file:line:col: message".
func (p *Problems) Error() string {
	lines := make([]string, len(p.List))
	for i, q := range p.List {
		lines[i] = q.String()
	}
	return strings.Join(lines, "\n")
}

// add records a problem at pos.
func (p *Problems) add(pos Pos, format string, args ...any) {
	p.List = append(p.List, Problem{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// sort orders the problems by file, line, column and message and drops exact
// duplicates.
func (p *Problems) sort() {
	slices.SortStableFunc(p.List, func(a, b Problem) int {
		return cmp.Or(comparePos(a.Pos, b.Pos), cmp.Compare(a.Message, b.Message))
	})
	p.List = slices.Compact(p.List)
}
