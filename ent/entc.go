//go:build ignore

// entc generates the ent client and, through entgql, schema/ent.graphql.
// It runs from the repository root: see generate.go.
package main

import (
	"log"
	"slices"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("schema/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(guardNodeFields, keepLastUsed),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	if err := entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "github.com/latchkeyhq/latchkey/ent",
		// Row locks (SELECT … FOR UPDATE) make concurrent mutations on MySQL
		// behave as if they ran one after another.
		Features: []gen.Feature{gen.FeatureLock},
	}, entc.Extensions(ex)); err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// guardNodeFields puts @hasNodePermission on Query.node and Query.nodes, so
// fetching a record by id needs the read permission of its content type.
func guardNodeFields(_ *gen.Graph, s *ast.Schema) error {
	query := s.Types["Query"]
	if query == nil {
		return nil
	}
	for _, f := range query.Fields {
		if f.Name == "node" || f.Name == "nodes" {
			f.Directives = append(f.Directives, &ast.Directive{Name: "hasNodePermission"})
		}
	}
	return nil
}

// keepLastUsed keeps the GraphQL contract of a token's last use where it
// was when the columns lived on api_tokens: APIToken.lastUsedAt and
// lastUsedIP, the LAST_USED_AT order and the lastUsedAt*/lastUsedIP*
// filters. The values now live in the token_usage table, off the rows that
// mutations lock; graph/lastused.go resolves all of these.
func keepLastUsed(_ *gen.Graph, s *ast.Schema) error {
	token, order, where := s.Types["APIToken"], s.Types["APITokenOrderField"], s.Types["APITokenWhereInput"]
	if token == nil || order == nil || where == nil {
		return nil
	}
	after := func(list ast.FieldList, name string) int {
		return slices.IndexFunc(list, func(f *ast.FieldDefinition) bool { return f.Name == name }) + 1
	}
	i := after(token.Fields, "revokedAt")
	token.Fields = slices.Insert(token.Fields, i,
		&ast.FieldDefinition{Name: "lastUsedAt", Type: ast.NamedType("Time", nil)},
		&ast.FieldDefinition{Name: "lastUsedIP", Type: ast.NamedType("String", nil)},
	)
	j := slices.IndexFunc(order.EnumValues, func(v *ast.EnumValueDefinition) bool { return v.Name == "EXPIRES_AT" }) + 1
	order.EnumValues = slices.Insert(order.EnumValues, j, &ast.EnumValueDefinition{Name: "LAST_USED_AT"})
	var preds ast.FieldList
	add := func(column, field, typ string, ops ...string) {
		for k, op := range ops {
			t := ast.NamedType(typ, nil)
			switch op {
			case "In", "NotIn":
				t = ast.ListType(ast.NonNullNamedType(typ, nil), nil)
			case "IsNil", "NotNil":
				t = ast.NamedType("Boolean", nil)
			}
			f := &ast.FieldDefinition{Name: field + op, Type: t}
			if k == 0 {
				f.Description = column + " field predicates"
			}
			preds = append(preds, f)
		}
	}
	add("last_used_at", "lastUsedAt", "Time", "", "NEQ", "In", "NotIn", "GT", "GTE", "LT", "LTE", "IsNil", "NotNil")
	add("last_used_ip", "lastUsedIP", "String", "", "NEQ", "In", "NotIn", "GT", "GTE", "LT", "LTE", "Contains", "HasPrefix", "HasSuffix", "IsNil", "NotNil", "EqualFold", "ContainsFold")
	where.Fields = slices.Insert(where.Fields, after(where.Fields, "revokedAtNotNil"), preds...)
	return nil
}
