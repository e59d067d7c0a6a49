package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A database of an earlier version kept last use in api_tokens columns:
// migrating carries the values into token_usage, drops the columns, and is
// harmless when run again.
func TestMigrateMovesLastUse(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := testserver.New(t, dialect)
		create := `mutation($n: String!) { createAPIToken(input: {name: $n, type: READ_ONLY}) { apiToken { id } } }`
		used := s.MustDo(t, s.Admin, create, map[string]any{"n": "used"}).Str("createAPIToken.apiToken.id")
		unused := s.MustDo(t, s.Admin, create, map[string]any{"n": "unused"}).Str("createAPIToken.apiToken.id")

		old := []string{
			"ALTER TABLE api_tokens ADD COLUMN last_used_at datetime(6) NULL, ADD COLUMN last_used_sort datetime(6) NOT NULL DEFAULT '1970-01-01 00:00:00', ADD COLUMN last_used_ip varchar(64) NULL, ADD INDEX apitoken_last_used_sort_id (last_used_sort, id)",
		}
		if dialect == "sqlite" {
			old = []string{
				"ALTER TABLE api_tokens ADD COLUMN last_used_at datetime NULL",
				"ALTER TABLE api_tokens ADD COLUMN last_used_sort datetime NOT NULL DEFAULT '1970-01-01 00:00:00+00:00'",
				"ALTER TABLE api_tokens ADD COLUMN last_used_ip text NULL",
				"CREATE INDEX apitoken_last_used_sort_id ON api_tokens (last_used_sort, id)",
			}
		}
		for _, q := range old {
			if _, err := s.Store.DB.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Date(2026, 3, 4, 5, 6, 7, 891000, time.UTC)
		if _, err := s.Store.DB.Exec("UPDATE api_tokens SET last_used_at = ?, last_used_sort = ?, last_used_ip = '10.1.2.3' WHERE id = ?", at, at, used); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.Store.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		q := `query($id: ID!) { node(id: $id) { ... on APIToken { lastUsedAt lastUsedIP } } }`
		r := s.MustDo(t, s.Admin, q, map[string]any{"id": used})
		if r.Str("node.lastUsedAt") != at.Format(time.RFC3339Nano) || r.Str("node.lastUsedIP") != "10.1.2.3" {
			t.Fatalf("carried over: %s", r.Raw)
		}
		if r := s.MustDo(t, s.Admin, q, map[string]any{"id": unused}); r.Get("node.lastUsedAt") != nil || r.Get("node.lastUsedIP") != nil {
			t.Fatalf("never used: %s", r.Raw)
		}
		if _, err := s.Store.DB.Exec("SELECT last_used_at FROM api_tokens"); err == nil {
			t.Fatal("the old columns are still there")
		}
		s.MustDo(t, s.Admin, create, map[string]any{"n": "after"})
		byUse := s.MustDo(t, s.Admin, `{ apiTokens(orderBy: {field: LAST_USED_AT, direction: DESC}, first: 1) { edges { node { id } } } }`, nil)
		if got := byUse.Get("apiTokens.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"]; got != used {
			// Bootstrap has not been flushed: the carried-over use is the latest.
			t.Fatalf("latest use: %v", got)
		}
	})
}
