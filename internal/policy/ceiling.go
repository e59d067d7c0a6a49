package policy

import (
	"fmt"
	"net/netip"
)

// The ceiling on policies: a caller that is itself limited may not give a
// token (or a persona, and so its tokens) a looser limit, more credits or a
// wider network than its own. "Its own" is the caller token's policy with
// its persona's limits; the token's is likewise its own with its persona's.
// Each function returns "" when the token is within the caller, or why not.

// AsStrict reports whether a token limit t admits, within every window of
// the caller limit c, no more than c does: t's windows are no longer than
// c's, and t's limit times the number of t-windows that one c-window can
// touch is at most c's limit. Windows are aligned to the Unix epoch, so a
// c-window touches exactly P/p t-windows when p divides P, and at most
// ⌊P/p⌋+2 otherwise. E.g. 10 per second is as strict as 600 per minute;
// 100 per minute is not as strict as 10 per second.
func AsStrict(t, c RateLimit) bool {
	p, P := int64(t.PeriodSeconds), int64(c.PeriodSeconds)
	if p <= 0 || p > P {
		return false
	}
	touched := P / p
	if P%p != 0 {
		touched += 2
	}
	return int64(t.Limit)*touched <= int64(c.Limit)
}

// LimitsWithin requires, for every limit of the caller, a limit of the
// token at least as strict.
func LimitsWithin(caller, token []RateLimit) string {
	for _, c := range caller {
		ok := false
		for _, t := range token {
			ok = ok || AsStrict(t, c)
		}
		if !ok {
			return fmt.Sprintf("this token is limited to %d per %d s (%q); the token must have a limit at least as strict", c.Limit, c.PeriodSeconds, c.Name)
		}
	}
	return ""
}

// perMonth is the most (max) or least (min) a refill adds in a month.
func perMonth(c *Credits, most bool) int64 {
	if c.RefillAmount <= 0 {
		return 0
	}
	if c.RefillInterval == Monthly {
		return c.RefillAmount
	}
	if most {
		return c.RefillAmount * 31
	}
	return c.RefillAmount * 28
}

// CreditsWithin requires, when the caller has credits, that the token has
// credits too, no more than the caller has left (callerLeft), and a refill
// no larger than the caller's (per interval when both refill on the same
// interval; otherwise the token's largest month against the caller's
// smallest: 31 days against 28), in a mode that does not accumulate when
// the caller's does not.
func CreditsWithin(caller *Credits, callerLeft int64, token *Credits) string {
	if caller == nil {
		return ""
	}
	if token == nil {
		return "this token has usage credits; the token must have credits too"
	}
	if token.Remaining > callerLeft {
		return fmt.Sprintf("this token has %d credits left; the token may not have more", callerLeft)
	}
	if token.RefillAmount > 0 {
		if caller.RefillAmount <= 0 {
			return "this token's credits are never refilled; the token's may not be either"
		}
		same := token.RefillInterval == caller.RefillInterval
		if (same && token.RefillAmount > caller.RefillAmount) || (!same && perMonth(token, true) > perMonth(caller, false)) {
			return "the token's refill would give more credits per month than this token's"
		}
		if token.RefillMode == Add && caller.RefillMode != Add {
			return "this token's refill resets its credits; the token's may not add up"
		}
	}
	return ""
}

// NetworksWithin requires, when the caller is bound to networks, that every
// network of the token lies inside one of the caller's.
func NetworksWithin(caller, token []netip.Prefix) string {
	if len(caller) == 0 {
		return ""
	}
	if len(token) == 0 {
		return "this token may only be used from its allowed networks; the token must be bound to networks within them"
	}
	for _, t := range token {
		ok := false
		for _, c := range caller {
			ok = ok || (c.Bits() <= t.Bits() && c.Contains(t.Addr()))
		}
		if !ok {
			return fmt.Sprintf("network %s is not within this token's allowed networks", t)
		}
	}
	return ""
}

// Within is every ceiling at once: "" when a token with policy token is
// within a caller with policy caller, the caller having callerLeft credits.
func Within(caller *Policy, callerLeft int64, token *Policy) string {
	if caller.Empty() {
		return ""
	}
	if token == nil {
		token = &Policy{}
	}
	if why := LimitsWithin(caller.Limits(), token.Limits()); why != "" {
		return why
	}
	if why := CreditsWithin(caller.Credits, callerLeft, token.Credits); why != "" {
		return why
	}
	return NetworksWithin(caller.Networks, token.Networks)
}
