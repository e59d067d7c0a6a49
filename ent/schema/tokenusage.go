package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TokenUsage is when and from where a token was last used, one row per
// token (its id is the token's). It is written often (internal/auth's
// recorder flushes it in batches), so it lives apart from the api_tokens
// row that mutations lock and edit: a flush never waits for, deadlocks
// with or fails the Galera certification of a mutation. It has no foreign
// key for the same reason (a child row's key check touches the parent). The
// GraphQL API shows it as APIToken.lastUsedAt and lastUsedIP (internal/lastused).
type TokenUsage struct{ ent.Schema }

func (TokenUsage) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").MaxLen(32).Immutable(),
		field.Time("last_used_at").SchemaType(datetime).Optional().Nillable(),
		field.String("last_used_ip").MaxLen(64).Optional().Nillable(),
		// Never NULL, so that ordered pages stay exact: unused sorts first.
		field.Time("last_used_sort").SchemaType(datetime),
	}
}

func (TokenUsage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("last_used_sort", "id")}
}

func (TokenUsage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll), entsql.Annotation{Table: "token_usage"}}
}
