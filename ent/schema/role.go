package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
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
		graphqlMixin{queryField: "roles", contentType: "role", description: "Roles, the reusable bundles of permissions CUSTOM tokens hold."},
	}
}

func (Role) Annotations() []schema.Annotation {
	return []schema.Annotation{schema.Comment("A named, reusable bundle of permissions (e.g. Token Manager, Auditor) that CUSTOM tokens hold. Editing a role changes what every token holding it may do.")}
}

func (Role) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(100).
			Comment("Unique regardless of case, 1 to 100 characters.").
			Annotations(entgql.OrderField("NAME")),
		field.String("name_fold").MaxLen(400).Unique().Annotations(hidden()),
		field.String("description").MaxRuneLen(1000).Default("").
			Comment("What the role is for, up to 1000 characters."),
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
