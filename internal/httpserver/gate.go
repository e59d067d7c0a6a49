package httpserver

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// Gate is a process's root handler over its whole life. While the instance
// starts (the database may not answer yet) /healthz answers 200, /readyz 503
// with the reason, and everything else 503 with Retry-After; once Open is
// called, requests go to the Server. On Drain (SIGTERM) /readyz answers 503
// while requests are still served, so load balancers stop sending new ones
// before the listener closes.
type Gate struct {
	app      atomic.Pointer[Server]
	reason   atomic.Pointer[string]
	draining atomic.Bool
	inFlight atomic.Int64
}

// NewGate returns a Gate for an instance that is starting.
func NewGate() *Gate {
	g := &Gate{}
	g.NotReady("starting")
	return g
}

// NotReady sets what /readyz says while the instance starts.
func (g *Gate) NotReady(reason string) { g.reason.Store(&reason) }

// Open sends requests to s from now on.
func (g *Gate) Open(s *Server) { g.app.Store(s) }

// Drain makes /readyz answer 503 from now on.
func (g *Gate) Drain() { g.draining.Store(true) }

// InFlight is the number of requests being handled.
func (g *Gate) InFlight() int64 { return g.inFlight.Load() }

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	app := g.app.Load()
	switch {
	case r.URL.Path == "/readyz" && g.draining.Load():
		notReady(w, "shutting down")
	case app != nil:
		app.handler.ServeHTTP(w, r)
	case r.URL.Path == "/healthz":
		healthz(w, r)
	case r.URL.Path == "/readyz":
		notReady(w, *g.reason.Load())
	default:
		unavailable(w, r, "starting: "+*g.reason.Load(), "")
	}
}

func notReady(w http.ResponseWriter, reason string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(reason + "\n"))
}

// unavailable answers 503 with Retry-After: on /graphql as a GraphQL error
// with code UNAVAILABLE (and extensions.reason, when given), elsewhere with
// the message in X-Latchkey-Error and the body.
func unavailable(w http.ResponseWriter, r *http.Request, message, reason string) {
	w.Header().Set("Retry-After", strconv.Itoa(int(gqlerr.RetryAfter.Seconds())))
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path != "/graphql" {
		w.Header().Set("X-Latchkey-Error", message)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(message + "\n"))
		return
	}
	ext := map[string]any{"code": gqlerr.Unavailable}
	if reason != "" {
		ext["reason"] = reason
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": message, "extensions": ext}}})
}
