// Package links reads conversions reported by affiliate and link platforms
// (a conversion id, the creator's handle or tracking link, the order id when
// known, an amount, a currency and a time) from CSV or JSON, reporting each
// malformed row with its number and reason, and receives them over an
// authenticated HTTP endpoint. It speaks ads.LinkConversion and stores
// through a LinkSink the caller provides.
package links

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roasd/roasd/ads"
)

// DefaultSource names conversions whose source was not given.
const DefaultSource = "links"

// RowError is one rejected row: its 1-based row number (the line in a CSV
// file, whose header is row 1; the position in a JSON array) and why.
type RowError struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// Error formats the row error as "row N: reason".
func (e RowError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, e.Reason) }

// Column names, with the aliases accepted for each (case-insensitive).
var columns = map[string][]string{
	"conversion_id": {"conversion_id", "conversion", "id"},
	"creator":       {"creator", "creator_handle", "handle"},
	"link":          {"link", "tracking_link", "url"},
	"order_id":      {"order_id", "order"},
	"amount":        {"amount", "revenue", "sale_amount"},
	"currency":      {"currency"},
	"time":          {"time", "at", "timestamp", "date", "converted_at"},
	"source":        {"source"},
	"brand":         {"brand"},
	"shop":          {"shop", "shop_domain", "store"},
}

// Owner attributes a conversion to the brand that owns it, setting
// c.Brand (from c.Brand or c.Shop as the source gave them, else from the
// creator), or says why it cannot: such a row is refused, never counted
// for every brand the creator works with.
type Owner func(c *ads.LinkConversion) error

func canonical(name string) string {
	n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
	for c, aliases := range columns {
		for _, a := range aliases {
			if n == a {
				return c
			}
		}
	}
	return ""
}

// record is one row's fields by canonical column name.
type record map[string]string

// parseTime accepts RFC 3339 or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q is neither RFC 3339 nor YYYY-MM-DD", s)
}

// convert validates one row.
func convert(r record, source string) (ads.LinkConversion, error) {
	c := ads.LinkConversion{ID: r["conversion_id"], Source: source, Creator: strings.TrimPrefix(r["creator"], "@"),
		Link: r["link"], OrderID: r["order_id"], Currency: strings.ToUpper(r["currency"]), Brand: r["brand"], Shop: strings.ToLower(r["shop"])}
	if s := r["source"]; s != "" {
		c.Source = s
	}
	// PostgreSQL refuses NUL in text; no field may hold it.
	for _, f := range []struct{ name, v string }{{"conversion_id", c.ID}, {"source", c.Source}, {"creator", c.Creator},
		{"link", c.Link}, {"order_id", c.OrderID}, {"currency", c.Currency}, {"brand", c.Brand}, {"shop", c.Shop}} {
		if strings.IndexByte(f.v, 0) >= 0 || !utf8.ValidString(f.v) {
			return c, fmt.Errorf("%s holds a NUL byte or invalid UTF-8", f.name)
		}
	}
	if c.ID == "" {
		return c, errors.New("conversion_id is empty")
	}
	if c.Creator == "" && c.Link == "" {
		return c, errors.New("neither creator nor link is set")
	}
	if r["amount"] == "" {
		return c, errors.New("amount is empty")
	}
	amt, err := ads.ParseMicros(r["amount"])
	if err != nil {
		return c, err
	}
	if amt < 0 {
		return c, fmt.Errorf("amount %s is negative", r["amount"])
	}
	c.Amount = amt
	if len(c.Currency) != 3 || strings.Trim(c.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return c, fmt.Errorf("currency %q is not an ISO 4217 code", r["currency"])
	}
	if r["time"] == "" {
		return c, errors.New("time is empty")
	}
	if c.At, err = parseTime(r["time"]); err != nil {
		return c, err
	}
	return c, nil
}

// collector validates rows and rejects repeated conversion ids.
type collector struct {
	source string
	owner  Owner
	seen   map[string]int
	out    []ads.LinkConversion
	errs   []RowError
}

func newCollector(source string) *collector {
	if source == "" {
		source = DefaultSource
	}
	return &collector{source: source, seen: map[string]int{}}
}

func (c *collector) add(row int, r record) {
	lc, err := convert(r, c.source)
	if err == nil && c.owner != nil {
		err = c.owner(&lc)
	}
	if err != nil {
		c.errs = append(c.errs, RowError{Row: row, Reason: err.Error()})
		return
	}
	key := lc.Source + "\x00" + lc.ID
	if first, ok := c.seen[key]; ok {
		c.errs = append(c.errs, RowError{Row: row, Reason: fmt.Sprintf("duplicate conversion_id %q (first on row %d)", lc.ID, first)})
		return
	}
	c.seen[key] = row
	c.out = append(c.out, lc)
}

