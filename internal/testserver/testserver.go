// Package testserver runs a real Latchkey HTTP handler on a fresh database
// for tests: SQLite by default, and MySQL as well when LATCHKEY_TEST_MYSQL_DSN
// is set (mandatory when CI=true). Each server gets its own database, which
// is dropped afterwards.
package testserver

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/httpserver"
	"github.com/latchkeyhq/latchkey/internal/store"
)

// Server is a running test instance.
type Server struct {
	*httptest.Server
	App   *httpserver.Server
	Store *store.Store
	Clock *Clock
	// Admin is the FULL_ACCESS Bootstrap secret.
	Admin string
	// Logs holds everything the server logged.
	Logs *SafeBuffer
}

// Clock is a settable clock.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	zone *time.Location
}

// Now returns the clock's time, in its zone (UTC unless set).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zone != nil {
		return c.now.In(c.zone)
	}
	return c.now
}

// SetZone makes Now report times in loc, as a server's local clock would.
func (c *Clock) SetZone(loc *time.Location) {
	c.mu.Lock()
	c.zone = loc
	c.mu.Unlock()
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// SafeBuffer is a bytes.Buffer safe for concurrent writers.
type SafeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SafeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written.
func (b *SafeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Dialects runs fn once per database the suite covers: "sqlite" always,
// "mysql" when LATCHKEY_TEST_MYSQL_DSN is set.
func Dialects(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite") })
	t.Run("mysql", func(t *testing.T) {
		if os.Getenv("LATCHKEY_TEST_MYSQL_DSN") == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("LATCHKEY_TEST_MYSQL_DSN must be set in CI: the MySQL half of the suite is mandatory there")
			}
			t.Skip("MySQL tests skipped: set LATCHKEY_TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/ to run them")
		}
		fn(t, "mysql")
	})
}

// Option adjusts a test server.
type Option func(*setup)

type setup struct {
	cfg       *config.Config
	realClock bool
	quiet     bool
	url       string
	appOpts   []httpserver.Option
}

// App passes options to the server itself (httpserver.New).
func App(opts ...httpserver.Option) Option {
	return func(s *setup) { s.appOpts = append(s.appOpts, opts...) }
}

// DatabaseURL serves from the database at url (which the test owns)
// instead of a new one of the dialect; e.g. a mariadbtest server's.
func DatabaseURL(url string) Option { return func(s *setup) { s.url = url } }

// Config changes the server's settings.
func Config(change func(*config.Config)) Option { return func(s *setup) { change(s.cfg) } }

// RealClock runs the server on the wall clock instead of the settable one;
// Server.Clock is then nil.
func RealClock() Option { return func(s *setup) { s.realClock = true } }

// Quiet logs at info level into nothing, as a deployed server would cost,
// instead of keeping every debug line in Server.Logs (benchmarks, long runs).
func Quiet() Option { return func(s *setup) { s.quiet = true } }

