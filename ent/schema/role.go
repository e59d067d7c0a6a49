package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/ids"
)

// Role is a named, reusable bundle of permissions.
type Role struct{ ent.Schema }

func (Role) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.Role},
		timeMixin{},
		graphqlMixin{queryField: "roles", contentType: "role"},
	}
}

func (Role) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100).Annotations(entgql.OrderField("NAME")),
		field.String("name_fold").MaxLen(400).Unique().Annotations(hidden()),
		field.String("description").MaxLen(1000).Default(""),
	}
}

func (Role) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("permissions", Permission.Type).Annotations(entgql.Skip()),
		edge.From("tokens", APIToken.Type).Ref("roles").Annotations(entgql.Skip()),
	}
}

func (Role) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name", "id"), index.Fields("created_at", "id")}
}
