package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Change is one entry of the change feed: a committed change to a token,
// persona, role or content type, written in the mutation's transaction.
// Every instance polls the feed and drops exactly the cached verifications
// the change affects (internal/changes). Rows are kept for an hour.
type Change struct{ ent.Schema }

func (Change) Fields() []ent.Field {
	return []ent.Field{
		// The id is the database's auto-increment: the feed is read in its order.
		field.String("kind").MaxLen(16).Immutable(),
		field.String("ref").MaxLen(32).Immutable(),
		// The instance that made the change: it applied the change to its own
		// cache when it committed, so its reader skips it.
		field.String("origin").MaxLen(32).Default("").Immutable(),
		field.Time("created_at").SchemaType(datetime).Default(now).Immutable(),
	}
}

func (Change) Indexes() []ent.Index {
	return []ent.Index{index.Fields("created_at")}
}

func (Change) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
