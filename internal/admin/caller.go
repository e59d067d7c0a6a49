package admin

import (
	"context"
	"slices"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/permission"
	"github.com/latchkeyhq/latchkey/ent/persona"
	"github.com/latchkeyhq/latchkey/ent/role"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/request"
)

// This file holds the rules that bound what a caller may do to records
// other than through its own permission to act: the privilege ceiling on
// grants, on the records a change touches and on expiry, the limits of a
// grace-period secret, and the row locks that keep concurrent mutations
// serial. Every mutation in this package goes through caller first.

// caller is who performs a change, as the database knows it at this point
// of the mutation's transaction, after checking that it still holds need.
// It is nil when Latchkey acts on its own behalf (AsSystem).
//
// The principal that authenticated the request is a snapshot taken before
// the operation began: an earlier mutation of the same request (an aliased
// pair) may have revoked the caller, changed its roles, moved its grace
// period or removed cells from the catalog. Every ceiling is measured
// against this fresh view instead.
func (s *Service) caller(ctx context.Context, need perm.Permission) (*authz.Principal, error) {
	fresh, err := s.fresh(ctx)
	if fresh == nil || err != nil {
		return nil, err
	}
	if !fresh.Can(need.ContentType, need.Action) {
		return nil, gqlerr.New(gqlerr.Forbidden, "this token may not %s %s", need.Action, need.ContentType)
	}
	if err := notGrace(fresh); err != nil {
		return nil, err
	}
	return fresh, nil
}

// fresh is the caller as the database knows it now (see caller), before
// any check of what it may do; nil when Latchkey acts on its own behalf.
func (s *Service) fresh(ctx context.Context) (*authz.Principal, error) {
	if ctx.Value(systemKey{}) != nil {
		return nil, nil
	}
	p, err := authz.Require(ctx)
	if err != nil {
		return nil, err
	}
	fresh, err := authz.Authenticate(ctx, db(ctx), p.SecretHash, s.now())
	if fresh == nil && err == nil {
		return nil, gqlerr.New(gqlerr.Unauthenticated, "the bearer token stopped being valid during this request")
	}
	if err != nil {
		return nil, err
	}
	// Conditions set by an earlier mutation of the same request hold too.
	if !fresh.Policy.ValidAt(s.now()) {
		return nil, &gqlerr.Error{Code: gqlerr.Forbidden, Reason: string(policy.NotYetValid), Message: "this token is not valid yet"}
	}
	if !fresh.Policy.AllowsIP(request.From(ctx).ClientIP) {
		return nil, &gqlerr.Error{Code: gqlerr.Forbidden, Reason: string(policy.IPNotAllowed), Message: "this token may not be used from this client address"}
	}
	return fresh, nil
}

// stillOwn refuses a caller acting on its own token t, as locked now, when
// t no longer has the caller's secret or has been revoked. The caller was
// checked before the row was locked; a regenerate, rotation or revocation
// that committed in between decides. Otherwise a leaked secret's mutation
// that waited behind an admin's regenerate or revoke for the row would
// overwrite the admin's new secret (rotate, regenerate), undo the
// revocation (restore) or act with a secret that no longer exists (update,
// delete). Used wherever a token is locked for a token mutation.
func stillOwn(c *authz.Principal, t *ent.APIToken) error {
	if c == nil || c.Token == nil || c.Token.ID != t.ID || t.SecretHash == c.SecretHash && t.RevokedAt == nil {
		return nil
	}
	return gqlerr.New(gqlerr.Unauthenticated, "this secret was replaced or its token revoked meanwhile")
}

// notGrace refuses a secret in its grace period: a replaced secret may keep
// a deployment running while it moves to the new one; it manages nothing.
// Otherwise a leaked old secret could regenerate its token (or any token it
// may manage) into a permanent one.
func notGrace(c *authz.Principal) error {
	if c != nil && c.Grace {
		return gqlerr.New(gqlerr.Forbidden, "a secret in its grace period authenticates for use only; it may not change anything")
	}
	return nil
}

