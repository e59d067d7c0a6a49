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
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/adminui"
	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/cost"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/idempotency"
	"github.com/latchkeyhq/latchkey/internal/listcount"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
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
	// Feed reads the change feed; Follow runs it.
	Feed *changes.Follower
	// Counts keeps the token list's totalCount (internal/listcount).
	Counts  *listcount.Cache
	auth    *auth.Authenticator
	catalog *catalog
	handler http.Handler
	now     func() time.Time
	// throttle keeps repeated error lines (an outage) to one a second per cause.
	throttle *logthrottle.Throttle
}

// Option adjusts a Server.
type Option func(*Server)

// WithClock replaces the clock everywhere a decision depends on the time
// (expiry, grace periods, last use); tests move it forward.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New builds the server for an open, migrated store.
func New(cfg *config.Config, st *store.Store, log zerolog.Logger, opts ...Option) *Server {
	hasher := secret.NewHasher(st.Pepper)
	s := &Server{cfg: cfg, log: log, store: st, metrics: newMetrics(), now: time.Now, throttle: logthrottle.New(time.Second)}
	for _, o := range opts {
		o(s)
	}
	// Times are stored in UTC; SQLite compares them as text, so every time
	// that reaches a query must be UTC too.
	clock := s.now
	s.now = func() time.Time { return clock().UTC() }
	s.Recorder = auth.NewRecorder(st.Client, s.now)
	s.Verifier = auth.NewVerifier(st.Client, hasher, cfg.CacheSize, cfg.CacheTTL, s.Recorder, s.now)
	s.catalog = newCatalog(st.Client, cfg.CacheTTL, s.now)
	s.auth = &auth.Authenticator{Verifier: s.Verifier, Limiter: auth.NewLimiter(cfg.AuthFailureRate, cfg.AuthFailureBurst)}
	origin := base62.Random(16) // this instance, in the change feed
	guesses := &auth.Guesses{Limiter: s.auth.Limiter, Misses: &s.auth.Failures}
	s.Admin = &admin.Service{Hasher: hasher, Now: s.now, Locking: st.Dialect == dialect.MySQL, Guesses: guesses, Changed: s.forget, Origin: origin}
	s.Feed = &changes.Follower{
		Client: st.Client, Apply: s.forget, Origin: origin, Fresh: s.Verifier.TrustUntil, Bound: time.Second,
		Lag: cfg.RequestTimeout + 5*time.Second, Now: s.now, Log: log,
	}

	s.metrics.watch(s.Verifier, s.auth)
	s.Counts = listcount.New(st.DB, s.Feed.Horizon, 256)
	gql := s.graphQL(&graph.Resolver{Admin: s.Admin, Hasher: hasher, Verifier: s.Verifier, Guesses: guesses, Now: s.now, Counts: s.Counts})
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.observe("graphql", s.deadline(s.auth.Middleware(graphQLBody(idempotency.Middleware(s.withClient(outageStatus(gql))))))))
	mux.Handle("GET /auth/verify", s.observe("verify", s.deadline(http.HandlerFunc(s.verify))))
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

// Config is the settings the server runs with.
func (s *Server) Config() *config.Config { return s.cfg }

// forget drops what a change to kind/ref makes stale: cached
// verifications, and the catalog when content types change.
func (s *Server) forget(kind, ref string) {
	if kind == listcount.TokenSet {
		return // counts check the feed themselves (internal/listcount)
	}
	s.Verifier.Forget(kind, ref)
	if kind == changes.ContentType || kind == changes.All {
		s.catalog.Invalidate()
	}
}

// Follow reads the change feed until ctx ends, so that changes made on any
// instance reach this one's caches within LATCHKEY_CHANGE_POLL_INTERVAL.
func (s *Server) Follow(ctx context.Context) { s.Feed.Run(ctx, s.cfg.ChangePollInterval) }

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// withClient makes the ent client available to resolvers (mutations replace
// it with their transaction).
func (s *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(ent.NewContext(r.Context(), s.store.Client)))
	})
}

// deadline gives a request LATCHKEY_REQUEST_TIMEOUT to finish: database
// queries and resolvers stop when it passes.
func (s *Server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// budget is the most a query may cost its caller (internal/cost).
func (s *Server) budget(ctx context.Context) int {
	if authz.FromContext(ctx) == nil {
		return s.cfg.AnonymousComplexityLimit
	}
	return s.cfg.ComplexityLimit
}

func (s *Server) graphQL(r *graph.Resolver) http.Handler {
	schema := graph.NewSchema(r)
	h := handler.New(schema)
	h.AddTransport(transport.Options{})
	h.AddTransport(transport.GET{})
	h.AddTransport(transport.POST{})
	queries := cost.NewQueryCache(1000)
	h.SetQueryCache(queries)
	h.SetParserTokenLimit(cost.MaxTokens)
	h.Use(codeEveryError{}) // first, so it sees what every other extension answers
	h.Use(cost.ResponseLimit{MaxBytes: s.cfg.MaxResponseBytes})
	h.Use(extension.Introspection{})
	h.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	// After APQ, which may supply the query; before validation, which is
	// what a huge document makes slow.
	h.Use(cost.Precheck{Cache: queries})
	h.Use(&cost.Limit{Budget: s.budget, DefaultPage: graph.DefaultPage, Cache: queries})
	// A mutation whose payload selects a field the caller may not read
	// answers with that error, so the Transactioner rolls it back.
	// A retry with a used Idempotency-Key is answered before a transaction
	// opens; a new key is claimed and its answer stored inside the
	// mutation's transaction, so it commits or rolls back with the change.
	keys := &idempotency.Keys{Client: s.store.Client, Now: s.now}
	h.Use(keys.Replay())
	h.Use(entgql.Transactioner{TxOpener: txOpener(s.store.OpenTx)})
	h.Use(keys.Record())
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
