package admin

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/contenttype"
	"github.com/latchkeyhq/latchkey/ent/permission"
	"github.com/latchkeyhq/latchkey/ent/role"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// permissions resolves requested cells to their rows; every cell must name
// an existing content type and one of its actions.
func (s *Service) permissions(ctx context.Context, field string, in []perm.Permission) ([]*ent.Permission, perm.Set, error) {
	want := perm.NewSet(in...)
	if len(want) == 0 {
		return nil, perm.Set{}, nil
	}
	uids := make([]string, 0, len(want))
	for p := range want {
		uids = append(uids, p.ContentType)
	}
	rows, err := locked(s, db(ctx).Permission.Query().
		Where(permission.HasContentTypeWith(contenttype.UIDIn(uids...)))).
		WithContentType().
		All(ctx)
	if err != nil {
		return nil, nil, err
	}
	byCell := make(map[perm.Permission]*ent.Permission, len(rows))
	known := map[string]bool{}
	for _, r := range rows {
		byCell[perm.Permission{ContentType: r.Edges.ContentType.UID, Action: r.Action}] = r
		known[r.Edges.ContentType.UID] = true
	}
	out := make([]*ent.Permission, 0, len(want))
	for _, p := range want.List() {
		r, ok := byCell[p]
		switch {
		case !ok && !known[p.ContentType]:
			return nil, nil, gqlerr.BadInput(field, "unknown content type %q", p.ContentType)
		case !ok:
			return nil, nil, gqlerr.BadInput(field, "content type %q has no action %q", p.ContentType, p.Action)
		}
		out = append(out, r)
	}
	return out, want, nil
}

// roles resolves (and on MySQL locks) role ids, with their permissions;
// every one must exist.
func (s *Service) roles(ctx context.Context, field string, idList []string) ([]*ent.Role, error) {
	uniq := map[string]bool{}
	for _, id := range idList {
		uniq[id] = true
	}
	list := make([]string, 0, len(uniq))
	for id := range uniq {
		list = append(list, id)
	}
	found, err := locked(s, db(ctx).Role.Query().
		Where(role.IDIn(list...))).
		WithPermissions(func(q *ent.PermissionQuery) { q.WithContentType() }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	if len(found) != len(list) {
		have := map[string]bool{}
		for _, r := range found {
			have[r.ID] = true
		}
		for _, id := range idList {
			if !have[id] {
				return nil, gqlerr.BadInput(field, "unknown role %q", id)
			}
		}
	}
	return found, nil
}

// cellsOf lists permission inputs given as pointers, as gqlgen passes them.
func cellsOf(in []*perm.Permission) []perm.Permission {
	out := make([]perm.Permission, 0, len(in))
	for _, p := range in {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}
