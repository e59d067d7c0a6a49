package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/ids"
)

// IdempotencyKey is the outcome of one mutation sent with an Idempotency-Key
// header, written in that mutation's transaction, so a retry with the same
// key gets the outcome instead of making a second change. It is never part
// of the GraphQL API; see internal/idempotency.
type IdempotencyKey struct{ ent.Schema }

func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (IdempotencyKey) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: ids.IdempotencyKey}}
}

func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		// The caller's token: keys of different tokens never meet.
		field.String("token_id").MaxLen(32).NotEmpty().Immutable(),
		// SHA-256 (hex) of the key, so its case and length never depend on
		// the database's collation.
		field.String("key_hash").MaxLen(64).NotEmpty().Immutable(),
		// SHA-256 (hex) of the query, operation name and variables: the same
		// key with another request is refused.
		field.String("request_hash").MaxLen(64).NotEmpty().Immutable(),
		// SHA-256 (hex) of what the caller could do when it made the first
		// request (type, permissions, grace): the stored answer was read
		// under those rights and is shown again only under the same ones.
		field.String("caller_hash").MaxLen(64).Default("").Immutable(),
		// HTTP status of the first answer; 0 while the mutation runs.
		field.Int("status").Default(0),
		// The first answer's data with every secret replaced by null.
		field.Text("response"),
		// Where a secret was withheld, as dotted response paths.
		field.JSON("withheld", []string{}),
		field.Time("created_at").SchemaType(datetime).Immutable(),
		field.Time("expires_at").SchemaType(datetime),
	}
}

func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("token_id", "key_hash").Unique(),
		index.Fields("expires_at"),
	}
}
