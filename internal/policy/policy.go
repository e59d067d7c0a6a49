// Package policy is what a token may do besides its permissions, decided at
// verification time: named rate limits (the token's own and its persona's),
// usage credits with refill, the client networks it may be used from and
// the time before which it authenticates nothing. It holds the model, its
// validation, the ceiling that keeps a limited caller from handing out
// looser limits, and the permission query language of POST /v1/verify. It
// touches no database: internal/limits and internal/credits keep the
// counters, and auth.Policy.Decide makes the decision.
package policy

import (
	"net/netip"
	"time"
)

// Code is the outcome of one verification, the same on every path that
// checks a token (/graphql, /auth/verify, POST /v1/verify, introspectToken).
type Code string

const (
	Valid         Code = "VALID"
	Invalid       Code = "INVALID"
	Forbidden     Code = "FORBIDDEN"
	RateLimited   Code = "RATE_LIMITED"
	UsageExceeded Code = "USAGE_EXCEEDED"
	IPNotAllowed  Code = "IP_NOT_ALLOWED"
	NotYetValid   Code = "NOT_YET_VALID"
)

// Codes lists every outcome, in the order a decision checks them.
var Codes = []Code{Invalid, NotYetValid, IPNotAllowed, Forbidden, RateLimited, UsageExceeded, Valid}

// RateLimit allows Limit units per window of PeriodSeconds. Windows are
// fixed and aligned to the Unix epoch, so every instance agrees on them.
type RateLimit struct {
	Name          string `json:"name"`
	Limit         int    `json:"limit"`
	PeriodSeconds int    `json:"periodSeconds"`
}

// Period is the window length.
func (l RateLimit) Period() time.Duration { return time.Duration(l.PeriodSeconds) * time.Second }

// Window is the index of the window holding t, and when it ends.
func (l RateLimit) Window(t time.Time) (index int64, end time.Time) {
	p := int64(l.PeriodSeconds)
	s := t.Unix()
	index = s / p
	if s < 0 && s%p != 0 {
		index--
	}
	return index, time.Unix((index+1)*p, 0).UTC()
}

// Policy is a token's verification-time policy, compiled once per cached
// verification. A token without any has a nil *Policy.
type Policy struct {
	TokenLimits   []RateLimit
	PersonaLimits []RateLimit
	Credits       *Credits // nil: unlimited uses
	Networks      []netip.Prefix
	NotBefore     time.Time // zero: none
}

// Empty reports whether p restricts nothing.
func (p *Policy) Empty() bool {
	return p == nil || (len(p.TokenLimits) == 0 && len(p.PersonaLimits) == 0 && p.Credits == nil && len(p.Networks) == 0 && p.NotBefore.IsZero())
}

// AllowsIP reports whether a client at addr may use the token: always when
// it lists no networks; never from an address that cannot be read.
func (p *Policy) AllowsIP(addr string) bool {
	if p == nil || len(p.Networks) == 0 {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.Networks {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// ValidAt reports whether now is at or after notBefore.
func (p *Policy) ValidAt(now time.Time) bool {
	return p == nil || p.NotBefore.IsZero() || !now.Before(p.NotBefore)
}

// Limits is every rate limit that applies: the token's, then its persona's.
func (p *Policy) Limits() []RateLimit {
	if p == nil {
		return nil
	}
	if len(p.PersonaLimits) == 0 {
		return p.TokenLimits
	}
	return append(append(make([]RateLimit, 0, len(p.TokenLimits)+len(p.PersonaLimits)), p.TokenLimits...), p.PersonaLimits...)
}

// WindowCount is how many units one instance spent in one window of one
// limit (internal/limits shares these between instances).
type WindowCount struct {
	// Limit names the limit as "name/periodSeconds".
	Limit  string `json:"l"`
	Window int64  `json:"w"`
	Count  int64  `json:"c"`
}
