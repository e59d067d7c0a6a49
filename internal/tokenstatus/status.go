// Package tokenstatus holds the rules about a token that both authentication
// and the mutations read: its derived status, which secrets match it, its
// lifespans and the keys its NULL-free order columns sort by.
package tokenstatus

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/predicate"
	"github.com/latchkeyhq/latchkey/internal/secret"
)

// Status is derived from a token's revocation and expiry; it is never stored.
type Status string

const (
	StatusActive  Status = "ACTIVE"
	StatusExpired Status = "EXPIRED"
	StatusRevoked Status = "REVOKED"
)

// StatusOf returns t's status at now. Revocation wins over expiry.
func StatusOf(t *ent.APIToken, now time.Time) Status {
	switch {
	case t.RevokedAt != nil:
		return StatusRevoked
	case t.ExpiresAt != nil && !t.ExpiresAt.After(now):
		return StatusExpired
	}
	return StatusActive
}

// StatusIs filters tokens by their status at now, in SQL.
func StatusIs(s Status, now time.Time) predicate.APIToken {
	switch s {
	case StatusRevoked:
		return apitoken.RevokedAtNotNil()
	case StatusExpired:
		return apitoken.And(apitoken.RevokedAtIsNil(), apitoken.ExpiresAtLTE(now))
	case StatusActive:
		return apitoken.And(apitoken.RevokedAtIsNil(), apitoken.Or(apitoken.ExpiresAtIsNil(), apitoken.ExpiresAtGT(now)))
	}
	return falsePredicate()
}

// SecretIs matches the token a presented secret belongs to: its current
// secret, or the one it replaced while that one's grace period lasts.
// Malformed values match nothing and cost no lookup of a real hash.
func SecretIs(h secret.Hasher, value string, now time.Time) predicate.APIToken {
	if secret.Check(value) != nil {
		return falsePredicate()
	}
	return SecretIsHash(h.Hash(value), now)
}

// SecretIsHash is SecretIs for an already computed hash.
func SecretIsHash(hash string, now time.Time) predicate.APIToken {
	return apitoken.Or(
		apitoken.SecretHash(hash),
		apitoken.And(apitoken.PreviousSecretHash(hash), apitoken.PreviousSecretExpiresAtGT(now)),
	)
}

func falsePredicate() predicate.APIToken {
	return predicate.APIToken(func(s *sql.Selector) { s.Where(sql.False()) })
}

// MarshalGQL writes the status as a GraphQL enum value.
func (s Status) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *Status) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("status must be a string")
	}
	switch Status(str) {
	case StatusActive, StatusExpired, StatusRevoked:
		*s = Status(str)
		return nil
	}
	return fmt.Errorf("%q is not a valid APITokenStatus", str)
}

// Lifespan is how long a token lives from the moment it is given one.
type Lifespan string

const (
	Days7     Lifespan = "DAYS_7"
	Days30    Lifespan = "DAYS_30"
	Days90    Lifespan = "DAYS_90"
	Unlimited Lifespan = "UNLIMITED"
)

var lifespanDays = map[Lifespan]int{Days7: 7, Days30: 30, Days90: 90, Unlimited: 0}

// Days is how many days the lifespan lasts; 0 for Unlimited.
func (l Lifespan) Days() int { return lifespanDays[l] }

// MarshalGQL writes the lifespan as a GraphQL enum value.
func (l Lifespan) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(l))) }

// UnmarshalGQL reads a GraphQL enum value.
func (l *Lifespan) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("lifespan must be a string")
	}
	if _, ok := lifespanDays[Lifespan(str)]; !ok {
		return fmt.Errorf("%q is not a valid APITokenLifespan", str)
	}
	*l = Lifespan(str)
	return nil
}

// Sort keys for the NULL-free order columns.
var (
	neverExpires = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	neverUsed    = time.Unix(0, 0).UTC()
)

// ExpirySortKey is the order key of an expiry: unlimited sorts last.
func ExpirySortKey(exp *time.Time) time.Time {
	if exp == nil {
		return neverExpires
	}
	return *exp
}

// LastUsedSortKey is the order key of a last-used time: never sorts first.
func LastUsedSortKey(at *time.Time) time.Time {
	if at == nil {
		return neverUsed
	}
	return *at
}
