package limits

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/policy"
)

// One instance: never more units admitted than a limit, all or none across
// token and persona limits, refunds given back. No Sync (so no forget).
func TestExactOneInstance(t *testing.T) {
	l := New(nil, "a", zerolog.Nop())
	for _, id := range []string{"t1", "t2", "p"} {
		l.subject(id).primed.Store(true)
	}
	tl := []policy.RateLimit{{Name: "h", Limit: 300, PeriodSeconds: 3600}, {Name: "d", Limit: 1000, PeriodSeconds: 86400}}
	pl := []policy.RateLimit{{Name: "h", Limit: 450, PeriodSeconds: 3600}}
	now := time.Unix(1_800_000_000, 0)
	var used [2]atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			tok := []string{"t1", "t2"}[g%2]
			for range 3000 {
				cost := int64(rng.IntN(4))
				dry := rng.IntN(6) == 0
				r := l.Take(context.Background(), tok, tl, "p", pl, cost, now, dry)
				if r.Allowed && !dry {
					if rng.IntN(4) == 0 {
						l.Refund(tok, tl, "p", pl, cost, now)
					} else {
						used[g%2].Add(cost)
					}
				}
			}
		}()
	}
	wg.Wait()
	t1, t2 := used[0].Load(), used[1].Load()
	t.Logf("t1 %d t2 %d persona %d", t1, t2, t1+t2)
	if t1 > 300 || t2 > 300 || t1+t2 > 450 {
		t.Fatal("over the limit")
	}
	st := l.Peek("t1", tl, "p", pl, now)
	t.Logf("%+v", st)
	if st[0].Remaining != 300-t1 || st[2].Remaining != 450-t1-t2 {
		t.Fatalf("counts drifted: %+v", st)
	}
}
