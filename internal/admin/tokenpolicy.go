package admin

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// This file holds the verification-time policy of tokens and personas as
// mutations edit it: validation (internal/policy), the ceiling on limited
// callers, and what the audit event names.

// policyInput is a token's policy as a create or update gives it, checked.
// A field that is not given keeps its value.
type policyInput struct {
	limits      []policy.RateLimit
	limitsGiven bool
	credits     *policy.Credits
	creditsSet  bool // credits given, or null to remove them
	networks    []netip.Prefix
	netsGiven   bool
	notBefore   *time.Time
	nbGiven     bool
}

// badPolicy turns a policy validation error into BAD_USER_INPUT.
func badPolicy(err error) error {
	var e *policy.InputError
	if errors.As(err, &e) {
		return gqlerr.BadInput(e.Field, "%s", e.Message)
	}
	return err
}

func (s *Service) checkPolicy(limits []policy.RateLimit, credits graphql.Omittable[*policy.CreditsInput], networks []string, notBefore graphql.Omittable[*time.Time]) (policyInput, error) {
	var in policyInput
	var err error
	if limits != nil {
		in.limitsGiven = true
		if in.limits, err = policy.CheckRateLimits("rateLimits", limits); err != nil {
			return in, badPolicy(err)
		}
	}
	if v, ok := credits.ValueOK(); ok {
		in.creditsSet = true
		if v != nil {
			if in.credits, err = policy.CheckCredits("credits", *v, s.now()); err != nil {
				return in, badPolicy(err)
			}
			if in.credits.Remaining > policy.MaxCredits {
				return in, gqlerr.BadInput("credits.remaining", "remaining must be at most %d", policy.MaxCredits)
			}
		}
	}
	if networks != nil {
		in.netsGiven = true
		if in.networks, err = policy.CheckNetworks("allowedNetworks", networks); err != nil {
			return in, badPolicy(err)
		}
	}
	if v, ok := notBefore.ValueOK(); ok {
		in.nbGiven = true
		if v != nil {
			t := v.UTC().Truncate(time.Microsecond)
			in.notBefore = &t
		}
	}
	return in, nil
}

// changes names the policy fields given, for the audit event.
func (in policyInput) changes() []string {
	var out []string
	for _, f := range []struct {
		given bool
		name  string
	}{{in.limitsGiven, "rateLimits"}, {in.creditsSet, "credits"}, {in.netsGiven, "allowedNetworks"}, {in.nbGiven, "notBefore"}} {
		if f.given {
			out = append(out, f.name)
		}
	}
	return out
}

// result is the policy a token has after the change: its current policy
// (nil for a new token) with what is given, acting as persona p.
func (in policyInput) result(current *ent.APIToken, p *ent.Persona) *policy.Policy {
	r := &policy.Policy{}
	if current != nil {
		if cur := authz.PolicyOf(current, nil); cur != nil {
			r = cur
		}
	}
	if p != nil {
		r.PersonaLimits = p.RateLimits
	}
	if in.limitsGiven {
		r.TokenLimits = in.limits
	}
	if in.creditsSet {
		r.Credits = in.credits
	}
	if in.netsGiven {
		r.Networks = in.networks
	}
	return r
}

// policyCeiling refuses a token policy looser than the caller's own.
func (s *Service) policyCeiling(c *authz.Principal, result *policy.Policy) error {
	if c == nil || c.Policy.Empty() {
		return nil
	}
	return authz.PolicyCeiling(c, s.callerCredits(c), result)
}

// callerCredits is what the caller has left, as its fresh row holds it.
func (s *Service) callerCredits(c *authz.Principal) int64 {
	if c.Policy == nil || c.Policy.Credits == nil {
		return 0
	}
	left, _, _ := c.Policy.Credits.Refilled(s.now())
	return left
}

