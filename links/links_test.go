package links_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/internal/pgtest"
	"github.com/roasd/roasd/internal/storetest"
	"github.com/roasd/roasd/links"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var at = time.Date(2026, 6, 3, 14, 5, 0, 0, time.UTC)

func conv(id, creator, link, order, amount string, t time.Time) ads.LinkConversion {
	return ads.LinkConversion{ID: id, Source: "impact", Creator: creator, Link: link, OrderID: order,
		Amount: ads.MustMicros(amount), Currency: "USD", At: t}
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     []ads.LinkConversion
		wantErrs []links.RowError
	}{
		{
			name: "valid rows, aliases, extra columns, date-only time",
			in: "Conversion_ID,creator_handle,tracking_link,order_id,amount,currency,time,campaign\n" +
				"c1,@jacqueline,,#1001,49.90,usd,2026-06-03T10:05:00-04:00,x\n" +
				"c2,,https://glowco.com/?utm_source=jacqueline,,12,USD,2026-06-03,y\n",
			want: []ads.LinkConversion{conv("c1", "jacqueline", "", "#1001", "49.90", at),
				conv("c2", "", "https://glowco.com/?utm_source=jacqueline", "", "12", time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC))},
		},
		{
			name: "malformed rows are reported by line, valid rows kept",
			in: "conversion_id,creator,link,order_id,amount,currency,time\n" +
				"c1,jacq,,,10.00,USD,2026-06-03T14:05:00Z\n" +
				",jacq,,,10.00,USD,2026-06-03T14:05:00Z\n" +
				"c3,,,,10.00,USD,2026-06-03T14:05:00Z\n" +
				"c4,jacq,,,ten,USD,2026-06-03T14:05:00Z\n" +
				"c5,jacq,,,10.1234567,USD,2026-06-03T14:05:00Z\n" +
				"c6,jacq,,,-3,USD,2026-06-03T14:05:00Z\n" +
				"c7,jacq,,,10,dollars,2026-06-03T14:05:00Z\n" +
				"c8,jacq,,,10,USD,yesterday\n" +
				"c1,jacq,,,10.00,USD,2026-06-03T14:05:00Z\n" +
				"\n" +
				"c9,jacq,,,\"7.50\",USD,2026-06-03T14:05:00Z\n",
			want: []ads.LinkConversion{conv("c1", "jacq", "", "", "10", at), conv("c9", "jacq", "", "", "7.50", at)},
			wantErrs: []links.RowError{
				{Row: 3, Reason: "conversion_id is empty"},
				{Row: 4, Reason: "neither creator nor link is set"},
				{Row: 5, Reason: `parsing amount "ten": not a decimal number`},
				{Row: 6, Reason: `parsing amount "10.1234567": more than 6 decimal places`},
				{Row: 7, Reason: "amount -3 is negative"},
				{Row: 8, Reason: `currency "dollars" is not an ISO 4217 code`},
				{Row: 9, Reason: `time "yesterday" is neither RFC 3339 nor YYYY-MM-DD`},
				{Row: 10, Reason: `duplicate conversion_id "c1" (first on row 2)`},
			},
		},
		{
			name:     "missing columns",
			in:       "id,creator,amount\nc1,jacq,10\n",
			wantErrs: []links.RowError{{Row: 1, Reason: "header lacks column currency, time"}},
		},
		{
			name: "semicolon-separated (a spreadsheet's CSV in many locales)",
			in: "conversion_id;creator;amount;currency;time\n" +
				"c1;jacq;\"10.00\";USD;2026-06-03T14:05:00Z\n",
			want: []ads.LinkConversion{conv("c1", "jacq", "", "", "10", at)},
		},
		{
			name: "tab-separated, a comma inside a field",
			in: "conversion_id\tcreator\tamount\tcurrency\ttime\tnote\n" +
				"c1\tjacq\t10\tUSD\t2026-06-03T14:05:00Z\tred, large\n",
			want: []ads.LinkConversion{conv("c1", "jacq", "", "", "10", at)},
		},
		{
			name: "an unknown separator says which ones are expected",
			in:   "conversion_id|creator|amount|currency|time\nc1|jacq|10|USD|2026-06-03\n",
			wantErrs: []links.RowError{{Row: 1, Reason: `header lacks column conversion_id, amount, currency, time, creator or link ` +
				`(the header is one column "conversion_id|creator|amount|currency|time": separate columns with a comma, a semicolon or a tab)`}},
		},
		{
			name:     "empty file",
			in:       "",
			wantErrs: []links.RowError{{Row: 1, Reason: "empty file: want a header row"}},
		},
		{
			name: "broken quoting is reported and parsing goes on",
			in: "conversion_id,creator,amount,currency,time\n" +
				"c1,\"jac\"q,10,USD,2026-06-03T14:05:00Z\n" +
				"c2,jacq,10,USD,2026-06-03T14:05:00Z\n",
			want:     []ads.LinkConversion{conv("c2", "jacq", "", "", "10", at)},
			wantErrs: []links.RowError{{Row: 2, Reason: `extraneous or missing " in quoted-field`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, errs := links.ParseCSV(strings.NewReader(tc.in), "impact")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("conversions:\n got %+v\nwant %+v", got, tc.want)
			}
			if !reflect.DeepEqual(errs, tc.wantErrs) {
				t.Errorf("row errors:\n got %+v\nwant %+v", errs, tc.wantErrs)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		source   string
		want     []ads.LinkConversion
		wantErrs []links.RowError
	}{
		{
			name:   "array with numbers and strings",
			in:     `[{"conversion_id":"c1","creator":"jacq","amount":10,"currency":"USD","time":"2026-06-03T14:05:00Z"},{"id":"c2","link":"https://x/?utm_source=j","amount":"0.10","currency":"USD","at":"2026-06-03T14:05:00Z","order_id":"gid://shopify/Order/1"}]`,
			source: "impact",
			want:   []ads.LinkConversion{conv("c1", "jacq", "", "", "10", at), conv("c2", "", "https://x/?utm_source=j", "gid://shopify/Order/1", "0.10", at)},
		},
		{
			name: "envelope names the source; bad rows reported by position",
			in:   `{"source":"impact","conversions":[{"conversion_id":"c1","creator":"jacq","amount":1e3,"currency":"USD","time":"2026-06-03T14:05:00Z"},7,{"conversion_id":"c3","creator":{"h":1},"amount":"1","currency":"USD","time":"2026-06-03T14:05:00Z"},{"conversion_id":"c4","creator":"jacq","amount":"1","currency":"USD","time":"2026-06-03T14:05:00Z"}]}`,
			want: []ads.LinkConversion{conv("c4", "jacq", "", "", "1", at)},
			wantErrs: []links.RowError{{Row: 1, Reason: `parsing amount "1e3": not a decimal number`}, {Row: 2, Reason: "not a JSON object"},
				{Row: 3, Reason: "creator must be a string or number"}},
		},
		{
			name:     "not the expected shape",
			in:       `{"rows":[]}`,
			wantErrs: []links.RowError{{Row: 0, Reason: `want a JSON array of conversions or {"conversions": [...]}`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, errs := links.ParseJSON(strings.NewReader(tc.in), tc.source)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("conversions:\n got %+v\nwant %+v", got, tc.want)
			}
			if !reflect.DeepEqual(errs, tc.wantErrs) {
				t.Errorf("row errors:\n got %+v\nwant %+v", errs, tc.wantErrs)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	const token = "roasd-api-token"
	srv := httptest.NewServer(links.Handler(token, db, nil, nil))
	t.Cleanup(srv.Close)
	body := `[{"conversion_id":"c1","creator":"jacq","amount":"10","currency":"USD","time":"2026-06-03T14:05:00Z"},
		{"conversion_id":"c2","creator":"","amount":"10","currency":"USD","time":"2026-06-03T14:05:00Z"}]`
	tests := []struct {
		name   string
		method string
		auth   string
		body   string
		status int
		want   *links.Response
	}{
		{"no token", "POST", "", body, 401, nil},
		{"wrong token", "POST", "Bearer nope", body, 401, nil},
		{"token without Bearer", "POST", token, body, 401, nil},
		{"GET", "GET", "Bearer " + token, "", 405, nil},
		{"not JSON", "POST", "Bearer " + token, "c1,jacq", 400, nil},
		{"valid rows land, bad rows listed", "POST", "Bearer " + token, body, 200,
			&links.Response{Accepted: 1, Changed: 1, Rejected: []links.RowError{{Row: 2, Reason: "neither creator nor link is set"}}}},
		{"resend is a no-op", "POST", "Bearer " + token, body, 200,
			&links.Response{Accepted: 1, Changed: 0, Rejected: []links.RowError{{Row: 2, Reason: "neither creator nor link is set"}}}},
		// PostgreSQL refuses NUL in text: such a row is the sender's error
		// (it answered 500), and the rest of the batch still lands.
		{"NUL byte in a field", "POST", "Bearer " + token, `[{"conversion_id":"c\u00003","creator":"jacq","amount":"1","currency":"USD","time":"2026-06-03T14:05:00Z"},{"conversion_id":"c4","creator":"ja\u0000cq","amount":"1","currency":"USD","time":"2026-06-03T14:05:00Z"}]`, 200,
			&links.Response{Accepted: 0, Changed: 0, Rejected: []links.RowError{{Row: 1, Reason: "conversion_id holds a NUL byte or invalid UTF-8"}, {Row: 2, Reason: "creator holds a NUL byte or invalid UTF-8"}}}},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+"/any/path?source=impact", bytes.NewReader([]byte(tc.body)))
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got links.Response
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if tc.want != nil && !reflect.DeepEqual(got, *tc.want) {
			t.Errorf("%s: response %+v, want %+v", tc.name, got, *tc.want)
		}
	}
	stored, err := db.LinkConversions(ctx, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []ads.LinkConversion{conv("c1", "jacq", "", "", "10", at)}; !reflect.DeepEqual(stored, want) {
		t.Errorf("stored %+v, want %+v", stored, want)
	}
	// An empty configured token refuses everything.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer ")
	links.Handler("", db, nil, nil).ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("empty token: status %d, want 401", rec.Code)
	}
}

// TestHandlerRefusesUnattributable: a posted conversion the owner cannot
// attribute to one brand is rejected with the reason, never stored; the
// "brand" parameter is the default for rows naming none.
func TestHandlerRefusesUnattributable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	owner := func(def string) links.Owner {
		return func(c *ads.LinkConversion) error {
			switch {
			case c.Brand != "":
			case def != "":
				c.Brand = def
			default:
				return errors.New("jacq works for glowco and lunaskin")
			}
			return nil
		}
	}
	srv := httptest.NewServer(links.Handler("tok", db, owner, nil))
	t.Cleanup(srv.Close)
	post := func(query, body string) links.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+query, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r links.Response
		json.NewDecoder(resp.Body).Decode(&r)
		return r
	}
	body := `[{"conversion_id":"c1","creator":"jacq","amount":"10","currency":"USD","time":"2026-06-03"},
		{"conversion_id":"c2","creator":"jacq","brand":"lunaskin","amount":"10","currency":"USD","time":"2026-06-03"}]`
	if r := post("", body); r.Accepted != 1 || len(r.Rejected) != 1 || !strings.Contains(r.Rejected[0].Reason, "works for glowco and lunaskin") {
		t.Errorf("without a brand: %+v, want c2 accepted and c1 rejected", r)
	}
	if r := post("?brand=glowco", body); r.Accepted != 2 || len(r.Rejected) != 0 {
		t.Errorf("with brand=glowco: %+v, want both accepted", r)
	}
	for brand, want := range map[string]string{"glowco": "c1", "lunaskin": "c2"} {
		got, err := db.LinkConversions(ctx, brand, time.Time{}, time.Time{})
		if err != nil || len(got) != 1 || got[0].ID != want {
			t.Errorf("%s's conversions = %+v (%v), want only %s", brand, got, err, want)
		}
	}
}
