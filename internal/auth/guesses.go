package auth

import (
	"context"
	"math"

	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/request"
)

// Guesses puts every path that answers whether a secret exists (the secret
// filter of apiTokens, introspectToken, the CONFLICT of a chosen secret) on
// the same failed-attempt budget as bearer authentication: a miss spends
// one attempt of the client IP and one of the calling token, and either
// running out refuses further guesses with RATE_LIMITED.
type Guesses struct {
	Limiter *Limiter
	// Misses counts spent attempts, for metrics and tests.
	Misses interface{ Add(int64) int64 }
}

// keys are the budgets a request spends: its client IP and its caller.
func guessKeys(ctx context.Context) []string {
	keys := []string{request.From(ctx).ClientIP}
	if p := authz.FromContext(ctx); p != nil {
		keys = append(keys, "token:"+p.Token.ID)
	}
	return keys
}

// Allow returns RATE_LIMITED once the client IP or the caller has no
// failed attempts left.
func (g *Guesses) Allow(ctx context.Context) error {
	for _, k := range guessKeys(ctx) {
		if blocked, wait := g.Limiter.Blocked(k); blocked {
			return gqlerr.New(gqlerr.RateLimited, "too many failed attempts to match a secret; retry in %d s", int(math.Ceil(wait.Seconds())))
		}
	}
	return nil
}

// Miss spends one failed attempt of the client IP and of the caller.
func (g *Guesses) Miss(ctx context.Context) {
	for _, k := range guessKeys(ctx) {
		g.Limiter.Fail(k)
	}
	if g.Misses != nil {
		g.Misses.Add(1)
	}
}
