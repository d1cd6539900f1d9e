// Package pgtest gives tests real PostgreSQL databases: each test gets a
// fresh database cloned from a template that is built once, dropped when the
// test ends. The server is DATABASE_URL when set, otherwise one private
// cluster per test process started from the local binaries (pgcluster).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	_ "github.com/lib/pq" // PostgreSQL driver
	"go.uber.org/goleak"

	"github.com/roasd/roasd/internal/pgcluster"
)

// Template builds the schema every test database starts from.
type Template struct {
	// Name identifies the template; change it when Init changes (e.g. append
	// a hash of the migrations).
	Name string
	// Init prepares the template database at dsn (e.g. runs migrations).
	Init func(ctx context.Context, dsn string) error
}

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
	cluster    *pgcluster.Cluster

	tmplMu   sync.Mutex
	tmplDone = map[string]bool{}
)

// server returns the admin URL of the test server, starting a cluster on
// first use when DATABASE_URL is unset.
func server() (string, error) {
	serverOnce.Do(func() {
		if u := os.Getenv("DATABASE_URL"); u != "" {
			serverURL = u
			return
		}
		cluster, serverErr = pgcluster.Start(context.Background())
		if serverErr == nil {
			serverURL = cluster.URL("postgres")
		}
	})
	return serverURL, serverErr
}

// Main wraps testing.M.Run, stops the private cluster afterwards and, when
// the tests passed, fails the package if they left goroutines running
// (a leaked lane, ticker or server); call it from TestMain:
// os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		cluster.Stop()
	}
	if code == 0 {
		// Idle keep-alive connections of the shared transport are not
		// leaks of the code under test.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if err := goleak.Find(LeakOptions...); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests: %v\n", err)
			return 1
		}
	}
	return code
}

// LeakOptions are the goroutines Main's leak check ignores: ones the
// runtime or a library starts once per process and keeps by design.
var LeakOptions = []goleak.Option{
	// database/sql's opener lives as long as a *sql.DB a package keeps
	// for the whole run (pgtest's own admin handle is closed per call).
	goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	// slack-go's slacktest server queues every post for a websocket
	// client that tests never attach (notify's TestSlacktestContent).
	goleak.IgnoreTopFunction("github.com/slack-go/slack/slacktest.(*Server).queueForWebsocket"),
}

// withDB returns dsn with its database name replaced.
func withDB(dsn, db string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	u.Path = "/" + db
	return u.String(), nil
}

// DSN returns the connection string of a new database cloned from tmpl (or
// empty when tmpl is nil), dropped at the end of the test.
func DSN(t testing.TB, tmpl *Template) string {
	t.Helper()
	ctx := context.Background()
	admin, err := server()
	if err != nil {
		t.Fatalf("pgtest: starting PostgreSQL: %v", err)
	}
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer db.Close()
	from := "template0"
	if tmpl != nil {
		from, err = ensureTemplate(ctx, db, admin, tmpl)
		if err != nil {
			t.Fatalf("pgtest: building template %s: %v", tmpl.Name, err)
		}
	}
	name := "t_" + randHex(8)
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, from)); err != nil {
		t.Fatalf("pgtest: creating database: %v", err)
	}
	dsn, err := withDB(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("postgres", admin)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return dsn
}

// ensureTemplate creates the template database once per server, safe against
// concurrent test processes (advisory lock) and half-built templates (built
// under a temporary name, renamed when complete).
func ensureTemplate(ctx context.Context, db *sql.DB, admin string, tmpl *Template) (string, error) {
	name := "tmpl_" + sanitize(tmpl.Name)
	tmplMu.Lock()
	defer tmplMu.Unlock()
	if tmplDone[name] {
		return name, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(727274)`)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		tmp := name + "_building"
		conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, tmp))
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE template0`, tmp)); err != nil {
			return "", err
		}
		dsn, err := withDB(admin, tmp)
		if err != nil {
			return "", err
		}
		if err := tmpl.Init(ctx, dsn); err != nil {
			return "", err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, tmp, name)); err != nil {
			return "", fmt.Errorf("renaming template (is a connection to it still open?): %w", err)
		}
	}
	tmplDone[name] = true
	return name, nil
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
