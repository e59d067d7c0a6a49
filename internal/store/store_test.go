package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/secret"
)

func TestMySQLNeedsPepper(t *testing.T) {
	_, err := Open("mysql://root@127.0.0.1:3306/latchkey", "")
	if err == nil || !strings.Contains(err.Error(), "LATCHKEY_TOKEN_PEPPER") {
		t.Fatalf("want an error naming LATCHKEY_TOKEN_PEPPER, got %v", err)
	}
}

func TestMySQLDSN(t *testing.T) {
	dsn, err := MySQLDSN("mysql://u:p%40ss@db.internal/latchkey?tls=true")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"u:p@ss@tcp(db.internal:3306)/latchkey", "parseTime=true", "tls=true"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("%s lacks %s", dsn, want)
		}
	}
	if _, err := Open("postgres://x", "p"); err == nil {
		t.Error("unsupported scheme accepted")
	}
}

func TestSQLitePepperFileAndBootstrapSecret(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lk.db")
	st, err := Open("sqlite://"+path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := os.Stat(path + ".pepper")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("pepper file: %v %v", info, err)
	}
	again, err := Open("sqlite://"+path, "")
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	if string(again.Pepper) != string(st.Pepper) {
		t.Fatal("the pepper must be generated once and reused")
	}
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	chosen := "automation-supplied-bootstrap-secret-0001"
	svc := &admin.Service{Hasher: secret.NewHasher(st.Pepper), Now: nowUTC}
	boot, err := Seed(ctx, st.Client, svc, chosen)
	if err != nil {
		t.Fatal(err)
	}
	if boot.Secret != "" || boot.Token.Hint != "auto…" {
		t.Fatalf("a supplied bootstrap secret is not printed: %+v", boot)
	}
	if boot.Token.SecretHash != svc.Hasher.Hash(chosen) {
		t.Fatal("bootstrap token does not carry the supplied secret")
	}
	if _, err := Seed(ctx, st.Client, svc, "short"); err != nil {
		t.Fatalf("a seeded database ignores the bootstrap secret: %v", err)
	}
}

// Several instances starting on one new database: exactly one seeds it.
func TestConcurrentSeeding(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lk.db")
	ctx := context.Background()
	first, err := Open("sqlite://"+path, "pepper")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	results := make(chan *Bootstrap, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := Open("sqlite://"+path, "pepper")
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			b, err := Seed(ctx, st.Client, &admin.Service{Hasher: secret.NewHasher(st.Pepper), Now: nowUTC}, "")
			errs <- err
			results <- b
		}()
	}
	seeded := 0
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("a concurrent seed failed: %v", err)
		}
		if b := <-results; b != nil {
			seeded++
		}
	}
	if seeded != 1 {
		t.Fatalf("%d instances seeded, want 1", seeded)
	}
}

// The database and SQLite's -wal and -shm files are the owner's only: they
// hold every token's hash and the audit log.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscallUmask(0o022)
	defer syscallUmask(old)
	path := filepath.Join(t.TempDir(), "data", "lk.db")
	st, err := Open("sqlite://"+path, "p")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(f), perm)
		}
	}
}

func TestPoolIsBounded(t *testing.T) {
	st, err := Open("sqlite://"+filepath.Join(t.TempDir(), "lk.db"), "p")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := st.DB.Stats().MaxOpenConnections; n != DefaultSQLiteMaxConns {
		t.Errorf("SQLite pool: %d connections, want %d", n, DefaultSQLiteMaxConns)
	}
	st2, err := Open("sqlite://"+filepath.Join(t.TempDir(), "lk.db"), "p", MaxConns(3))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n := st2.DB.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("configured pool: %d connections, want 3", n)
	}
	my, err := Open("mysql://root@127.0.0.1:3306/latchkey", "p", MaxConns(7))
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	if n := my.DB.Stats().MaxOpenConnections; n != 7 {
		t.Errorf("MySQL pool: %d connections, want 7", n)
	}
}

// Personas from before names were unique get their key on migration, and a
// name that now collides is numbered rather than lost.
func TestMigrateFoldsOldPersonaNames(t *testing.T) {
	ctx := context.Background()
	st, err := Open("sqlite://"+filepath.Join(t.TempDir(), "lk.db"), "pepper")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Deploy Bot", "deploy  bot", "Other"} {
		if _, err := st.DB.Exec(`INSERT INTO personas (id, name, avatar_url, description, created_at, updated_at) VALUES (?, ?, '', '', datetime('now', ?), datetime('now'))`,
			"per_old"+string(rune('a'+i)), name, "+"+string(rune('0'+i))+" seconds"); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	rows, err := st.DB.Query(`SELECT name, name_fold FROM personas`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, key string
		if err := rows.Scan(&name, &key); err != nil {
			t.Fatal(err)
		}
		got[name] = key
	}
	want := map[string]string{"Deploy Bot": "deploy bot", "deploy  bot (2)": "deploy bot (2)", "Other": "other"}
	for name, key := range want {
		if got[name] != key {
			t.Errorf("persona %q: key %q, want %q (all: %v)", name, got[name], key, got)
		}
	}
}