// ParseCSV reads conversions from CSV (separated by commas, semicolons or
// tabs, as the header line shows) with a header row naming the columns
// conversion_id, creator, link, order_id, amount, currency and time (RFC
// 3339 or YYYY-MM-DD), plus an optional per-row source; other columns are
// ignored. source (DefaultSource when empty) names the platform. Valid rows
// are returned; each invalid row is reported with its line number.
func ParseCSV(r io.Reader, source string) ([]ads.LinkConversion, []RowError) {
	return ParseCSVOwned(r, source, nil)
}

// ParseCSVOwned is ParseCSV that also attributes each row to its owner
// brand (optional columns brand and shop), refusing the rows owner cannot
// attribute. A nil owner attributes nothing.
func ParseCSVOwned(r io.Reader, source string, owner Owner) ([]ads.LinkConversion, []RowError) {
	br := bufio.NewReader(r)
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, []RowError{{Row: 1, Reason: "empty file: want a header row"}}
	}
	if err != nil {
		return nil, []RowError{{Row: 1, Reason: "reading header: " + err.Error()}}
	}
	idx := map[string]int{}
	for i, h := range header {
		if c := canonical(h); c != "" {
			if _, dup := idx[c]; dup {
				return nil, []RowError{{Row: 1, Reason: fmt.Sprintf("column %s appears twice", c)}}
			}
			idx[c] = i
		}
	}
	var missing []string
	for _, c := range []string{"conversion_id", "amount", "currency", "time"} {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	_, hasCreator := idx["creator"]
	_, hasLink := idx["link"]
	if !hasCreator && !hasLink {
		missing = append(missing, "creator or link")
	}
	if len(missing) > 0 {
		reason := "header lacks column " + strings.Join(missing, ", ")
		if len(header) == 1 {
			reason += fmt.Sprintf(" (the header is one column %q: separate columns with a comma, a semicolon or a tab)", header[0])
		}
		return nil, []RowError{{Row: 1, Reason: reason}}
	}
	col := newCollector(source)
	col.owner = owner
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				col.errs = append(col.errs, RowError{Row: pe.StartLine, Reason: pe.Err.Error()})
				continue
			}
			col.errs = append(col.errs, RowError{Row: line, Reason: err.Error()})
			break
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // blank line
		}
		rec := record{}
		for c, i := range idx {
			if i < len(fields) {
				rec[c] = strings.TrimSpace(fields[i])
			}
		}
		col.add(line, rec)
	}
	return col.out, col.errs
}

// delimiters are the column separators a CSV file may use, in order of
// preference: spreadsheets in many locales export ';', and tools "CSV"
// that is tab-separated.
var delimiters = []rune{',', ';', '\t'}

// sniffDelimiter picks the separator of the header line (peeked, not
// consumed): the one of delimiters that occurs most often outside quotes,
// ',' when none does.
func sniffDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(64 << 10)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	best, most := ',', 0
	for _, d := range delimiters {
		n, quoted := 0, false
		for _, c := range string(head) {
			switch {
			case c == '"':
				quoted = !quoted
			case c == d && !quoted:
				n++
			}
		}
		if n > most {
			best, most = d, n
		}
	}
	return best
}

// ParseJSON reads conversions from a JSON array of objects, or an object
// whose "conversions" member is that array, with the same fields as
// ParseCSV (amount may be a JSON string or number; it is read as a decimal,
// never a float). Rows are numbered from 1 in array order.
func ParseJSON(r io.Reader, source string) ([]ads.LinkConversion, []RowError) {
	return ParseJSONOwned(r, source, nil)
}

// ParseJSONOwned is ParseJSON that also attributes each row to its owner
// brand (optional fields brand and shop), refusing the rows owner cannot
// attribute. A nil owner attributes nothing.
func ParseJSONOwned(r io.Reader, source string, owner Owner) ([]ads.LinkConversion, []RowError) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, []RowError{{Row: 0, Reason: "decoding JSON: " + err.Error()}}
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		var env struct {
			Source      string            `json:"source"`
			Conversions []json.RawMessage `json:"conversions"`
		}
		if err := json.Unmarshal(raw, &env); err != nil || env.Conversions == nil {
			return nil, []RowError{{Row: 0, Reason: "want a JSON array of conversions or {\"conversions\": [...]}"}}
		}
		rows = env.Conversions
		if source == "" {
			source = env.Source
		}
	}
	col := newCollector(source)
	col.owner = owner
	for i, rr := range rows {
		row := i + 1
		d := json.NewDecoder(strings.NewReader(string(rr)))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil || m == nil {
			col.errs = append(col.errs, RowError{Row: row, Reason: "not a JSON object"})
			continue
		}
		rec := record{}
		var bad string
		for k, v := range m {
			c := canonical(k)
			if c == "" {
				continue
			}
			switch v := v.(type) {
			case string:
				rec[c] = strings.TrimSpace(v)
			case json.Number:
				rec[c] = v.String()
			case nil:
			default:
				bad = fmt.Sprintf("%s must be a string or number", k)
			}
		}
		if bad != "" {
			col.errs = append(col.errs, RowError{Row: row, Reason: bad})
			continue
		}
		col.add(row, rec)
	}
	return col.out, col.errs
}
