package credits_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A stateful property test over random sequences of spending on three
// instances, flushes, crashes (an instance's ledger dropped without a
// flush) and the clock moving past refills: at every step the uses
// accepted never exceed the credits granted (the initial balance and every
// ADD refill applied), and at the end, once the live instances returned
// their leases, accepted + balance + what the crashed ones held = granted.
func TestLedgerModel(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		ctx := context.Background()
		r := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "m", type: READ_ONLY, credits: {remaining: 40, refillAmount: 25, refillInterval: DAILY, refillMode: ADD}}) { apiToken { id } } }`, nil)
		id := r.Str("createAPIToken.apiToken.id")
		newLedger := func() *credits.Ledger { return credits.New(s.Store.Client, dialect == "mysql", "x", nil, time.Second) }
		ledgers := []*credits.Ledger{newLedger(), newLedger(), newLedger()}
		held := func(l *credits.Ledger) int64 { return l.Held(id) }
		rng := rand.New(rand.NewPCG(3, 5))
		granted, accepted, lost := int64(40), int64(0), int64(0)
		read := func() *policy.Credits {
			tok, err := s.Store.Client.APIToken.Query().Where(apitoken.ID(id)).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return authz.CreditsOf(tok)
		}
		steps := 400
		if dialect == "mysql" {
			steps = 150
		}
		for step := range steps {
			i := rng.IntN(len(ledgers))
			switch op := rng.IntN(20); {
			case op < 14: // spend, with the balance as a (possibly stale) cache would hold it
				c := read()
				cost := int64(rng.IntN(4))
				before := read()
				o, err := ledgers[i].Take(ctx, id, c, cost, s.Clock.Now(), false)
				if err != nil {
					t.Fatal(err)
				}
				after := read()
				// A lease that applied refills granted them.
				if _, _, due := before.Refilled(s.Clock.Now()); due > 0 && !after.LastRefillAt.Equal(before.LastRefillAt) {
					granted += int64(due) * before.RefillAmount
				}
				if o.Allowed {
					accepted += cost
				}
			case op < 17:
				if err := ledgers[i].Flush(ctx, rng.IntN(2) == 0); err != nil {
					t.Fatal(err)
				}
			case op < 18: // crash: the leases it held are gone
				lost += held(ledgers[i])
				ledgers[i] = newLedger()
			default:
				s.Clock.Advance(time.Duration(rng.IntN(30)) * time.Hour)
			}
			if accepted > granted {
				t.Fatalf("step %d: %d accepted of %d granted", step, accepted, granted)
			}
		}
		for _, l := range ledgers {
			if err := l.Flush(ctx, true); err != nil {
				t.Fatal(err)
			}
		}
		left := read().Remaining
		t.Logf("granted %d, accepted %d, left %d, lost in crashes %d", granted, accepted, left, lost)
		if accepted+left+lost != granted {
			t.Fatalf("accepted %d + left %d + lost %d ≠ granted %d", accepted, left, lost, granted)
		}
	})
}