// The permissions the mutations need, as the schema's directives state them.
var (
	createToken     = perm.Permission{ContentType: "api-token", Action: "create"}
	updateToken     = perm.Permission{ContentType: "api-token", Action: "update"}
	regenerateToken = perm.Permission{ContentType: "api-token", Action: "regenerate"}
	revokeToken     = perm.Permission{ContentType: "api-token", Action: "revoke"}
	deleteToken     = perm.Permission{ContentType: "api-token", Action: "delete"}
	createRole      = perm.Permission{ContentType: "role", Action: "create"}
	updateRole      = perm.Permission{ContentType: "role", Action: "update"}
	deleteRole      = perm.Permission{ContentType: "role", Action: "delete"}
	createPersona   = perm.Permission{ContentType: "persona", Action: "create"}
	updatePersona   = perm.Permission{ContentType: "persona", Action: "update"}
	deletePersona   = perm.Permission{ContentType: "persona", Action: "delete"}
	createCT        = perm.Permission{ContentType: "content-type", Action: "create"}
	updateCT        = perm.Permission{ContentType: "content-type", Action: "update"}
	deleteCT        = perm.Permission{ContentType: "content-type", Action: "delete"}
)

// grantCeiling checks a grant the caller spelled out against its ceiling.
func grantCeiling(c *authz.Principal, typ apitoken.Type, grant perm.Set) error {
	if c == nil {
		return nil
	}
	return authz.Ceiling(c, typ, grant)
}

// tokenCeiling refuses to act on a token that can do more than the caller.
func tokenCeiling(ctx context.Context, c *authz.Principal, t *ent.APIToken) error {
	if c == nil {
		return nil
	}
	return authz.CeilingForToken(ctx, db(ctx), c, t)
}

// roleCeiling refuses to change or remove a role that grants more than the
// caller holds: editing, deleting and detaching a role all change what
// every token with it may do.
func roleCeiling(c *authz.Principal, r *ent.Role, cells perm.Set) error {
	if c == nil || authz.Within(c, apitoken.TypeCUSTOM, cells) {
		return nil
	}
	return authz.Stronger("role")
}

// expiryCeiling follows Vault: a caller that is not FULL_ACCESS cannot give
// any token, its own included, an expiry later than its own (no expiry is
// later than every date).
func expiryCeiling(c *authz.Principal, exp *time.Time) error {
	if c == nil || c.FullAccess() || c.Token.ExpiresAt == nil {
		return nil
	}
	limit := c.Token.ExpiresAt.UTC()
	if exp == nil || exp.After(limit) {
		return gqlerr.Field(gqlerr.Forbidden, "expiresAt", "this token expires at %s; it may not give a token a later expiry, or none", limit.Format(time.RFC3339))
	}
	return nil
}

// gainersExpiryCeiling extends the lifetime ceiling to changes that give
// new powers to existing tokens (a role that gains cells, an action that
// becomes read-only): a caller that expires may not give them to a token
// that outlives it, or its powers would outlast it.
func gainersExpiryCeiling(ctx context.Context, c *authz.Principal, gainers *ent.APITokenQuery) error {
	if c == nil || c.FullAccess() || c.Token.ExpiresAt == nil {
		return nil
	}
	limit := c.Token.ExpiresAt.UTC()
	outlive, err := gainers.Where(apitoken.Or(apitoken.ExpiresAtIsNil(), apitoken.ExpiresAtGT(limit))).Exist(ctx)
	if err != nil {
		return err
	}
	if outlive {
		return gqlerr.New(gqlerr.Forbidden, "this change gives new permissions to API tokens that outlive this token (it expires at %s)", limit.Format(time.RFC3339))
	}
	return nil
}

// Persona "held" marks: the most any token acting as the persona was given.
const (
	heldFullAccess = "FULL_ACCESS"
	heldReadOnly   = "READ_ONLY"
)

