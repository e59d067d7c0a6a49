package admin

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/audit"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

// This file holds the revocations of many tokens at once: bulk revoke for
// incidents, and the sweep that revokes tokens left unused too long.

// BulkRevoke is GraphQL's BulkRevokePayload.
type BulkRevoke struct {
	// Count is how many tokens were revoked (dryRun: would be).
	Count int
	// APITokens are the first BulkRevokePage of them, by name.
	APITokens []*ent.APIToken
}

const (
	// DefaultMaxBulkRevoke bounds one revokeAPITokens: one transaction
	// holding that many updates and audit events is as large as it gets.
	DefaultMaxBulkRevoke = 10_000
	// BulkRevokePage is how many revoked tokens the payload lists.
	BulkRevokePage = 100
	// bulkForgetAll is the size from which a bulk revoke tells every
	// instance to drop its whole verification cache (one change-feed entry)
	// instead of one entry per token.
	bulkForgetAll = 100
)

func (s *Service) maxBulkRevoke() int {
	if s.MaxBulkRevoke > 0 {
		return s.MaxBulkRevoke
	}
	return DefaultMaxBulkRevoke
}

// RevokeTokens revokes every token that filter matches and that is not
// revoked yet, in the caller's transaction, with one api-token.revoke audit
// event per token. It is bound by the rule of revokeAPIToken, token by
// token: a caller holding api-token:revoke may revoke any token (stopping a
// leak never waits for a stronger caller), its own included; the filter
// itself needs api-token:read (authz.Guard), since it tells which tokens
// exist. More than the limit matching is refused, nothing revoked. With
// dryRun nothing changes and nothing is audited.
func (s *Service) RevokeTokens(ctx context.Context, filter func(*ent.APITokenQuery) (*ent.APITokenQuery, error), dryRun bool) (*BulkRevoke, error) {
	c, err := s.caller(ctx, revokeToken)
	if err != nil {
		return nil, err
	}
	q, err := filter(db(ctx).APIToken.Query().Where(apitoken.RevokedAtIsNil()))
	if err != nil {
		return nil, err
	}
	limit := s.maxBulkRevoke()
	tokens, err := q.Order(ent.Asc(apitoken.FieldNameFold), ent.Asc(apitoken.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	if len(tokens) > limit {
		return nil, gqlerr.BadInput("where", "more than %d API tokens match; narrow the filter and revoke them in parts", limit)
	}
	if dryRun {
		return &BulkRevoke{Count: len(tokens), APITokens: tokens[:min(len(tokens), BulkRevokePage)]}, nil
	}
	// The caller's own token among them is locked and checked as in
	// RevokeToken (stillOwn): a secret replaced meanwhile revokes nothing.
	for _, t := range tokens {
		if c != nil && c.Token != nil && t.ID == c.Token.ID {
			own, err := s.token(ctx, t.ID)
			if err != nil {
				return nil, err
			}
			if err := stillOwn(c, own); err != nil {
				return nil, err
			}
		}
	}
	now := s.now()
	var revoked []*ent.APIToken
	for _, t := range tokens {
		// An earlier mutation of the same operation may have revoked it.
		ok, err := s.revokeIf(ctx, t, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		t.RevokedAt, t.UpdatedAt = &now, now
		revoked = append(revoked, t)
		if err := audit.Record(ctx, audit.Event{Action: "api-token.revoke", TargetType: "api-token", TargetID: t.ID, TargetName: t.Name, Changes: []string{"revokedAt"}, At: now}); err != nil {
			return nil, err
		}
	}
	if len(revoked) >= bulkForgetAll {
		if err := s.changed(ctx, feed.All, ""); err != nil {
			return nil, err
		}
	} else {
		for _, t := range revoked {
			if err := s.changed(ctx, feed.Token, t.ID); err != nil {
				return nil, err
			}
		}
	}
	return &BulkRevoke{Count: len(revoked), APITokens: revoked[:min(len(revoked), BulkRevokePage)]}, nil
}

// RevokeUnused revokes up to batch active tokens that the policy says have
// been unused too long, each with an api-token.auto-revoke audit event
// under the system actor and a change. Each revoke is conditional on the
// token still being active and unused, so instances sweeping at once
// revoke each token once. more reports that the batch was full. ctx
// carries the transaction.
func (s *Service) RevokeUnused(ctx context.Context, batch int) (revoked int, more bool, err error) {
	p, err := s.CurrentPolicy(ctx)
	if err != nil || p.RevokeUnusedAfterDays == nil {
		return 0, false, err
	}
	now := s.now()
	stale := apitoken.And(tokenstatus.StatusIs(tokenstatus.StatusActive, now), UnusedSince(now.AddDate(0, 0, -*p.RevokeUnusedAfterDays)))
	tokens, err := db(ctx).APIToken.Query().Where(stale).Order(ent.Asc(apitoken.FieldID)).Limit(batch).All(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, t := range tokens {
		ok, err := s.revokeIf(ctx, t, now, stale)
		if err != nil {
			return revoked, false, err
		}
		if !ok {
			continue
		}
		revoked++
		if err := s.auditSystem(ctx, "api-token.auto-revoke", t, []string{"revokedAt"}); err != nil {
			return revoked, false, err
		}
	}
	return revoked, len(tokens) == batch, nil
}
