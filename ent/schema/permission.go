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

// Permission is one cell of the matrix: an action on a content type. Roles and
// tokens link to these rows, so removing an action or a content type removes
// every grant of it. GraphQL shows permissions as (contentType, action) values.
type Permission struct{ ent.Schema }

func (Permission) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: ids.Permission}}
}

func (Permission) Fields() []ent.Field {
	return []ent.Field{
		field.String("action").NotEmpty().MaxLen(64),
		field.String("content_type_id").MaxLen(32),
	}
}

func (Permission) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("content_type", ContentType.Type).Ref("permissions").Field("content_type_id").Unique().Required(),
		edge.From("roles", Role.Type).Ref("permissions"),
		edge.From("tokens", APIToken.Type).Ref("permissions"),
	}
}

func (Permission) Indexes() []ent.Index {
	return []ent.Index{index.Fields("content_type_id", "action").Unique()}
}

func (Permission) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