func heldMarks(typ apitoken.Type, grant perm.Set) []string {
	if typ == apitoken.TypeFULL_ACCESS {
		return []string{heldFullAccess}
	}
	out := make([]string, 0, len(grant)+1)
	if typ == apitoken.TypeREAD_ONLY {
		// The mark stands for every read-only action to come; the cells
		// hold what was read-only then, which a later change of the
		// catalog cannot take back.
		out = append(out, heldReadOnly)
	}
	for _, p := range grant.List() {
		out = append(out, p.String())
	}
	return out
}

// noteHeld adds to the marks of the personas with these ids what a token of
// type typ holding grant was just given.
func noteHeld(ctx context.Context, personaIDs []string, typ apitoken.Type, grant perm.Set) error {
	marks := heldMarks(typ, grant)
	if len(marks) == 0 || len(personaIDs) == 0 {
		return nil
	}
	ps, err := db(ctx).Persona.Query().Where(persona.IDIn(personaIDs...)).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		held := slices.Clone(p.Held)
		for _, m := range marks {
			if !slices.Contains(held, m) {
				held = append(held, m)
			}
		}
		if len(held) == len(p.Held) {
			continue
		}
		slices.Sort(held)
		if err := db(ctx).Persona.UpdateOne(p).SetHeld(held).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// personaCeiling keeps a persona out of reach of callers weaker than any
// token that acts as it now or ever did: taking on, renaming or deleting a
// persona is borrowing or erasing the identity of those tokens.
func personaCeiling(ctx context.Context, c *authz.Principal, p *ent.Persona) error {
	if c == nil || c.FullAccess() {
		return nil
	}
	stronger := authz.Stronger("persona")
	if len(p.Held) > 0 {
		_, readOnly, err := authz.Catalog(ctx, db(ctx))
		if err != nil {
			return err
		}
		// A cell that has left the catalog still counts: no caller but
		// FULL_ACCESS holds it, so removing an action cannot free a persona.
		cells := perm.Set{}
		for _, m := range p.Held {
			switch m {
			case heldFullAccess:
				return stronger
			case heldReadOnly:
				cells.Add(readOnly.List()...)
			default:
				ct, action, _ := strings.Cut(m, ":")
				cells.Add(perm.Permission{ContentType: ct, Action: action})
			}
		}
		if !c.Permissions.Contains(cells) {
			return stronger
		}
	}
	tokens, err := db(ctx).APIToken.Query().Where(apitoken.PersonaID(p.ID)).All(ctx)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if tokenCeiling(ctx, c, t) != nil {
			return stronger
		}
	}
	return nil
}

