package credits_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Spending without the lock (Take's fast path) races with flushes that
// return leases and with new leases: run many spenders on two instances
// while both flush all the time, then check the money: the uses accepted
// never exceed the credits, and once both returned their leases,
// accepted + balance = the credits exactly. Run with -race.
func TestLedgerConcurrentSpendAndFlush(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.RealClock())
		ctx := context.Background()
		const total = 3000
		r := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "c", type: READ_ONLY, credits: {remaining: 3000}}) { apiToken { id } } }`, nil)
		id := r.Str("createAPIToken.apiToken.id")
		tok, err := s.Store.Client.APIToken.Query().Where(apitoken.ID(id)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c := authz.CreditsOf(tok)
		ledgers := []*credits.Ledger{
			credits.New(s.Store.Client, dialect == "mysql", "a", nil, time.Millisecond),
			credits.New(s.Store.Client, dialect == "mysql", "b", nil, time.Millisecond),
		}
		var accepted atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := ledgers[g%2]
				for range 600 {
					cost := int64(g%3 + 1)
					o, err := l.Take(ctx, id, c, cost, time.Now(), false)
					if err != nil {
						t.Error(err)
						return
					}
					if o.Allowed {
						accepted.Add(cost)
					}
				}
			}()
		}
		var flushers sync.WaitGroup
		for _, l := range ledgers {
			flushers.Add(1)
			go func() {
				defer flushers.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := l.Flush(ctx, i%2 == 0); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		flushers.Wait()
		for _, l := range ledgers {
			if err := l.Flush(ctx, true); err != nil {
				t.Fatal(err)
			}
		}
		tok, err = s.Store.Client.APIToken.Query().Where(apitoken.ID(id)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		left := *tok.CreditsRemaining
		t.Logf("accepted %d, left %d of %d", accepted.Load(), left, total)
		if accepted.Load() > total || accepted.Load()+left != total {
			t.Fatalf("accepted %d + left %d ≠ %d", accepted.Load(), left, total)
		}
		if accepted.Load() == 0 {
			t.Fatal("nothing was accepted: the test proves nothing")
		}
	})
}
