package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/internal/ids"
)

// idMixin gives a schema an opaque, type-prefixed string id.
type idMixin struct {
	mixin.Schema
	prefix string
	// sortable ids start with the time, for append-only records.
	sortable bool
}

func (m idMixin) Fields() []ent.Field {
	gen := ids.Generator(m.prefix)
	if m.sortable {
		prefix := m.prefix
		gen = func() string { return ids.NewSortable(prefix) }
	}
	return []ent.Field{
		field.String("id").
			MaxLen(32).
			NotEmpty().
			Immutable().
			DefaultFunc(gen).
			Comment("The record's opaque id; node(id:) fetches the record by it."),
	}
}

// datetime gives time columns microsecond precision on MySQL, whose
// default TIMESTAMP would also stop at 2038.
var datetime = map[string]string{dialect.MySQL: "datetime(6)"}

// now is the default of time columns, at the precision the database keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// timeMixin records when a record was created and last changed.
type timeMixin struct{ mixin.Schema }

func (timeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetime).
			Default(now).
			Immutable().
			Comment("When the record was created.").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").SchemaType(datetime).
			// Set by admin on every change; last-used flushes must not touch it.
			Default(now).
			Comment("When an admin last changed the record.").
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// graphqlMixin makes a schema a Relay node listed by a top-level connection
// field guarded by the read permission of its content type.
type graphqlMixin struct {
	mixin.Schema
	queryField  string
	contentType string
	// description of the connection field on Query.
	description string
}

func (m graphqlMixin) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(m.queryField).Directives(hasPermission(m.contentType, "read")).Description(m.description),
	}
}

// hasPermission is the @hasPermission directive that internal/authz enforces.
func hasPermission(contentType, action string) entgql.Directive {
	return entgql.NewDirective("hasPermission",
		&ast.Argument{Name: "contentType", Value: &ast.Value{Raw: contentType, Kind: ast.StringValue}},
		&ast.Argument{Name: "action", Value: &ast.Value{Raw: action, Kind: ast.StringValue}},
	)
}

// hidden keeps a field out of every GraphQL type, input, filter and order.
func hidden() schema.Annotation { return entgql.Skip(entgql.SkipAll) }

// orderOnly keeps a field out of GraphQL except as the named sort key.
func orderOnly(name string) []schema.Annotation {
	return []schema.Annotation{
		entgql.OrderField(name),
		entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
