package authz

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/permission"
	"github.com/latchkeyhq/latchkey/ent/role"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// Catalog returns every permission that exists and the read-only subset.
func Catalog(ctx context.Context, client *ent.Client) (all, readOnly perm.Set, err error) {
	cts, err := client.ContentType.Query().All(ctx)
	if err != nil {
		return nil, nil, err
	}
	all, readOnly = perm.Set{}, perm.Set{}
	for _, ct := range cts {
		for _, a := range ct.Actions {
			p := perm.Permission{ContentType: ct.UID, Action: a.Name}
			all.Add(p)
			if a.ReadOnly {
				readOnly.Add(p)
			}
		}
	}
	return all, readOnly, nil
}

// Grant is what a token of type typ with these roles' and explicit
// permissions would hold. READ_ONLY and FULL_ACCESS follow the catalog, so
// they include content types registered after the token was made.
func Grant(typ apitoken.Type, catalog, readOnly, custom perm.Set) perm.Set {
	switch typ {
	case apitoken.TypeFULL_ACCESS:
		return catalog
	case apitoken.TypeREAD_ONLY:
		return readOnly
	}
	return custom
}

// Effective computes everything token t may do, in at most two queries.
func Effective(ctx context.Context, client *ent.Client, t *ent.APIToken) (perm.Set, error) {
	if t.Type != apitoken.TypeCUSTOM {
		all, readOnly, err := Catalog(ctx, client)
		if err != nil {
			return nil, err
		}
		return Grant(t.Type, all, readOnly, nil), nil
	}
	rows, err := client.Permission.Query().
		Where(permission.Or(
			permission.HasTokensWith(apitoken.ID(t.ID)),
			permission.HasRolesWith(role.HasTokensWith(apitoken.ID(t.ID))),
		)).
		WithContentType().
		All(ctx)
	if err != nil {
		return nil, err
	}
	return Cells(rows), nil
}

// Cells converts permission rows (with their content type loaded) to a set.
func Cells(rows []*ent.Permission) perm.Set {
	s := make(perm.Set, len(rows))
	for _, r := range rows {
		s.Add(perm.Permission{ContentType: r.Edges.ContentType.UID, Action: r.Action})
	}
	return s
}