// New starts a server on a new database of the given dialect.
func New(t testing.TB, dialect string, opts ...Option) *Server {
	t.Helper()
	ctx := context.Background()
	cfg, _, err := config.Parse("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AuthFailureBurst = 1000
	cfg.AuthFailureRate = 1000
	set := &setup{cfg: cfg}
	for _, o := range opts {
		o(set)
	}
	url := "sqlite://" + filepath.Join(t.TempDir(), "latchkey.db")
	switch {
	case set.url != "":
		url = set.url
	case dialect == "mysql":
		url = mysqlDatabase(t)
	}
	s, err := start(t, ctx, set, url, "test-pepper-"+base62.Random(8), "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// OnDatabase starts an instance on the database at url (e.g. a Galera
// node's, or a MySQLDatabase), as a deployment would: it migrates and seeds,
// possibly while other instances do the same, with the given pepper and
// Bootstrap secret. Admin is bootstrapSecret. It returns errors instead of
// failing t, so that several instances may start from goroutines at once.
func OnDatabase(t testing.TB, url, pepper, bootstrapSecret string, opts ...Option) (*Server, error) {
	cfg, _, err := config.Parse("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		return nil, err
	}
	cfg.AuthFailureBurst = 1000
	cfg.AuthFailureRate = 1000
	set := &setup{cfg: cfg}
	for _, o := range opts {
		o(set)
	}
	s, err := start(t, context.Background(), set, url, pepper, bootstrapSecret)
	if err != nil {
		return nil, err
	}
	s.Admin = bootstrapSecret
	return s, nil
}

// MySQLDatabase creates a fresh database on LATCHKEY_TEST_MYSQL_DSN's
// server, dropped when the test ends, and returns its URL.
func MySQLDatabase(t testing.TB) string { return mysqlDatabase(t) }

func start(t testing.TB, ctx context.Context, set *setup, url, pepper, bootstrapSecret string) (*Server, error) {
	cfg := set.cfg
	st, err := store.Open(url, pepper, store.MaxConns(cfg.DBMaxConns))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	var clock *Clock
	appOpts := set.appOpts
	if !set.realClock {
		clock = &Clock{now: time.Now().UTC().Truncate(time.Second)}
		appOpts = append(appOpts, httpserver.WithClock(clock.Now))
	}
	logs := &SafeBuffer{}
	log := zerolog.New(logs).Level(zerolog.DebugLevel)
	if set.quiet {
		log = zerolog.New(io.Discard).Level(zerolog.InfoLevel)
	}
	app := httpserver.New(cfg, st, log, appOpts...)
	if err := app.Err(); err != nil {
		return nil, err
	}
	boot, err := store.Seed(ctx, st.Client, app.Admin, bootstrapSecret)
	if err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	follow(t, app)
	ts := httptest.NewServer(app.Handler())
	t.Cleanup(ts.Close)
	s := &Server{Server: ts, App: app, Store: st, Clock: clock, Logs: logs}
	if boot != nil {
		s.Admin = boot.Secret
	}
	return s, nil
}

// Another starts a second instance on s's database, with its own caches and
// s's clock, as a second replica behind a load balancer would be.
func (s *Server) Another(t testing.TB) *Server {
	t.Helper()
	cfg, _, err := config.Parse("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var appOpts []httpserver.Option
	if s.Clock != nil {
		appOpts = append(appOpts, httpserver.WithClock(s.Clock.Now))
	}
	app := httpserver.New(cfg, s.Store, zerolog.New(s.Logs), appOpts...)
	follow(t, app)
	ts := httptest.NewServer(app.Handler())
	t.Cleanup(ts.Close)
	return &Server{Server: ts, App: app, Store: s.Store, Clock: s.Clock, Admin: s.Admin, Logs: s.Logs}
}

// mysqlDatabase creates a uniquely named database and returns its URL.
func mysqlDatabase(t testing.TB) string {
	t.Helper()
	base := strings.TrimSuffix(os.Getenv("LATCHKEY_TEST_MYSQL_DSN"), "/") + "/"
	name := "latchkey_test_" + strings.ToLower(base62.Random(12))
	dsn, err := store.MySQLDSN(base + "mysql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		db.Close()
		t.Fatalf("creating MySQL database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP DATABASE " + name); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
		db.Close()
	})
	return base + name
}

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Header http.Header
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}
	Raw string
}

// Code is the extensions.code of the first error, or "".
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Field is the extensions.field of the first error, or "".
func (r *Response) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// Get walks the data by a dotted path, e.g. "createAPIToken.apiToken.id".
func (r *Response) Get(path string) any {
	var cur any = r.Data
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// Str is Get as a string.
func (r *Response) Str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// Do posts a GraphQL document with the given bearer secret ("" for none).
func (s *Server) Do(t testing.TB, bearer, query string, vars map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &Response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decoding %q: %v", raw, err)
	}
	return out
}

// MustDo is Do that fails the test on any GraphQL error.
func (s *Server) MustDo(t testing.TB, bearer, query string, vars map[string]any) *Response {
	t.Helper()
	r := s.Do(t, bearer, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("unexpected errors (HTTP %d): %s", r.Status, r.Raw)
	}
	return r
}

// Count returns the number of rows in a table.
func (s *Server) Count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Snapshot counts the rows of every table, to prove a failed mutation
// changed nothing.
func (s *Server) Snapshot(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"api_tokens", "personas", "roles", "content_types", "permissions", "audit_events", "api_token_roles", "api_token_permissions", "role_permissions"} {
		fmt.Fprintf(&b, "%s=%d ", table, s.Count(t, table))
	}
	var updated string
	_ = s.Store.DB.QueryRow("SELECT COALESCE(MAX(updated_at), '') FROM api_tokens").Scan(&updated)
	b.WriteString("tokens_updated=" + updated)
	return b.String()
}

// follow reads the change feed, runs the lifecycle sweeps and delivers
// webhooks for the life of the test, as a deployed instance does.
func follow(t testing.TB, app *httpserver.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		app.Follow(ctx)
	}()
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		app.RunSweeps(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		app.RunWebhooks(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		<-swept
		<-done
	})
}
