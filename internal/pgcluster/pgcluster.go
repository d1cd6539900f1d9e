// Package pgcluster starts and stops a private PostgreSQL cluster from the
// local server binaries (initdb, pg_ctl): the throwaway database behind tests
// and `roasd demo`. When running as root it runs the server as the
// unprivileged "postgres" user, because initdb refuses root.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	// Dir holds the data directory and the socket.
	Dir  string
	Port int
	// owned reports whether Stop should remove Dir.
	owned bool
	bin   string
	cred  *syscall.Credential
}

// Start initialises a cluster in a new temporary directory and starts it on
// 127.0.0.1 at a free port with trust authentication for user "postgres".
func Start(ctx context.Context) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "roasd-pg-")
	if err != nil {
		return nil, fmt.Errorf("creating cluster dir: %w", err)
	}
	c, err := start(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.owned = true
	return c, nil
}

// BinDir finds the directory holding initdb and pg_ctl: $PG_BINDIR, then
// PATH, then /usr/lib/postgresql/<newest>/bin.
func BinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		d := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	return "", errors.New("postgresql server binaries (initdb, pg_ctl) not found: install the postgresql package or set PG_BINDIR or DATABASE_URL")
}

func start(ctx context.Context, dir string) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the unprivileged postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, fmt.Errorf("handing %s to postgres: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB", port, dir)
		out, err := c.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			c.Port = port
			return c, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %w: %s %s", err, out, lastLines(string(log), 5))
		if !strings.Contains(string(log), "in use") {
			break
		}
	}
	return nil, lastErr
}

// URL is a lib/pq connection string for database db on this cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// Stop shuts the server down immediately and removes its directory if
// Start created it.
func (c *Cluster) Stop() error {
	_, err := c.run(context.Background(), "pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop")
	if c.owned {
		if rerr := os.RemoveAll(c.Dir); err == nil {
			err = rerr
		}
	}
	return err
}

// run runs a PostgreSQL tool as the cluster's user. The tool is not tied to
// ctx's cancellation (the server must outlive a cancelled caller and must not
// get the terminal's SIGINT before we stop it), but ctx bounds the wait.
func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return buf.String(), err
	case <-ctx.Done():
	case <-time.After(2 * time.Minute):
	}
	cmd.Process.Kill()
	<-done
	return buf.String(), fmt.Errorf("%s did not finish in time", name)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
