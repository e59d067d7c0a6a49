// Package authz decides what a caller may do: the principal carried in the
// request context, effective permissions per token type, the privilege
// ceiling on grants, and the schema directives that enforce them.
package authz

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// Principal is the authenticated caller of one request.
type Principal struct {
	Token       *ent.APIToken
	Persona     *ent.Persona
	Permissions perm.Set
	// SecretHash is the hash of the secret the caller presented.
	SecretHash string
	// Grace is set when that secret is one that regenerate replaced and that
	// still works for its grace period: it authenticates for use only and
	// may not take control of its own token (see internal/admin).
	Grace bool
	// MetadataHeader is the token's metadata as /auth/verify sends it
	// upstream (internal/metadata.Header), computed once per verification
	// so that a cache hit costs nothing; MetadataOmitted when too large.
	MetadataHeader  string
	MetadataOmitted bool
	// Policy is what the token may do besides its permissions: rate limits
	// (its own and its persona's), credits, networks, notBefore. Nil when
	// none applies.
	Policy *policy.Policy
	// Used is called once the caller has been authorized to do something;
	// it notes the last use, from the client of ctx. It may be nil.
	// Principals are shared between requests and must not be modified.
	Used func(ctx context.Context)
}

// FullAccess reports whether the caller is a FULL_ACCESS token.
func (p *Principal) FullAccess() bool { return p.Token.Type == apitoken.TypeFULL_ACCESS }

// Can reports whether the caller holds action on contentType.
func (p *Principal) Can(contentType, action string) bool {
	return p.Permissions.Allows(contentType, action)
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the caller, or nil for an anonymous request.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Require returns the caller, or UNAUTHENTICATED when there is none.
func Require(ctx context.Context) (*Principal, error) {
	if p := FromContext(ctx); p != nil {
		return p, nil
	}
	return nil, gqlerr.New(gqlerr.Unauthenticated, "a bearer token is required")
}

// Check returns nil when the caller may do action on contentType and marks
// the token used; otherwise UNAUTHENTICATED or FORBIDDEN. It fails closed.
func Check(ctx context.Context, contentType, action string) error {
	p, err := Require(ctx)
	if err != nil {
		return err
	}
	if !p.Can(contentType, action) {
		usage.Refused(ctx)
		return gqlerr.New(gqlerr.Forbidden, "this token may not %s %s", action, contentType)
	}
	if p.Used != nil {
		p.Used(ctx)
	}
	return nil
}