// catalogCeiling checks a change of the catalog (content types and their
// actions) by its result, not by the shape of the edit:
//   - an action that becomes read-only is granted to every READ_ONLY token,
//     so the caller must hold it (an action that did not exist before is
//     held by FULL_ACCESS callers only);
//   - an action that stops being read-only is taken from every READ_ONLY
//     token, so the caller must be at least as strong as READ_ONLY tokens;
//   - an action that is removed is taken from every role and token granted
//     it, so the caller must be at least as strong as each of them.
//
// FULL_ACCESS tokens hold whatever the catalog holds and lose nothing.
func catalogCeiling(ctx context.Context, c *authz.Principal, ct *ent.ContentType, before, after []perm.Action) error {
	if c == nil || c.FullAccess() {
		return nil
	}
	cell := func(a perm.Action) perm.Permission { return perm.Permission{ContentType: ct.UID, Action: a.Name} }
	wasRO, isRO, exists := perm.Set{}, perm.Set{}, perm.Set{}
	for _, a := range before {
		if a.ReadOnly {
			wasRO.Add(cell(a))
		}
	}
	for _, a := range after {
		exists.Add(cell(a))
		if a.ReadOnly {
			isRO.Add(cell(a))
		}
	}
	var made, unmade []string
	for p := range isRO {
		if !wasRO.Has(p) {
			made = append(made, p.String())
		}
	}
	for p := range wasRO {
		if !isRO.Has(p) {
			unmade = append(unmade, p.String())
		}
	}
	var readOnly perm.Set
	if len(made) > 0 || len(unmade) > 0 {
		var err error
		if _, readOnly, err = authz.Catalog(ctx, db(ctx)); err != nil {
			return err
		}
	}
	if len(made) > 0 {
		slices.Sort(made)
		// Only a caller that could create a READ_ONLY token holding the
		// action may: it holds every read-only action and this one.
		if !authz.Within(c, apitoken.TypeREAD_ONLY, readOnly) {
			return gqlerr.Field(gqlerr.Forbidden, "actions", "making %s read-only grants it to every READ_ONLY token; only a token that could create READ_ONLY tokens holding it may", strings.Join(made, ", "))
		}
		for _, m := range made {
			ct, action, _ := strings.Cut(m, ":")
			if !c.Can(ct, action) {
				return gqlerr.Field(gqlerr.Forbidden, "actions", "making %s read-only grants it to every READ_ONLY token; only a token that holds it may, and only FULL_ACCESS for a new action", strings.Join(made, ", "))
			}
		}
		if err := gainersExpiryCeiling(ctx, c, db(ctx).APIToken.Query().Where(apitoken.TypeEQ(apitoken.TypeREAD_ONLY))); err != nil {
			return err
		}
	}
	if len(unmade) > 0 {
		ro, err := db(ctx).APIToken.Query().Where(apitoken.TypeEQ(apitoken.TypeREAD_ONLY)).Exist(ctx)
		if err != nil {
			return err
		}
		if ro {
			if !authz.Within(c, apitoken.TypeREAD_ONLY, readOnly) {
				return gqlerr.Field(gqlerr.Forbidden, "actions", "this change takes read-only actions from READ_ONLY tokens, which can do more than this token")
			}
		}
	}
	var removed []string
	for _, a := range before {
		if !exists.Has(cell(a)) {
			removed = append(removed, a.Name)
		}
	}
	if len(removed) == 0 {
		return nil
	}
	cells := permission.And(permission.ContentTypeID(ct.ID), permission.ActionIn(removed...))
	roles, err := db(ctx).Role.Query().Where(role.HasPermissionsWith(cells)).
		WithPermissions(func(q *ent.PermissionQuery) { q.WithContentType() }).All(ctx)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if err := roleCeiling(c, r, authz.Cells(r.Edges.Permissions)); err != nil {
			return err
		}
	}
	tokens, err := db(ctx).APIToken.Query().Where(apitoken.Or(
		apitoken.HasPermissionsWith(cells),
		apitoken.HasRolesWith(role.HasPermissionsWith(cells)),
	)).All(ctx)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if err := tokenCeiling(ctx, c, t); err != nil {
			return err
		}
	}
	return nil
}

// lockable is an ent query that can read its rows FOR UPDATE.
type lockable[Q any] interface {
	ForUpdate(...entsql.LockOption) Q
}

// locked makes q a locking read on MySQL, so that what a mutation checks
// (a role exists and no token has it, a cell is unused, ...) stays true
// until it commits, and concurrent mutations come out as if run one after
// another. SQLite needs no row locks: its write transactions never overlap.
func locked[Q lockable[Q]](s *Service, q Q) Q {
	if s.Locking {
		return q.ForUpdate()
	}
	return q
}

// guessAllowed returns RATE_LIMITED when the caller has used up the
// failed attempts it may spend on guessing secrets.
func (s *Service) guessAllowed(ctx context.Context) error {
	if s.Guesses == nil || ctx.Value(systemKey{}) != nil {
		return nil
	}
	return s.Guesses.Allow(ctx)
}

// guessMissed spends one failed attempt.
func (s *Service) guessMissed(ctx context.Context) {
	if s.Guesses != nil && ctx.Value(systemKey{}) == nil {
		s.Guesses.Miss(ctx)
	}
}
