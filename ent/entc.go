//go:build ignore

// entc generates the ent client and, through entgql, schema/ent.graphql.
// It runs from the repository root: see generate.go.
package main

import (
	"log"

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
		entgql.WithSchemaHook(guardNodeFields),
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
