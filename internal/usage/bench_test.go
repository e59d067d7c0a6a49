package usage_test

// What counting costs a cached verification (docs/PERFORMANCE.md, Usage
// analytics). Only with -bench:
//
//	go test ./internal/usage/ -run '^$' -bench . -benchmem
//
// "verify" is the cache hit alone; "verify+count" adds what /auth/verify
// adds for usage (one Count); the difference is the price of analytics.

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

func BenchmarkCachedVerification(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet())
	r := s.MustDo(b, s.Admin, `mutation { createAPIToken(input: {name: "bench", type: CUSTOM, metadata: {tenant: "acme"},
		persona: {name: "Bench", externalID: "cus_bench"}, permissions: [{contentType: "api-token", action: "read"}]}) { secret } }`, nil)
	sec := r.Str("createAPIToken.secret")
	v := auth.NewVerifier(s.Store.Client, secret.NewHasher(s.Store.Pepper), 10_000, time.Hour, auth.NewRecorder(s.Store.Client, time.Now), time.Now)
	rec := usage.NewRecorder(s.Store.Client, s.Store.DB, s.Store.Dialect, time.Now, usage.DefaultRetention)
	ctx := context.Background()
	if _, err := v.Verify(ctx, sec); err != nil {
		b.Fatal(err)
	}
	for _, count := range []bool{false, true} {
		name := "verify"
		if count {
			name = "verify+count"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for b.Loop() {
				p, err := v.Verify(ctx, sec)
				if err != nil {
					b.Fatal(err)
				}
				if count {
					rec.Count(p.Token.ID, p.Persona.ID, usage.Allowed, 1)
				}
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p, err := v.Verify(ctx, sec)
					if err != nil {
						b.Error(err)
						return
					}
					if count {
						rec.Count(p.Token.ID, p.Persona.ID, usage.Allowed, 1)
					}
				}
			})
		})
	}
	// Count alone, over many tokens (a new key per token and minute).
	b.Run("count/1000-tokens", func(b *testing.B) {
		ids := make([]string, 1000)
		for i := range ids {
			ids[i] = fmt.Sprintf("tok_%020d", i)
		}
		b.ReportAllocs()
		defer cpuPerOp(b)()
		i := 0
		for b.Loop() {
			rec.Count(ids[i%len(ids)], "per_bench", usage.Allowed, 1)
			i++
		}
	})
}

// cpuPerOp reports the process's CPU time per operation (cpu-ns/op) when
// the returned function runs: on a machine shared with other work, wall
// time per operation mostly measures the neighbours.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
