package configs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Nearest returns the word of allowed a mistyped key or command name most
// likely meant: the same letters ignoring case, '-' and '_', else the
// closest by edit distance (a swap of two neighbours counts as one edit)
// within 1 edit for words up to 4 letters and 2 for longer ones; "" when
// none is close or two are equally close.
func Nearest(key string, allowed []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	for _, a := range allowed {
		if norm(a) == norm(key) {
			return a
		}
	}
	limit := 2
	if len(key) <= 4 {
		limit = 1
	}
	best, bestD, tie := "", limit+1, false
	for _, a := range allowed {
		d := editDistance(strings.ToLower(key), a)
		switch {
		case d < bestD:
			best, bestD, tie = a, d, false
		case d == bestD:
			tie = true
		}
	}
	if best == "" || tie {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance of a and b:
// insertions, deletions, substitutions and swaps of adjacent letters.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

var dateShape = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)

// dateProblem says what is wrong with a date that does not parse: the
// part out of range when it has the YYYY-MM-DD shape ("month 13 is not
// 1–12"), else the format wanted.
func dateProblem(s string) string {
	m := dateShape.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "want YYYY-MM-DD"
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	switch {
	case mo < 1 || mo > 12:
		return fmt.Sprintf("month %d is not 1–12; want YYYY-MM-DD", mo)
	case len(m[2]) != 2 || len(m[3]) != 2:
		return fmt.Sprintf("want YYYY-MM-DD with two-digit month and day: %04d-%02d-%02d", y, mo, d)
	}
	last := time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d < 1 || d > last {
		return fmt.Sprintf("day %d is not 1–%d: %s %d has %d days", d, last, time.Month(mo), y, last)
	}
	return "want YYYY-MM-DD"
}

// syntaxSentence turns the YAML library's message about line into a plain
// sentence saying what is wrong with that line and how to fix it; lines
// are the file's lines. Messages it does not know are kept, prefixed
// "YAML syntax error".
func syntaxSentence(msg string, line int, lines []string) string {
	text := ""
	if line >= 1 && line <= len(lines) {
		text = strings.TrimRight(lines[line-1], "\r\n")
	}
	indent := len(text) - len(strings.TrimLeft(text, " "))
	switch {
	case strings.HasPrefix(strings.TrimLeft(text, " "), "\t") || (strings.Contains(msg, "cannot start any token") && strings.Contains(text, "\t")):
		return fmt.Sprintf("line %d is indented with a tab; YAML indents with spaces only (YAML syntax error: %s)", line, msg)
	case strings.Contains(msg, "did not find expected key"),
		strings.Contains(msg, "did not find expected '-' indicator"),
		strings.Contains(msg, "mapping values are not allowed in this context"),
		strings.Contains(msg, "block sequence entries are not allowed in this context"):
		want := siblingIndent(lines, line)
		if want >= 0 && want != indent {
			return fmt.Sprintf("line %d is indented by %d %s but the lines it belongs with by %d: indent it like them (YAML syntax error: %s)",
				line, indent, spaces(indent), want, msg)
		}
		return fmt.Sprintf("line %d does not line up with the lines around it: keys of one mapping, and items of one list, start in the same column (YAML syntax error: %s)", line, msg)
	}
	return "YAML syntax error: " + msg
}

// siblingIndent is the indentation of the nearest non-blank, non-comment
// line before line that is indented at least as far as the line, less
// one level: the column the misaligned line most likely belongs to (-1
// when unknown).
func siblingIndent(lines []string, line int) int {
	if line < 2 || line > len(lines) {
		return -1
	}
	self := lines[line-1]
	own := len(self) - len(strings.TrimLeft(self, " "))
	for k := line - 2; k >= 0; k-- {
		t := strings.TrimRight(lines[k], "\r\n")
		trimmed := strings.TrimLeft(t, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		ind := len(t) - len(trimmed)
		if strings.HasPrefix(trimmed, "- ") {
			ind += 2 // keys of a list item start after its dash
		}
		if ind != own {
			return ind
		}
		return -1
	}
	return -1
}

func spaces(n int) string {
	if n == 1 {
		return "space"
	}
	return "spaces"
}
