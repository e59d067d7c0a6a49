// Package config reads Latchkey's settings. Every setting is a command-line
// flag and a LATCHKEY_* environment variable; a flag wins over the variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/usage"
)

// Config is every setting of a Latchkey process.
type Config struct {
	Addr            string
	DatabaseURL     string
	TokenPepper     string
	BootstrapToken  string
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration

	CacheSize          int
	CacheTTL           time.Duration
	ChangePollInterval time.Duration
	LastUsedFlushEvery time.Duration
	AuthFailureRate    float64
	AuthFailureBurst   int
	TrustedProxies     []netip.Prefix
	// ComplexityLimit and AnonymousComplexityLimit are the query cost
	// budgets (internal/cost) of authenticated and anonymous requests.
	ComplexityLimit          int
	AnonymousComplexityLimit int
	MaxResponseBytes         int
	RequestTimeout           time.Duration
	// DBMaxConns caps the database pool; 0 means the dialect's default.
	DBMaxConns int

	// StartupTimeout is how long start-up may wait for the database before
	// the process gives up; ShutdownDelay how long /readyz answers 503 on
	// SIGTERM before the listener closes (within ShutdownTimeout).
	StartupTimeout time.Duration
	ShutdownDelay  time.Duration
	// Load shedding: at most MaxInFlight requests run at once, at most
	// MaxQueued more wait up to QueueTimeout for a turn; the rest get 503.
	// MaxInFlight 0 turns shedding off.
	MaxInFlight  int
	MaxQueued    int
	QueueTimeout time.Duration
	// NegativeCacheTTL is how long a secret that authenticates nothing is
	// remembered as such (0: not at all).
	NegativeCacheTTL time.Duration
	// SweepInterval is how often lifecycle sweeps run (auto-revoke of unused tokens).
	SweepInterval time.Duration
	// UsageRetention is how long usage buckets of each interval are kept.
	UsageRetention usage.Retention
	// LimitsSyncInterval is how often rate-limit counts are shared between
	// instances and idle credit leases returned (internal/limits, credits).
	LimitsSyncInterval time.Duration
	// Webhooks (internal/webhook) and leak reports (internal/secretscan).
	WebhookPollInterval time.Duration
	WebhookTimeout      time.Duration
	WebhookConcurrency  int
	WebhookRetention    time.Duration
	SecretScanningKeys  string
}

