package auth_test

// Benchmarks of the verification path (SPEC, Performance targets: a cache
// hit costs ≤ 2 µs and a handful of allocations, and does no database
// write). They only run with -bench, e.g.
//
//	go test ./internal/auth/ -run '^$' -bench . -benchmem
//
// so their setup never slows a plain go test ./... run.

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const benchCreateToken = `mutation($input: CreateAPITokenInput!) {
	createAPIToken(input: $input) { secret apiToken { id } } }`

// benchVerifier starts a server on a fresh SQLite database, creates a
// CUSTOM token with two permissions and returns a verifier over that
// database (cacheSize 0 disables the cache) with the token's secret.
func benchVerifier(b *testing.B, cacheSize int) (*auth.Verifier, *testserver.Server, string) {
	b.Helper()
	s := testserver.New(b, "sqlite")
	r := s.MustDo(b, s.Admin, benchCreateToken, map[string]any{"input": map[string]any{
		"name": "bench", "type": "CUSTOM",
		"permissions": []map[string]any{{"contentType": "api-token", "action": "read"}, {"contentType": "persona", "action": "read"}},
	}})
	sec := r.Str("createAPIToken.secret")
	// A TTL far beyond the benchmark's length: every Verify after the first
	// is a hit. The recorder is the real one, so the Used hook is built as
	// in production.
	v := auth.NewVerifier(s.Store.Client, secret.NewHasher(s.Store.Pepper), cacheSize, time.Hour,
		auth.NewRecorder(s.Store.Client, time.Now), time.Now)
	if _, err := v.Verify(context.Background(), sec); err != nil {
		b.Fatal(err)
	}
	return v, s, sec
}

// BenchmarkVerifyCacheHit is the hot path: checksum, HMAC, cache lookup,
// copy of the principal with its last-used hook.
func BenchmarkVerifyCacheHit(b *testing.B) {
	v, _, sec := benchVerifier(b, 10_000)
	ctx := context.Background()
	before := v.Lookups.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, sec); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := v.Lookups.Load() - before; n != 0 {
		b.Fatalf("%d database lookups during cache hits", n)
	}
}

// BenchmarkVerifyCacheHitParallel is the same under concurrency: it shows
// contention on the cache's lock.
func BenchmarkVerifyCacheHitParallel(b *testing.B) {
	v, _, sec := benchVerifier(b, 10_000)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, sec); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyCacheHitAndUse adds the Used hook that a request runs once
// the token is authorized: the in-memory last-used note, no database write.
func BenchmarkVerifyCacheHitAndUse(b *testing.B) {
	v, s, sec := benchVerifier(b, 10_000)
	ctx := context.Background()
	var lastUsed string
	_ = s.Store.DB.QueryRow("SELECT COALESCE(MAX(last_used_at), '') FROM token_usage").Scan(&lastUsed)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := v.Verify(ctx, sec)
		if err != nil {
			b.Fatal(err)
		}
		p.Used(ctx)
	}
	b.StopTimer()
	var after string
	_ = s.Store.DB.QueryRow("SELECT COALESCE(MAX(last_used_at), '') FROM token_usage").Scan(&after)
	if after != lastUsed {
		b.Fatalf("the hot path wrote last_used_at (%q → %q) without a flush", lastUsed, after)
	}
}

// BenchmarkVerifyCacheMiss is a verifier without a cache: every call looks
// the token and its permissions up in SQLite.
func BenchmarkVerifyCacheMiss(b *testing.B) {
	v, _, sec := benchVerifier(b, 0)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, sec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMalformed is a token refused by its checksum alone.
func BenchmarkVerifyMalformed(b *testing.B) {
	v, _, sec := benchVerifier(b, 10_000)
	bad := sec[:len(sec)-1] + "0"
	if sec[len(sec)-1] == '0' {
		bad = sec[:len(sec)-1] + "1"
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, bad); err == nil {
			b.Fatal("a bad checksum verified")
		}
	}
}

// BenchmarkVerifyUnknown is a well-formed secret that is not in the
// database: it always costs a lookup, since misses are not cached.
func BenchmarkVerifyUnknown(b *testing.B) {
	v, _, _ := benchVerifier(b, 10_000)
	unknown := secret.Generate()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, unknown); err == nil {
			b.Fatal("an unknown secret verified")
		}
	}
}

// BenchmarkSecretCheck is the format and checksum test of a generated secret.
func BenchmarkSecretCheck(b *testing.B) {
	sec := secret.Generate()
	b.ReportAllocs()
	for b.Loop() {
		if err := secret.Check(sec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSecretHash is the peppered HMAC-SHA256 of a generated secret.
func BenchmarkSecretHash(b *testing.B) {
	h := secret.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	sec := secret.Generate()
	b.ReportAllocs()
	for b.Loop() {
		if h.Hash(sec) == "" {
			b.Fatal("empty hash")
		}
	}
}
