package auth

import (
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// UsageOutcome is how usage analytics counts a decision's code.
func UsageOutcome(c policy.Code) usage.Outcome {
	switch c {
	case policy.Valid:
		return usage.Allowed
	case policy.Forbidden:
		return usage.Forbidden
	case policy.RateLimited:
		return usage.RateLimited
	case policy.UsageExceeded:
		return usage.UsageExceeded
	case policy.IPNotAllowed:
		return usage.IPRefused
	case policy.NotYetValid:
		return usage.NotYetValid
	}
	return usage.Invalid
}

// CountDecision counts one verification by its decision: against the token
// and its persona when there is one, in the totals alone when there is not.
func CountDecision(u *usage.Recorder, p *authz.Principal, d Decision) {
	if p == nil {
		u.Count("", "", usage.Invalid, 1)
		return
	}
	u.Count(p.Token.ID, p.Persona.ID, UsageOutcome(d.Code), 1)
}
