// Package httpserver assembles Latchkey's HTTP surface: /graphql behind
// bearer authentication, /auth/verify for gateways, the admin UI, the
// playground, health, readiness and metrics.
package httpserver

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
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
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/deadline"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/idempotency"
	"github.com/latchkeyhq/latchkey/internal/lastused"
	"github.com/latchkeyhq/latchkey/internal/lifecycle"
	"github.com/latchkeyhq/latchkey/internal/limits"
	"github.com/latchkeyhq/latchkey/internal/listcount"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
	"github.com/latchkeyhq/latchkey/internal/playground"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/txretry"
	"github.com/latchkeyhq/latchkey/internal/usage"
	"github.com/latchkeyhq/latchkey/internal/webhook"
)

// Server is one Latchkey instance's HTTP side and the state behind it.
type Server struct {
	requestIDs *requestIDs
	cfg        *config.Config
	log        zerolog.Logger
	store      *store.Store
	metrics    *metrics
	Verifier   *auth.Verifier
	Recorder   *auth.Recorder
	// Usage counts verifications by outcome (internal/usage); it flushes
	// with Recorder (server.go).
	Usage *usage.Recorder
	Admin *admin.Service
	// Policy decides rate limits, credits and conditions; RunPolicy syncs it.
	Policy *auth.Policy
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
	// Retry bounds how often a mutation that lost a conflict runs again.
	Retry *txretry.Policy
	// failCommit, when set (tests), may refuse a mutation's commit: the
	// transaction is rolled back and its error returned as COMMIT's.
	failCommit func(ctx context.Context) error
	// Lifecycle revokes unused tokens (RunSweeps) and reused secrets.
	Lifecycle *lifecycle.Lifecycle
	// Webhooks delivers the outbox and runs the event sweeps; RunWebhooks runs it.
	Webhooks *webhook.Worker
	// err is a setting New could not apply (see Err).
	err error
}

// Err reports a setting the server could not apply, e.g. an unreadable
// LATCHKEY_SECRET_SCANNING_KEYS file; the process should not serve then.
func (s *Server) Err() error { return s.err }

// Option adjusts a Server.
type Option func(*Server)

// WithClock replaces the clock everywhere a decision depends on the time
// (expiry, grace periods, last use); tests move it forward.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithCommitFault makes fail decide, before each mutation commits, whether
// the commit fails instead (rolled back, with fail's error): tests use it to
// stand in for a Galera certification failure.
func WithCommitFault(fail func(ctx context.Context) error) Option {
	return func(s *Server) { s.failCommit = fail }
}

