package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RetiredSecret is the hash of a secret that self-rotation replaced: when it
// is presented again after its grace period, the token is revoked (reuse
// detection, internal/admin/rotation.go). Only hashes are kept, the last
// few per token. They outlive their token (token_id becomes NULL): a
// secret once rotated away may never be chosen for a new token, even after
// its token was deleted.
type RetiredSecret struct{ ent.Schema }

func (RetiredSecret) Fields() []ent.Field {
	return []ent.Field{
		// The id is the database's auto-increment: the newest rows are kept.
		field.String("token_id").MaxLen(32).Optional().Nillable(),
		field.String("secret_hash").MaxLen(64).Unique().Sensitive().Immutable(),
		field.Time("retired_at").SchemaType(datetime).Immutable(),
	}
}

func (RetiredSecret) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("token", APIToken.Type).Field("token_id").Unique().
			Annotations(entsql.OnDelete(entsql.SetNull)),
	}
}

func (RetiredSecret) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_id")}
}

func (RetiredSecret) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
