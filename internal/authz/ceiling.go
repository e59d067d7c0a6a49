package authz

import (
	"context"
	"strings"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// Within reports whether caller holds at least what a token of type typ
// holding grant would: the privilege ceiling. A FULL_ACCESS token is only
// within a FULL_ACCESS caller; READ_ONLY and CUSTOM grants must be within
// the caller's own permissions. A FULL_ACCESS caller holds everything.
func Within(caller *Principal, typ apitoken.Type, grant perm.Set) bool {
	if caller.FullAccess() {
		return true
	}
	return typ != apitoken.TypeFULL_ACCESS && caller.Permissions.Contains(grant)
}

// Ceiling enforces "no privilege escalation": the caller may only hand out
// (through a token, or a role that tokens can be given) what it holds
// itself. The error names the missing permissions, so grant must be what
// the caller asked for in its own words, never what a record it may not
// read holds (see Stronger for those).
func Ceiling(caller *Principal, typ apitoken.Type, grant perm.Set) error {
	if Within(caller, typ, grant) {
		return nil
	}
	switch typ {
	case apitoken.TypeFULL_ACCESS:
		return gqlerr.New(gqlerr.Forbidden, "only a FULL_ACCESS token may grant full access")
	case apitoken.TypeREAD_ONLY:
		return gqlerr.New(gqlerr.Forbidden, "a READ_ONLY token holds every read-only action, and this token does not")
	}
	missing := caller.Permissions.Missing(grant)
	names := make([]string, len(missing))
	for i, p := range missing {
		names[i] = p.String()
	}
	return gqlerr.New(gqlerr.Forbidden, "cannot grant permissions this token does not hold: %s", strings.Join(names, ", "))
}

// Stronger is the refusal to act on a record that can do more than the
// caller. It names neither the record nor what it holds: the caller named
// it by id and may not be allowed to read it.
func Stronger(kind string) error {
	return gqlerr.New(gqlerr.Forbidden, "this %s can do more than this token", kind)
}

// CeilingForToken refuses when token t can do more than the caller today.
func CeilingForToken(ctx context.Context, client *ent.Client, caller *Principal, t *ent.APIToken) error {
	if caller.FullAccess() {
		return nil
	}
	if t.Type == apitoken.TypeFULL_ACCESS {
		return Stronger("API token")
	}
	grant, err := Effective(ctx, client, t)
	if err != nil {
		return err
	}
	if !Within(caller, t.Type, grant) {
		return Stronger("API token")
	}
	return nil
}
