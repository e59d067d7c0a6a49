//go:build ignore

// entc generates the ent client and, through entgql, schema/ent.graphql.
// It runs from the repository root: see generate.go.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"slices"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	entschema "entgo.io/ent/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("schema/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(guardNodeFields, keepLastUsed, describe),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	if err := entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "github.com/latchkeyhq/latchkey/ent",
		// Row locks (SELECT … FOR UPDATE) make concurrent mutations on MySQL
		// behave as if they ran one after another. ExecContext/QueryContext
		// let hooks write tables ent does not model (internal/namesearch's
		// name trigrams) in the mutation's own transaction.
		Features: []gen.Feature{gen.FeatureLock, gen.FeatureExecQuery},
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
		&ast.FieldDefinition{Name: "lastUsedAt", Type: ast.NamedType("Time", nil),
			Description: "When the token last authenticated a request (null: never). Recorded in memory and written in batches, so it may lag by a flush interval."},
		&ast.FieldDefinition{Name: "lastUsedIP", Type: ast.NamedType("String", nil),
			Description: "The client address of that last use."},
	)
	j := slices.IndexFunc(order.EnumValues, func(v *ast.EnumValueDefinition) bool { return v.Name == "EXPIRES_AT" }) + 1
	order.EnumValues = slices.Insert(order.EnumValues, j, &ast.EnumValueDefinition{Name: "LAST_USED_AT",
		Description: "Order by lastUsedAt; ascending, tokens never used come first."})
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

// describe gives the generated types the descriptions entgql has no
// annotation for: a record type's from its schema.Comment, an enum's values
// from the enumValues annotation of their field (ent/schema/doc.go),
// connection edges from their Comment, the order keys from the field each
// orders by, and the Query root. It fails when one is missing, so a new
// record, field or order key cannot reach the schema undescribed;
// where-input operators are left as entgql writes them.
func describe(g *gen.Graph, s *ast.Schema) error {
	if q := s.Types["Query"]; q != nil && q.Description == "" {
		q.Description = "What can be read: the caller, the records of every content type Latchkey manages, and the checks services make."
	}
	if t := s.Types["Time"]; t != nil {
		t.Description = "A date and time in RFC 3339 format with its offset, e.g. 2025-01-31T09:30:00Z."
	}
	for _, node := range g.Nodes {
		def := s.Types[node.Name]
		if def == nil {
			continue
		}
		if def.Description == "" {
			var comment entschema.CommentAnnotation
			if err := decode(node.Annotations[comment.Name()], &comment); err != nil {
				return fmt.Errorf("describe: %s: %w", node.Name, err)
			}
			def.Description = comment.Text
		}
		if def.Description == "" {
			return fmt.Errorf("describe: GraphQL type %s needs a description: add schema.Comment to ent/schema", node.Name)
		}
		// entgql drops the comment of an edge it makes a connection.
		for _, e := range node.Edges {
			if f := def.Fields.ForName(camel(e.Name)); f != nil && f.Description == "" {
				f.Description = e.Comment()
			}
		}
		for _, f := range node.Fields {
			raw, ok := f.Annotations[enumValues{}.Name()]
			if !ok {
				continue
			}
			var values map[string]string
			if err := decode(raw, &values); err != nil {
				return fmt.Errorf("describe: %s.%s: %w", node.Name, f.Name, err)
			}
			field := def.Fields.ForName(camel(f.Name))
			if field == nil {
				continue
			}
			enum := s.Types[field.Type.Name()]
			if enum == nil || enum.Kind != ast.Enum {
				return fmt.Errorf("describe: %s.%s is no enum in GraphQL", node.Name, f.Name)
			}
			enum.Description = field.Description
			for _, v := range enum.EnumValues {
				v.Description = values[v.Name]
			}
		}
		if order := s.Types[node.Name+"OrderField"]; order != nil {
			// A sort key kept out of the type (orderOnly) says how it sorts
			// in its Comment; any other orders by the field of its name.
			keys := map[string]string{}
			for _, f := range node.Fields {
				var ant entgql.Annotation
				if err := decode(f.Annotations[ant.Name()], &ant); err != nil {
					return fmt.Errorf("describe: %s.%s: %w", node.Name, f.Name, err)
				}
				if ant.OrderField != "" && ant.Skip.Is(entgql.SkipType) {
					keys[ant.OrderField] = f.Comment()
				}
			}
			for _, v := range order.EnumValues {
				if v.Description != "" {
					continue
				}
				if comment, ok := keys[v.Name]; ok {
					if comment == "" {
						return fmt.Errorf("describe: order key %s.%s needs a Comment on its ent field", order.Name, v.Name)
					}
					v.Description = comment
					continue
				}
				by := def.Fields.ForName(camel(strings.ToLower(v.Name)))
				if by == nil {
					return fmt.Errorf("describe: order key %s.%s has no field %s", order.Name, v.Name, camel(strings.ToLower(v.Name)))
				}
				v.Description = "Order by " + by.Name + "."
			}
		}
	}
	for _, def := range s.Types {
		if def.Kind == ast.Enum {
			for _, v := range def.EnumValues {
				if v.Description == "" {
					return fmt.Errorf("describe: enum value %s.%s needs a description", def.Name, v.Name)
				}
			}
		}
		if strings.HasSuffix(def.Name, "WhereInput") {
			continue
		}
		for _, f := range def.Fields {
			if f.Description == "" {
				return fmt.Errorf("describe: %s.%s needs a description: a Comment on its ent field or edge", def.Name, f.Name)
			}
		}
	}
	return nil
}

// decode reads an annotation as entc hands it over: decoded from JSON into
// maps, whatever its type in ent/schema.
func decode(annotation, into any) error {
	if annotation == nil {
		return nil
	}
	b, err := json.Marshal(annotation)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// camel is entgql's GraphQL name of an ent field: created_at is createdAt.
func camel(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// enumValues is the annotation ent/schema/doc.go declares.
type enumValues struct{}

func (enumValues) Name() string { return "EnumValues" }
