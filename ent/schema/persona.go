package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/ids"
)

// Persona is the identity tokens act as; what a token does is attributed to it.
type Persona struct{ ent.Schema }

func (Persona) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.Persona},
		timeMixin{},
		graphqlMixin{queryField: "personas", contentType: "persona"},
	}
}

func (Persona) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100).Annotations(entgql.OrderField("NAME")),
		field.String("avatar_url").MaxLen(2048).Default("").Annotations(entgql.MapsTo("avatarURL")),
		field.String("description").MaxLen(1000).Default(""),
	}
}

func (Persona) Edges() []ent.Edge {
	return []ent.Edge{
		// Listing a persona's tokens is reading tokens: authz.Guard requires
		// api-token:read. Personas are not filtered by their tokens.
		edge.To("tokens", APIToken.Type).Annotations(
			entgql.RelayConnection(),
			entgql.Skip(entgql.SkipWhereInput),
		),
	}
}

func (Persona) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name", "id"), index.Fields("created_at", "id")}
}
