package authz_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/authz"
)

// guards are the directives that decide who may call a root field.
var guards = []string{"hasPermission", "hasNodePermission", "authenticated", "public", "fullAccess"}

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

// guardedTypes names, for each record in authz.ContentTypeOf, the record and
// its Connection and Edge types, with the content type whose read they need.
func guardedTypes(schema *ast.Schema) map[string]string {
	out := map[string]string{}
	for rec, ct := range authz.ContentTypeOf {
		if schema.Types[rec] == nil {
			continue
		}
		for _, name := range []string{rec, rec + "Connection", rec + "Edge"} {
			if schema.Types[name] != nil {
				out[name] = ct
			}
		}
	}
	return out
}

// Every field of the schema that returns a guarded type, or belongs to one,
// is known to the guard; so is every filter on a related record.
func TestGuardKnowsEveryGuardedField(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	g := authz.NewGuard(schema)
	guarded := guardedTypes(schema)
	checked := 0
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		_, record := authz.ContentTypeOf[name]
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			needs := g.Needs(name, f.Name)
			if ct, ok := guarded[name]; ok && !(record && f.Name == "id") {
				checked++
				if !slices.Contains(needs, ct) {
					t.Errorf("%s.%s: the guard does not require %s:read (needs %v)", name, f.Name, ct, needs)
				}
			}
			if ct, ok := guarded[f.Type.Name()]; ok {
				checked++
				switch {
				case slices.Contains(needs, ct):
				case guarded[name] != "":
					t.Errorf("edge %s.%s to %s: the guard does not require %s:read", name, f.Name, f.Type.Name(), ct)
				default:
					// From a root or payload: every field of the type it returns
					// is guarded (checked above), except a record's id.
				}
			}
			for _, a := range f.Arguments {
				if strings.HasSuffix(a.Type.Name(), "WhereInput") && !slices.Contains(g.Filters(name, f.Name), a.Name) {
					t.Errorf("%s.%s(%s:) is a filter the guard does not inspect", name, f.Name, a.Name)
				}
			}
		}
	}
	for name, def := range schema.Types {
		rec, ok := strings.CutSuffix(name, "WhereInput")
		if !ok || def.Kind != ast.InputObject {
			continue
		}
		for _, f := range def.Fields {
			edge, isEdge := strings.CutPrefix(f.Name, "has")
			if !isEdge {
				continue
			}
			edge = strings.TrimSuffix(edge, "With")
			field := schema.Types[rec].Fields.ForName(strings.ToLower(edge[:1]) + edge[1:])
			if field == nil {
				t.Errorf("%s.%s filters by an edge %s does not have", name, f.Name, rec)
				continue
			}
			checked++
			if want := guarded[field.Type.Name()]; g.FilterNeeds(name, f.Name) != want {
				t.Errorf("%s.%s reveals %s, the guard requires %q", name, f.Name, want, g.FilterNeeds(name, f.Name))
			}
		}
	}
	want := map[[2]string]string{
		{"APITokenWhereInput", "personaID"}: "persona", {"APITokenWhereInput", "roleID"}: "role",
		{"APITokenWhereInput", "hasRolesWith"}: "role", {"APITokenWhereInput", "not"}: "api-token",
	}
	for k, ct := range want {
		if got := g.FilterNeeds(k[0], k[1]); got != ct {
			t.Errorf("%s.%s: the guard requires %q, want %q", k[0], k[1], got, ct)
		}
	}
	if checked < 60 {
		t.Fatalf("only %d guarded fields checked: the walk is broken", checked)
	}
}

// A record, edge or filter added later is guarded without anyone touching
// the guard: it is derived from the schema by type.
func TestGuardDerivesNewEdges(t *testing.T) {
	var sources []*ast.Source
	files, _ := filepath.Glob("../../schema/*.graphql")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	sources = append(sources, &ast.Source{Name: "new.graphql", Input: `
extend type Role { tokens: [APIToken!] owner: Persona audits: AuditEventConnection }
type Team { lead: APIToken name: String }
extend input RoleWhereInput { hasTokens: Boolean hasTokensWith: [APITokenWhereInput!] ownerID: ID }
extend type Query { teams(filter: RoleWhereInput): [Team!] @public }
`})
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatal(err)
	}
	g := authz.NewGuard(schema)
	for _, c := range []struct {
		object, field string
		want          []string
	}{
		{"Role", "tokens", []string{"role", "api-token"}},
		{"Role", "owner", []string{"role", "persona"}},
		{"Role", "audits", []string{"role", "audit-event"}},
		{"Role", "id", nil},
		{"Team", "name", nil},
		{"AuditEventConnection", "totalCount", []string{"audit-event"}},
	} {
		if got := g.Needs(c.object, c.field); !slices.Equal(got, c.want) {
			t.Errorf("%s.%s needs %v, want %v", c.object, c.field, got, c.want)
		}
	}
	for field, want := range map[string]string{"hasTokens": "api-token", "hasTokensWith": "api-token", "ownerID": "persona", "name": ""} {
		if got := g.FilterNeeds("RoleWhereInput", field); got != want {
			t.Errorf("RoleWhereInput.%s needs %q, want %q", field, got, want)
		}
	}
	if got := g.Filters("Query", "teams"); !slices.Equal(got, []string{"filter"}) {
		t.Errorf("Query.teams filters: %v", got)
	}
}
