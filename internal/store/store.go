// Package store opens the database (SQLite by default, MySQL/MariaDB by
// URL), migrates its schema and seeds a new one.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/persona"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/lastused"
	"github.com/latchkeyhq/latchkey/internal/listcount"
	"github.com/latchkeyhq/latchkey/internal/namesearch"
)

// DefaultSQLiteFile is where Latchkey keeps its data when no URL is given.
const DefaultSQLiteFile = "latchkey.db"

// Store is an open database.
type Store struct {
	Client *ent.Client
	DB     *sql.DB
	// Causal reads what the whole cluster has committed: on a Galera node
	// its connections wait for the node to catch up before each read
	// (wsrep_sync_wait=1). The reads that decide who a secret is and what a
	// mutation may do go through it (verification on a cache miss,
	// introspection, mutations' transactions, idempotency replays); bulk
	// reads (lists) use Client. Elsewhere it is Client.
	Causal   *ent.Client
	causalDB *sql.DB
	Dialect  string
	// Pepper keys the HMAC of token secrets.
	Pepper []byte
	// Background is a small pool of its own (BackgroundConns) for the
	// instance's background reads (the change feed): when requests hold
	// every connection of the main pool, the feed is still read, so the
	// verification cache stays trusted instead of sending every request
	// to the database.
	Background *ent.Client
}

// BackgroundConns is the size of the background pool.
const BackgroundConns = 2

// Pool sizes when LATCHKEY_DB_MAX_CONNS is not set. Every SQLite
// connection holds three files open (database, -wal, -shm) and one writer
// works at a time, so a few connections serve best and a burst of slow
// queries cannot exhaust the process's file descriptors.
const (
	DefaultSQLiteMaxConns = 8
	DefaultMySQLMaxConns  = 50
)

// Option adjusts how a store is opened.
type Option func(*options)

type options struct{ maxConns int }

// MaxConns caps the open database connections; 0 keeps the dialect's default.
func MaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// Open connects to the database named by rawURL ("" means ./latchkey.db)
// and settles the pepper: the configured one, or for SQLite one generated
// once into a 0600 file beside the database.
func Open(rawURL, pepper string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	pool := func(db *sql.DB, def int) {
		n := o.maxConns
		if n <= 0 {
			n = def
		}
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	switch {
	case rawURL == "" || strings.HasPrefix(rawURL, "sqlite:") || strings.HasPrefix(rawURL, "file:"):
		path := sqlitePath(rawURL)
		if err := createPrivate(path); err != nil {
			return nil, err
		}
		dsn := "file:" + uriPath.Replace(path) + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate&_time_format=sqlite"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		pool(db, DefaultSQLiteMaxConns)
		p := []byte(pepper)
		if pepper == "" {
			if p, err = pepperFile(path + ".pepper"); err != nil {
				db.Close()
				return nil, err
			}
		}
		return newStore(db, db, "sqlite", dsn, dialect.SQLite, p)
	case strings.HasPrefix(rawURL, "mysql://"):
		if pepper == "" {
			return nil, errors.New("LATCHKEY_TOKEN_PEPPER is required with MySQL: every instance sharing the database must hash secrets with the same pepper (e.g. LATCHKEY_TOKEN_PEPPER=$(openssl rand -hex 32))")
		}
		dsn, err := MySQLDSN(rawURL)
		if err != nil {
			return nil, err
		}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, err
		}
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, err
		}
		db := sql.OpenDB(connector)
		pool(db, DefaultMySQLMaxConns)
		db.SetConnMaxLifetime(5 * time.Minute)
		causal := db
		// A URL that sets wsrep_sync_wait itself decides for every read.
		if _, set := cfg.Params["wsrep_sync_wait"]; !set {
			causal = sql.OpenDB(causalConnector{connector})
			pool(causal, DefaultMySQLMaxConns)
			causal.SetConnMaxLifetime(5 * time.Minute)
		}
		return newStore(db, causal, "mysql", dsn, dialect.MySQL, []byte(pepper))
	}
	return nil, fmt.Errorf("LATCHKEY_DATABASE_URL: unsupported scheme in %q; use sqlite:///path/file.db or mysql://user:pass@host:3306/db", redact(rawURL))
}

