package reliability

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/shopify"
	"github.com/roasd/roasd/store"
)

// rowsIn counts the rows of the business tables and the sync state.
func rowsIn(t *testing.T, db *store.DB) int {
	t.Helper()
	total := 0
	for _, table := range append(append([]string{}, businessTables...), "sync_cursors", "shopify_webhooks", "accounts") {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

var filePos = regexp.MustCompile(`\.yaml:\d+:\d+`)

// TestMalformedYAML: every file of the corpus, put into an otherwise valid
// config directory, is refused by configs.Load and by `roasd run --once`
// with a file:line:col message, before anything is stored.
func TestMalformedYAML(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "yaml", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	r := newRig(t, "")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			dir := t.TempDir()
			entries, _ := os.ReadDir(r.config)
			for _, e := range entries {
				b, _ := os.ReadFile(filepath.Join(r.config, e.Name()))
				os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
			}
			bad, _ := os.ReadFile(f)
			os.WriteFile(filepath.Join(dir, "zz-"+filepath.Base(f)), bad, 0o644)
			if _, err := configs.Load(dir); err == nil {
				t.Fatal("configs.Load accepted it")
			} else if !filePos.MatchString(err.Error()) {
				t.Errorf("configs.Load's error has no file:line:col:\n%v", err)
			}
			cmd, out := r.command(t, context.Background())
			cmd.Args[4] = dir // --config
			err := cmd.Run()
			if err == nil {
				t.Fatalf("roasd run --once accepted it:\n%s", out)
			}
			if !strings.Contains(out.String(), "zz-"+filepath.Base(f)+":") {
				t.Errorf("the message does not name the file:\n%s", out)
			}
			if n := rowsIn(t, r.db); n != 0 {
				t.Errorf("%d rows stored by a run with a broken config", n)
			}
		})
	}
}

// TestMalformedWebhooks: signed but malformed order and refund payloads
// are answered 4xx and store nothing; a bad signature is 401.
func TestMalformedWebhooks(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	r := newRig(t, "")
	const secret = "whsec-reliability"
	srv := httptest.NewServer(shopify.WebhookHandler(secret, r.db, nil))
	defer srv.Close()
	sign := func(b []byte) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(b)
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	post := func(t *testing.T, topic string, body []byte, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-Shopify-Topic", topic)
		req.Header.Set("X-Shopify-Shop-Domain", "glowco.myshopify.com")
		req.Header.Set("X-Shopify-Webhook-Id", "wh-"+topic+"-"+sig[:8])
		req.Header.Set("X-Shopify-Hmac-Sha256", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, f := range files {
		body, _ := os.ReadFile(f)
		for _, topic := range []string{"orders/create", "orders/updated", "refunds/create"} {
			t.Run(filepath.Base(f)+" "+topic, func(t *testing.T) {
				if code := post(t, topic, body, sign(append(body, []byte(topic)...))); code != http.StatusUnauthorized {
					t.Errorf("bad signature: status %d, want 401", code)
				}
				if code := post(t, topic, body, sign(body)); code < 400 || code >= 500 {
					t.Errorf("signed malformed payload: status %d, want 4xx", code)
				}
			})
		}
	}
	if n := rowsIn(t, r.db); n != 0 {
		t.Errorf("%d rows stored from malformed webhooks", n)
	}
}
