// Package web is roasd's HTTP server: health and readiness probes,
// Prometheus metrics, the finance report API, webhook receivers and the
// dashboard. It binds its port before serving, so ":0" works in tests.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Server timeout defaults (Options.Timeouts fields left zero).
const (
	// DefaultHeaderTimeout bounds the time a client takes to send a
	// request's headers.
	DefaultHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds the time a client takes to send a whole
	// request; guarded webhook bodies have their own, shorter bound.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds the time from the end of the request's
	// headers to the end of the response.
	DefaultWriteTimeout = 2 * time.Minute
	// DefaultIdleTimeout is how long an idle keep-alive connection stays
	// open.
	DefaultIdleTimeout = 60 * time.Second
)

// Timeouts are the server's connection timeouts; zero fields take the
// defaults above.
type Timeouts struct {
	Header, Read, Write, Idle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&t.Header, DefaultHeaderTimeout}, {&t.Read, DefaultReadTimeout}, {&t.Write, DefaultWriteTimeout}, {&t.Idle, DefaultIdleTimeout}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	return t
}

// Options configures a Server.
type Options struct {
	// Addr is the listen address, e.g. "127.0.0.1:8080" or ":0".
	Addr string
	// Probes reports whether the server answers /healthz and /readyz.
	Probes bool
	// Ready reports whether the daemon can serve (database reachable, a
	// good config loaded); nil means always ready. Its error is logged,
	// never shown: /readyz answers only "not ready".
	Ready func(ctx context.Context) error
	// Details, when set, adds lines to /readyz after the verdict (e.g. the
	// platform tokens' expiry); they must hold no secret.
	Details func(ctx context.Context) []string
	// Metrics serves /metrics (e.g. promhttp.HandlerFor); nil omits it.
	Metrics http.Handler
	// Routes maps ServeMux patterns ("POST /webhooks/shopify",
	// "/api/v1/report") to handlers.
	Routes map[string]http.Handler
	// Timeouts bound slow clients and idle connections.
	Timeouts Timeouts
	Log      *slog.Logger
}

// Server is a bound, not yet serving, HTTP server.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// New binds o.Addr and prepares the routes. Every request whose path or
// query is malformed (a bad %-escape, a NUL byte, invalid UTF-8) is
// answered 400 before it reaches a route.
func New(o Options) (*Server, error) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	if o.Probes {
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintln(w, "ok")
		})
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			if o.Ready != nil {
				ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
				defer cancel()
				if err := o.Ready(ctx); err != nil {
					// The cause may name the database's host and port:
					// it goes to the log only.
					log.Warn("not ready", "err", err)
					w.WriteHeader(http.StatusServiceUnavailable)
					fmt.Fprintln(w, "not ready (the daemon's log says why)")
					return
				}
			}
			fmt.Fprintln(w, "ready")
			if o.Details != nil {
				ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
				defer cancel()
				for _, line := range o.Details(ctx) {
					fmt.Fprintln(w, line)
				}
			}
		})
	}
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	for pattern, h := range o.Routes {
		mux.Handle(pattern, h)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", o.Addr, err)
	}
	t := o.Timeouts.withDefaults()
	return &Server{
		ln: ln,
		srv: &http.Server{
			Handler:           rejectBadInput(mux),
			ReadHeaderTimeout: t.Header,
			ReadTimeout:       t.Read,
			WriteTimeout:      t.Write,
			IdleTimeout:       t.Idle,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}, nil
}

// rejectBadInput answers 400 to a request whose path or query holds a
// NUL byte or invalid UTF-8, or whose query has a malformed %-escape:
// PostgreSQL refuses NUL in text, and no route takes such input.
func rejectBadInput(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := badInput(r.URL); msg != "" {
			http.Error(w, "bad request: "+msg, http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func badInput(u *url.URL) string {
	if !cleanText(u.Path) {
		return "the path holds a NUL byte, a control character or invalid UTF-8"
	}
	v, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "malformed query string"
	}
	for k, vs := range v {
		if !cleanText(k) {
			return "a query parameter name holds a NUL byte, a control character or invalid UTF-8"
		}
		for _, s := range vs {
			if !cleanText(s) {
				return fmt.Sprintf("query parameter %q holds a NUL byte, a control character or invalid UTF-8", k)
			}
		}
	}
	return ""
}

// cleanText reports whether s is valid UTF-8 without NUL or other C0
// control characters (tab excepted).
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}

// Addr is the bound address (useful with ":0").
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Serve serves until Shutdown; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close closes the listener (for a server that never served) and any
// connections.
func (s *Server) Close() error {
	s.srv.Close()
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
