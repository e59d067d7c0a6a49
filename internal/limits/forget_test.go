package limits_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/limits"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// One instance, limit 1 per minute. The token was used in the previous
// minute; as the new minute starts, Sync forgets the subject while a burst
// of requests is between l.subject() and s.mu.Lock(): those spend into a
// subject no longer in the map, the next ones into a new one.
func TestForgetOrphanOverAdmits(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Quiet())
	ctx := context.Background()
	lim := []policy.RateLimit{{Name: "m", Limit: 1, PeriodSeconds: 60}}
	t0 := time.Unix(1_800_000_000, 0).Truncate(time.Minute)
	t1 := t0.Add(61 * time.Second)
	worst := 0
	for trial := 0; trial < 6000; trial++ {
		l := limits.New(s.Store.Client, "i", zerolog.Nop())
		id := fmt.Sprintf("tok%d", trial)
		l.Take(ctx, id, lim, "", nil, 1, t0, false)
		_ = l.Sync(ctx, t0) // writes, clears dirty
		var allowed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for k := 0; k < 3; k++ {
					if l.Take(ctx, id, lim, "", nil, 1, t1, false).Allowed {
						allowed.Add(1)
					}
				}
			}()
		}
		wg.Add(1)
		go func() { defer wg.Done(); <-start; _ = l.Sync(ctx, t1) }()
		close(start)
		wg.Wait()
		if n := int(allowed.Load()); n > worst {
			worst = n
		}
		if allowed.Load() > 1 {
			t.Fatalf("trial %d: %d units admitted in one window of a limit of 1, on one instance", trial, allowed.Load())
		}
	}
	t.Logf("worst %d", worst)
}
