package httpserver

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	verify   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "latchkey_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		verify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_forward_auth_total", Help: "/auth/verify answers by HTTP status.",
		}, []string{"code"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.verify,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watch exports the verifier's and authenticator's counters.
func (m *metrics) watch(v *auth.Verifier, a *auth.Authenticator) {
	counter := func(name, help string, n *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(n.Load()) })
	}
	m.registry.MustRegister(
		counter("latchkey_token_cache_hits_total", "Token verifications answered from the in-memory cache.", &v.Hits),
		counter("latchkey_token_lookups_total", "Token verifications that read the database.", &v.Lookups),
		counter("latchkey_token_negative_cache_hits_total", "Unknown secrets refused from the negative cache, without a database lookup.", &v.NegativeHits),
		counter("latchkey_auth_failures_total", "Requests refused for a missing, invalid, expired or revoked token.", &a.Failures),
		counter("latchkey_auth_rate_limited_total", "Requests refused because their IP failed too often.", &a.Limited),
	)
}

// watchRetries exports how often mutations ran again after a conflict.
func (m *metrics) watchRetries(n *atomic.Int64) {
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "latchkey_mutation_retries_total",
		Help: "Mutation operations run again because their transaction lost a conflict (deadlock, lock wait timeout, Galera certification failure).",
	}, func() float64 { return float64(n.Load()) }))
}

// watchUsage exports verifications by outcome, never by token: a label per
// token would grow without bound.
func (m *metrics) watchUsage(u *usage.Recorder) {
	for _, o := range usage.Outcomes() {
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "latchkey_verifications_total", Help: "Token verifications by outcome (/graphql requests, /auth/verify, introspectToken).",
			ConstLabels: prometheus.Labels{"outcome": o.String()},
		}, func() float64 { return float64(u.Total(o)) }))
	}
	m.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "latchkey_usage_rows_written_total", Help: "Usage count rows written by flushes."},
			func() float64 { return float64(u.Writes.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "latchkey_usage_dropped_total", Help: "Verifications whose usage counts were dropped after failed flushes."},
			func() float64 { return float64(u.Dropped.Load()) }),
	)
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, statusLabel(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// statusLabels holds the label of every HTTP status, so that counting an
// answer allocates nothing.
var statusLabels = func() (l [600]string) {
	for i := range l {
		l[i] = strconv.Itoa(i)
	}
	return l
}()

func statusLabel(status int) string {
	if status >= 0 && status < len(statusLabels) {
		return statusLabels[status]
	}
	return strconv.Itoa(status)
}
