package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/retiredsecret"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/authz"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/lastused"
	"github.com/latchkeyhq/latchkey/internal/metadata"
	"github.com/latchkeyhq/latchkey/internal/perm"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

// CreateTokenInput is GraphQL's CreateAPITokenInput.
type CreateTokenInput struct {
	Name        string
	Code        *string
	Description *string
	Type        apitoken.Type
	Lifespan    *tokenstatus.Lifespan
	ExpiresAt   *time.Time
	PersonaID   *string
	Persona     *CreatePersonaInput
	RoleIDs     []string
	Permissions []*perm.Permission
	Secret      *string
	// AllowSelfRotation lets the token roll its own secret (rotation.go).
	AllowSelfRotation *bool
	Metadata          *metadata.JSON
	// Verification-time policy (policy.go).
	RateLimits      []policy.RateLimit
	Credits         *policy.CreditsInput
	AllowedNetworks []string
	NotBefore       *time.Time
}

// UpdateTokenInput is GraphQL's UpdateAPITokenInput; nil means unchanged.
type UpdateTokenInput struct {
	Name        *string
	Code        *string
	Description *string
	Type        *apitoken.Type
	Lifespan    *tokenstatus.Lifespan
	ExpiresAt   *time.Time
	PersonaID   *string
	Persona     *CreatePersonaInput
	RoleIDs     []string
	Permissions []*perm.Permission
	// AllowSelfRotation lets the token roll its own secret (rotation.go).
	AllowSelfRotation *bool
	Metadata          *metadata.JSON
	// Verification-time policy (policy.go): nil lists and omitted values
	// are unchanged; an empty list or null removes.
	RateLimits      []policy.RateLimit
	Credits         graphql.Omittable[*policy.CreditsInput]
	AllowedNetworks []string
	NotBefore       graphql.Omittable[*time.Time]
}

// TokenWithSecret is the payload of create and regenerate: the only place
// the plaintext secret ever appears.
type TokenWithSecret struct {
	APIToken *ent.APIToken
	Secret   string
}

// MaxGracePeriod bounds how long a replaced secret may keep working.
const MaxGracePeriod = 7 * 24 * time.Hour

