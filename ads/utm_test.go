package ads_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/roasd/roasd/ads"
)

// TestParseUTMCorpus parses the messy landing URLs of
// testdata/landing_urls.tsv: a stray "%", a ";" separator, upper-case
// keys, HTML-escaped ampersands, a second "?" and malformed escapes must
// not cost the other parameters their values.
func TestParseUTMCorpus(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/landing_urls.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || strings.TrimSpace(text) == "" {
			continue
		}
		fs := strings.Split(text, "\t")
		if len(fs) != 6 {
			t.Fatalf("landing_urls.tsv:%d: %d fields, want 6", line, len(fs))
		}
		for i, v := range fs {
			if v == "-" {
				fs[i] = ""
			}
		}
		want := ads.UTM{Source: fs[1], Medium: fs[2], Campaign: fs[3], Content: fs[4], Term: fs[5]}
		t.Run(fs[0], func(t *testing.T) {
			if got := ads.ParseUTM(fs[0]); got != want {
				t.Errorf("landing_urls.tsv:%d: ParseUTM(%q) = %+v, want %+v", line, fs[0], got, want)
			}
		})
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("corpus has %d cases, want at least 20", n)
	}
}
