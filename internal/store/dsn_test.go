package store

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// A database that stops answering must fail a connection in bounded time:
// MySQL connections get connect, read and write timeouts unless the URL
// chooses its own.
func TestMySQLDSNTimeouts(t *testing.T) {
	for _, c := range []struct {
		url                  string
		connect, read, write time.Duration
	}{
		{"mysql://u@db/latchkey", DefaultMySQLConnectTimeout, DefaultMySQLReadWriteTimeout, DefaultMySQLReadWriteTimeout},
		{"mysql://u@db/latchkey?timeout=500ms&readTimeout=2s", 500 * time.Millisecond, 2 * time.Second, DefaultMySQLReadWriteTimeout},
		{"mysql://u@db/latchkey?writeTimeout=1m&tls=false", DefaultMySQLConnectTimeout, DefaultMySQLReadWriteTimeout, time.Minute},
	} {
		dsn, err := MySQLDSN(c.url)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if cfg.Timeout != c.connect || cfg.ReadTimeout != c.read || cfg.WriteTimeout != c.write {
			t.Errorf("%s: timeouts %v/%v/%v, want %v/%v/%v", c.url, cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout, c.connect, c.read, c.write)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC || !strings.Contains(dsn, "charset=utf8mb4") {
			t.Errorf("%s: lost the base settings: %s", c.url, dsn)
		}
	}
	if _, err := MySQLDSN("mysql://u@db/latchkey?timeout=soon"); err == nil {
		t.Error("an unreadable timeout was accepted")
	}
}

// Parameters are interpolated on the client (one round trip per query) only
// with character sets where that is sound; a URL may turn it off.
func TestMySQLDSNInterpolation(t *testing.T) {
	for _, c := range []struct {
		url  string
		want bool
	}{
		{"mysql://u@db/latchkey", true},
		{"mysql://u@db/latchkey?charset=utf8mb4,utf8", true},
		{"mysql://u@db/latchkey?charset=latin1", true},
		{"mysql://u@db/latchkey?interpolateParams=false", false},
		{"mysql://u@db/latchkey?charset=sjis", false},
		{"mysql://u@db/latchkey?charset=utf8mb4,gbk", false},
		{"mysql://u@db/latchkey?charset=big5", false},
		{"mysql://u@db/latchkey?collation=utf8mb4_unicode_ci", true},
		{"mysql://u@db/latchkey?collation=gbk_chinese_ci", false},
		{"mysql://u@db/latchkey?collation=cp932_japanese_ci", false},
	} {
		dsn, err := MySQLDSN(c.url)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if cfg.InterpolateParams != c.want {
			t.Errorf("%s: interpolateParams %v, want %v", c.url, cfg.InterpolateParams, c.want)
		}
	}
}
