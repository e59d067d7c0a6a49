package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/limits"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/request"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// BenchmarkDecideCacheHit is verification on a cache hit with the whole
// policy: two rate limits, credits and a list of CIDRs (docs/PERFORMANCE.md,
// Token policy on the hot path).
//
//	go test ./internal/auth/ -run '^$' -bench 'DecideCacheHit|VerifyCacheHit$' -benchmem
func BenchmarkDecideCacheHit(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet())
	r := s.MustDo(b, s.Admin, benchCreateToken, map[string]any{"input": map[string]any{
		"name": "bench", "type": "CUSTOM",
		"permissions":     []map[string]any{{"contentType": "api-token", "action": "read"}},
		"rateLimits":      []map[string]any{{"name": "second", "limit": policy.MaxLimit, "periodSeconds": 1}, {"name": "hour", "limit": policy.MaxLimit, "periodSeconds": 3600}},
		"credits":         map[string]any{"remaining": policy.MaxCredits},
		"allowedNetworks": []string{"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "2001:db8::/32"},
	}})
	sec := r.Str("createAPIToken.secret")
	v := auth.NewVerifier(s.Store.Client, secret.NewHasher(s.Store.Pepper), 10_000, time.Hour,
		auth.NewRecorder(s.Store.Client, time.Now), time.Now)
	pol := &auth.Policy{
		Limits:  limits.New(s.Store.Client, "bench", zerolog.Nop()),
		Credits: credits.New(s.Store.Client, false, "bench", nil, time.Second),
		Now:     time.Now,
	}
	ctx := request.With(context.Background(), request.Info{ClientIP: "10.1.2.3"})
	req := auth.Request{ClientIP: "10.1.2.3", Cost: 1, Permissions: auth.Single("api-token", "read")}
	decide := func() {
		p, err := v.Verify(ctx, sec)
		if err != nil {
			b.Fatal(err)
		}
		d, err := pol.Decide(ctx, p, req)
		if err != nil || !d.Valid() {
			b.Fatalf("%v %v", d.Code, err)
		}
	}
	decide()
	b.Run("verify+decide", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decide()
		}
		b.ReportMetric(float64(pol.Credits.Leases.Load()), "leases")
	})
	// The policy alone, on the principal a cache hit returns.
	p, _ := v.Verify(ctx, sec)
	b.Run("decide", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d, err := pol.Decide(ctx, p, req); err != nil || !d.Valid() {
				b.Fatal(d.Code, err)
			}
		}
	})
}
