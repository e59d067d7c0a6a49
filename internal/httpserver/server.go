// Package httpserver assembles Latchkey's HTTP surface: /graphql behind
// bearer authentication, /auth/verify for gateways, the admin UI, the
// playground, health, readiness and metrics.
package httpserver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/adminui"
	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/playground"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/store"
)

// Server is one Latchkey instance's HTTP side and the state behind it.
type Server struct {
	cfg      *config.Config
	log      zerolog.Logger
	store    *store.Store
	metrics  *metrics
	Verifier *auth.Verifier
	Recorder *auth.Recorder
	Admin    *admin.Service
	auth     *auth.Authenticator
	handler  http.Handler
	now      func() time.Time
}

// Option adjusts a Server.
type Option func(*Server)

// WithClock replaces the clock everywhere a decision depends on the time
// (expiry, grace periods, last use); tests move it forward.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New builds the server for an open, migrated store.
func New(cfg *config.Config, st *store.Store, log zerolog.Logger, opts ...Option) *Server {
	hasher := secret.NewHasher(st.Pepper)
	s := &Server{cfg: cfg, log: log, store: st, metrics: newMetrics(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	// Times are stored in UTC; SQLite compares them as text, so every time
	// that reaches a query must be UTC too.
	clock := s.now
	s.now = func() time.Time { return clock().UTC() }
	s.Recorder = auth.NewRecorder(st.Client, s.now)
	s.Verifier = auth.NewVerifier(st.Client, hasher, cfg.CacheSize, cfg.CacheTTL, s.Recorder, s.now)
	s.auth = &auth.Authenticator{Verifier: s.Verifier, Limiter: auth.NewLimiter(cfg.AuthFailureRate, cfg.AuthFailureBurst)}
	guesses := &auth.Guesses{Limiter: s.auth.Limiter, Misses: &s.auth.Failures}
	s.Admin = &admin.Service{Hasher: hasher, Now: s.now, Changed: s.Verifier.Invalidate, Locking: st.Dialect == dialect.MySQL, Guesses: guesses}

	s.metrics.watch(s.Verifier, s.auth)
	gql := s.graphQL(&graph.Resolver{Admin: s.Admin, Hasher: hasher, Verifier: s.Verifier, Guesses: guesses, Now: s.now})
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.observe("graphql", s.auth.Middleware(s.withClient(gql))))
	mux.Handle("GET /auth/verify", s.observe("verify", http.HandlerFunc(s.verify)))
	mux.Handle("GET /healthz", s.observe("health", http.HandlerFunc(healthz)))
	mux.Handle("GET /readyz", s.observe("health", http.HandlerFunc(s.readyz)))
	mux.Handle("/admin/", s.observe("admin", adminui.Handler()))
	mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusFound))
	pg := s.observe("playground", playground.Handler())
	mux.Handle("/playground", pg)
	mux.Handle("/playground/", pg)
	mux.Handle("GET /metrics", s.observe("metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	s.handler = mux
	return s
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// maxRequestBytes bounds a GraphQL request body.
const maxRequestBytes = 1 << 20

// withClient makes the ent client available to resolvers (mutations replace
// it with their transaction) and bounds the request body.
func (s *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		next.ServeHTTP(w, r.WithContext(ent.NewContext(r.Context(), s.store.Client)))
	})
}

func (s *Server) graphQL(r *graph.Resolver) http.Handler {
	schema := graph.NewSchema(r)
	h := handler.New(schema)
	h.AddTransport(transport.Options{})
	h.AddTransport(transport.GET{})
	h.AddTransport(transport.POST{})
	h.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	h.Use(codeEveryError{}) // first, so it sees what every other extension answers
	h.Use(extension.Introspection{})
	h.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	h.Use(extension.FixedComplexityLimit(s.cfg.ComplexityLimit))
	// A mutation whose payload selects a field the caller may not read
	// answers with that error, so the Transactioner rolls it back.
	h.Use(entgql.Transactioner{TxOpener: entgql.TxOpenerFunc(s.store.OpenTx)})
	h.AroundFields(authz.NewGuard(schema.Schema()).Field)
	h.SetErrorPresenter(gqlerr.Presenter)
	h.SetRecoverFunc(func(ctx context.Context, v any) error {
		zerolog.Ctx(ctx).Error().Interface("panic", v).Msg("resolver panicked")
		return &gqlerror.Error{Message: "internal server error", Extensions: map[string]any{"code": string(gqlerr.Internal)}}
	})
	return h
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain")
	if err := s.store.Ready(ctx); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("database not ready")
		w.WriteHeader(http.StatusServiceUnavailable)
		reason := "database unreachable"
		if errors.Is(err, store.ErrNotReady) {
			reason = err.Error() // a node state, never a DSN or SQL
		}
		_, _ = w.Write([]byte(reason + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
