package credits_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A flush whose UPDATE reached the database but whose answer was lost
// (a context deadline or a connection reset after the server applied the
// autocommit statement) keeps the credits it already returned.
func TestFlushAmbiguousErrorOverspends(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Quiet())
	ctx := context.Background()
	r := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "c", type: READ_ONLY, credits: {remaining: 100}}) { apiToken { id } } }`, nil)
	id := r.Str("createAPIToken.apiToken.id")
	var armed atomic.Bool
	s.Store.Client.APIToken.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			tm, ok := m.(*ent.APITokenMutation)
			if _, add := tm.AddedCreditsRemaining(); ok && add && armed.Load() {
				v, err := next.Mutate(ctx, m) // applied...
				if err == nil {
					err = errors.New("driver: bad connection") // ...but the answer was lost
				}
				return v, err
			}
			return next.Mutate(ctx, m)
		})
	})
	read := func() int64 {
		tok, err := s.Store.Client.APIToken.Query().Where(apitoken.ID(id)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return *tok.CreditsRemaining
	}
	tok, _ := s.Store.Client.APIToken.Query().Where(apitoken.ID(id)).Only(ctx)
	c := authz.CreditsOf(tok)
	l := credits.New(s.Store.Client, false, "a", nil, time.Millisecond)
	accepted := int64(0)
	take := func() bool {
		o, err := l.Take(ctx, id, c, 1, time.Now(), false)
		if err != nil {
			t.Fatal(err)
		}
		if o.Allowed {
			accepted++
		}
		return o.Allowed
	}
	take()
	t.Logf("after one use: held %d, balance %d", l.Held(id), read())
	for round := 0; round < 5; round++ {
		armed.Store(true)
		err := l.Flush(ctx, true)
		armed.Store(false)
		t.Logf("flush err=%v; held %d, balance %d", err, l.Held(id), read())
	}
	for take() {
	}
	// What another instance can still spend: the whole balance.
	other := credits.New(s.Store.Client, false, "b", nil, time.Millisecond)
	for {
		o, err := other.Take(ctx, id, c, 1, time.Now(), false)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Allowed {
			break
		}
		accepted++
	}
	t.Logf("accepted %d of 100", accepted)
	if accepted > 100 {
		t.Fatalf("over-spent: %d uses accepted of 100 credits", accepted)
	}
}
