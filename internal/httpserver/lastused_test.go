package httpserver_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Last use lives in token_usage: a page of tokens reads it in one query,
// however many tokens show it, and a flush never writes the token rows
// that mutations lock.
func TestLastUseReadOnceWrittenApart(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		for i := range 6 {
			sec := s.MustDo(t, s.Admin, createMin, tokenInput(fmt.Sprint("used ", i))).Str("createAPIToken.secret")
			s.MustDo(t, sec, viewerQuery, nil)
		}
		var before string
		if err := s.Store.DB.QueryRow("SELECT COALESCE(MAX(updated_at), '') FROM api_tokens").Scan(&before); err != nil {
			t.Fatal(err)
		}
		if err := s.App.Recorder.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		var after string
		if err := s.Store.DB.QueryRow("SELECT COALESCE(MAX(updated_at), '') FROM api_tokens").Scan(&after); err != nil {
			t.Fatal(err)
		}
		if s.Count(t, "token_usage") != 7 || after != before {
			t.Fatalf("flush: %d usage rows; api_tokens updated %q → %q", s.Count(t, "token_usage"), before, after)
		}

		var reads atomic.Int64
		s.Store.Client.TokenUsage.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				reads.Add(1)
				return next.Query(ctx, q)
			})
		}))
		r := s.MustDo(t, s.Admin, `{ apiTokens(first: 100, orderBy: {field: LAST_USED_AT, direction: DESC}) { edges { node { name lastUsedAt lastUsedIP } } } }`, nil)
		edges := r.Get("apiTokens.edges").([]any)
		for _, e := range edges {
			n := e.(map[string]any)["node"].(map[string]any)
			if n["lastUsedAt"] == nil || n["lastUsedIP"] != "127.0.0.1" {
				t.Fatalf("token without its last use: %v", n)
			}
		}
		if len(edges) != 7 || reads.Load() != 1 {
			t.Fatalf("%d tokens read their last use in %d queries", len(edges), reads.Load())
		}
	})
}