func newStore(db, causal *sql.DB, driverName, dsn, dialectName string, pepper []byte) (*Store, error) {
	st := &Store{DB: db, causalDB: causal, Dialect: dialectName, Pepper: pepper}
	st.Client = ent.NewClient(ent.Driver(entsql.OpenDB(dialectName, db)))
	st.Causal = st.Client
	if causal != db {
		st.Causal = ent.NewClient(ent.Driver(entsql.OpenDB(dialectName, causal)))
		lastused.Track(st.Causal)
		listcount.Register(st.Causal)
		namesearch.Register(st.Causal, dialectName)
	}
	// Tokens read while answering a request are noted, so that their last
	// use is read in one query (internal/lastused).
	lastused.Track(st.Client)
	// Token writes stamp the feed, so that cached list counts stay exact.
	listcount.Register(st.Client)
	// Token writes keep the name search's trigrams (internal/namesearch).
	namesearch.Register(st.Client, dialectName)
	st.Background = st.Client
	if strings.HasPrefix(dsn, "file::memory:") { // a second pool would open another database
		return st, nil
	}
	bg, err := sql.Open(driverName, dsn)
	if err != nil {
		db.Close()
		if causal != db {
			causal.Close()
		}
		return nil, err
	}
	bg.SetMaxOpenConns(BackgroundConns)
	bg.SetMaxIdleConns(BackgroundConns)
	bg.SetConnMaxLifetime(5 * time.Minute)
	st.Background = ent.NewClient(ent.Driver(entsql.OpenDB(dialectName, bg)))
	return st, nil
}

// foldPersonaNames fills in the case-insensitive key of personas made
// before persona names were unique. Where two such names now collide, the
// later one is numbered, "Name (2)", so that both stay distinguishable.
func foldPersonaNames(ctx context.Context, client *ent.Client) error {
	old, err := client.Persona.Query().Where(persona.NameFoldIsNil()).Order(ent.Asc(persona.FieldCreatedAt), ent.Asc(persona.FieldID)).All(ctx)
	if err != nil || len(old) == 0 {
		return err
	}
	for _, p := range old {
		name := p.Name
		for n := 2; ; n++ {
			taken, err := client.Persona.Query().Where(persona.NameFold(admin.Fold(name))).Exist(ctx)
			if err != nil {
				return err
			}
			if !taken {
				break
			}
			suffix := fmt.Sprintf(" (%d)", n)
			r := []rune(p.Name)
			if len(r) > 100-len(suffix) {
				r = r[:100-len(suffix)]
			}
			name = string(r) + suffix
		}
		if err := client.Persona.UpdateOne(p).SetName(name).SetNameFold(admin.Fold(name)).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// OpenTx opens the transaction of one GraphQL mutation operation, on the
// causal pool (a Galera node first catches up with the cluster). On MySQL
// it reads committed data (READ COMMITTED): together with the row locks that
// internal/admin takes, every check a mutation makes sees what concurrent
// mutations committed, instead of a snapshot from before they did.
func (s *Store) OpenTx(ctx context.Context) (context.Context, driver.Tx, error) {
	tx, err := dbtx.Begin(ctx, s.Causal, s.Dialect == dialect.MySQL)
	if err != nil {
		return nil, nil, err
	}
	return ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client()), tx, nil
}

// Close releases the database.
func (s *Store) Close() error {
	var causalErr error
	if s.causalDB != s.DB {
		causalErr = s.causalDB.Close()
	}
	if s.Background == s.Client {
		return errors.Join(s.Client.Close(), causalErr)
	}
	return errors.Join(s.Client.Close(), s.Background.Close(), causalErr)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// uriPath escapes what would end the path of an SQLite file: URI early.
var uriPath = strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f")

// createPrivate creates the SQLite database file readable by its owner
// only, before SQLite opens it; SQLite gives the -wal and -shm files the
// database file's mode. An existing file is left as it is.
func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, ":memory:?") {
		return nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("creating the database file: %w", err)
	}
	return f.Close()
}

