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
	"time"
)

// Options configures a Server.
type Options struct {
	// Addr is the listen address, e.g. "127.0.0.1:8080" or ":0".
	Addr string
	// Ready reports whether the daemon can serve (database reachable, a
	// good config loaded); nil means always ready.
	Ready func(ctx context.Context) error
	// Details, when set, adds lines to /readyz after the verdict (e.g. the
	// platform tokens' expiry); they must hold no secret.
	Details func(ctx context.Context) []string
	// Metrics serves /metrics (e.g. promhttp.HandlerFor); nil omits it.
	Metrics http.Handler
	// Routes maps ServeMux patterns ("POST /webhooks/shopify",
	// "/api/v1/report") to handlers.
	Routes map[string]http.Handler
	Log    *slog.Logger
}

// Server is a bound, not yet serving, HTTP server.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// New binds o.Addr and prepares the routes.
func New(o Options) (*Server, error) {
	mux := http.NewServeMux()
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
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "not ready: %v\n", err)
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
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Server{
		ln: ln,
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}, nil
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

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
