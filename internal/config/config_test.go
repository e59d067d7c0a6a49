package config

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, _, err := Parse("serve", []string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("want ErrHelp, got %v", err)
	}
	for _, env := range []string{"LATCHKEY_ADDR", "LATCHKEY_DATABASE_URL", "LATCHKEY_TOKEN_PEPPER", "LATCHKEY_BOOTSTRAP_TOKEN", "LATCHKEY_LOG_LEVEL", "LATCHKEY_CACHE_TTL", "LATCHKEY_CACHE_SIZE", "LATCHKEY_AUTH_FAILURE_RATE", "LATCHKEY_AUTH_FAILURE_BURST", "LATCHKEY_TRUSTED_PROXIES", "LATCHKEY_LAST_USED_FLUSH_INTERVAL", "LATCHKEY_COMPLEXITY_LIMIT", "LATCHKEY_ANONYMOUS_COMPLEXITY_LIMIT", "LATCHKEY_MAX_RESPONSE_BYTES", "LATCHKEY_REQUEST_TIMEOUT", "LATCHKEY_DB_MAX_CONNS"} {
		if !strings.Contains(out.String(), env) {
			t.Errorf("--help does not mention %s", env)
		}
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	env := map[string]string{"LATCHKEY_ADDR": ":9000", "LATCHKEY_CACHE_TTL": "2s", "LATCHKEY_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}
	c, _, err := Parse("serve", []string{"--cache-size=7"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.CacheTTL != 2*time.Second || c.CacheSize != 7 || len(c.TrustedProxies) != 2 {
		t.Fatalf("%+v", c)
	}
	c, _, err = Parse("serve", []string{"--addr=:1"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil || c.Addr != ":1" {
		t.Fatalf("a flag wins over the environment: %+v %v", c, err)
	}
	for env, bad := range map[string]string{"LATCHKEY_TRUSTED_PROXIES": "nope", "LATCHKEY_CACHE_TTL": "soon", "LATCHKEY_CACHE_SIZE": "many"} {
		if _, _, err := Parse("serve", nil, func(k string) string { return map[string]string{env: bad}[k] }, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("bad %s accepted or not named: %v", env, err)
		}
	}
}

func TestCostAndPoolSettings(t *testing.T) {
	env := map[string]string{"LATCHKEY_ANONYMOUS_COMPLEXITY_LIMIT": "500", "LATCHKEY_REQUEST_TIMEOUT": "3s", "LATCHKEY_DB_MAX_CONNS": "4"}
	c, _, err := Parse("serve", []string{"--complexity-limit=9000"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.ComplexityLimit != 9000 || c.AnonymousComplexityLimit != 500 || c.RequestTimeout != 3*time.Second || c.DBMaxConns != 4 || c.MaxResponseBytes != 8<<20 {
		t.Fatalf("%+v", c)
	}
	for _, args := range [][]string{{"--complexity-limit=0"}, {"--anonymous-complexity-limit=-1"}, {"--request-timeout=0s"}, {"--db-max-conns=-1"}, {"--max-response-bytes=0"}} {
		if _, _, err := Parse("serve", args, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestLifecycleAndSheddingSettings(t *testing.T) {
	var out bytes.Buffer
	_, _, _ = Parse("serve", []string{"--help"}, func(string) string { return "" }, &out)
	for _, env := range []string{"LATCHKEY_STARTUP_TIMEOUT", "LATCHKEY_SHUTDOWN_DELAY", "LATCHKEY_MAX_IN_FLIGHT", "LATCHKEY_MAX_QUEUED", "LATCHKEY_QUEUE_TIMEOUT", "LATCHKEY_NEGATIVE_CACHE_TTL"} {
		if !strings.Contains(out.String(), env) {
			t.Errorf("--help does not mention %s", env)
		}
	}
	c, _, err := Parse("serve", nil, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.StartupTimeout != 3*time.Minute || c.ShutdownDelay != 2*time.Second || c.MaxInFlight != 256 || c.MaxQueued != 256 || c.QueueTimeout != 500*time.Millisecond || c.NegativeCacheTTL != 10*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	env := map[string]string{"LATCHKEY_STARTUP_TIMEOUT": "10s", "LATCHKEY_SHUTDOWN_DELAY": "0s", "LATCHKEY_MAX_IN_FLIGHT": "0"}
	c, _, err = Parse("serve", []string{"--queue-timeout=1s"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil || c.StartupTimeout != 10*time.Second || c.ShutdownDelay != 0 || c.MaxInFlight != 0 || c.QueueTimeout != time.Second {
		t.Fatalf("%+v %v", c, err)
	}
	for _, args := range [][]string{{"--startup-timeout=0s"}, {"--shutdown-delay=15s"}, {"--shutdown-delay=-1s"}, {"--max-in-flight=-1"}, {"--max-queued=-1"}, {"--queue-timeout=-1s"}, {"--negative-cache-ttl=-1s"}, {"--shutdown-timeout=0s"}} {
		if _, _, err := Parse("serve", args, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