// Parse reads settings from args (without the program or subcommand name)
// and the environment. Help goes to out.
func Parse(cmd string, args []string, getenv func(string) string, out io.Writer) (*Config, []string, error) {
	c := &Config{}
	fs := flag.NewFlagSet("latchkey "+cmd, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: latchkey [serve|migrate|mint-token --name NAME] [flags]\n\nEvery flag can also be set by the LATCHKEY_* variable named beside it; a flag wins.\n\n")
		fs.PrintDefaults()
	}
	var proxies string
	var envErrs []error
	fromEnv := func(name, env string) {
		if v := getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	}
	// Values from the environment are applied with Set, so --help shows the
	// built-in defaults and never a secret taken from the environment.
	str := func(p *string, name, env, def, usage string) {
		fs.StringVar(p, name, def, usage+" ("+env+")")
		fromEnv(name, env)
	}
	dur := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		fs.DurationVar(p, name, def, usage+" ("+env+")")
		fromEnv(name, env)
	}
	num := func(p *int, name, env string, def int, usage string) {
		fs.IntVar(p, name, def, usage+" ("+env+")")
		fromEnv(name, env)
	}
	str(&c.Addr, "addr", "LATCHKEY_ADDR", ":8080", "address to listen on")
	str(&c.DatabaseURL, "database-url", "LATCHKEY_DATABASE_URL", "", "database: empty for SQLite in ./latchkey.db, sqlite:///path/file.db, or mysql://user:pass@host:3306/db")
	str(&c.TokenPepper, "token-pepper", "LATCHKEY_TOKEN_PEPPER", "", "secret key of the HMAC over token secrets; required with MySQL, generated into <db>.pepper for SQLite")
	str(&c.BootstrapToken, "bootstrap-token", "LATCHKEY_BOOTSTRAP_TOKEN", "", "secret of the Bootstrap token created on first start (default: generated and printed once)")
	str(&c.LogLevel, "log-level", "LATCHKEY_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	str(&c.LogFormat, "log-format", "LATCHKEY_LOG_FORMAT", "auto", "log format: json, pretty, or auto (pretty on a terminal)")
	dur(&c.ShutdownTimeout, "shutdown-timeout", "LATCHKEY_SHUTDOWN_TIMEOUT", 15*time.Second, "how long to wait for requests in flight on SIGINT/SIGTERM")
	num(&c.CacheSize, "cache-size", "LATCHKEY_CACHE_SIZE", 10000, "verified tokens kept in memory")
	dur(&c.CacheTTL, "cache-ttl", "LATCHKEY_CACHE_TTL", time.Minute, "how long a verified token stays cached; changes reach every instance sooner, through the change feed")
	dur(&c.ChangePollInterval, "change-poll-interval", "LATCHKEY_CHANGE_POLL_INTERVAL", 250*time.Millisecond, "how often the change feed is read; a change on another instance reaches this one's cache within it (and the cache is not trusted 1 s after a failed read)")
	dur(&c.LastUsedFlushEvery, "last-used-flush-interval", "LATCHKEY_LAST_USED_FLUSH_INTERVAL", 10*time.Second, "how often last-used times are written to the database")
	fs.Float64Var(&c.AuthFailureRate, "auth-failure-rate", 1, "failed authentications allowed per second and client IP (LATCHKEY_AUTH_FAILURE_RATE)")
	fromEnv("auth-failure-rate", "LATCHKEY_AUTH_FAILURE_RATE")
	num(&c.AuthFailureBurst, "auth-failure-burst", "LATCHKEY_AUTH_FAILURE_BURST", 20, "failed authentications allowed in a burst per client IP")
	str(&proxies, "trusted-proxies", "LATCHKEY_TRUSTED_PROXIES", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed")
	num(&c.ComplexityLimit, "complexity-limit", "LATCHKEY_COMPLEXITY_LIMIT", 25000, "most a GraphQL query of an authenticated caller may cost (see README, Query cost limits)")
	num(&c.AnonymousComplexityLimit, "anonymous-complexity-limit", "LATCHKEY_ANONYMOUS_COMPLEXITY_LIMIT", 16000, "most a GraphQL query without a token may cost; enough for GraphiQL's introspection query")
	num(&c.MaxResponseBytes, "max-response-bytes", "LATCHKEY_MAX_RESPONSE_BYTES", 8<<20, "largest GraphQL answer, in bytes")
	dur(&c.RequestTimeout, "request-timeout", "LATCHKEY_REQUEST_TIMEOUT", 10*time.Second, "deadline of every /graphql and /auth/verify request")
	num(&c.DBMaxConns, "db-max-conns", "LATCHKEY_DB_MAX_CONNS", 0, "most open database connections (0: 8 for SQLite, 50 for MySQL)")
	dur(&c.StartupTimeout, "startup-timeout", "LATCHKEY_STARTUP_TIMEOUT", 3*time.Minute, "how long start-up waits for the database (retrying with backoff) before the process exits with status 1")
	dur(&c.ShutdownDelay, "shutdown-delay", "LATCHKEY_SHUTDOWN_DELAY", 2*time.Second, "on SIGTERM, how long /readyz answers 503 while requests are still served, so load balancers stop sending new ones (part of the shutdown timeout)")
	num(&c.MaxInFlight, "max-in-flight", "LATCHKEY_MAX_IN_FLIGHT", 256, "requests handled at once; more wait (see max-queued) or get 503 with Retry-After (0: no limit)")
	num(&c.MaxQueued, "max-queued", "LATCHKEY_MAX_QUEUED", 256, "requests that may wait for a turn when max-in-flight are running")
	dur(&c.QueueTimeout, "queue-timeout", "LATCHKEY_QUEUE_TIMEOUT", 500*time.Millisecond, "longest a request waits for a turn before it gets 503")
	dur(&c.NegativeCacheTTL, "negative-cache-ttl", "LATCHKEY_NEGATIVE_CACHE_TTL", 10*time.Second, "how long a well-formed secret that authenticates nothing is remembered, so repeating it costs no database lookup (0: off); creates and regenerates forget it at once on every instance")
	dur(&c.SweepInterval, "sweep-interval", "LATCHKEY_SWEEP_INTERVAL", time.Minute, "how often lifecycle sweeps run (revoking tokens unused longer than the policy allows, expiry notices, webhook retention)")
	dur(&c.UsageRetention.Minute, "usage-retention-minute", "LATCHKEY_USAGE_RETENTION_MINUTE", usage.DefaultRetention.Minute, "how long per-minute usage counts are kept")
	dur(&c.UsageRetention.Hour, "usage-retention-hour", "LATCHKEY_USAGE_RETENTION_HOUR", usage.DefaultRetention.Hour, "how long per-hour usage counts are kept")
	dur(&c.UsageRetention.Day, "usage-retention-day", "LATCHKEY_USAGE_RETENTION_DAY", usage.DefaultRetention.Day, "how long per-day usage counts are kept")
	dur(&c.LimitsSyncInterval, "limits-sync-interval", "LATCHKEY_LIMITS_SYNC_INTERVAL", time.Second, "how often instances share rate-limit counts and return unused credit leases; a limit can be overshot across instances by what the others admit in two intervals")
	dur(&c.WebhookPollInterval, "webhook-poll-interval", "LATCHKEY_WEBHOOK_POLL_INTERVAL", time.Second, "how often each instance looks for webhook deliveries that are due")
	dur(&c.WebhookTimeout, "webhook-timeout", "LATCHKEY_WEBHOOK_TIMEOUT", 10*time.Second, "how long one webhook delivery attempt may take")
	num(&c.WebhookConcurrency, "webhook-concurrency", "LATCHKEY_WEBHOOK_CONCURRENCY", 8, "webhook deliveries each instance attempts at once")
	dur(&c.WebhookRetention, "webhook-retention", "LATCHKEY_WEBHOOK_RETENTION", 30*24*time.Hour, "how long finished webhook deliveries and their events are kept (at least 4 days)")
	str(&c.SecretScanningKeys, "secret-scanning-keys", "LATCHKEY_SECRET_SCANNING_KEYS", "", "file of secret scanners' public keys in GitHub's key-list JSON; enables POST /secret-scanning/report")

	if err := errors.Join(envErrs...); err != nil {
		return nil, nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	for _, s := range strings.Split(proxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, nil, fmt.Errorf("LATCHKEY_TRUSTED_PROXIES: %q is not a CIDR or an address", s)
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.CacheSize < 0 || c.AuthFailureBurst < 1 || c.AuthFailureRate <= 0 {
		return nil, nil, errors.New("cache-size must be ≥ 0, auth-failure-rate > 0 and auth-failure-burst ≥ 1")
	}
	if c.ChangePollInterval <= 0 || c.ChangePollInterval >= time.Second {
		return nil, nil, errors.New("change-poll-interval must be between 0 and 1s: revocations must reach every instance within a second")
	}
	if c.SweepInterval <= 0 {
		return nil, nil, errors.New("sweep-interval must be > 0")
	}
	if r := c.UsageRetention; r.Minute < time.Minute || r.Hour < time.Hour || r.Day < 24*time.Hour {
		return nil, nil, errors.New("usage-retention-minute must be ≥ 1m, usage-retention-hour ≥ 1h and usage-retention-day ≥ 24h")
	}
	if c.LimitsSyncInterval <= 0 {
		return nil, nil, errors.New("limits-sync-interval must be > 0")
	}
	if c.ComplexityLimit < 1 || c.AnonymousComplexityLimit < 1 || c.MaxResponseBytes < 1 || c.RequestTimeout <= 0 || c.DBMaxConns < 0 {
		return nil, nil, errors.New("complexity-limit, anonymous-complexity-limit, max-response-bytes and request-timeout must be > 0, db-max-conns ≥ 0")
	}
	if c.StartupTimeout <= 0 || c.ShutdownTimeout <= 0 || c.ShutdownDelay < 0 || c.ShutdownDelay >= c.ShutdownTimeout {
		return nil, nil, errors.New("startup-timeout and shutdown-timeout must be > 0, shutdown-delay ≥ 0 and shorter than shutdown-timeout")
	}
	if c.MaxInFlight < 0 || c.MaxQueued < 0 || c.QueueTimeout < 0 || c.NegativeCacheTTL < 0 {
		return nil, nil, errors.New("max-in-flight, max-queued, queue-timeout and negative-cache-ttl must be ≥ 0")
	}
	if c.WebhookPollInterval <= 0 || c.WebhookTimeout <= 0 || c.WebhookConcurrency < 1 || c.SweepInterval <= 0 || c.WebhookRetention < 4*24*time.Hour {
		return nil, nil, errors.New("webhook-poll-interval, webhook-timeout and sweep-interval must be > 0, webhook-concurrency ≥ 1, webhook-retention ≥ 96h (deliveries are retried for 3 days)")
	}
	return c, fs.Args(), nil
}

// FromEnv parses the process's own arguments and environment.
func FromEnv(cmd string, args []string) (*Config, []string, error) {
	return Parse(cmd, args, os.Getenv, os.Stderr)
}
