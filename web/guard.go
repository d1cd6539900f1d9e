package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Guard defaults.
const (
	// DefaultBodySlots is how many request bodies guarded routes read at
	// once.
	DefaultBodySlots = 16
	// DefaultSlotWait is how long a request waits for a free slot before
	// it is answered 503.
	DefaultSlotWait = time.Second
	// DefaultBodyTimeout is how long a guarded request may take to send
	// its body (Shopify gives a whole delivery five seconds).
	DefaultBodyTimeout = 10 * time.Second
	// retryAfter is the Retry-After (seconds) of a 503 for a full guard.
	retryAfter = "5"
)

// GuardOptions configures a BodyGuard; zero fields take the defaults.
type GuardOptions struct {
	// Slots bounds the request bodies read and handled at once across
	// every route of the guard (DefaultBodySlots).
	Slots int
	// Wait is how long a request waits for a slot (DefaultSlotWait).
	Wait time.Duration
	// BodyTimeout bounds the time a request takes to send its body
	// (DefaultBodyTimeout).
	BodyTimeout time.Duration
	// Rejected, when set, is called for every request the guard answers
	// itself, with the route's name and a reason: "precheck" (the
	// route's Check refused it), "too_large", "busy", "timeout" or
	// "unreadable". The daemon counts them in /metrics.
	Rejected func(route, reason string)
}

// BodyGuard protects the routes that take request bodies from anyone on
// the public port (webhooks): it verifies what can be verified before the
// body is read, refuses a body larger than the route needs (by its
// Content-Length, or once that many bytes have arrived), reads at most
// Slots bodies at once (a request that finds no slot within Wait gets 503
// with Retry-After) and gives each body BodyTimeout to arrive. The body is
// read whole, bounded, before the route's handler runs, so a slow or
// oversized sender never holds a handler or more than the route's bound
// of memory.
type BodyGuard struct {
	slots    chan struct{}
	wait     time.Duration
	timeout  time.Duration
	rejected func(route, reason string)
}

// NewBodyGuard returns a guard with the options o.
func NewBodyGuard(o GuardOptions) *BodyGuard {
	if o.Slots <= 0 {
		o.Slots = DefaultBodySlots
	}
	if o.Wait <= 0 {
		o.Wait = DefaultSlotWait
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	return &BodyGuard{slots: make(chan struct{}, o.Slots), wait: o.Wait, timeout: o.BodyTimeout, rejected: o.Rejected}
}

// Refusal is an answer a route's Check gives before the body is read.
type Refusal struct {
	// Status is the HTTP status (401, 403, 400, …).
	Status int
	// Msg is the plain-text answer; it is shown to the sender.
	Msg string
}

// BodyRoute describes one guarded route.
type BodyRoute struct {
	// Name labels the route in logs and metrics ("shopify", "links").
	Name string
	// MaxBody is the largest body the route accepts, in bytes.
	MaxBody int64
	// Check, when set, inspects the request before its body is read (its
	// headers: a signature header present, a known sender) and returns a
	// refusal, or nil to go on.
	Check func(r *http.Request) *Refusal
}

// Wrap returns h behind the guard for route rt. h sees the whole body
// (at most rt.MaxBody bytes) already read.
func (g *BodyGuard) Wrap(rt BodyRoute, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Check != nil {
			if ref := rt.Check(r); ref != nil {
				g.refuse(w, r, rt.Name, "precheck", ref.Status, ref.Msg)
				return
			}
		}
		if r.ContentLength > rt.MaxBody {
			g.refuse(w, r, rt.Name, "too_large", http.StatusRequestEntityTooLarge,
				fmt.Sprintf("body of %d bytes is larger than this endpoint takes (%d)", r.ContentLength, rt.MaxBody))
			return
		}
		timer := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			timer.Stop()
		case <-timer.C:
			w.Header().Set("Retry-After", retryAfter)
			g.refuse(w, r, rt.Name, "busy", http.StatusServiceUnavailable, "busy: too many requests are sending bodies; retry later")
			return
		case <-r.Context().Done():
			timer.Stop()
			return
		}
		defer func() { <-g.slots }()
		body, reason, err := g.read(w, r, rt.MaxBody)
		if err != nil {
			switch reason {
			case "too_large":
				g.refuse(w, r, rt.Name, reason, http.StatusRequestEntityTooLarge,
					fmt.Sprintf("body is larger than this endpoint takes (%d bytes)", rt.MaxBody))
			case "timeout":
				g.refuse(w, r, rt.Name, reason, http.StatusRequestTimeout, "request body not received in time")
			default:
				g.refuse(w, r, rt.Name, reason, http.StatusBadRequest, "request body unreadable")
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}

// read reads r's body under the guard's deadline, at most max bytes.
func (g *BodyGuard) read(w http.ResponseWriter, r *http.Request, max int64) ([]byte, string, error) {
	rc := http.NewResponseController(w)
	// Not every ResponseWriter supports deadlines (httptest recorders); the
	// server's ReadTimeout still bounds those.
	_ = rc.SetReadDeadline(time.Now().Add(g.timeout))
	defer rc.SetReadDeadline(time.Time{})
	size := 512
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, max+1))
	switch {
	case err == nil && int64(buf.Len()) > max:
		return nil, "too_large", errors.New("body too large")
	case err == nil:
		return buf.Bytes(), "", nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, "timeout", err
	default:
		return nil, "unreadable", err
	}
}

// refuse answers a request the guard stops itself and closes the
// connection at once, so an unread body is never drained.
func (g *BodyGuard) refuse(w http.ResponseWriter, r *http.Request, route, reason string, status int, msg string) {
	if g.rejected != nil {
		g.rejected(route, reason)
	}
	w.Header().Set("Connection", "close")
	http.Error(w, msg, status)
	// The server would otherwise read up to 256 KiB of the unread body,
	// as slowly as the sender sends it, before closing: end reading now.
	rc := http.NewResponseController(w)
	rc.Flush()
	rc.SetReadDeadline(time.Now())
}
