package admin

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/contenttype"
	"github.com/latchkeyhq/latchkey/ent/permission"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/authz"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// CreateContentTypeInput is GraphQL's CreateContentTypeInput.
type CreateContentTypeInput struct {
	UID         string
	DisplayName string
	Description *string
	Actions     []*perm.Action
}

// UpdateContentTypeInput is GraphQL's UpdateContentTypeInput.
type UpdateContentTypeInput struct {
	DisplayName *string
	Description *string
	Actions     []*perm.Action
}

// SystemContentTypes describe Latchkey's own API; they are seeded on first
// start and can never be changed or deleted.
func SystemContentTypes() []CreateContentTypeInput {
	crud := func(extra ...string) []*perm.Action {
		out := []*perm.Action{{Name: "read", ReadOnly: true}, {Name: "create"}, {Name: "update"}, {Name: "delete"}}
		for _, e := range extra {
			out = append(out, &perm.Action{Name: e})
		}
		return out
	}
	desc := func(s string) *string { return &s }
	return []CreateContentTypeInput{
		{UID: "api-token", DisplayName: "API tokens", Description: desc("Latchkey's API tokens."), Actions: crud("regenerate", "revoke")},
		{UID: "persona", DisplayName: "Personas", Description: desc("The identities tokens act as."), Actions: crud()},
		{UID: "role", DisplayName: "Roles", Description: desc("Reusable bundles of permissions."), Actions: crud()},
		{UID: "content-type", DisplayName: "Content types", Description: desc("What permissions are about."), Actions: crud()},
		{UID: "audit-event", DisplayName: "Audit log", Description: desc("The record of every change."), Actions: []*perm.Action{{Name: "read", ReadOnly: true}}},
		// Reading webhooks is not read-only: an endpoint's URL can itself be
		// a credential (chat webhooks), so READ_ONLY tokens do not get it.
		{UID: "webhook", DisplayName: "Webhooks", Description: desc("Endpoints that receive events, and their deliveries."),
			Actions: []*perm.Action{{Name: "read"}, {Name: "create"}, {Name: "update"}, {Name: "delete"}, {Name: "redeliver"}}},
	}
}

// CreateContentType registers a content type with its actions (default:
// read, create, update, delete) and a permission row for each.
// Read-only actions are granted to every READ_ONLY token, so only
// FULL_ACCESS callers may create a content type with any (the default
// actions include read).
func (s *Service) CreateContentType(ctx context.Context, in CreateContentTypeInput) (*ent.ContentType, error) {
	return s.createContentType(ctx, in, false)
}

func (s *Service) createContentType(ctx context.Context, in CreateContentTypeInput, system bool) (*ent.ContentType, error) {
	c, err := s.caller(ctx, createCT)
	if err != nil {
		return nil, err
	}
	uid, err := slug("uid", in.UID, 64)
	if err != nil {
		return nil, err
	}
	taken, err := db(ctx).ContentType.Query().Where(contenttype.UID(uid)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, gqlerr.Field(gqlerr.Conflict, "uid", "a content type with uid %q already exists", uid)
	}
	display, err := checkName("displayName", in.DisplayName)
	if err != nil {
		return nil, err
	}
	desc, err := description("description", in.Description)
	if err != nil {
		return nil, err
	}
	actions := perm.DefaultActions()
	if in.Actions != nil {
		if actions, err = validActions(in.Actions); err != nil {
			return nil, err
		}
	}
	if err := catalogCeiling(ctx, c, &ent.ContentType{UID: uid}, nil, actions); err != nil {
		return nil, err
	}
	now := s.now()
	ct, err := db(ctx).ContentType.Create().
		SetUID(uid).
		SetDisplayName(display).
		SetDescription(desc).
		SetSystem(system).
		SetActions(actions).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := addPermissionRows(ctx, ct, actions); err != nil {
		return nil, err
	}
	return ct, s.auditContentType(ctx, "content-type.create", ct, []string{"uid", "displayName", "description", "actions"})
}

// UpdateContentType changes a content type that is not a system one.
// Removing an action that roles or tokens grant needs detach, which revokes
// those grants.
func (s *Service) UpdateContentType(ctx context.Context, id string, in UpdateContentTypeInput, detach bool) (*ent.ContentType, error) {
	c, ct, err := s.mutableContentType(ctx, updateCT, id, "changed")
	if err != nil {
		return nil, err
	}
	upd := db(ctx).ContentType.UpdateOne(ct).SetUpdatedAt(s.now())
	var changes []string
	if in.DisplayName != nil {
		display, err := checkName("displayName", *in.DisplayName)
		if err != nil {
			return nil, err
		}
		upd.SetDisplayName(display)
		changes = append(changes, "displayName")
	}
	if in.Description != nil {
		desc, err := description("description", in.Description)
		if err != nil {
			return nil, err
		}
		upd.SetDescription(desc)
		changes = append(changes, "description")
	}
	var added []perm.Action
	if in.Actions != nil {
		actions, err := validActions(in.Actions)
		if err != nil {
			return nil, err
		}
		if err := catalogCeiling(ctx, c, ct, ct.Actions, actions); err != nil {
			return nil, err
		}
		keep, had := map[string]bool{}, map[string]bool{}
		for _, a := range actions {
			keep[a.Name] = true
		}
		var removed []string
		for _, a := range ct.Actions {
			had[a.Name] = true
			if !keep[a.Name] {
				removed = append(removed, a.Name)
			}
		}
		for _, a := range actions {
			if !had[a.Name] {
				added = append(added, a)
			}
		}
		if err := dropPermissionRows(ctx, ct, removed, detach); err != nil {
			return nil, err
		}
		upd.SetActions(actions)
		changes = append(changes, "actions")
	}
	if ct, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	if err := addPermissionRows(ctx, ct, added); err != nil {
		return nil, err
	}
	return ct, s.auditContentType(ctx, "content-type.update", ct, changes)
}

