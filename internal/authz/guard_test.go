package authz_test

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// The guard runs on every field of every list: what one field costs.
func BenchmarkGuardField(b *testing.B) {
	g := authz.NewGuard(graph.NewExecutableSchema(graph.Config{}).Schema())
	perms := perm.Set{}
	perms.Add(perm.Permission{ContentType: "api-token", Action: "read"})
	ctx := authz.WithPrincipal(context.Background(), &authz.Principal{Token: &ent.APIToken{ID: "tok_x"}, Persona: &ent.Persona{ID: "per_x"}, Permissions: perms})
	next := func(context.Context) (any, error) { return "v", nil }
	for _, c := range []struct{ name, object, field string }{
		{"unguarded", "PageInfo", "hasNextPage"},
		{"record-field", "APIToken", "name"},
		{"record-id", "APIToken", "id"},
	} {
		fctx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: c.object, Field: graphql.CollectedField{Field: &ast.Field{Name: c.field}}})
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Field(fctx, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Without a principal a guarded field is UNAUTHENTICATED, an unguarded one runs.
func TestGuardAnonymous(t *testing.T) {
	g := authz.NewGuard(graph.NewExecutableSchema(graph.Config{}).Schema())
	next := func(context.Context) (any, error) { return "v", nil }
	field := func(object, name string) context.Context {
		return graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Object: object, Field: graphql.CollectedField{Field: &ast.Field{Name: name}}})
	}
	if _, err := g.Field(field("Persona", "name"), next); gqlerr.CodeOf(err) != gqlerr.Unauthenticated {
		t.Errorf("Persona.name anonymously: %v", err)
	}
	if v, err := g.Field(field("PageInfo", "hasNextPage"), next); err != nil || v != "v" {
		t.Errorf("PageInfo.hasNextPage anonymously: %v %v", v, err)
	}
}
