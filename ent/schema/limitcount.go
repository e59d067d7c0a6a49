package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/policy"
)

// LimitCount is what one instance spent of the rate limits of one subject (a
// token or a persona) in their current windows. Every instance writes its own
// row at most once per sync interval and reads the others', so that a limit
// holds across instances (internal/limits). Rows whose windows have all
// ended are pruned.
type LimitCount struct{ ent.Schema }

func (LimitCount) Fields() []ent.Field {
	return []ent.Field{
		field.String("subject").MaxLen(32).NotEmpty().Immutable(),
		field.String("instance").MaxLen(32).NotEmpty().Immutable(),
		field.JSON("counts", []policy.WindowCount{}),
		// The end of the last window counted: the row is useless after it.
		field.Time("expires_at").SchemaType(datetime),
	}
}

func (LimitCount) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subject", "instance").Unique(),
		index.Fields("expires_at"),
	}
}

func (LimitCount) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