// New builds the server for an open, migrated store.
func New(cfg *config.Config, st *store.Store, log zerolog.Logger, opts ...Option) *Server {
	hasher := secret.NewHasher(st.Pepper)
	s := &Server{requestIDs: newRequestIDs(), cfg: cfg, log: log, store: st, metrics: newMetrics(), now: time.Now, throttle: logthrottle.New(time.Second)}
	for _, o := range opts {
		o(s)
	}
	// Times are stored in UTC; SQLite compares them as text, so every time
	// that reaches a query must be UTC too.
	clock := s.now
	s.now = func() time.Time { return clock().UTC() }
	s.Recorder = auth.NewRecorder(st.Client, s.now)
	// Verification reads causally: a token made through another Galera
	// node is accepted here at once.
	s.Verifier = auth.NewVerifier(st.Causal, hasher, cfg.CacheSize, cfg.CacheTTL, s.Recorder, s.now)
	s.Verifier.NegativeCache(cfg.CacheSize, cfg.NegativeCacheTTL)
	s.catalog = newCatalog(st.Client, cfg.CacheTTL, s.now)
	s.Usage = usage.NewRecorder(st.Client, st.DB, st.Dialect, s.now, cfg.UsageRetention)
	origin := base62.Random(16) // this instance, in the change feed and limit_counts
	s.Policy = &auth.Policy{
		Limits:  limits.New(st.Client, origin, log),
		Credits: credits.New(st.Client, st.Dialect == dialect.MySQL, origin, s.forget, cfg.LimitsSyncInterval),
		Now:     s.now,
	}
	s.auth = &auth.Authenticator{Verifier: s.Verifier, Limiter: auth.NewLimiter(cfg.AuthFailureRate, cfg.AuthFailureBurst), Usage: s.Usage, Policy: s.Policy}
	guesses := &auth.Guesses{Limiter: s.auth.Limiter, Misses: &s.auth.Failures}
	s.Admin = &admin.Service{Hasher: hasher, Now: s.now, Locking: st.Dialect == dialect.MySQL, Guesses: guesses, Changed: s.forget, Origin: origin}
	s.Lifecycle = &lifecycle.Lifecycle{Store: st, Admin: s.Admin, Flush: s.Recorder.Flush, Log: log}
	s.Verifier.Reuse = s.Lifecycle
	s.Feed = &changes.Follower{
		Client: st.Background, Apply: s.forget, Origin: origin, Fresh: s.Verifier.TrustUntil, Bound: time.Second,
		Lag: cfg.RequestTimeout + 5*time.Second, Now: s.now, Log: log,
	}

	s.Retry = &txretry.Policy{Retries: &atomic.Int64{}}
	s.Webhooks = &webhook.Worker{
		Client: st.Client, Secrets: webhook.NewSecrets(hasher), Now: s.now, Instance: origin, MySQL: st.Dialect == dialect.MySQL,
		Timeout: cfg.WebhookTimeout, Concurrency: cfg.WebhookConcurrency, Retention: cfg.WebhookRetention, Log: log,
	}
	leaks := s.secretScanning()

	s.metrics.watch(s.Verifier, s.auth)
	s.metrics.watchRetries(s.Retry.Retries)
	s.metrics.watchUsage(s.Usage)
	s.Counts = listcount.New(st.DB, s.Feed.Horizon, 256)
	gql := s.graphQL(&graph.Resolver{Admin: s.Admin, Hasher: hasher, Verifier: s.Verifier, Guesses: guesses, Now: s.now, UsageRecorder: s.Usage, Decider: s.Policy, Counts: s.Counts, Dialect: st.Dialect})
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.observe("graphql", s.deadline(s.auth.Middleware(graphQLBody(idempotency.Middleware(s.withClient(outageStatus(gql))))))))
	mux.Handle("GET /auth/verify", s.observe("verify", s.deadline(http.HandlerFunc(s.verify))))
	mux.Handle("POST /v1/verify", s.observe("verify", s.deadline(http.HandlerFunc(s.verifyAPI))))
	mux.Handle("GET /healthz", s.observe("health", http.HandlerFunc(healthz)))
	mux.Handle("GET /readyz", s.observe("health", http.HandlerFunc(s.readyz)))
	mux.Handle("/admin/", s.observe("admin", adminui.Handler()))
	mux.Handle("GET /{$}", http.RedirectHandler("/admin/", http.StatusFound))
	pg := s.observe("playground", playground.Handler())
	mux.Handle("/playground", pg)
	mux.Handle("/playground/", pg)
	mux.Handle("POST /secret-scanning/report", s.observe("secret-scanning", s.deadline(leaks)))
	mux.Handle("GET /metrics", s.observe("metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	s.handler = s.shed(mux)
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

// RunSweeps revokes tokens unused longer than the policy allows, every
// LATCHKEY_SWEEP_INTERVAL, until ctx ends.
func (s *Server) RunSweeps(ctx context.Context) { s.Lifecycle.Run(ctx, s.cfg.SweepInterval) }

// RunWebhooks delivers webhooks and runs the event sweeps until ctx ends.
func (s *Server) RunWebhooks(ctx context.Context) {
	s.Webhooks.Run(ctx, s.cfg.WebhookPollInterval, s.cfg.SweepInterval)
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// withClient makes the ent client available to resolvers (mutations replace
// it with their transaction).
func (s *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := lastused.WithLoader(ent.NewContext(r.Context(), s.store.Client))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// deadline gives a request LATCHKEY_REQUEST_TIMEOUT to finish: database
// queries and resolvers stop when it passes.
func (s *Server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Armed only when something waits (internal/deadline): a cached
		// verification never starts a timer.
		ctx, cancel := deadline.With(r.Context(), s.cfg.RequestTimeout)
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
	// A mutation whose transaction loses a conflict (deadlock, Galera
	// certification failure) runs again whole, in a fresh transaction.
	h.Use(txretry.Mutations{Policy: s.Retry})
	keys := &idempotency.Keys{Client: s.store.Causal, Now: s.now}
	h.Use(keys.Replay())
	h.Use(entgql.Transactioner{TxOpener: txOpener(s.store.OpenTx, s.failCommit)})
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
