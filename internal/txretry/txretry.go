// Package txretry runs a change again, from the start and in a fresh
// transaction, when its transaction lost a conflict with a concurrent one:
// a deadlock, a lock wait timeout, or on Galera a certification failure
// (gqlerr.SerializationFailure decides which errors those are). Retries are
// bounded, jittered and end with the request's deadline.
package txretry

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// Defaults: 8 attempts, pausing about 20, 40, 80, 160, 320, 500 and 500 ms
// (±50 %) in between, so a mutation gives up after about 1.6 s of backoff
// (or sooner, at its deadline). In the 3-node Galera test, hot records
// edited through every node at once took up to 5 attempts.
const (
	DefaultAttempts = 8
	DefaultBackoff  = 20 * time.Millisecond
	maxBackoff      = 500 * time.Millisecond
)

// Policy bounds the retries.
type Policy struct {
	// Attempts is how many times a change runs at most (0: DefaultAttempts).
	Attempts int
	// Backoff is the first pause, doubled after each attempt and jittered
	// (0: DefaultBackoff).
	Backoff time.Duration
	// Retries counts the attempts that were run again.
	Retries *atomic.Int64
}

func (p *Policy) attempts() int {
	if p.Attempts > 0 {
		return p.Attempts
	}
	return DefaultAttempts
}

// pause returns how long to wait before attempt n+1 (n ≥ 1), and false
// when that would outlast ctx's deadline: the client then gets the last
// attempt's answer while it can still use it.
func (p *Policy) pause(ctx context.Context, n int) (time.Duration, bool) {
	b := p.Backoff
	if b <= 0 {
		b = DefaultBackoff
	}
	b = min(b<<(n-1), max(b, maxBackoff))
	d := b/2 + rand.N(b)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < 2*d {
		return 0, false
	}
	return d, true
}

func (p *Policy) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		if p.Retries != nil {
			p.Retries.Add(1)
		}
		return true
	}
}

// Do runs change until it succeeds, fails otherwise than by a
// serialization failure, or has run out of attempts or time. change must
// open its own transaction (and roll it back on error) every time it is
// called.
func (p *Policy) Do(ctx context.Context, change func(ctx context.Context) error) error {
	for n := 1; ; n++ {
		err := change(ctx)
		if err == nil || !gqlerr.SerializationFailure(err) || n == p.attempts() {
			return err
		}
		d, ok := p.pause(ctx, n)
		if !ok || !p.wait(ctx, d) {
			return err
		}
	}
}

// Mutations is a gqlgen extension that runs a mutation operation again when
// an attempt failed by a serialization failure (marked with
// gqlerr.NoteConflict by the error presenter, the commit, or the
// idempotency claim). Every attempt is the whole operation: the response
// interceptors (idempotency Replay, the Transactioner opening a fresh
// transaction, idempotency Record), every resolver with its caller check,
// audit event and change record. A failed attempt rolled back all of it,
// and its answer is dropped. Register it anywhere: operation interceptors
// wrap all response interceptors.
type Mutations struct{ Policy *Policy }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = Mutations{}

func (Mutations) ExtensionName() string                   { return "MutationRetry" }
func (Mutations) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation runs the operation's response handler once per
// attempt, eagerly, and hands on the last attempt's response.
func (m Mutations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	var rsp *graphql.Response
	for n := 1; ; n++ {
		actx, attempt := gqlerr.WithAttempt(ctx)
		// Each call of next builds a fresh executor for the operation: the
		// generated one runs a mutation once only.
		rsp = next(actx)(actx)
		if rsp == nil || len(rsp.Errors) == 0 || !attempt.Conflicted() || gqlerr.OutageNoted(ctx) {
			break
		}
		if n == m.Policy.attempts() {
			logthrottle.Event(ctx, zerolog.WarnLevel, "mutation conflicts: retries exhausted").
				Int("attempts", n).Msg("a mutation kept losing conflicts with concurrent ones; answered 503")
			break
		}
		d, ok := m.Policy.pause(ctx, n)
		if !ok || !m.Policy.wait(ctx, d) {
			break
		}
		zerolog.Ctx(ctx).Debug().Int("attempt", n+1).Dur("after", d).Msg("running a mutation again after a conflict")
	}
	if rsp != nil && unavailable(rsp) {
		// The last attempt lost a conflict too: like an outage, it is 503
		// with Retry-After, and nothing was changed.
		gqlerr.NoteOutage(ctx)
	}
	return graphql.OneShot(rsp)
}

func unavailable(rsp *graphql.Response) bool {
	for _, e := range rsp.Errors {
		if e.Extensions["code"] == string(gqlerr.Unavailable) {
			return true
		}
	}
	return false
}
