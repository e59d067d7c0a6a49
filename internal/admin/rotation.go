package admin

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/predicate"
	"github.com/latchkeyhq/latchkey/ent/retiredsecret"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/secret"
)

// This file holds self-rotation and reuse detection (GitLab's self_rotate):
// a token its creator allowed to may roll its own secret; the secret it
// rotated away is remembered (its hash, the last RetiredKeep per token), and
// once that secret has left its grace period, presenting it again revokes
// the token: a leaked old secret shows up instead of failing silently.
//
// Only self-rotation arms reuse detection. regenerateAPIToken is what an
// admin does after a leak; arming it would let whoever holds the leaked
// secret revoke the replacement the admin just issued.
//
// The family of a secret is its token: rotation keeps the token's id, so
// every secret ever rotated from it belongs to that one token.

// RetiredKeep is how many rotated-away secrets are remembered per token.
const RetiredKeep = 20

// selfRotationGrant checks that a caller allowing a token to rotate itself
// holds what that gives: rolling a secret is api-token:regenerate, and the
// flag is changed with api-token:update. Without the first, a token with
// api-token:update could grant itself a new power (set the flag on itself,
// then rotate) in one request.
func selfRotationGrant(c *authz.Principal, allow *bool) error {
	if c == nil || allow == nil || !*allow ||
		c.Can(updateToken.ContentType, updateToken.Action) && c.Can(regenerateToken.ContentType, regenerateToken.Action) {
		return nil
	}
	return gqlerr.Field(gqlerr.Forbidden, "allowSelfRotation", "allowing a token to rotate itself needs api-token:update and api-token:regenerate")
}

// RotateViewerToken gives the caller's own token a new secret. The token
// keeps its id, permissions, persona, expiry and history; the old secret
// works for graceSeconds (bounded by the policy) and is then retired.
func (s *Service) RotateViewerToken(ctx context.Context, graceSeconds *int) (*TokenWithSecret, error) {
	c, err := s.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, gqlerr.New(gqlerr.Unauthenticated, "a bearer token is required")
	}
	// A grace secret manages nothing, not even its own token: a leaked old
	// secret must not be able to rotate the legitimate one away.
	if err := notGrace(c); err != nil {
		return nil, err
	}
	t, err := s.token(ctx, c.Token.ID)
	if err != nil {
		return nil, err
	}
	if err := stillOwn(c, t); err != nil {
		return nil, err
	}
	if !t.AllowSelfRotation {
		return nil, gqlerr.New(gqlerr.Forbidden, "this token may not rotate itself; a caller with api-token:update can allow it (allowSelfRotation)")
	}
	var grace time.Duration
	if graceSeconds != nil {
		grace = time.Duration(*graceSeconds) * time.Second
		if *graceSeconds < 0 || grace > MaxGracePeriod {
			return nil, gqlerr.BadInput("gracePeriodSeconds", "gracePeriodSeconds must be between 0 and %d", int(MaxGracePeriod/time.Second))
		}
	}
	if err := s.gracePolicy(ctx, c, grace); err != nil {
		return nil, err
	}
	now := s.now()
	plain := secret.Generate()
	upd := db(ctx).APIToken.UpdateOne(t).
		SetSecretHash(s.Hasher.Hash(plain)).
		SetHint(secret.Hint(plain)).
		SetUpdatedAt(now)
	changes := []string{"secret"}
	if grace > 0 {
		upd.SetPreviousSecretHash(t.SecretHash).SetPreviousSecretExpiresAt(now.Add(grace))
		changes = append(changes, "gracePeriod")
	} else {
		upd.ClearPreviousSecretHash().ClearPreviousSecretExpiresAt()
	}
	if t, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	if err := s.retire(ctx, t.ID, c.SecretHash, now); err != nil {
		return nil, err
	}
	if err := s.auditToken(ctx, "api-token.rotate", t, changes); err != nil {
		return nil, err
	}
	return &TokenWithSecret{APIToken: t, Secret: plain}, nil
}

// retire remembers the hash of a secret rotated away from token id, and
// forgets all but the newest RetiredKeep of that token.
func (s *Service) retire(ctx context.Context, id, hash string, now time.Time) error {
	if err := db(ctx).RetiredSecret.Create().SetTokenID(id).SetSecretHash(hash).SetRetiredAt(now).Exec(ctx); err != nil {
		return err
	}
	old, err := db(ctx).RetiredSecret.Query().Where(retiredsecret.TokenID(id)).
		Order(ent.Desc(retiredsecret.FieldID)).Offset(RetiredKeep).IDs(ctx)
	if err != nil || len(old) == 0 {
		return err
	}
	_, err = db(ctx).RetiredSecret.Delete().Where(retiredsecret.IDIn(old...)).Exec(ctx)
	return err
}

