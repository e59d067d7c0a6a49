package authz_test

import (
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/admin"
)

// guards are the directives that decide who may call a root field.
var guards = []string{"hasPermission", "hasNodePermission", "authenticated", "public"}

// Every Query and Mutation field must carry exactly one guard, and every
// @hasPermission must name a real system content type and action; so a new
// field cannot be added unprotected.
func TestEveryRootFieldIsGuarded(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	actions := map[string][]string{}
	for _, ct := range admin.SystemContentTypes() {
		for _, a := range ct.Actions {
			actions[ct.UID] = append(actions[ct.UID], a.Name)
		}
	}
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation} {
		if root == nil || len(root.Fields) == 0 {
			t.Fatal("schema has no Query or Mutation fields")
		}
		for _, f := range root.Fields {
			if len(f.Name) > 1 && f.Name[:2] == "__" {
				continue // introspection, answered by gqlgen itself
			}
			var found []*ast.Directive
			for _, d := range f.Directives {
				if slices.Contains(guards, d.Name) {
					found = append(found, d)
				}
			}
			if len(found) != 1 {
				t.Errorf("%s.%s has %d guard directives, want exactly one of %v", root.Name, f.Name, len(found), guards)
				continue
			}
			if d := found[0]; d.Name == "hasPermission" {
				ct := d.Arguments.ForName("contentType").Value.Raw
				action := d.Arguments.ForName("action").Value.Raw
				if !slices.Contains(actions[ct], action) {
					t.Errorf("%s.%s requires %s:%s, which is no system permission", root.Name, f.Name, ct, action)
				}
			}
		}
	}
}
