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
		graphqlMixin{queryField: "webhookEndpoints", contentType: "webhook", description: "Webhook endpoints: the URLs that receive signed events."},
	}
}

// Webhook records have no where-inputs: they are few, and every filter
// makes the schema (and introspecting it) larger.
func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput),
		schema.Comment("A URL that receives events as signed HTTP POSTs (the signature made with its signing secret, which is shown once on create)."),
	}
}

func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(2048).
			Comment("Where events are sent: https, or http on a loopback address.").Annotations(entgql.MapsTo("url"), entgql.OrderField("URL")),
		// The event types sent there ("*": all).
		field.Strings("events").
			Comment("The event types sent there (\"*\": all), e.g. api-token.created.").
			Annotations(entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Bool("enabled").Default(true).
			Comment("A disabled endpoint gets no new deliveries, and its pending ones wait."),
		field.String("secret_salt").MaxLen(64).Sensitive().Annotations(hidden()),
		// Health, written by the delivery worker after every attempt.
		field.Time("last_attempt_at").SchemaType(datetime).Optional().Nillable().
			Comment("When a delivery to it was last tried (null: never)."),
		field.Bool("last_attempt_ok").Optional().Nillable().
			Comment("Whether that attempt got a 2xx answer.").Annotations(entgql.MapsTo("lastAttemptOK")),
		field.Int("last_response_code").Optional().Nillable().
			Comment("The HTTP status of that attempt (null: no answer, e.g. a timeout)."),
		field.Int("consecutive_failures").Default(0).
			Comment("Attempts that failed since the last success."),
	}
}

func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).
			Comment("Its deliveries.").
			Annotations(entgql.RelayConnection()),
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
		graphqlMixin{queryField: "webhookDeliveries", contentType: "webhook", description: "Webhook deliveries of every endpoint: one event sent, or still to be sent, to one endpoint."},
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput),
		schema.Comment("One event on its way to one endpoint, tried with backoff until it is delivered or its retries run out."),
	}
}

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").SchemaType(datetime).Default(now).Immutable().
			Comment("When the event was queued for this endpoint.").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.String("endpoint_id").MaxLen(32).Immutable().Annotations(hidden()),
		field.String("event_id").MaxLen(32).Immutable().
			Comment("The id of the event delivered.").Annotations(entgql.MapsTo("eventID")),
		// The event type, e.g. api-token.created.
		field.String("event").MaxLen(64).Immutable().
			Comment("The event type, e.g. api-token.created."),
		field.Enum("status").Values("PENDING", "DELIVERED", "FAILED").Default("PENDING").
			SchemaType(map[string]string{dialect.MySQL: "varchar(16)"}).
			Comment("Where the delivery stands.").
			Annotations(entgql.OrderField("STATUS"), enumValues{
				"PENDING":   "Not delivered yet: waiting for its first or next attempt.",
				"DELIVERED": "The endpoint answered with a 2xx status.",
				"FAILED":    "Every attempt failed; redeliverWebhook sends the event again.",
			}),
		field.Int("attempts").Default(0).
			Comment("How many times sending was tried."),
		field.Int("last_response_code").Optional().Nillable().
			Comment("The HTTP status of the last attempt (null: no answer)."),
		// Why the last attempt failed, without the response body.
		field.String("last_error").MaxLen(255).Default("").
			Comment("Why the last attempt failed, without the response body (empty: it did not)."),
		field.Time("next_attempt_at").SchemaType(datetime).
			Comment("When the next attempt is due, while the delivery is pending."),
		field.Time("delivered_at").SchemaType(datetime).Optional().Nillable().
			Comment("When the endpoint accepted it (null: not yet)."),
		// The lease: the instance trying the delivery, and until when.
		field.Time("lease_until").SchemaType(datetime).Optional().Nillable().Annotations(hidden()),
		field.String("leased_by").MaxLen(32).Default("").Annotations(hidden()),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").Field("endpoint_id").Unique().Required().Immutable().
			Comment("The endpoint it is sent to."),
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
