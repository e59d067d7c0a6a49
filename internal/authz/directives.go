package authz

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/ids"
)

// ContentTypeOf maps GraphQL record types to the content type guarding them.
var ContentTypeOf = map[string]string{
	"APIToken":    "api-token",
	"Persona":     "persona",
	"Role":        "role",
	"ContentType": "content-type",
	"AuditEvent":  "audit-event",
	// Webhook endpoints, their deliveries and the events delivered.
	"WebhookEndpoint": "webhook",
	"WebhookDelivery": "webhook",
	"WebhookEvent":    "webhook",
}

// HasPermission implements @hasPermission(contentType:, action:).
func HasPermission(ctx context.Context, _ any, next graphql.Resolver, contentType, action string) (any, error) {
	if err := Check(ctx, contentType, action); err != nil {
		return nil, err
	}
	return next(ctx)
}

// HasNodePermission implements @hasNodePermission: every id asked for must be
// of a type whose content type the caller may read. Unknown ids fall through
// to the resolver, which reports them as not found.
func HasNodePermission(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if _, err := Require(ctx); err != nil {
		return nil, err
	}
	args := graphql.GetFieldContext(ctx).Args
	var idList []string
	if id, ok := args["id"].(string); ok {
		idList = append(idList, id)
	}
	if list, ok := args["ids"].([]string); ok {
		idList = append(idList, list...)
	}
	for _, id := range idList {
		if ct, ok := ContentTypeOf[ids.TypeOf(id)]; ok {
			if err := Check(ctx, ct, "read"); err != nil {
				return nil, err
			}
		}
	}
	return next(ctx)
}

// Authenticated implements @authenticated: any valid token.
func Authenticated(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	p, err := Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Used != nil {
		p.Used(ctx)
	}
	return next(ctx)
}

// Public implements @public: no check at all.
func Public(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// FullAccess implements @fullAccess: only a FULL_ACCESS token.
func FullAccess(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	p, err := Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.FullAccess() {
		return nil, gqlerr.New(gqlerr.Forbidden, "only a FULL_ACCESS token may do this")
	}
	if p.Used != nil {
		p.Used(ctx)
	}
	return next(ctx)
}
