package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/ids"
)

// AuditEvent is an append-only record of one mutation. Actor and target are
// copied by value so the record outlives the tokens and personas it names.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.AuditEvent, sortable: true},
		graphqlMixin{queryField: "auditEvents", contentType: "audit-event"},
	}
}

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetime).Default(now).Immutable().Annotations(entgql.OrderField("CREATED_AT")),
		field.String("action").MaxLen(64).Immutable(),
		field.String("actor_token_id").MaxLen(32).Default("").Immutable().Annotations(entgql.MapsTo("actorTokenID")),
		field.String("actor_token_name").MaxLen(100).Default("").Immutable(),
		field.String("actor_persona_id").MaxLen(32).Default("").Immutable().Annotations(entgql.MapsTo("actorPersonaID")),
		field.String("actor_persona_name").MaxLen(100).Default("").Immutable(),
		field.String("target_type").MaxLen(64).Immutable(),
		field.String("target_id").MaxLen(32).Default("").Immutable().Annotations(entgql.MapsTo("targetID")),
		field.String("target_name").MaxLen(100).Default("").Immutable(),
		field.String("client_ip").MaxLen(64).Default("").Immutable().Annotations(entgql.MapsTo("clientIP")),
		field.String("user_agent").MaxLen(512).Default("").Immutable(),
		field.String("request_id").MaxLen(64).Default("").Immutable().Annotations(entgql.MapsTo("requestID")),
		// What else the change was about when no field names it, e.g. who
		// reported a leaked secret and where; never a secret.
		field.String("detail").MaxLen(1000).Default("").Immutable().Annotations(entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// The names of the fields the mutation changed; never their secret values.
		field.JSON("changes", []string{}).Immutable().
			Annotations(entgql.Type("[String!]"), entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at", "id"),
		index.Fields("action", "created_at"),
		index.Fields("actor_token_id", "created_at"),
		index.Fields("target_id", "created_at"),
	}
}