// looserToken refuses to act on a token whose policy is looser than the
// caller's: like a token with more permissions, it is stronger.
func (s *Service) looserToken(ctx context.Context, c *authz.Principal, t *ent.APIToken) error {
	if c == nil || c.Policy.Empty() {
		return nil
	}
	p, err := db(ctx).Persona.Get(ctx, t.PersonaID)
	if err != nil {
		return err
	}
	if policy.Within(c.Policy, s.callerCredits(c), authz.PolicyOf(t, p)) != "" {
		return authz.Stronger("API token")
	}
	return nil
}

// applyCreate sets a new token's policy.
func (in policyInput) applyCreate(create *ent.APITokenCreate) {
	if in.limitsGiven && len(in.limits) > 0 {
		create.SetRateLimits(in.limits)
	}
	if in.credits != nil {
		setCredits(create.Mutation(), in.credits, 0)
	}
	if in.netsGiven && len(in.networks) > 0 {
		create.SetAllowedNetworks(policy.NetworkStrings(in.networks))
	}
	if in.notBefore != nil {
		create.SetNotBefore(*in.notBefore)
	}
}

// applyUpdate sets what is given of a token's policy. Setting or removing
// credits starts a new epoch: leases of the old balance are never
// returned into the new one.
func (in policyInput) applyUpdate(upd *ent.APITokenUpdateOne, t *ent.APIToken) {
	if in.limitsGiven {
		if len(in.limits) > 0 {
			upd.SetRateLimits(in.limits)
		} else {
			upd.ClearRateLimits()
		}
	}
	if in.creditsSet {
		if in.credits != nil {
			setCredits(upd.Mutation(), in.credits, t.CreditsEpoch+1)
		} else {
			upd.ClearCreditsRemaining().ClearCreditsRefillAmount().ClearCreditsRefillInterval().
				ClearCreditsRefillMode().ClearCreditsLastRefillAt().SetCreditsEpoch(t.CreditsEpoch + 1)
		}
	}
	if in.netsGiven {
		if len(in.networks) > 0 {
			upd.SetAllowedNetworks(policy.NetworkStrings(in.networks))
		} else {
			upd.ClearAllowedNetworks()
		}
	}
	if in.nbGiven {
		if in.notBefore != nil {
			upd.SetNotBefore(*in.notBefore)
		} else {
			upd.ClearNotBefore()
		}
	}
}

func setCredits(m *ent.APITokenMutation, c *policy.Credits, epoch int64) {
	m.SetCreditsRemaining(c.Remaining)
	m.SetCreditsLastRefillAt(c.LastRefillAt)
	m.SetCreditsRefillMode(string(c.RefillMode))
	m.SetCreditsEpoch(epoch)
	if c.RefillAmount > 0 {
		m.SetCreditsRefillAmount(c.RefillAmount)
		m.SetCreditsRefillInterval(string(c.RefillInterval))
	} else {
		m.ClearCreditsRefillAmount()
		m.ClearCreditsRefillInterval()
	}
}

// personaLimits checks a persona's rate limits as given (nil: not given).
func personaLimits(field string, limits []policy.RateLimit) ([]policy.RateLimit, error) {
	if limits == nil {
		return nil, nil
	}
	out, err := policy.CheckRateLimits(field, limits)
	return out, badPolicy(err)
}

// personaLimitsCeiling refuses new persona limits that would make any of
// its tokens looser than a limited caller.
func (s *Service) personaLimitsCeiling(ctx context.Context, c *authz.Principal, p *ent.Persona, limits []policy.RateLimit) error {
	if c == nil || c.Policy.Empty() {
		return nil
	}
	tokens, err := db(ctx).APIToken.Query().Where(apitoken.PersonaID(p.ID)).All(ctx)
	if err != nil {
		return err
	}
	after := *p
	after.RateLimits = limits
	for _, t := range tokens {
		if err := authz.PolicyCeiling(c, s.callerCredits(c), authz.PolicyOf(t, &after)); err != nil {
			return err
		}
	}
	return nil
}
