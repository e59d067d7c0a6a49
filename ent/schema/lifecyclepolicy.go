package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// LifecyclePolicy is the one row of organisation-wide rules on tokens:
// maximum lifetime, required expiry, maximum grace period, auto-revoke of
// unused tokens (internal/admin/policy.go). GraphQL's Policy type is
// written by hand; no row means the defaults.
type LifecyclePolicy struct{ ent.Schema }

func (LifecyclePolicy) Fields() []ent.Field {
	return []ent.Field{
		// Always "default": there is one policy.
		field.String("id").MaxLen(32).NotEmpty().Immutable(),
		field.Int("max_lifetime_days").Optional().Nillable(),
		field.Bool("require_expiry").Default(false),
		field.Int("max_grace_period_seconds"),
		field.Int("revoke_unused_after_days").Optional().Nillable(),
		field.Time("updated_at").SchemaType(datetime).Default(now),
	}
}

func (LifecyclePolicy) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
