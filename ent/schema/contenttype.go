package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
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
		graphqlMixin{queryField: "contentTypes", contentType: "content-type", description: "Content types: the resources permissions are about, Latchkey's own and those registered for your services."},
	}
}

func (ContentType) Annotations() []schema.Annotation {
	return []schema.Annotation{schema.Comment("A resource that permissions are about, with the actions that can be done to it. System content types describe Latchkey's own API; admins register more for their own services (e.g. article with publish), which gateways and services check through Latchkey.")}
}

func (ContentType) Fields() []ent.Field {
	return []ent.Field{
		field.String("uid").NotEmpty().MaxLen(64).Unique().Immutable().
			Comment("The unique slug that permissions, @hasPermission and verify requests name it by (e.g. api-token, article); it never changes.").Annotations(entgql.OrderField("UID")),
		field.String("display_name").NotEmpty().MaxRuneLen(100).
			Comment("The name people see, 1 to 100 characters.").Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.String("description").MaxRuneLen(1000).Default("").
			Comment("What the content type is, up to 1000 characters."),
		// System content types describe Latchkey's own API and cannot change.
		field.Bool("system").Default(false).
			Comment("One of Latchkey's own content types: it cannot be changed or deleted."),
		field.JSON("actions", []perm.Action{}).
			Comment("What can be done to it; each action with its permission is one column of the matrix.").
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
