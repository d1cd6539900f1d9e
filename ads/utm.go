package ads

import (
	"strings"
	"unicode/utf8"
)

// ParseUTM reads the utm_* parameters of a landing URL, a path with a
// query string, or a bare query string ("a=b&utm_content=x"), the way
// real landing pages need: each parameter is read on its own, so one
// malformed escape ("?promo=50%off") costs nothing but itself (an invalid
// "%" escape stays literal); "&", ";" and a stray second "?" separate
// parameters, so an HTML-escaped "&amp;" still works; keys match
// case-insensitively (UTM_CONTENT) and surrounding spaces are trimmed;
// "+" is a space; the fragment is ignored. When a key repeats, its first
// non-empty value wins.
func ParseUTM(s string) UTM {
	q := s
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	if i := strings.IndexByte(q, '?'); i >= 0 {
		q = q[i+1:]
	} else if strings.Contains(q, "/") && !strings.Contains(q, "=") {
		return UTM{} // a path without a query string
	}
	var u UTM
	for _, part := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' || r == '?' }) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		var dst *string
		switch strings.ToLower(strings.TrimSpace(unescapeLoose(k))) {
		case "utm_source":
			dst = &u.Source
		case "utm_medium":
			dst = &u.Medium
		case "utm_campaign":
			dst = &u.Campaign
		case "utm_content":
			dst = &u.Content
		case "utm_term":
			dst = &u.Term
		default:
			continue
		}
		if *dst == "" {
			*dst = strings.TrimSpace(unescapeLoose(v))
		}
	}
	return u
}

// unescapeLoose decodes a query component: "+" is a space and each valid
// %XX escape its byte; an invalid escape is kept as written, and so is
// %00 (PostgreSQL refuses NUL in text: one visitor's URL would stop the
// order from being stored), and bytes that do not form UTF-8 are
// replaced, so the result is always valid, storable text.
func unescapeLoose(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) && (s[i+1] != '0' || s[i+2] != '0'):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
