package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/ids"
)

// WebhookEndpoint is a URL that events are delivered to (internal/webhook).
// Its signing secret is never stored: it is derived from the pepper and a
// random salt, so it can sign again without being readable from the database.
type WebhookEndpoint struct{ ent.Schema }

func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.WebhookEndpoint},
		timeMixin{},
		graphqlMixin{queryField: "webhookEndpoints", contentType: "webhook"},
	}
}

// Webhook records have no where-inputs: they are few, and every filter
// makes the schema (and introspecting it) larger.
func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput)}
}

func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(2048).Annotations(entgql.MapsTo("url"), entgql.OrderField("URL")),
		// The event types sent there ("*": all).
		field.Strings("events").Annotations(entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Bool("enabled").Default(true),
		field.String("secret_salt").MaxLen(64).Sensitive().Annotations(hidden()),
		// Health, written by the delivery worker after every attempt.
		field.Time("last_attempt_at").SchemaType(datetime).Optional().Nillable(),
		field.Bool("last_attempt_ok").Optional().Nillable().Annotations(entgql.MapsTo("lastAttemptOK")),
		field.Int("last_response_code").Optional().Nillable(),
		field.Int("consecutive_failures").Default(0),
	}
}

func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).Annotations(entgql.RelayConnection()),
	}
}

// WebhookDelivery is one event on its way to one endpoint: written in the
// transaction of the change that caused the event (the outbox), then claimed
// by one instance at a time with a lease and tried until it is delivered or
// its retries run out.
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.WebhookDelivery, sortable: true},
		graphqlMixin{queryField: "webhookDeliveries", contentType: "webhook"},
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput)}
}

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetime).Default(now).Immutable().Annotations(entgql.OrderField("CREATED_AT")),
		field.String("endpoint_id").MaxLen(32).Immutable().Annotations(hidden()),
		field.String("event_id").MaxLen(32).Immutable().Annotations(entgql.MapsTo("eventID")),
		// The event type, e.g. api-token.created.
		field.String("event").MaxLen(64).Immutable(),
		field.Enum("status").Values("PENDING", "DELIVERED", "FAILED").Default("PENDING").
			SchemaType(map[string]string{dialect.MySQL: "varchar(16)"}).
			Annotations(entgql.OrderField("STATUS")),
		field.Int("attempts").Default(0),
		field.Int("last_response_code").Optional().Nillable(),
		// Why the last attempt failed, without the response body.
		field.String("last_error").MaxLen(255).Default(""),
		field.Time("next_attempt_at").SchemaType(datetime),
		field.Time("delivered_at").SchemaType(datetime).Optional().Nillable(),
		// The lease: the instance trying the delivery, and until when.
		field.Time("lease_until").SchemaType(datetime).Optional().Nillable().Annotations(hidden()),
		field.String("leased_by").MaxLen(32).Default("").Annotations(hidden()),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").Field("endpoint_id").Unique().Required().Immutable(),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("endpoint_id", "created_at"),
		index.Fields("event_id"),
		index.Fields("created_at", "id"),
	}
}

// WebhookEvent is the outbox: one row per event, written by audit.Record in
// the transaction of the change it reports. Its payload is the exact body
// every endpoint receives. The GraphQL type is hand-written (APIToken.events).
type WebhookEvent struct{ ent.Schema }

func (WebhookEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (WebhookEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: ids.WebhookEvent, sortable: true}}
}

func (WebhookEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("type").MaxLen(64).Immutable(),
		// The token the event is about ("" for none).
		field.String("token_id").MaxLen(32).Default("").Immutable(),
		field.Text("payload").Immutable(),
		field.Time("created_at").SchemaType(datetime).Default(now).Immutable(),
	}
}

func (WebhookEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_id", "created_at"), index.Fields("created_at")}
}

// TokenNotice remembers that a time-driven event (expiring-30, expiring-7,
// expiring-1, expired) was emitted for a token at a given expiry, so that it
// is emitted once: the unique index makes a second instance's attempt fail
// and roll back. A changed expiry is a new key.
type TokenNotice struct{ ent.Schema }

func (TokenNotice) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (TokenNotice) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_id").MaxLen(32).Immutable(),
		field.String("kind").MaxLen(16).Immutable(),
		field.Time("expires_at").SchemaType(datetime).Immutable(),
		field.Time("created_at").SchemaType(datetime).Default(now).Immutable(),
	}
}

func (TokenNotice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_id", "kind", "expires_at").Unique(), index.Fields("expires_at")}
}
