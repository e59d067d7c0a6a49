package authz

import (
	"net/netip"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// PolicyOf compiles what token t acting as persona p may do besides its
// permissions (internal/policy); nil when it is restricted in no way.
func PolicyOf(t *ent.APIToken, p *ent.Persona) *policy.Policy {
	pol := &policy.Policy{TokenLimits: t.RateLimits, Credits: CreditsOf(t)}
	if p != nil {
		pol.PersonaLimits = p.RateLimits
	}
	for _, s := range t.AllowedNetworks {
		if n, ok := policy.ParseNetwork(s); ok {
			pol.Networks = append(pol.Networks, n)
		} else {
			// A stored network that cannot be read matches nothing: fail closed.
			pol.Networks = append(pol.Networks, netip.Prefix{})
		}
	}
	if t.NotBefore != nil {
		pol.NotBefore = t.NotBefore.UTC()
	}
	if pol.Empty() {
		return nil
	}
	return pol
}

// CreditsOf is t's balance as stored, or nil when its uses are unlimited.
func CreditsOf(t *ent.APIToken) *policy.Credits {
	if t.CreditsRemaining == nil {
		return nil
	}
	c := &policy.Credits{Remaining: *t.CreditsRemaining, Epoch: t.CreditsEpoch, RefillMode: policy.Reset}
	if t.CreditsRefillAmount != nil && t.CreditsRefillInterval != nil {
		c.RefillAmount, c.RefillInterval = *t.CreditsRefillAmount, policy.Interval(*t.CreditsRefillInterval)
	}
	if t.CreditsRefillMode != nil {
		c.RefillMode = policy.RefillMode(*t.CreditsRefillMode)
	}
	if t.CreditsLastRefillAt != nil {
		c.LastRefillAt = t.CreditsLastRefillAt.UTC()
	}
	return c
}

// PolicyCeiling refuses a token policy looser than the caller's own: a
// caller that is limited may not give a token a looser rate limit, more
// credits or a wider network (internal/policy/ceiling.go defines each).
// callerLeft is what the caller has left of its credits in the database
// now. The error names the input field at fault.
func PolicyCeiling(caller *Principal, callerLeft int64, token *policy.Policy) error {
	cp := caller.Policy
	if cp.Empty() {
		return nil
	}
	if token == nil {
		token = &policy.Policy{}
	}
	if why := policy.LimitsWithin(cp.Limits(), token.Limits()); why != "" {
		return gqlerr.Field(gqlerr.Forbidden, "rateLimits", "%s", why)
	}
	if why := policy.CreditsWithin(cp.Credits, callerLeft, token.Credits); why != "" {
		return gqlerr.Field(gqlerr.Forbidden, "credits", "%s", why)
	}
	if why := policy.NetworksWithin(cp.Networks, token.Networks); why != "" {
		return gqlerr.Field(gqlerr.Forbidden, "allowedNetworks", "%s", why)
	}
	return nil
}
