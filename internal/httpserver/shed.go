package httpserver

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkeyhq/latchkey/internal/shed"
)

// exempt are the routes never shed: probes and metrics must answer most
// when the instance is overloaded.
var exempt = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// Overloaded is extensions.reason of the UNAVAILABLE error a shed /graphql
// request gets.
const Overloaded = "OVERLOADED"

// shed admits at most LATCHKEY_MAX_IN_FLIGHT requests at once, lets up to
// LATCHKEY_MAX_QUEUED more wait LATCHKEY_QUEUE_TIMEOUT for a turn, and
// answers the rest 503 with Retry-After at once (UNAVAILABLE, reason
// OVERLOADED, on /graphql). Forward auth and the rest have a limiter each,
// so that GraphQL requests stuck on a slow database never take the turns
// of verifications the cache answers in microseconds.
func (s *Server) shed(next http.Handler) http.Handler {
	groups := map[string]*shed.Limiter{}
	for _, g := range []string{"verify", "other"} {
		l := shed.New(s.cfg.MaxInFlight, s.cfg.MaxQueued, s.cfg.QueueTimeout)
		groups[g] = l
		labels := prometheus.Labels{"limiter": g}
		s.metrics.registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "latchkey_http_requests_shed_total", ConstLabels: labels,
				Help: "Requests refused with 503 because too many were in flight and queued (LATCHKEY_MAX_IN_FLIGHT, LATCHKEY_MAX_QUEUED, LATCHKEY_QUEUE_TIMEOUT), by limiter: verify (/auth/verify) or other."},
				func() float64 { return float64(shedCount(l)) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "latchkey_http_requests_in_flight", ConstLabels: labels, Help: "Requests being handled (health and metrics excepted), by limiter."},
				func() float64 { return float64(l.InFlight()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "latchkey_http_requests_queued", ConstLabels: labels, Help: "Requests waiting for a turn, by limiter."},
				func() float64 { return float64(l.Queued()) }),
		)
	}
	if s.cfg.MaxInFlight == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		group := "other"
		if r.URL.Path == "/auth/verify" {
			group = "verify"
		}
		l := groups[group]
		if !l.Acquire(r.Context()) {
			if ok, held := s.throttle.Allow("shedding load: " + group); ok {
				s.log.Warn().Str("limiter", group).Int("in_flight", l.InFlight()).Int("queued", l.Queued()).Int("suppressed", held).Msg("shedding load: too many requests in flight")
			}
			unavailable(w, r, "the server is overloaded; retry later", Overloaded)
			return
		}
		defer l.Release()
		// A turn is held while the body is read; the server's ReadTimeout
		// bounds how long a client sending it slowly keeps it. (A read
		// deadline set here would also cancel the request's context when it
		// passes: the server reads ahead to notice a client hanging up.)
		next.ServeHTTP(w, r)
	})
}

func shedCount(l *shed.Limiter) int64 {
	if l == nil {
		return 0
	}
	return l.Shed.Load()
}
