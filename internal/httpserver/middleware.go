package httpserver

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
	"github.com/latchkeyhq/latchkey/internal/request"
)

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe gives every request an id, a client IP, a logger in its context,
// an access log line and metrics. Headers are never logged: they may carry
// secrets.
func (s *Server) observe(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || !base62.Valid(strings.ReplaceAll(id, "-", "")) {
			id = s.requestIDs.next()
		}
		w.Header()["X-Request-Id"] = []string{id}
		info := request.Info{ID: id, ClientIP: s.clientIP(r), UserAgent: r.UserAgent(), Caller: &request.Caller{}}
		log := s.log.With().Str("request_id", id).Logger()
		ctx := logthrottle.With(log.WithContext(request.With(r.Context(), info)), s.throttle)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		s.metrics.observe(route, sw.status, elapsed)
		level := zerolog.InfoLevel
		if route == "health" || route == "metrics" {
			level = zerolog.DebugLevel
		}
		entry := zerolog.Ctx(ctx).WithLevel(level)
		if info.Caller.TokenID != "" {
			entry = entry.Str("token_id", info.Caller.TokenID).Str("persona", info.Caller.Persona)
		}
		entry.Str("method", r.Method).
			Str("path", r.URL.Path).
			Int("status", sw.status).
			Dur("duration", elapsed).
			Str("client_ip", info.ClientIP).
			Msg("request")
	})
}

// clientIP is the peer address, or, when the peer is a trusted proxy, the
// nearest address in X-Forwarded-For that is not a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(a) {
			return a.String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
