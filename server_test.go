package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
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
