package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// Bootstrap is what the first start created: the Bootstrap token and, when
// Latchkey generated it, its secret (to be shown once).
type Bootstrap struct {
	Token  *ent.APIToken
	Secret string
}

// DefaultRoles are created on first start; admins may edit or delete them.
func DefaultRoles() []admin.CreateRoleInput {
	cells := func(ct string, actions ...string) []*perm.Permission {
		out := make([]*perm.Permission, len(actions))
		for i, a := range actions {
			out[i] = &perm.Permission{ContentType: ct, Action: a}
		}
		return out
	}
	desc := func(s string) *string { return &s }
	manager := cells("api-token", "read", "create", "update", "delete", "regenerate", "revoke")
	manager = append(manager, cells("persona", "read", "create", "update")...)
	manager = append(manager, cells("role", "read")...)
	manager = append(manager, cells("content-type", "read")...)
	auditor := cells("audit-event", "read")
	for _, ct := range []string{"api-token", "persona", "role", "content-type"} {
		auditor = append(auditor, cells(ct, "read")...)
	}
	return []admin.CreateRoleInput{
		{Name: "Token Manager", Description: desc("Creates, edits, rotates and revokes API tokens."), Permissions: manager},
		{Name: "Auditor", Description: desc("Reads everything, including the audit log; changes nothing."), Permissions: auditor},
	}
}

// Seed fills an empty database: the system content types, the default
// roles, the Administrator persona and the FULL_ACCESS Bootstrap token whose
// secret is bootstrapSecret, or generated when that is empty. On a database
// that has been seeded it does nothing and returns nil.
func Seed(ctx context.Context, client *ent.Client, svc *admin.Service, bootstrapSecret string) (*Bootstrap, error) {
	var b *Bootstrap
	err := retryRace(ctx, func() error {
		seeded, err := client.ContentType.Query().Exist(ctx)
		if err != nil {
			return err
		}
		if seeded {
			return addSystemContentTypes(ctx, client, svc)
		}
		// svc locks rows exactly when the database is MySQL.
		tx, err := dbtx.Begin(ctx, client, svc.Locking)
		if err != nil {
			return err
		}
		txCtx := admin.AsSystem(ent.NewContext(ctx, tx.Client()))
		b, err = seed(txCtx, svc, bootstrapSecret)
		if err == nil {
			err = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		if err == nil {
			return nil
		}
		b = nil
		// Instances starting together on one new database race to seed it;
		// the losers find the unique content type uids taken (or, on Galera,
		// fail certification) and try again, when they find it seeded.
		if gqlerr.CodeOf(err) == gqlerr.Conflict {
			return &lostSeed{err}
		}
		return err
	})
	var lost *lostSeed
	if errors.As(err, &lost) {
		err = lost.err
	}
	return b, err
}

// lostSeed marks a seed that another instance's seed beat.
type lostSeed struct{ err error }

func (l *lostSeed) Error() string { return l.err.Error() }
func (l *lostSeed) Unwrap() error { return l.err }

func seed(ctx context.Context, svc *admin.Service, bootstrapSecret string) (*Bootstrap, error) {
	for _, ct := range admin.SystemContentTypes() {
		if _, err := svc.CreateSystemContentType(ctx, ct); err != nil {
			return nil, fmt.Errorf("seeding content type %s: %w", ct.UID, err)
		}
	}
	for _, r := range DefaultRoles() {
		if _, err := svc.CreateRole(ctx, r); err != nil {
			return nil, fmt.Errorf("seeding role %s: %w", r.Name, err)
		}
	}
	avatarDesc := "The administrator who set Latchkey up."
	in := admin.CreateTokenInput{
		Name:        "Bootstrap",
		Type:        apitoken.TypeFULL_ACCESS,
		Description: strPtr("Created on first start. Make your own admin tokens, then revoke this one."),
		Persona:     &admin.CreatePersonaInput{Name: "Administrator", Description: &avatarDesc},
	}
	if bootstrapSecret != "" {
		in.Secret = &bootstrapSecret
	}
	created, err := svc.CreateToken(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("creating the Bootstrap token (LATCHKEY_BOOTSTRAP_TOKEN must be a well-formed lk_ token or 32+ printable characters): %w", err)
	}
	b := &Bootstrap{Token: created.APIToken}
	if bootstrapSecret == "" {
		b.Secret = created.Secret
	}
	return b, nil
}

func strPtr(s string) *string { return &s }
