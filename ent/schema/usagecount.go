package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// UsageCount is how many verifications of one token, acting as one persona,
// came to each outcome in one time bucket (internal/usage). Instances add to
// rows with an upsert when they flush; old buckets are swept. Never part of
// the GraphQL API except through the usage fields.
type UsageCount struct{ ent.Schema }

func (UsageCount) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (UsageCount) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_id").MaxLen(32).Immutable(),
		field.String("persona_id").MaxLen(32).Immutable(),
		// "m", "h" or "d": the bucket's length.
		field.String("resolution").MaxLen(1).Immutable(),
		// The bucket's start, in Unix seconds (UTC).
		field.Int64("start").Immutable(),
		field.Int64("allowed").Default(0),
		field.Int64("forbidden").Default(0),
		field.Int64("rate_limited").Default(0),
		field.Int64("usage_exceeded").Default(0),
		field.Int64("ip_refused").Default(0),
		field.Int64("not_yet_valid").Default(0),
	}
}

func (UsageCount) Indexes() []ent.Index {
	return []ent.Index{
		// The upsert's key, and a token's series.
		index.Fields("token_id", "resolution", "start", "persona_id").Unique(),
		// A persona's series.
		index.Fields("persona_id", "resolution", "start"),
		// The retention sweep and the ranking of tokens.
		index.Fields("resolution", "start"),
	}
}