// CreateToken makes a token and returns it with its secret.
func (s *Service) CreateToken(ctx context.Context, in CreateTokenInput) (*TokenWithSecret, error) {
	c, err := s.caller(ctx, createToken)
	if err != nil {
		return nil, err
	}
	now := s.now()
	name, err := s.tokenName(ctx, in.Name, "")
	if err != nil {
		return nil, err
	}
	var code string
	if in.Code != nil {
		code, err = s.tokenCode(ctx, *in.Code, "")
	} else {
		code, err = s.derivedCode(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	desc, err := description("description", in.Description)
	if err != nil {
		return nil, err
	}
	exp, _, err := expiry(in.Lifespan, in.ExpiresAt, now)
	if err != nil {
		return nil, err
	}
	if err := expiryCeiling(c, exp); err != nil {
		return nil, err
	}
	if err := s.expiryPolicy(ctx, c, expiryField(in.Lifespan, in.ExpiresAt), exp); err != nil {
		return nil, err
	}
	if err := selfRotationGrant(c, in.AllowSelfRotation); err != nil {
		return nil, err
	}
	meta, err := checkMetadata("metadata", in.Metadata)
	if err != nil {
		return nil, err
	}
	grants, err := s.grants(ctx, c, in.Type, in.RoleIDs, in.Permissions, nil)
	if err != nil {
		return nil, err
	}
	plain := secret.Generate()
	if in.Secret != nil {
		plain = *in.Secret
		if err := secret.Check(plain); err != nil {
			return nil, gqlerr.BadInput("secret", "%s", err.Error())
		}
		// Whether a chosen secret is taken is an answer about a secret:
		// it spends the same failed-attempt budget as a wrong bearer token.
		if err := s.guessAllowed(ctx); err != nil {
			return nil, err
		}
	}
	hash := s.Hasher.Hash(plain)
	if err := s.secretUnused(ctx, hash); err != nil {
		if in.Secret != nil && gqlerr.CodeOf(err) == gqlerr.Conflict {
			s.guessMissed(ctx)
		}
		return nil, err
	}
	pol, err := s.checkPolicy(in.RateLimits, graphql.OmittableOf(in.Credits), in.AllowedNetworks, graphql.OmittableOf(in.NotBefore))
	if err != nil {
		return nil, err
	}
	persona, err := s.personaFor(ctx, c, in.PersonaID, in.Persona, name)
	if err != nil {
		return nil, err
	}
	if err := s.policyCeiling(c, pol.result(nil, persona)); err != nil {
		return nil, err
	}
	create := db(ctx).APIToken.Create().
		SetName(name).
		SetNameFold(fold(name)).
		SetCode(code).
		SetDescription(desc).
		SetType(in.Type).
		SetSecretHash(hash).
		SetHint(secret.Hint(plain)).
		SetNillableExpiresAt(exp).
		SetExpiresSort(tokenstatus.ExpirySortKey(exp)).
		SetPersona(persona).
		AddRoles(grants.roles...).
		AddPermissions(grants.cells...).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		SetAllowSelfRotation(boolValue(in.AllowSelfRotation))
	if c != nil {
		create.SetCreatedByID(c.Token.ID)
	}
	if meta != "" {
		create.SetMetadata(meta)
	}
	pol.applyCreate(create)
	t, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := noteHeld(ctx, []string{persona.ID}, t.Type, grants.grant); err != nil {
		return nil, err
	}
	changes := []string{"name", "code", "type", "persona", "secret"}
	if desc != "" {
		changes = append(changes, "description")
	}
	if exp != nil {
		changes = append(changes, "expiresAt")
	}
	if len(grants.roles) > 0 {
		changes = append(changes, "roles")
	}
	if len(grants.cells) > 0 {
		changes = append(changes, "permissions")
	}
	if t.AllowSelfRotation {
		changes = append(changes, "allowSelfRotation")
	}
	if meta != "" {
		changes = append(changes, "metadata")
	}
	for _, f := range pol.changes() {
		if f == "rateLimits" && len(pol.limits) == 0 || f == "allowedNetworks" && len(pol.networks) == 0 || f == "credits" && pol.credits == nil || f == "notBefore" && pol.notBefore == nil {
			continue // given but empty: nothing was set
		}
		changes = append(changes, f)
	}
	if err := s.auditToken(ctx, "api-token.create", t, changes); err != nil {
		return nil, err
	}
	return &TokenWithSecret{APIToken: t, Secret: plain}, nil
}

// UpdateToken changes what is given in in and leaves the rest.
func (s *Service) UpdateToken(ctx context.Context, id string, in UpdateTokenInput) (*ent.APIToken, error) {
	c, t, err := s.tokenFor(ctx, updateToken, id, "update")
	if err != nil {
		return nil, err
	}
	now := s.now()
	upd := db(ctx).APIToken.UpdateOne(t).SetUpdatedAt(now)
	var changes []string
	if in.Name != nil {
		name, err := s.tokenName(ctx, *in.Name, t.ID)
		if err != nil {
			return nil, err
		}
		upd.SetName(name).SetNameFold(fold(name))
		changes = append(changes, "name")
	}
	if in.Code != nil {
		code, err := s.tokenCode(ctx, *in.Code, t.ID)
		if err != nil {
			return nil, err
		}
		upd.SetCode(code)
		changes = append(changes, "code")
	}
	if in.Description != nil {
		desc, err := description("description", in.Description)
		if err != nil {
			return nil, err
		}
		upd.SetDescription(desc)
		changes = append(changes, "description")
	}
	exp, expGiven, err := expiry(in.Lifespan, in.ExpiresAt, now)
	if err != nil {
		return nil, err
	} else if expGiven {
		if err := expiryCeiling(c, exp); err != nil {
			return nil, err
		}
		if err := s.expiryPolicy(ctx, c, expiryField(in.Lifespan, in.ExpiresAt), exp); err != nil {
			return nil, err
		}
		upd.SetNillableExpiresAt(exp).SetExpiresSort(tokenstatus.ExpirySortKey(exp))
		if exp == nil {
			upd.ClearExpiresAt()
		}
		changes = append(changes, "expiresAt")
	}
	pol, err := s.checkPolicy(in.RateLimits, in.Credits, in.AllowedNetworks, in.NotBefore)
	if err != nil {
		return nil, err
	}
	var newPersona *ent.Persona
	if in.PersonaID != nil || in.Persona != nil {
		if newPersona, err = s.personaFor(ctx, c, in.PersonaID, in.Persona, t.Name); err != nil {
			return nil, err
		}
		upd.SetPersona(newPersona)
		changes = append(changes, "persona")
	}
	if in.AllowSelfRotation != nil {
		if err := selfRotationGrant(c, in.AllowSelfRotation); err != nil {
			return nil, err
		}
		upd.SetAllowSelfRotation(*in.AllowSelfRotation)
		changes = append(changes, "allowSelfRotation")
	}
	if in.Metadata != nil {
		meta, err := checkMetadata("metadata", in.Metadata)
		if err != nil {
			return nil, err
		}
		if meta == "" {
			upd.ClearMetadata()
		} else {
			upd.SetMetadata(meta)
		}
		changes = append(changes, "metadata")
	}
	if policyChanges := pol.changes(); len(policyChanges) > 0 || newPersona != nil {
		p := newPersona
		if p == nil {
			if p, err = db(ctx).Persona.Get(ctx, t.PersonaID); err != nil {
				return nil, err
			}
		}
		if err := s.policyCeiling(c, pol.result(t, p)); err != nil {
			return nil, err
		}
		pol.applyUpdate(upd, t)
		changes = append(changes, policyChanges...)
	}
	if in.Type != nil || in.RoleIDs != nil || in.Permissions != nil {
		// New powers for a token that outlives the caller would outlast it.
		if !expGiven {
			if err := expiryCeiling(c, t.ExpiresAt); err != nil {
				return nil, err
			}
		}
		typ := t.Type
		if in.Type != nil {
			typ = *in.Type
			changes = append(changes, "type")
		}
		grants, err := s.grants(ctx, c, typ, in.RoleIDs, in.Permissions, t)
		if err != nil {
			return nil, err
		}
		upd.SetType(typ).ClearRoles().AddRoles(grants.roles...).ClearPermissions().AddPermissions(grants.cells...)
		if in.RoleIDs != nil {
			changes = append(changes, "roles")
		}
		if in.Permissions != nil {
			changes = append(changes, "permissions")
		}
	}
	t, err = upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	// The persona now acts for this token as it is after the change.
	grant := perm.Set{}
	if t.Type != apitoken.TypeFULL_ACCESS {
		if grant, err = authz.Effective(ctx, db(ctx), t); err != nil {
			return nil, err
		}
	}
	if err := noteHeld(ctx, []string{t.PersonaID}, t.Type, grant); err != nil {
		return nil, err
	}
	if err := s.auditToken(ctx, "api-token.update", t, changes); err != nil {
		return nil, err
	}
	return t, nil
}

// RegenerateToken gives a token a new secret. The old one stops working at
// once, or when grace has passed. It is the admin's answer to a leak, so it
// also disarms the secrets the token rotated away itself: presenting one of
// those would otherwise count as reuse and revoke the replacement, which
// puts whoever holds a leaked old secret in charge of the token (the secret
// regenerate replaces is never armed, for the same reason).
func (s *Service) RegenerateToken(ctx context.Context, id string, graceSeconds *int) (*TokenWithSecret, error) {
	c, t, err := s.tokenFor(ctx, regenerateToken, id, "regenerate")
	if err != nil {
		return nil, err
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
	// Detached as a deleted token's are: presenting one answers a plain
	// 401, and none can be chosen as a new secret.
	forgotten, err := db(ctx).RetiredSecret.Update().Where(retiredsecret.TokenID(t.ID)).ClearTokenID().Save(ctx)
	if err != nil {
		return nil, err
	}
	if forgotten > 0 {
		changes = append(changes, "rotationHistory")
	}
	if err := s.auditToken(ctx, "api-token.regenerate", t, changes); err != nil {
		return nil, err
	}
	return &TokenWithSecret{APIToken: t, Secret: plain}, nil
}

// RevokeToken stops a token from authenticating until it is restored.
// Anyone allowed to revoke may revoke any token: stopping a leaked token must
// never wait for a more powerful caller.
func (s *Service) RevokeToken(ctx context.Context, id string) (*ent.APIToken, error) {
	c, err := s.caller(ctx, revokeToken)
	if err != nil {
		return nil, err
	}
	t, err := s.token(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := stillOwn(c, t); err != nil {
		return nil, err
	}
	if t.RevokedAt == nil {
		if t, err = db(ctx).APIToken.UpdateOne(t).SetRevokedAt(s.now()).SetUpdatedAt(s.now()).Save(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.auditToken(ctx, "api-token.revoke", t, []string{"revokedAt"}); err != nil {
		return nil, err
	}
	return t, nil
}

// RestoreToken undoes a revocation. Restoring re-arms the token's powers, so
// the privilege ceiling applies.
func (s *Service) RestoreToken(ctx context.Context, id string) (*ent.APIToken, error) {
	_, t, err := s.tokenFor(ctx, revokeToken, id, "restore")
	if err != nil {
		return nil, err
	}
	if t.RevokedAt != nil {
		if t, err = db(ctx).APIToken.UpdateOne(t).ClearRevokedAt().SetUpdatedAt(s.now()).Save(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.auditToken(ctx, "api-token.restore", t, []string{"revokedAt"}); err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteToken removes a token for good. Unlike revoking, it cannot be
// undone, so the caller must be at least as strong as the token.
func (s *Service) DeleteToken(ctx context.Context, id string) (string, error) {
	_, t, err := s.tokenFor(ctx, deleteToken, id, "delete")
	if err != nil {
		return "", err
	}
	if err := db(ctx).APIToken.DeleteOne(t).Exec(ctx); err != nil {
		return "", err
	}
	if err := lastused.Forget(ctx, db(ctx), t.ID); err != nil {
		return "", err
	}
	if err := s.auditToken(ctx, "api-token.delete", t, nil); err != nil {
		return "", err
	}
	return t.ID, nil
}

func (s *Service) auditToken(ctx context.Context, action string, t *ent.APIToken, changes []string) error {
	if err := s.changed(ctx, feed.Token, t.ID); err != nil {
		return err
	}
	return audit.Record(ctx, audit.Event{Action: action, TargetType: "api-token", TargetID: t.ID, TargetName: t.Name, Changes: changes, At: s.now(), Token: t})
}

// tokenFor loads the token a mutation needing need acts on, as verb, and
// applies the rules of acting on a token: the caller must be at least as
// strong as the token, and may not regenerate or restore a token that
// outlives it.
func (s *Service) tokenFor(ctx context.Context, need perm.Permission, id, verb string) (*authz.Principal, *ent.APIToken, error) {
	c, err := s.caller(ctx, need)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.token(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := stillOwn(c, t); err != nil {
		return nil, nil, err
	}
	if err := tokenCeiling(ctx, c, t); err != nil {
		return nil, nil, err
	}
	if err := s.looserToken(ctx, c, t); err != nil {
		return nil, nil, err
	}
	// A caller that expires may not hand a token that outlives it a new
	// secret or a new life: its powers would outlast it.
	if verb == "regenerate" || verb == "restore" {
		if err := expiryCeiling(c, t.ExpiresAt); err != nil {
			return nil, nil, err
		}
	}
	return c, t, nil
}

// token loads (and on MySQL locks) a token by id; anything else is NOT_FOUND.
func (s *Service) token(ctx context.Context, id string) (*ent.APIToken, error) {
	if err := checkID("APIToken", id); err != nil {
		return nil, err
	}
	t, err := locked(s, db(ctx).APIToken.Query().Where(apitoken.ID(id))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("APIToken", id)
	}
	return t, err
}

func (s *Service) tokenName(ctx context.Context, v, self string) (string, error) {
	name, err := checkName("name", v)
	if err != nil {
		return "", err
	}
	taken, err := db(ctx).APIToken.Query().Where(apitoken.NameFold(fold(name)), apitoken.IDNEQ(self)).Exist(ctx)
	if err != nil {
		return "", err
	}
	if taken {
		return "", gqlerr.Field(gqlerr.Conflict, "name", "an API token named %q already exists", name)
	}
	return name, nil
}

func (s *Service) tokenCode(ctx context.Context, v, self string) (string, error) {
	code, err := slug("code", v, 100)
	if err != nil {
		return "", err
	}
	taken, err := db(ctx).APIToken.Query().Where(apitoken.Code(code), apitoken.IDNEQ(self)).Exist(ctx)
	if err != nil {
		return "", err
	}
	if taken {
		return "", gqlerr.Field(gqlerr.Conflict, "code", "an API token with code %q already exists", code)
	}
	return code, nil
}

// derivedCode is a slug of the name, numbered when another token has it:
// a code nobody chose must never be the reason a create fails.
func (s *Service) derivedCode(ctx context.Context, name string) (string, error) {
	base := slugify(name)
	for n := 1; ; n++ {
		code := base
		if n > 1 {
			code = fmt.Sprintf("%s-%d", base, n)
		}
		taken, err := db(ctx).APIToken.Query().Where(apitoken.Code(code)).Exist(ctx)
		if err != nil || !taken {
			return code, err
		}
	}
}

func (s *Service) secretUnused(ctx context.Context, hash string) error {
	used, err := db(ctx).APIToken.Query().
		Where(apitoken.Or(apitoken.SecretHash(hash), apitoken.PreviousSecretHash(hash))).
		Exist(ctx)
	if err != nil {
		return err
	}
	if !used {
		// A secret rotated away stays armed for reuse detection.
		used, err = s.secretRetired(ctx, hash)
	}
	if err != nil {
		return err
	}
	if used {
		return gqlerr.Field(gqlerr.Conflict, "secret", "this secret is already in use; choose another")
	}
	return nil
}

// expiry turns lifespan or expiresAt into an expiry time (nil: never).
// given reports whether either was supplied.
func expiry(lifespan *tokenstatus.Lifespan, at *time.Time, now time.Time) (exp *time.Time, given bool, err error) {
	switch {
	case lifespan != nil && at != nil:
		return nil, true, gqlerr.BadInput("expiresAt", "give lifespan or expiresAt, not both")
	case at != nil:
		if !at.After(now) {
			return nil, true, gqlerr.BadInput("expiresAt", "expiresAt must be in the future")
		}
		t := at.UTC().Truncate(time.Microsecond)
		return &t, true, nil
	case lifespan != nil:
		days := lifespan.Days()
		if days == 0 {
			return nil, true, nil
		}
		t := now.AddDate(0, 0, days)
		return &t, true, nil
	}
	return nil, false, nil
}

// tokenGrants is what a CUSTOM token is given besides its type.
type tokenGrants struct {
	roles []*ent.Role
	cells []*ent.Permission
	grant perm.Set // what roles and cells hold together
}

// grants validates the roles and explicit permissions of a token of type
// typ and checks the result against the caller's ceiling. When existing is
// given, roles or permissions left nil keep their current value.
func (s *Service) grants(ctx context.Context, c *authz.Principal, typ apitoken.Type, roleIDs []string, cells []*perm.Permission, existing *ent.APIToken) (tokenGrants, error) {
	var g tokenGrants
	if typ != apitoken.TypeCUSTOM {
		if len(roleIDs) > 0 {
			return g, gqlerr.BadInput("roleIDs", "only CUSTOM tokens have roles; %s tokens get their permissions from their type", typ)
		}
		if len(cells) > 0 {
			return g, gqlerr.BadInput("permissions", "only CUSTOM tokens have permissions of their own; %s tokens get theirs from their type", typ)
		}
		all, readOnly, err := authz.Catalog(ctx, db(ctx))
		if err != nil {
			return g, err
		}
		g.grant = authz.Grant(typ, all, readOnly, nil)
		return g, grantCeiling(c, typ, g.grant)
	}
	if roleIDs == nil && existing != nil {
		current, err := existing.QueryRoles().IDs(ctx)
		if err != nil {
			return g, err
		}
		roleIDs = current
	}
	if cells == nil && existing != nil {
		current, err := existing.QueryPermissions().WithContentType().All(ctx)
		if err != nil {
			return g, err
		}
		for _, p := range authz.Cells(current).List() {
			cells = append(cells, &p)
		}
	}
	roleRows, err := s.roles(ctx, "roleIDs", roleIDs)
	if err != nil {
		return g, err
	}
	cellRows, own, err := s.permissions(ctx, "permissions", cellsOf(cells))
	if err != nil {
		return g, err
	}
	// The cells were spelled out by the caller and may be named in the
	// refusal; what a role holds may not (the caller may not read roles).
	if err := grantCeiling(c, typ, own); err != nil {
		return g, err
	}
	grant := perm.NewSet(own.List()...)
	for _, r := range roleRows {
		cells := authz.Cells(r.Edges.Permissions)
		if c != nil && !authz.Within(c, typ, cells) {
			return g, gqlerr.Field(gqlerr.Forbidden, "roleIDs", "role %s grants permissions this token does not hold", r.ID)
		}
		grant.Add(cells.List()...)
	}
	return tokenGrants{roles: roleRows, cells: cellRows, grant: grant}, nil
}
