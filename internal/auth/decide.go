package auth

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/header"
	"github.com/latchkeyhq/latchkey/internal/limits"
	"github.com/latchkeyhq/latchkey/internal/perm"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// Policy makes the one decision that every path checking a token shares:
// the bearer middleware of /graphql, /auth/verify, POST /v1/verify and
// introspectToken. Its order is the order of policy.Codes: a token that
// authenticates nothing (INVALID), or not yet (NOT_YET_VALID), a client
// outside its networks (IP_NOT_ALLOWED), a permission it lacks (FORBIDDEN),
// then its rate limits (RATE_LIMITED) and its credits (USAGE_EXCEEDED).
// Only a request allowed in every other respect spends: rate limits first,
// then credits; a request its credits refuse gets its rate-limit units back.
type Policy struct {
	Limits  *limits.Limiter
	Credits *credits.Ledger
	Now     func() time.Time
	// Decided is told every decision, for usage analytics. May be nil.
	Decided func(ctx context.Context, p *authz.Principal, d Decision)
}

// Request is what is asked of a token besides the token itself.
type Request struct {
	ClientIP string
	// Permissions must hold; an empty query asks for none.
	Permissions policy.Query
	// Cost is the units of every rate limit and the credits it spends.
	Cost int64
	// DryRun decides without spending (introspectToken).
	DryRun bool
}

// Decision is the outcome of one verification.
type Decision struct {
	Code      policy.Code
	Principal *authz.Principal
	Message   string
	// Limit is the rate limit that refused, or the one with the fewest
	// units left after an allowed request (Name "": none applies).
	Limit limits.Status
	// Credits reports the credits left (HasCredits: the token has some).
	HasCredits bool
	Credits    int64
	// RetryAfter is when asking again can help (0: it cannot by waiting).
	RetryAfter time.Duration
	// Now is the time the decision was made at.
	Now time.Time
}

// Valid reports whether the request may go on.
func (d *Decision) Valid() bool { return d.Code == policy.Valid }

// Decide decides req for principal p (nil: the token authenticates
// nothing). An error means it could not be decided (the database failed
// while leasing credits): answer 503.
func (pol *Policy) Decide(ctx context.Context, p *authz.Principal, req Request) (Decision, error) {
	d := Decision{Code: policy.Valid, Principal: p, Now: pol.Now()}
	err := pol.decide(ctx, &d, req)
	if err == nil && pol.Decided != nil {
		pol.Decided(ctx, p, d)
	}
	return d, err
}

func (pol *Policy) decide(ctx context.Context, d *Decision, req Request) error {
	p := d.Principal
	if p == nil {
		d.Code, d.Message = policy.Invalid, "the token is invalid, expired or revoked"
		return nil
	}
	rules := p.Policy
	if !rules.ValidAt(d.Now) {
		d.Code, d.Message = policy.NotYetValid, "this token is not valid before "+rules.NotBefore.Format(time.RFC3339)
		d.RetryAfter = rules.NotBefore.Sub(d.Now)
		return nil
	}
	if !rules.AllowsIP(req.ClientIP) {
		d.Code, d.Message = policy.IPNotAllowed, "this token may not be used from this client address"
		return nil
	}
	if !req.Permissions.Eval(p.Permissions) {
		d.Code, d.Message = policy.Forbidden, "this token lacks the permissions asked for"
		return nil
	}
	if rules == nil {
		return nil
	}
	tokenID, personaID := p.Token.ID, p.Persona.ID
	if len(rules.TokenLimits)+len(rules.PersonaLimits) > 0 {
		r := pol.Limits.Take(ctx, tokenID, rules.TokenLimits, personaID, rules.PersonaLimits, req.Cost, d.Now, req.DryRun)
		if r.Tightest.Name != "" {
			d.Limit = r.Tightest
		}
		if !r.Allowed {
			d.Code, d.Message = policy.RateLimited, "rate limit "+strconv.Quote(r.Refused.Name)+" exceeded: "+strconv.Itoa(r.Refused.Limit)+" per window; retry later"
			d.Limit, d.RetryAfter = r.Refused, r.Refused.Reset.Sub(d.Now)
			return nil
		}
	}
	if rules.Credits != nil {
		o, err := pol.Credits.Take(ctx, tokenID, rules.Credits, req.Cost, d.Now, req.DryRun)
		if err != nil || !o.Allowed {
			if !req.DryRun {
				pol.Limits.Refund(tokenID, rules.TokenLimits, personaID, rules.PersonaLimits, req.Cost, d.Now)
			}
		}
		if err != nil {
			return err
		}
		if o.Remaining >= 0 {
			d.HasCredits, d.Credits = true, o.Remaining
		}
		if !o.Allowed {
			d.Code, d.Message = policy.UsageExceeded, "this token has no usage credits left"
			if !o.RetryAt.IsZero() {
				d.RetryAfter = o.RetryAt.Sub(d.Now)
			}
			return nil
		}
	}
	return nil
}

// LimitStatuses reports every rate limit of p as it stands now.
func (pol *Policy) LimitStatuses(p *authz.Principal, now time.Time) []limits.Status {
	if p == nil || p.Policy == nil || len(p.Policy.TokenLimits)+len(p.Policy.PersonaLimits) == 0 {
		return nil
	}
	return pol.Limits.Peek(p.Token.ID, p.Policy.TokenLimits, p.Persona.ID, p.Policy.PersonaLimits, now)
}

// Seconds rounds a wait up to whole seconds, at least 1 when positive.
func Seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}

// The IETF rate-limit fields (draft-ietf-httpapi-ratelimit-headers), in
// the canonical form http.Header keeps them in.
const (
	HeaderRateLimitLimit     = "Ratelimit-Limit"
	HeaderRateLimitRemaining = "Ratelimit-Remaining"
	HeaderRateLimitReset     = "Ratelimit-Reset"
)

// SetRateLimitHeaders writes the IETF RateLimit-Limit, -Remaining and
// -Reset fields of the limit a decision reports, when one applies.
func (d *Decision) SetRateLimitHeaders(h http.Header) {
	var b header.Batch
	d.AddRateLimitFields(&b)
	b.Write(h)
}

// AddRateLimitFields adds the fields SetRateLimitHeaders writes to b.
func (d *Decision) AddRateLimitFields(b *header.Batch) {
	if d.Limit.Name == "" {
		return
	}
	b.Int(HeaderRateLimitLimit, int64(d.Limit.Limit))
	b.Int(HeaderRateLimitRemaining, d.Limit.Remaining)
	b.Int(HeaderRateLimitReset, int64(Seconds(d.Limit.Reset.Sub(d.Now))))
}

// Single is the query of one permission (/auth/verify).
func Single(contentType, action string) policy.Query {
	return policy.Single(perm.Permission{ContentType: contentType, Action: action})
}
