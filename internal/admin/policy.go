package admin

import (
	"context"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/lifecyclepolicy"
	"github.com/latchkeyhq/latchkey/ent/predicate"
	"github.com/latchkeyhq/latchkey/ent/tokenusage"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/lastused"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

// This file holds the lifecycle policy: organisation-wide rules on every
// token, edited by FULL_ACCESS callers only. It is read inside the
// transaction of each mutation it governs (on MySQL with a shared lock, so
// an updatePolicy waits for token changes checked against the old policy),
// so every instance enforces the policy committed last; nothing caches it.

// Policy is GraphQL's Policy.
type Policy struct {
	// MaxLifetimeDays bounds how far ahead an expiry may be set; nil: no limit.
	MaxLifetimeDays *int
	// RequireExpiry refuses tokens without an expiry.
	RequireExpiry bool
	// MaxGracePeriodSeconds bounds the grace period of regenerate and rotation.
	MaxGracePeriodSeconds int
	// RevokeUnusedAfterDays makes the sweep revoke tokens unused that long; nil: never.
	RevokeUnusedAfterDays *int
}

// UpdatePolicyInput is GraphQL's UpdatePolicyInput: a field left out is
// unchanged; null clears maxLifetimeDays or revokeUnusedAfterDays.
type UpdatePolicyInput struct {
	MaxLifetimeDays       graphql.Omittable[*int]
	RequireExpiry         *bool
	MaxGracePeriodSeconds *int
	RevokeUnusedAfterDays graphql.Omittable[*int]
}

// The names of the policies, as errors report them in extensions.policy.
const (
	PolicyMaxLifetime = "maxLifetimeDays"
	PolicyRequire     = "requireExpiry"
	PolicyMaxGrace    = "maxGracePeriodSeconds"
	PolicyUnused      = "revokeUnusedAfterDays"
)

// policyID is the key of the one policy row.
const policyID = "default"

// maxPolicyDays bounds the day counts of a policy (a hundred years).
const maxPolicyDays = 36500

// DefaultPolicy is the policy of a database where none was ever set: no
// limits beyond the built-in maximum grace period.
func DefaultPolicy() Policy {
	return Policy{MaxGracePeriodSeconds: int(MaxGracePeriod / time.Second)}
}

func policyOf(row *ent.LifecyclePolicy) Policy {
	if row == nil {
		return DefaultPolicy()
	}
	return Policy{
		MaxLifetimeDays:       row.MaxLifetimeDays,
		RequireExpiry:         row.RequireExpiry,
		MaxGracePeriodSeconds: row.MaxGracePeriodSeconds,
		RevokeUnusedAfterDays: row.RevokeUnusedAfterDays,
	}
}

// CurrentPolicy reads the policy through the client in ctx.
func (s *Service) CurrentPolicy(ctx context.Context) (Policy, error) {
	q := db(ctx).LifecyclePolicy.Query().Where(lifecyclepolicy.ID(policyID))
	if s.Locking && ent.TxFromContext(ctx) != nil {
		// Token changes share the row; updatePolicy waits for them. MariaDB
		// knows only the older spelling of FOR SHARE.
		q = q.ForShare(entsql.WithLockClause("LOCK IN SHARE MODE"))
	}
	row, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return DefaultPolicy(), nil
	}
	if err != nil {
		return Policy{}, err
	}
	return policyOf(row), nil
}

