package admin

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/role"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/authz"
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
	name, err := s.roleName(ctx, in.Name, "")
	if err != nil {
		return nil, err
	}
	desc, err := description("description", in.Description)
	if err != nil {
		return nil, err
	}
	rows, grant, err := permissions(ctx, "permissions", cellsOf(in.Permissions))
	if err != nil {
		return nil, err
	}
	if err := ceiling(ctx, apitoken.TypeCUSTOM, grant); err != nil {
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
// has it, so both its old and its new permissions must be within the caller's.
func (s *Service) UpdateRole(ctx context.Context, id string, in UpdateRoleInput) (*ent.Role, error) {
	r, err := s.role(ctx, id)
	if err != nil {
		return nil, err
	}
	current, err := r.QueryPermissions().WithContentType().All(ctx)
	if err != nil {
		return nil, err
	}
	if err := ceiling(ctx, apitoken.TypeCUSTOM, authz.Cells(current)); err != nil {
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
	if in.Permissions != nil {
		rows, grant, err := permissions(ctx, "permissions", cellsOf(in.Permissions))
		if err != nil {
			return nil, err
		}
		if err := ceiling(ctx, apitoken.TypeCUSTOM, grant); err != nil {
			return nil, err
		}
		upd.ClearPermissions().AddPermissions(rows...)
		changes = append(changes, "permissions")
	}
	if r, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	return r, s.auditRole(ctx, "role.update", r, changes)
}

// DeleteRole removes a role. If tokens have it, detach must be true, and the
// tokens lose the role (and what it granted).
func (s *Service) DeleteRole(ctx context.Context, id string, detach bool) (string, error) {
	r, err := s.role(ctx, id)
	if err != nil {
		return "", err
	}
	n, err := r.QueryTokens().Count(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 && !detach {
		return "", gqlerr.New(gqlerr.Conflict, "%d API token(s) have role %q; pass detach: true to take it off them", n, r.Name)
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

func (s *Service) role(ctx context.Context, id string) (*ent.Role, error) {
	if err := checkID("Role", id); err != nil {
		return nil, err
	}
	r, err := db(ctx).Role.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound("Role", id)
	}
	return r, err
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
	s.changed(ctx)
	return audit.Record(ctx, audit.Event{Action: action, TargetType: "role", TargetID: r.ID, TargetName: r.Name, Changes: changes, At: s.now()})
}
