package admin

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/role"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/authz"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// CreateRoleInput is GraphQL's CreateRoleInput.
type CreateRoleInput struct {
	Name        string
	Description *string
	Permissions []*perm.Permission
}

// UpdateRoleInput is GraphQL's UpdateRoleInput; nil means unchanged.
type UpdateRoleInput struct {
	Name        *string
	Description *string
	Permissions []*perm.Permission
}

// CreateRole makes a role. A role can be handed to tokens, so its
// permissions must be within the caller's own.
func (s *Service) CreateRole(ctx context.Context, in CreateRoleInput) (*ent.Role, error) {
	c, err := s.caller(ctx, createRole)
	if err != nil {
		return nil, err
	}
	name, err := s.roleName(ctx, in.Name, "")
	if err != nil {
		return nil, err
	}
	desc, err := description("description", in.Description)
	if err != nil {
		return nil, err
	}
	rows, grant, err := s.permissions(ctx, "permissions", cellsOf(in.Permissions))
	if err != nil {
		return nil, err
	}
	if err := grantCeiling(c, apitoken.TypeCUSTOM, grant); err != nil {
		return nil, err
	}
	now := s.now()
	r, err := db(ctx).Role.Create().
		SetName(name).
		SetNameFold(fold(name)).
		SetDescription(desc).
		AddPermissions(rows...).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return r, s.auditRole(ctx, "role.create", r, []string{"name", "description", "permissions"})
}

// UpdateRole changes what is given. Editing a role changes every token that
// has it, so both its old and its new permissions must be within the
// caller's, and a token that would lose permissions must be too.
func (s *Service) UpdateRole(ctx context.Context, id string, in UpdateRoleInput) (*ent.Role, error) {
	c, r, current, err := s.roleFor(ctx, updateRole, id)
	if err != nil {
		return nil, err
	}
	upd := db(ctx).Role.UpdateOne(r).SetUpdatedAt(s.now())
	var changes []string
	if in.Name != nil {
		name, err := s.roleName(ctx, *in.Name, r.ID)
		if err != nil {
			return nil, err
		}
		upd.SetName(name).SetNameFold(fold(name))
		changes = append(changes, "name")
	}
	if in.Description != nil {
		desc, err := description("description", in.Description)
		if err != nil {
			return nil, err
		}
		upd.SetDescription(desc)
		changes = append(changes, "description")
	}
	var grant perm.Set
	if in.Permissions != nil {
		var rows []*ent.Permission
		rows, grant, err = s.permissions(ctx, "permissions", cellsOf(in.Permissions))
		if err != nil {
			return nil, err
		}
		if err := grantCeiling(c, apitoken.TypeCUSTOM, grant); err != nil {
			return nil, err
		}
		if !grant.Contains(current) {
			if err := s.holdersCeiling(ctx, c, r); err != nil {
				return nil, err
			}
		}
		if !current.Contains(grant) {
			if err := gainersExpiryCeiling(ctx, c, db(ctx).APIToken.Query().Where(apitoken.HasRolesWith(role.ID(r.ID)))); err != nil {
				return nil, err
			}
		}
		upd.ClearPermissions().AddPermissions(rows...)
		changes = append(changes, "permissions")
	}
	if r, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	if grant != nil {
		personas, err := db(ctx).APIToken.Query().Where(apitoken.HasRolesWith(role.ID(r.ID))).Select(apitoken.FieldPersonaID).Strings(ctx)
		if err != nil {
			return nil, err
		}
		if err := noteHeld(ctx, personas, apitoken.TypeCUSTOM, grant); err != nil {
			return nil, err
		}
	}
	return r, s.auditRole(ctx, "role.update", r, changes)
}

// DeleteRole removes a role. If tokens have it, detach must be true, and the
// tokens lose the role (and what it granted).
func (s *Service) DeleteRole(ctx context.Context, id string, detach bool) (string, error) {
	c, r, _, err := s.roleFor(ctx, deleteRole, id)
	if err != nil {
		return "", err
	}
	// The role row is locked: no token can be given it until this commits.
	n, err := r.QueryTokens().Count(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 && !detach {
		return "", gqlerr.New(gqlerr.Conflict, "%d API token(s) have role %q; pass detach: true to take it off them", n, r.Name)
	}
	if n > 0 {
		if err := s.holdersCeiling(ctx, c, r); err != nil {
			return "", err
		}
	}
	if err := db(ctx).Role.DeleteOne(r).Exec(ctx); err != nil {
		return "", err
	}
	var changes []string
	if n > 0 {
		changes = []string{"tokens"}
	}
	return r.ID, s.auditRole(ctx, "role.delete", r, changes)
}

// roleFor loads (and on MySQL locks) the role a mutation needing need acts
// on, with its permissions, and refuses a caller that may not edit it: a
// role that grants more than the caller may not be edited, detached or
// deleted by it.
func (s *Service) roleFor(ctx context.Context, need perm.Permission, id string) (*authz.Principal, *ent.Role, perm.Set, error) {
	c, err := s.caller(ctx, need)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkID("Role", id); err != nil {
		return nil, nil, nil, err
	}
	r, err := locked(s, db(ctx).Role.Query().Where(role.ID(id))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, nil, notFound("Role", id)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := r.QueryPermissions().WithContentType().All(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	current := authz.Cells(rows)
	return c, r, current, roleCeiling(c, r, current)
}

// holdersCeiling refuses a change that takes permissions from the tokens
// that have role r unless the caller is at least as strong as each of them.
func (s *Service) holdersCeiling(ctx context.Context, c *authz.Principal, r *ent.Role) error {
	if c == nil || c.FullAccess() {
		return nil
	}
	tokens, err := r.QueryTokens().All(ctx)
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

func (s *Service) roleName(ctx context.Context, v, self string) (string, error) {
	name, err := checkName("name", v)
	if err != nil {
		return "", err
	}
	taken, err := db(ctx).Role.Query().Where(role.NameFold(fold(name)), role.IDNEQ(self)).Exist(ctx)
	if err != nil {
		return "", err
	}
	if taken {
		return "", gqlerr.Field(gqlerr.Conflict, "name", "a role named %q already exists", name)
	}
	return name, nil
}

func (s *Service) auditRole(ctx context.Context, action string, r *ent.Role, changes []string) error {
	if err := s.changed(ctx, feed.Role, r.ID); err != nil {
		return err
	}
	return audit.Record(ctx, audit.Event{Action: action, TargetType: "role", TargetID: r.ID, TargetName: r.Name, Changes: changes, At: s.now()})
}
