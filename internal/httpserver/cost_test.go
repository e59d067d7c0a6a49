package httpserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/cost"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// The query bombs of the security-hardening issue (item 8), and their
// smaller cousins that pass the cheap caps and meet the cost model.

// introspectionBomb aliases n full walks of the schema's types and fields.
func introspectionBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "s%d: __schema { types { fields { name args { name } type { name ofType { name } } } } } ", i)
	}
	b.WriteString("}")
	return b.String()
}

// typenameBomb repeats one field n times: validation compares every pair.
func typenameBomb(n int) string {
	return "{ " + strings.Repeat("__typename ", n) + "}"
}

// pageBomb aliases n maximal pages of tokens with per-row resolvers.
func pageBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "p%d: apiTokens(first: 1000) { edges { node { id name effectivePermissions { contentType action } createdBy { effectivePermissions { contentType action } } } } } ", i)
	}
	b.WriteString("}")
	return b.String()
}

// refused checks a bomb was refused before any work: BAD_USER_INPUT, no
// data, and the cost and limit in extensions.
func refused(t *testing.T, r *testserver.Response, limit int) {
	t.Helper()
	if r.Code() != "BAD_USER_INPUT" || r.Data != nil && len(r.Data) > 0 {
		t.Fatalf("want BAD_USER_INPUT and no data, got HTTP %d: %.300s", r.Status, r.Raw)
	}
	ext := r.Errors[0].Extensions
	c, _ := ext["cost"].(float64)
	if ext["limit"] != float64(limit) || c <= float64(limit) {
		t.Errorf("extensions: cost %v, limit %v, want limit %d and a cost above it", ext["cost"], ext["limit"], limit)
	}
}

func TestIntrospectionBomb(t *testing.T) {
	s := testserver.New(t, "sqlite")
	cfg := s.App.Config()
	// 2,000 aliases: refused for its length, before parsing.
	refused(t, s.Do(t, "", introspectionBomb(2000), nil), cost.MaxQueryBytes)
	// 250: by the parser's token limit, before validation.
	refused(t, s.Do(t, "", introspectionBomb(250), nil), cost.MaxTokens)
	// 60: by the alias cap.
	refused(t, s.Do(t, "", introspectionBomb(60), nil), cost.MaxAliases)
	// 30: valid, but over the anonymous budget.
	refused(t, s.Do(t, "", introspectionBomb(30), nil), cfg.AnonymousComplexityLimit)
	// One walk is fine, anonymously too: introspection stays open.
	if r := s.Do(t, "", introspectionBomb(1), nil); len(r.Errors) > 0 {
		t.Fatalf("one introspection walk: %.300s", r.Raw)
	}
}

func TestTypenameBomb(t *testing.T) {
	s := testserver.New(t, "sqlite")
	// 15,000 fields: over the length limit.
	refused(t, s.Do(t, "", typenameBomb(15_000), nil), cost.MaxQueryBytes)
	// 6,000 short fields: over the parser's token limit.
	refused(t, s.Do(t, "", "{ "+strings.Repeat("a ", 6_000)+"}", nil), cost.MaxTokens)
	// Under the token limit, over the selection cap: refused before validation.
	refused(t, s.Do(t, s.Admin, typenameBomb(4_000), nil), cost.MaxSelections)
	if r := s.Do(t, "", typenameBomb(100), nil); len(r.Errors) > 0 {
		t.Fatalf("100 fields: %.300s", r.Raw)
	}
}

func TestPageBomb(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		reader := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "reader", "type": "READ_ONLY"}}).Str("createAPIToken.secret")
		limit := s.App.Config().ComplexityLimit
		refused(t, s.Do(t, reader, pageBomb(15), nil), limit)
		refused(t, s.Do(t, reader, pageBomb(1), nil), limit)
		// The page size comes from variables too.
		q := `query($n: Int) { apiTokens(first: $n) { edges { node { effectivePermissions { action } createdBy { effectivePermissions { action } } } } } }`
		refused(t, s.Do(t, reader, q, map[string]any{"n": 1000}), limit)
		if r := s.Do(t, reader, q, map[string]any{"n": 50}); len(r.Errors) > 0 {
			t.Fatalf("a page of 50: %.300s", r.Raw)
		}
	})
}

// The cost budget of an anonymous request is its own setting.
func TestAnonymousBudget(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) { c.AnonymousComplexityLimit = 50 }))
	refused(t, s.Do(t, "", introspectionBomb(1), nil), 50)
	if r := s.Do(t, s.Admin, introspectionBomb(1), nil); len(r.Errors) > 0 {
		t.Fatalf("authenticated introspection: %.300s", r.Raw)
	}
}

// An answer over LATCHKEY_MAX_RESPONSE_BYTES is replaced by an error.
func TestResponseSizeLimit(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) { c.MaxResponseBytes = 2000 }))
	r := s.Do(t, "", introspectionBomb(1), nil)
	if r.Code() != "BAD_USER_INPUT" || len(r.Data) > 0 || r.Errors[0].Extensions["limit"] != float64(2000) {
		t.Fatalf("want BAD_USER_INPUT with the limit: %.300s", r.Raw)
	}
	if r := s.Do(t, "", `{ __typename }`, nil); len(r.Errors) > 0 {
		t.Fatalf("a small answer: %s", r.Raw)
	}
}

// A request past LATCHKEY_REQUEST_TIMEOUT stops touching the database.
func TestRequestDeadline(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) { c.RequestTimeout = 1 }))
	if r := s.Do(t, s.Admin, `{ apiTokens { totalCount } }`, nil); len(r.Errors) == 0 || r.Get("apiTokens") != nil {
		t.Fatalf("a request past its deadline answered: %s", r.Raw)
	}
}

// While heavy queries within the budget run, gateways keep being answered
// (each verify below is a token not yet cached, so it needs the database)
// and the pool never opens more connections than its cap.
func TestVerifyAnswersDuringHeavyQueries(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		benchSeedTokens(t, s.Store.Client, 400, 200)
		var secrets []string
		for i := range 8 {
			secrets = append(secrets, s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": fmt.Sprintf("gateway %d", i), "type": "READ_ONLY"}}).Str("createAPIToken.secret"))
		}
		heavy := `{ apiTokens(first: 400) { edges { node { id effectivePermissions { action } createdBy { effectivePermissions { action } } } } } }`
		capacity := s.Store.DB.Stats().MaxOpenConnections
		if capacity <= 0 {
			t.Fatal("the database pool is unbounded")
		}
		var wg sync.WaitGroup
		done := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.Do(t, s.Admin, heavy, nil)
				if len(r.Errors) > 0 {
					t.Errorf("a heavy query within the budget failed: %.300s", r.Raw)
				}
			}()
		}
		go func() { wg.Wait(); close(done) }()
		maxOpen := 0
		for i := 0; ; i++ {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/auth/verify?contentType=api-token&action=read", nil)
			req.Header.Set("Authorization", "Bearer "+secrets[i%len(secrets)])
			res, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("verify during heavy queries: HTTP %d (%s)", res.StatusCode, res.Header.Get("X-Latchkey-Error"))
			}
			maxOpen = max(maxOpen, s.Store.DB.Stats().OpenConnections)
			select {
			case <-done:
				if maxOpen > capacity {
					t.Errorf("%d connections open, cap %d", maxOpen, capacity)
				}
				return
			default:
			}
		}
	})
}