// secretRetired reports whether hash is a secret some token rotated away.
func (s *Service) secretRetired(ctx context.Context, hash string) (bool, error) {
	return db(ctx).RetiredSecret.Query().Where(retiredsecret.SecretHash(hash)).Exist(ctx)
}

// ReusedToken returns the token whose rotated-away secret has this hash, if
// presenting it is a reuse: it is no longer the token's grace secret. A read
// outside any transaction, made only when a secret authenticated nothing.
//
// retired reports whether the hash is a rotated-away secret at all (reuse or
// not yet): such a hash must not be remembered as unknown, or a later
// presentation after its grace period would miss the reuse.
func ReusedToken(ctx context.Context, client *ent.Client, hash string, now time.Time) (t *ent.APIToken, retired bool, err error) {
	r, err := client.RetiredSecret.Query().Where(retiredsecret.SecretHash(hash)).WithToken().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	t = r.Edges.Token
	if t == nil || reuseExcused(t, hash, now) {
		return nil, true, nil
	}
	return t, true, nil
}

// reuseExcused: a secret still in its grace period is no reuse, even when
// its token cannot be used for another reason (expired, revoked).
func reuseExcused(t *ent.APIToken, hash string, now time.Time) bool {
	return t.PreviousSecretHash != nil && *t.PreviousSecretHash == hash &&
		t.PreviousSecretExpiresAt != nil && t.PreviousSecretExpiresAt.After(now)
}

// RevokeReused revokes the family of the token whose rotated-away secret
// with this hash was presented: the token itself (rotation keeps its id).
// Each token revoked gets an api-token.reuse-revoke audit event under the
// system actor, with the client that presented the secret, and a change.
// A token already revoked is left as it is. It returns how many were
// revoked. ctx carries the transaction.
func (s *Service) RevokeReused(ctx context.Context, hash string) (int, error) {
	now := s.now()
	r, err := db(ctx).RetiredSecret.Query().Where(retiredsecret.SecretHash(hash)).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if r.TokenID == nil {
		return 0, nil // its token was deleted: nothing left to revoke
	}
	family := []string{*r.TokenID}
	revoked := 0
	for _, id := range family {
		t, err := locked(s, db(ctx).APIToken.Query().Where(apitoken.ID(id))).Only(ctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return revoked, err
		}
		if id == *r.TokenID && reuseExcused(t, hash, now) {
			return revoked, nil
		}
		// The retired row was read before the token was locked: a
		// regenerate that committed in between detached it (the admin's
		// answer to the leak), and then the presentation revokes nothing.
		// A locking read sees the latest version.
		still, err := locked(s, db(ctx).RetiredSecret.Query().Where(retiredsecret.SecretHash(hash), retiredsecret.TokenID(id))).Exist(ctx)
		if err != nil {
			return revoked, err
		}
		if !still {
			return revoked, nil
		}
		n, err := s.revokeIf(ctx, t, now)
		if err != nil {
			return revoked, err
		}
		if n {
			revoked++
			if err := s.auditSystem(ctx, "api-token.reuse-revoke", t, []string{"revokedAt"}); err != nil {
				return revoked, err
			}
		}
	}
	return revoked, nil
}

// revokeIf revokes t if it is not revoked and still matches cond, as one
// conditional UPDATE: two instances doing the same revoke it once. It
// reports whether this call revoked it.
func (s *Service) revokeIf(ctx context.Context, t *ent.APIToken, now time.Time, cond ...predicate.APIToken) (bool, error) {
	where := append([]predicate.APIToken{apitoken.ID(t.ID), apitoken.RevokedAtIsNil()}, cond...)
	n, err := db(ctx).APIToken.Update().Where(where...).SetRevokedAt(now).SetUpdatedAt(now).Save(ctx)
	return n == 1, err
}

// auditSystem writes an audit event of Latchkey acting on its own (no
// caller), whatever principal ctx carries, and records the change of t.
func (s *Service) auditSystem(ctx context.Context, action string, t *ent.APIToken, changes []string) error {
	return s.auditToken(authz.WithPrincipal(ctx, nil), action, t, changes)
}

func boolValue(b *bool) bool { return b != nil && *b }
