package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// InputError is a policy that cannot be accepted: the input field at fault
// and why (internal/admin turns it into BAD_USER_INPUT).
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return e.Message }

func bad(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Bounds of what a token or persona may carry.
const (
	MaxRateLimits   = 10
	MaxLimit        = 1_000_000_000
	MaxPeriod       = 366 * 24 * 60 * 60 // a year, in seconds
	MaxNetworks     = 100
	MaxCost         = 1_000_000
	maxLimitNameLen = 32
)

var limitNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// CheckRateLimits validates named limits: at most MaxRateLimits, names
// unique (case-insensitively) of letters, digits, '_', '.', '-', a limit
// of 1 to MaxLimit per 1 s to a year.
func CheckRateLimits(field string, in []RateLimit) ([]RateLimit, error) {
	if len(in) > MaxRateLimits {
		return nil, bad(field, "at most %d rate limits", MaxRateLimits)
	}
	out := make([]RateLimit, 0, len(in))
	seen := map[string]bool{}
	for _, l := range in {
		l.Name = strings.TrimSpace(l.Name)
		if len(l.Name) > maxLimitNameLen || !limitNameRE.MatchString(l.Name) {
			return nil, bad(field, "a rate limit's name is 1 to %d letters, digits, '_', '.' or '-', starting with a letter or digit", maxLimitNameLen)
		}
		if seen[strings.ToLower(l.Name)] {
			return nil, bad(field, "two rate limits are named %q", l.Name)
		}
		seen[strings.ToLower(l.Name)] = true
		if l.Limit < 1 || l.Limit > MaxLimit {
			return nil, bad(field, "rate limit %q: limit must be between 1 and %d", l.Name, MaxLimit)
		}
		if l.PeriodSeconds < 1 || l.PeriodSeconds > MaxPeriod {
			return nil, bad(field, "rate limit %q: periodSeconds must be between 1 and %d (a year)", l.Name, MaxPeriod)
		}
		out = append(out, l)
	}
	return out, nil
}

// CreditsInput is GraphQL's CreditsInput.
type CreditsInput struct {
	Remaining      int
	RefillAmount   *int
	RefillInterval *Interval
	RefillMode     *RefillMode
}

// CheckCredits validates a balance set by an admin at now; the epoch is
// left to the caller (one more than the token's).
func CheckCredits(field string, in CreditsInput, now time.Time) (*Credits, error) {
	if in.Remaining < 0 {
		return nil, bad(field+".remaining", "remaining must be 0 or more")
	}
	c := &Credits{Remaining: int64(in.Remaining), LastRefillAt: now, RefillMode: Reset}
	switch {
	case in.RefillAmount == nil && in.RefillInterval == nil:
		if in.RefillMode != nil {
			return nil, bad(field+".refillMode", "refillMode needs refillAmount and refillInterval")
		}
		return c, nil
	case in.RefillAmount == nil || in.RefillInterval == nil:
		return nil, bad(field+".refillAmount", "give refillAmount and refillInterval together")
	case *in.RefillAmount < 1:
		return nil, bad(field+".refillAmount", "refillAmount must be 1 or more")
	case *in.RefillInterval != Daily && *in.RefillInterval != Monthly:
		return nil, bad(field+".refillInterval", "refillInterval is DAILY or MONTHLY")
	}
	c.RefillAmount, c.RefillInterval = int64(*in.RefillAmount), *in.RefillInterval
	if in.RefillMode != nil {
		if *in.RefillMode != Reset && *in.RefillMode != Add {
			return nil, bad(field+".refillMode", "refillMode is RESET or ADD")
		}
		c.RefillMode = *in.RefillMode
	}
	return c, nil
}

// CheckNetworks parses CIDRs (or single addresses), IPv4 or IPv6, and
// returns them in canonical form: host bits cleared, IPv4-mapped IPv6
// written as IPv4, duplicates dropped.
func CheckNetworks(field string, in []string) ([]netip.Prefix, error) {
	if len(in) > MaxNetworks {
		return nil, bad(field, "at most %d networks", MaxNetworks)
	}
	out := make([]netip.Prefix, 0, len(in))
	for _, s := range in {
		p, ok := ParseNetwork(strings.TrimSpace(s))
		if !ok {
			return nil, bad(field, "%q is not a CIDR (10.0.0.0/8, 2001:db8::/32) or an IP address", s)
		}
		dup := false
		for _, q := range out {
			dup = dup || q == p
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out, nil
}

// ParseNetwork reads a CIDR or an address into a canonical prefix.
func ParseNetwork(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// NetworkStrings writes prefixes as stored and shown.
func NetworkStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
