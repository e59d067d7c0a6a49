package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/ids"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// ContentType is a resource permissions are about, with the actions it offers.
type ContentType struct{ ent.Schema }

func (ContentType) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.ContentType},
		timeMixin{},
		graphqlMixin{queryField: "contentTypes", contentType: "content-type"},
	}
}

func (ContentType) Fields() []ent.Field {
	return []ent.Field{
		field.String("uid").NotEmpty().MaxLen(64).Unique().Immutable().Annotations(entgql.OrderField("UID")),
		field.String("display_name").NotEmpty().MaxLen(100).Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.String("description").MaxLen(1000).Default(""),
		// System content types describe Latchkey's own API and cannot change.
		field.Bool("system").Default(false),
		field.JSON("actions", []perm.Action{}).
			Annotations(entgql.Type("[Action!]"), entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (ContentType) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("permissions", Permission.Type).Annotations(entgql.Skip()),
	}
}

func (ContentType) Indexes() []ent.Index {
	return []ent.Index{index.Fields("display_name", "id"), index.Fields("created_at", "id")}
}