// UpdatePolicy changes the policy. Only FULL_ACCESS callers may: the policy
// binds every token, including ones stronger than any other caller.
func (s *Service) UpdatePolicy(ctx context.Context, in UpdatePolicyInput) (*Policy, error) {
	c, err := s.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if c != nil && !c.FullAccess() {
		return nil, gqlerr.New(gqlerr.Forbidden, "only a FULL_ACCESS token may change the policy")
	}
	if err := notGrace(c); err != nil {
		return nil, err
	}
	row, err := s.policyRow(ctx)
	if err != nil {
		return nil, err
	}
	before := policyOf(row)
	after := before
	if v, set := in.MaxLifetimeDays.ValueOK(); set {
		if err := policyDays(PolicyMaxLifetime, v); err != nil {
			return nil, err
		}
		after.MaxLifetimeDays = v
	}
	if in.RequireExpiry != nil {
		after.RequireExpiry = *in.RequireExpiry
	}
	if in.MaxGracePeriodSeconds != nil {
		if n := *in.MaxGracePeriodSeconds; n < 0 || n > int(MaxGracePeriod/time.Second) {
			return nil, gqlerr.BadInput(PolicyMaxGrace, "maxGracePeriodSeconds must be between 0 and %d", int(MaxGracePeriod/time.Second))
		}
		after.MaxGracePeriodSeconds = *in.MaxGracePeriodSeconds
	}
	if v, set := in.RevokeUnusedAfterDays.ValueOK(); set {
		if err := policyDays(PolicyUnused, v); err != nil {
			return nil, err
		}
		after.RevokeUnusedAfterDays = v
	}
	var changes []string
	if !sameInt(before.MaxLifetimeDays, after.MaxLifetimeDays) {
		changes = append(changes, PolicyMaxLifetime)
	}
	if before.RequireExpiry != after.RequireExpiry {
		changes = append(changes, PolicyRequire)
	}
	if before.MaxGracePeriodSeconds != after.MaxGracePeriodSeconds {
		changes = append(changes, PolicyMaxGrace)
	}
	if !sameInt(before.RevokeUnusedAfterDays, after.RevokeUnusedAfterDays) {
		changes = append(changes, PolicyUnused)
	}
	upd := db(ctx).LifecyclePolicy.UpdateOneID(policyID).
		SetRequireExpiry(after.RequireExpiry).
		SetMaxGracePeriodSeconds(after.MaxGracePeriodSeconds).
		SetUpdatedAt(s.now())
	if v := after.MaxLifetimeDays; v != nil {
		upd.SetMaxLifetimeDays(*v)
	} else {
		upd.ClearMaxLifetimeDays()
	}
	if v := after.RevokeUnusedAfterDays; v != nil {
		upd.SetRevokeUnusedAfterDays(*v)
	} else {
		upd.ClearRevokeUnusedAfterDays()
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, audit.Event{Action: "policy.update", TargetType: "policy", TargetID: policyID, TargetName: "policy", Changes: changes, At: s.now()}); err != nil {
		return nil, err
	}
	return &after, nil
}

// policyRow reads the policy row for update, creating it with the defaults
// the first time. Two instances creating it at once: on MySQL the loser's
// insert fails on the key (the transaction lives on) and it reads the
// winner's row; SQLite's write transactions never overlap.
func (s *Service) policyRow(ctx context.Context) (*ent.LifecyclePolicy, error) {
	read := func() (*ent.LifecyclePolicy, error) {
		return locked(s, db(ctx).LifecyclePolicy.Query().Where(lifecyclepolicy.ID(policyID))).Only(ctx)
	}
	row, err := read()
	if !ent.IsNotFound(err) {
		return row, err
	}
	d := DefaultPolicy()
	err = db(ctx).LifecyclePolicy.Create().SetID(policyID).SetMaxGracePeriodSeconds(d.MaxGracePeriodSeconds).SetUpdatedAt(s.now()).Exec(ctx)
	if err != nil && !ent.IsConstraintError(err) {
		return nil, err
	}
	return read()
}

func policyDays(name string, v *int) error {
	if v != nil && (*v < 1 || *v > maxPolicyDays) {
		return gqlerr.BadInput(name, "%s must be between 1 and %d, or null for no limit", name, maxPolicyDays)
	}
	return nil
}

