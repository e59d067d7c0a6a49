package httpserver_test

// Benchmarks of the GraphQL surface through the real handler (SPEC,
// Performance targets). They only run with -bench, e.g.
//
//	go test ./internal/httpserver/ -run '^$' -bench . -benchmem
//
// so their setup (servers, thousands of seeded tokens) never slows a plain
// go test ./... run. BenchmarkTokenListMySQL runs only when
// LATCHKEY_TEST_MYSQL_DSN is set; LATCHKEY_BENCH_MYSQL_TOKENS changes its
// number of tokens (default 100000).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

// benchServer is an in-process server on a fresh SQLite database with the
// default configuration, logging at info level (as deployed) into
// io.Discard, so that the log costs what it costs in production without a
// buffer growing during the benchmark.
func benchServer(b *testing.B) (http.Handler, string) {
	b.Helper()
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	return s.App.Handler(), s.Admin
}

// benchBody is a GraphQL POST body.
func benchBody(b *testing.B, query string, vars map[string]any) []byte {
	b.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// benchPost sends one GraphQL POST to h and fails on anything but a clean
// 200 answer.
func benchPost(b *testing.B, h http.Handler, bearer string, body []byte) {
	b.Helper()
	if err := benchTryPost(h, bearer, body); err != nil {
		b.Fatal(err)
	}
}

// benchTryPost is benchPost for RunParallel's goroutines, which may not
// call b.Fatal.
func benchTryPost(h http.Handler, bearer string, body []byte) error {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		return fmt.Errorf("HTTP %d: %s", rec.Code, rec.Body.String())
	}
	return nil
}