// DeleteContentType removes a content type that is not a system one. If
// roles or tokens grant any of its actions, detach must be true.
func (s *Service) DeleteContentType(ctx context.Context, id string, detach bool) (string, error) {
	c, ct, err := s.mutableContentType(ctx, deleteCT, id, "deleted")
	if err != nil {
		return "", err
	}
	if err := catalogCeiling(ctx, c, ct, ct.Actions, nil); err != nil {
		return "", err
	}
	names := make([]string, len(ct.Actions))
	for i, a := range ct.Actions {
		names[i] = a.Name
	}
	if err := dropPermissionRows(ctx, ct, names, detach); err != nil {
		return "", err
	}
	if err := db(ctx).ContentType.DeleteOne(ct).Exec(ctx); err != nil {
		return "", err
	}
	return ct.ID, s.auditContentType(ctx, "content-type.delete", ct, nil)
}

// mutableContentType loads (and on MySQL locks) a content type that is not
// a system one, for a mutation needing need.
func (s *Service) mutableContentType(ctx context.Context, need perm.Permission, id, verb string) (*authz.Principal, *ent.ContentType, error) {
	c, err := s.caller(ctx, need)
	if err != nil {
		return nil, nil, err
	}
	if err := checkID("ContentType", id); err != nil {
		return nil, nil, err
	}
	ct, err := locked(s, db(ctx).ContentType.Query().Where(contenttype.ID(id))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, notFound("ContentType", id)
	}
	if err != nil {
		return nil, nil, err
	}
	if ct.System {
		return nil, nil, gqlerr.New(gqlerr.Forbidden, "%q is a system content type and cannot be %s", ct.UID, verb)
	}
	// Lock its cells too: a grant of one of them (which locks the cells it
	// names) either commits before this change looks at who holds them, or
	// waits for it and finds the cell gone.
	if s.Locking {
		if _, err := db(ctx).Permission.Query().Where(permission.ContentTypeID(ct.ID)).ForUpdate().IDs(ctx); err != nil {
			return nil, nil, err
		}
	}
	return c, ct, nil
}

func validActions(in []*perm.Action) ([]perm.Action, error) {
	if len(in) == 0 {
		return nil, gqlerr.BadInput("actions", "a content type needs at least one action")
	}
	seen := map[string]bool{}
	out := make([]perm.Action, 0, len(in))
	for _, a := range in {
		if a == nil {
			continue
		}
		if _, err := slug("actions", a.Name, 64); err != nil {
			return nil, gqlerr.BadInput("actions", "action %q must be a slug: lower-case letters and digits joined by single hyphens", a.Name)
		}
		if seen[a.Name] {
			return nil, gqlerr.BadInput("actions", "action %q is listed twice", a.Name)
		}
		seen[a.Name] = true
		out = append(out, *a)
	}
	return out, nil
}

func addPermissionRows(ctx context.Context, ct *ent.ContentType, actions []perm.Action) error {
	if len(actions) == 0 {
		return nil
	}
	creates := make([]*ent.PermissionCreate, len(actions))
	for i, a := range actions {
		creates[i] = db(ctx).Permission.Create().SetContentTypeID(ct.ID).SetAction(a.Name)
	}
	return db(ctx).Permission.CreateBulk(creates...).Exec(ctx)
}

// dropPermissionRows deletes the cells of actions; their grants to roles and
// tokens go with them, which needs detach when there are any.
func dropPermissionRows(ctx context.Context, ct *ent.ContentType, actions []string, detach bool) error {
	if len(actions) == 0 {
		return nil
	}
	cells := permission.And(permission.ContentTypeID(ct.ID), permission.ActionIn(actions...))
	// The content type row is locked, and so is every cell a grant reads
	// (see permissions): no new grant of these cells can slip in.
	if !detach {
		used, err := db(ctx).Permission.Query().
			Where(cells, permission.Or(permission.HasRoles(), permission.HasTokens())).
			Exist(ctx)
		if err != nil {
			return err
		}
		if used {
			return gqlerr.New(gqlerr.Conflict, "roles or API tokens are granted actions of %q that would be removed; pass detach: true to revoke those grants", ct.UID)
		}
	}
	_, err := db(ctx).Permission.Delete().Where(cells).Exec(ctx)
	return err
}

func (s *Service) auditContentType(ctx context.Context, action string, ct *ent.ContentType, changes []string) error {
	if err := s.changed(ctx, feed.ContentType, ct.ID); err != nil {
		return err
	}
	return audit.Record(ctx, audit.Event{Action: action, TargetType: "content-type", TargetID: ct.ID, TargetName: ct.UID, Changes: changes, At: s.now()})
}

// CreateSystemContentType registers one of Latchkey's own content types.
func (s *Service) CreateSystemContentType(ctx context.Context, in CreateContentTypeInput) (*ent.ContentType, error) {
	return s.createContentType(ctx, in, true)
}
