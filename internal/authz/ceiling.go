package authz

import (
	"context"
	"strings"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// Ceiling enforces "no privilege escalation": the caller may only hand out
// (through a token, or a role that tokens can be given) what it holds itself.
// A FULL_ACCESS token only comes from a FULL_ACCESS caller; READ_ONLY and
// CUSTOM grants must be within the caller's own permissions.
func Ceiling(caller *Principal, typ apitoken.Type, grant perm.Set) error {
	if caller.FullAccess() {
		return nil
	}
	if typ == apitoken.TypeFULL_ACCESS {
		return gqlerr.New(gqlerr.Forbidden, "only a FULL_ACCESS token may grant full access")
	}
	if missing := caller.Permissions.Missing(grant); len(missing) > 0 {
		names := make([]string, len(missing))
		for i, p := range missing {
			names[i] = p.String()
		}
		return gqlerr.New(gqlerr.Forbidden, "cannot grant permissions this token does not hold: %s", strings.Join(names, ", "))
	}
	return nil
}

// CeilingForToken applies Ceiling to what token t grants today.
func CeilingForToken(ctx context.Context, client *ent.Client, caller *Principal, t *ent.APIToken) error {
	if caller.FullAccess() {
		return nil
	}
	grant, err := Effective(ctx, client, t)
	if err != nil {
		return err
	}
	return Ceiling(caller, t.Type, grant)
}