func sqlitePath(rawURL string) string {
	switch {
	case rawURL == "":
		return DefaultSQLiteFile
	case strings.HasPrefix(rawURL, "sqlite://"):
		return strings.TrimPrefix(rawURL, "sqlite://")
	case strings.HasPrefix(rawURL, "sqlite:"):
		return strings.TrimPrefix(rawURL, "sqlite:")
	}
	return strings.TrimPrefix(rawURL, "file:")
}

// MySQLDSN converts mysql://user:pass@host:port/db?params to the driver's DSN.
func MySQLDSN(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return "", fmt.Errorf("LATCHKEY_DATABASE_URL: expected mysql://user:pass@host:3306/db, got %q", redact(rawURL))
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if !strings.Contains(u.Host, ":") {
		cfg.Addr = u.Host + ":3306"
	}
	cfg.DBName = strings.Trim(u.Path, "/")
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Params = map[string]string{"charset": "utf8mb4"}
	for k, v := range u.Query() {
		cfg.Params[k] = v[0]
	}
	// Let the driver read the parameters it knows (timeouts among them)
	// into their fields, so that the defaults below see what the URL set.
	cfg, err = mysql.ParseDSN(cfg.FormatDSN())
	if err != nil {
		return "", fmt.Errorf("LATCHKEY_DATABASE_URL: %w", err)
	}
	// A database that stops answering fails a request instead of holding
	// it and its connection: connecting, and reading or writing one packet,
	// must finish in time. Queries of a request also stop at its deadline
	// (LATCHKEY_REQUEST_TIMEOUT); these cover work without one (migrations,
	// last-used flushes) and a half-open TCP connection.
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultMySQLConnectTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultMySQLReadWriteTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = DefaultMySQLReadWriteTimeout
	}
	// Parameters go into the statement on the client: one round trip per
	// query instead of three (prepare, execute, close). The driver escapes
	// them for the connection's character set, which is only sound for
	// character sets where no multibyte character contains a backslash or a
	// quote byte (not GBK, Big5, SJIS, ...). A URL may still say
	// interpolateParams=false.
	if _, set := u.Query()["interpolateParams"]; !set && interpolationSafe(u.Query().Get("charset"), cfg.Collation) {
		cfg.InterpolateParams = true
	}
	return cfg.FormatDSN(), nil
}

// interpolationSafe reports whether the connection's charsets ("" is
// Latchkey's utf8mb4) and collation keep client-side escaping sound: each
// is ASCII-compatible with no multibyte sequence containing 0x5C or 0x27.
func interpolationSafe(charsets, collation string) bool {
	safe := func(name string) bool {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "utf8mb4", "utf8mb3", "utf8", "latin1", "ascii", "binary":
			return true
		}
		return false
	}
	if collation != "" && !safe(strings.SplitN(collation, "_", 2)[0]) {
		return false
	}
	if charsets == "" {
		return true
	}
	for _, c := range strings.Split(charsets, ",") {
		if !safe(c) {
			return false
		}
	}
	return true
}

// Timeouts of MySQL connections unless the URL sets timeout, readTimeout
// or writeTimeout. Reads and writes get 30 s rather than less because a
// migration's ALTER TABLE on a large table is one long read.
const (
	DefaultMySQLConnectTimeout   = 5 * time.Second
	DefaultMySQLReadWriteTimeout = 30 * time.Second
)

// redact hides the password of a database URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// pepperFile reads the pepper kept beside an SQLite database, creating it
// with 32 random bytes (mode 0600) on first use.
func pepperFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		p := strings.TrimSpace(string(b))
		if p == "" {
			return nil, fmt.Errorf("pepper file %s is empty", path)
		}
		return []byte(p), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	p := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(p + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return []byte(p), f.Close()
}