// BenchmarkGraphQLTypename compares the same query anonymously and with a
// bearer token (SPEC: authenticated throughput ≥ 85 % of unauthenticated).
// Throughput is 1/(ns/op) per sub-benchmark; both run on all cores.
func BenchmarkGraphQLTypename(b *testing.B) {
	h, adminSecret := benchServer(b)
	body := benchBody(b, `{ __typename }`, nil)
	for _, c := range []struct{ name, bearer string }{{"anonymous", ""}, {"bearer", adminSecret}} {
		b.Run(c.name, func(b *testing.B) {
			benchPost(b, h, c.bearer, body) // warm the query and verification caches
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := benchTryPost(h, c.bearer, body); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkVerifyEndpoint is GET /auth/verify for an allowed token: the
// forward-auth hot path of a gateway.
func BenchmarkVerifyEndpoint(b *testing.B) {
	h, adminSecret := benchServer(b)
	do := func() bool {
		req := httptest.NewRequest(http.MethodGet, "/auth/verify?contentType=api-token&action=read", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Authorization", "Bearer "+adminSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Errorf("HTTP %d", rec.Code)
			return false
		}
		return true
	}
	if !do() {
		b.FailNow()
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() && do() {
		}
	})
}

// benchWords make token names that a name filter can select a share of.
var benchWords = []string{"deploy", "billing", "search", "reporting", "partner", "mobile", "backup", "ci"}

// benchSeedTokens inserts n tokens, each with its own persona, straight
// through ent in bulk (no audit events: the list does not read them).
// Token i is named "<word> token <i>" with word benchWords[i%8].
func benchSeedTokens(b testing.TB, client *ent.Client, n, batch int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Second)
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		// One transaction per batch, as a bulk import would: the token-count
		// stamp (internal/listcount) is one feed entry per transaction.
		tx, err := client.Tx(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ps := make([]*ent.PersonaCreate, 0, to-from)
		for i := from; i < to; i++ {
			ps = append(ps, tx.Persona.Create().SetName(fmt.Sprintf("bot %06d", i)).SetCreatedAt(now).SetUpdatedAt(now))
		}
		personas, err := tx.Persona.CreateBulk(ps...).Save(ctx)
		if err != nil {
			b.Fatalf("seeding personas: %v", err)
		}
		ts := make([]*ent.APITokenCreate, 0, to-from)
		for i := from; i < to; i++ {
			name := fmt.Sprintf("%s token %06d", benchWords[i%len(benchWords)], i)
			created := now.Add(time.Duration(i) * time.Millisecond)
			ts = append(ts, tx.APIToken.Create().
				SetName(name).
				SetNameFold(strings.ToLower(name)).
				SetCode(strings.ReplaceAll(name, " ", "-")).
				SetType(apitoken.TypeREAD_ONLY).
				SetSecretHash(fmt.Sprintf("%064x", i)).
				SetHint("lk_bench0…").
				SetExpiresSort(tokenstatus.ExpirySortKey(nil)).
				SetPersona(personas[i-from]).
				SetCreatedAt(created).
				SetUpdatedAt(created))
		}
		if _, err := tx.APIToken.CreateBulk(ts...).Save(ctx); err != nil {
			b.Fatalf("seeding tokens: %v", err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d tokens in %v", n, time.Since(start).Round(time.Millisecond))
}

const benchListQuery = `query($where: APITokenWhereInput) {
	apiTokens(first: 20, where: $where) { totalCount edges { node { id name } } } }`

// benchList runs the token list variants against a seeded server: the first
// page in the default order (name), a broad name filter (1 in 8 tokens
// match, all of them counted for totalCount), one every token matches, one
// letter (shorter than a trigram: always a scan) and a narrow one (1 match).
func benchList(b *testing.B, s *testserver.Server, n int) {
	cases := []struct {
		name  string
		where map[string]any
		total int
	}{
		{"first-page", nil, n + 1}, // + the Bootstrap token
		{"name-contains-broad", map[string]any{"nameContainsFold": "BILLING"}, (n + 6) / 8},
		{"name-contains-every", map[string]any{"nameContainsFold": "TOK"}, n},
		{"name-contains-short", map[string]any{"nameContainsFold": "a"}, withA(n)},
		{"name-contains-narrow", map[string]any{"nameContainsFold": fmt.Sprintf("token %06d", n/2)}, 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := s.MustDo(b, s.Admin, benchListQuery, map[string]any{"where": c.where})
			if got := r.Get("apiTokens.totalCount"); got != float64(c.total) {
				b.Fatalf("totalCount = %v, want %d", got, c.total)
			}
			if edges, _ := r.Get("apiTokens.edges").([]any); len(edges) != min(20, c.total) {
				b.Fatalf("%d edges", len(edges))
			}
			body := benchBody(b, benchListQuery, map[string]any{"where": c.where})
			h := s.App.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				benchPost(b, h, s.Admin, body)
			}
		})
	}
}

// withA counts the seeded tokens (and Bootstrap) whose name holds an "a".
func withA(n int) int {
	count := 1 // Bootstrap
	for i := range n {
		if strings.Contains(benchWords[i%len(benchWords)], "a") {
			count++
		}
	}
	return count
}

// BenchmarkTokenListSQLite lists 1000 tokens on SQLite.
func BenchmarkTokenListSQLite(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet())
	benchSeedTokens(b, s.Store.Client, 1000, 1000)
	benchList(b, s, 1000)
}

// BenchmarkTokenListMySQL lists 100k tokens (LATCHKEY_BENCH_MYSQL_TOKENS)
// on MySQL/MariaDB (SPEC: first page ≤ 10 ms, name-contains ≤ 50 ms).
func BenchmarkTokenListMySQL(b *testing.B) {
	if os.Getenv("LATCHKEY_TEST_MYSQL_DSN") == "" {
		b.Skip("set LATCHKEY_TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/ to run")
	}
	n := 100_000
	if v := os.Getenv("LATCHKEY_BENCH_MYSQL_TOKENS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("LATCHKEY_BENCH_MYSQL_TOKENS=%q", v)
		}
	}
	s := testserver.New(b, "mysql", testserver.Quiet())
	benchSeedTokens(b, s.Store.Client, n, 2000)
	// Fresh statistics, as a long-lived table would have.
	if _, err := s.Store.DB.Exec("ANALYZE TABLE api_tokens, personas"); err != nil {
		b.Fatal(err)
	}
	benchList(b, s, n)
}

// BenchmarkVerifyEndpointPolicy is GET /auth/verify side by side, in one
// run of the same binary: a token with no policy, and one with two rate
// limits, credits and a CIDR list (docs/PERFORMANCE.md, Token policy on the
// hot path).
func BenchmarkVerifyEndpointPolicy(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	plain, _ := policyToken(b, s, "plain", nil)
	limited, _ := policyToken(b, s, "limited", map[string]any{
		"rateLimits":      []map[string]any{{"name": "second", "limit": 1_000_000_000, "periodSeconds": 1}, {"name": "hour", "limit": 1_000_000_000, "periodSeconds": 3600}},
		"credits":         map[string]any{"remaining": 2_000_000_000},
		"allowedNetworks": []string{"192.168.0.0/16", "10.0.0.0/8", "127.0.0.0/8", "2001:db8::/32"},
	})
	h := s.App.Handler()
	for _, c := range []struct{ name, secret string }{{"no-policy", plain}, {"limits+credits+cidr", limited}} {
		b.Run(c.name, func(b *testing.B) {
			do := func() bool {
				req := httptest.NewRequest(http.MethodGet, "/auth/verify?contentType=api-token&action=read", nil)
				req.RemoteAddr = "127.0.0.1:40000"
				req.Header.Set("Authorization", "Bearer "+c.secret)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Errorf("HTTP %d", rec.Code)
					return false
				}
				return true
			}
			if !do() {
				b.FailNow()
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() && do() {
				}
			})
		})
	}
}
