package authz

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/metadata"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

// Authenticate returns the principal the secret with this hash
// authenticates at now, or nil when it authenticates nothing (unknown,
// expired, revoked, a grace period that ended). It is the one definition of
// who a secret is, shared by the verifier and by every mutation's check of
// its caller.
func Authenticate(ctx context.Context, client *ent.Client, hash string, now time.Time) (*Principal, error) {
	t, err := client.APIToken.Query().Where(tokenstatus.SecretIsHash(hash, now)).WithPersona().Only(ctx)
	if ent.IsNotFound(err) || (err == nil && tokenstatus.StatusOf(t, now) != tokenstatus.StatusActive) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	perms, err := Effective(ctx, client, t)
	if err != nil {
		return nil, err
	}
	p := &Principal{Token: t, Persona: t.Edges.Persona, Permissions: perms, SecretHash: hash, Grace: t.SecretHash != hash,
		Policy: PolicyOf(t, t.Edges.Persona)}
	p.MetadataHeader, p.MetadataOmitted = metadata.Header(t.Metadata)
	return p, nil
}
