package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/lastused"
	"github.com/latchkeyhq/latchkey/internal/store"
)

func TestMigrateAndMintToken(t *testing.T) {
	url := "sqlite://" + filepath.Join(t.TempDir(), "lk.db")
	if err := run([]string{"migrate", "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"migrate", "--database-url=" + url}); err != nil {
		t.Fatalf("migrating twice: %v", err)
	}
	if err := run([]string{"mint-token", "--database-url", url, "--name", "Recovery"}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"mint-token", "--database-url", url}); err == nil {
		t.Fatal("mint-token without --name accepted")
	}
	if err := run([]string{"frobnicate"}); err == nil {
		t.Fatal("unknown command accepted")
	}
	st, err := store.Open(url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, err := st.Client.APIToken.Query().Where(apitoken.Name("Recovery")).Only(context.Background())
	if err != nil || tok.Type != apitoken.TypeFULL_ACCESS {
		t.Fatalf("minted token: %v %v", tok, err)
	}
}

// SIGTERM drains requests and flushes last-used times before exiting.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite://" + filepath.Join(dir, "lk.db")
	const boot = "bootstrap-secret-for-the-shutdown-test-0001"
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- serve([]string{"--addr", "127.0.0.1:0", "--database-url", url, "--bootstrap-token", boot, "--log-level", "error", "--last-used-flush-interval", "1h"},
			func(a string) { ready <- a })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(`{"query":"{ viewer { persona { name } } }"}`))
	req.Header.Set("Authorization", "Bearer "+boot)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("viewer: %v %v", res, err)
	}
	res.Body.Close()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	st, err := store.Open(url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, err := st.Client.APIToken.Query().Where(apitoken.Name("Bootstrap")).Only(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	used, err := lastused.Of(context.Background(), st.Client, tok.ID)
	if err != nil || used == nil || used.LastUsedAt == nil {
		t.Fatalf("last use not flushed at shutdown: %+v %v", used, err)
	}
}