func sameInt(a, b *int) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// violation is the refusal of an input that breaks the policy: BAD_USER_INPUT
// naming the field and, in extensions.policy, the policy.
func violation(field, policy, format string, args ...any) error {
	err := gqlerr.BadInput(field, format, args...).(*gqlerr.Error)
	err.Policy = policy
	return err
}

// expiryPolicy checks an expiry being set now (nil: none) against the
// policy. Latchkey acting on its own (the recovery token of mint-token) is
// exempt; such tokens are listed by PolicyViolations.
func (s *Service) expiryPolicy(ctx context.Context, c *authz.Principal, field string, exp *time.Time) error {
	if c == nil {
		return nil
	}
	p, err := s.CurrentPolicy(ctx)
	if err != nil {
		return err
	}
	if exp == nil && p.RequireExpiry {
		return violation(field, PolicyRequire, "the policy requires every API token to have an expiry")
	}
	if p.MaxLifetimeDays != nil {
		limit := s.now().AddDate(0, 0, *p.MaxLifetimeDays)
		if exp == nil || exp.After(limit) {
			return violation(field, PolicyMaxLifetime, "the policy allows an expiry at most %d days ahead (until %s)", *p.MaxLifetimeDays, limit.Format(time.RFC3339))
		}
	}
	return nil
}

// gracePolicy checks a grace period against the policy.
func (s *Service) gracePolicy(ctx context.Context, c *authz.Principal, grace time.Duration) error {
	if c == nil || grace == 0 {
		return nil
	}
	p, err := s.CurrentPolicy(ctx)
	if err != nil {
		return err
	}
	if grace > time.Duration(p.MaxGracePeriodSeconds)*time.Second {
		return violation("gracePeriodSeconds", PolicyMaxGrace, "the policy allows a grace period of at most %d seconds", p.MaxGracePeriodSeconds)
	}
	return nil
}

// ViolatesPolicy matches the active tokens that break p at now: an expiry
// missing or further ahead than allowed, a grace period running longer than
// allowed, or unused for longer than allowed (the sweep will revoke them).
func ViolatesPolicy(p Policy, now time.Time) predicate.APIToken {
	var or []predicate.APIToken
	if p.RequireExpiry || p.MaxLifetimeDays != nil {
		or = append(or, apitoken.ExpiresAtIsNil())
	}
	if p.MaxLifetimeDays != nil {
		or = append(or, apitoken.ExpiresAtGT(now.AddDate(0, 0, *p.MaxLifetimeDays)))
	}
	or = append(or, apitoken.PreviousSecretExpiresAtGT(now.Add(time.Duration(p.MaxGracePeriodSeconds)*time.Second)))
	if p.RevokeUnusedAfterDays != nil {
		or = append(or, UnusedSince(now.AddDate(0, 0, -*p.RevokeUnusedAfterDays)))
	}
	return apitoken.And(tokenstatus.StatusIs(tokenstatus.StatusActive, now), apitoken.Or(or...))
}

// UnusedSince matches tokens not used since cutoff; a token never used
// counts from its creation.
func UnusedSince(cutoff time.Time) predicate.APIToken {
	return apitoken.Or(
		lastused.Where(tokenusage.LastUsedAtLT(cutoff)),
		apitoken.And(lastused.Never(tokenusage.FieldLastUsedAt), apitoken.CreatedAtLT(cutoff)),
	)
}

// PolicyViolations returns the query of the tokens that break the current policy.
func (s *Service) PolicyViolations(ctx context.Context) (*ent.APITokenQuery, error) {
	p, err := s.CurrentPolicy(ctx)
	if err != nil {
		return nil, err
	}
	return db(ctx).APIToken.Query().Where(ViolatesPolicy(p, s.now())), nil
}

// expiryField names the input that set an expiry, for errors about it.
func expiryField(lifespan *tokenstatus.Lifespan, at *time.Time) string {
	if at != nil && lifespan == nil {
		return "expiresAt"
	}
	return "lifespan"
}
