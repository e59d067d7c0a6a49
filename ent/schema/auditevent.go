package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
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
		graphqlMixin{queryField: "auditEvents", contentType: "audit-event", description: "The audit log: one event per change, newest first by default."},
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{schema.Comment("One change recorded in the append-only audit log: when, who (token and persona), what, to which record, and from where. The actor and target are copied by value, so the event outlives them. It never holds a secret or a hash.")}
}

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetime).Default(now).Immutable().
			Comment("When the change happened.").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.String("action").MaxLen(64).Immutable().
			Comment("What was done, as content type and verb, e.g. api-token.create, role.update."),
		field.String("actor_token_id").MaxLen(32).Default("").Immutable().
			Comment("The id of the token that made the change (empty: Latchkey itself, e.g. a sweep or the CLI).").Annotations(entgql.MapsTo("actorTokenID")),
		field.String("actor_token_name").MaxRuneLen(100).Default("").Immutable().
			Comment("That token's name at the time."),
		field.String("actor_persona_id").MaxLen(32).Default("").Immutable().
			Comment("The id of the persona that token acted as.").Annotations(entgql.MapsTo("actorPersonaID")),
		field.String("actor_persona_name").MaxRuneLen(100).Default("").Immutable().
			Comment("That persona's name at the time: who the change is attributed to."),
		field.String("target_type").MaxLen(64).Immutable().
			Comment("The content type uid of the record changed, e.g. api-token."),
		field.String("target_id").MaxLen(32).Default("").Immutable().
			Comment("The id of the record changed (empty: no single record, e.g. a bulk revoke).").Annotations(entgql.MapsTo("targetID")),
		field.String("target_name").MaxRuneLen(100).Default("").Immutable().
			Comment("The record's name at the time."),
		field.String("client_ip").MaxRuneLen(64).Default("").Immutable().
			Comment("The address the request came from.").Annotations(entgql.MapsTo("clientIP")),
		field.String("user_agent").MaxRuneLen(512).Default("").Immutable().
			Comment("The User-Agent header of the request."),
		field.String("request_id").MaxRuneLen(64).Default("").Immutable().
			Comment("The request id, as in the logs and the X-Request-Id response header.").Annotations(entgql.MapsTo("requestID")),
		// What else the change was about when no field names it, e.g. who
		// reported a leaked secret and where; never a secret.
		field.String("detail").MaxRuneLen(1000).Default("").Immutable().
			Comment("What else the change was about when no field names it, e.g. who reported a leaked secret and where.").Annotations(entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// The names of the fields the mutation changed; never their secret values.
		field.JSON("changes", []string{}).Immutable().
			Comment("The names of the fields the change set; never their secret values.").
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
