package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/latchkeyhq/latchkey/internal/ids"
	"github.com/latchkeyhq/latchkey/internal/metadata"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// Persona is the identity tokens act as; what a token does is attributed to it.
type Persona struct{ ent.Schema }

func (Persona) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.Persona},
		timeMixin{},
		graphqlMixin{queryField: "personas", contentType: "persona", description: "Personas, the identities tokens act as."},
	}
}

func (Persona) Annotations() []schema.Annotation {
	return []schema.Annotation{schema.Comment("The identity a token acts as: a bot user with a name and an avatar. Many tokens may share one persona (for rotation); what they do is attributed to it in the audit log, viewer, verify responses and headers to upstreams.")}
}

func (Persona) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(100).
			Comment("Unique regardless of case and spacing, 1 to 100 characters; gateways pass it upstream (X-Latchkey-Persona).").
			Annotations(entgql.OrderField("NAME")),
		// name_fold keeps names unique regardless of case and spacing: a persona
		// is an identity that gateways pass upstream by name. NULL only on rows
		// from before it existed, until the migration fills it in.
		field.String("name_fold").MaxLen(400).Optional().Nillable().Unique().Annotations(hidden()),
		// held records the most any token acting as this persona has ever been
		// given ("FULL_ACCESS", "READ_ONLY" or "content-type:action" cells), so
		// that a persona stays out of weaker callers' reach after its tokens go.
		field.Strings("held").Optional().Annotations(hidden()),
		field.String("avatar_url").MaxLen(2048).Default("").
			Comment("The address of the persona's picture (empty: none).").Annotations(entgql.MapsTo("avatarURL")),
		field.String("description").MaxRuneLen(1000).Default("").
			Comment("Who or what the persona stands for, up to 1000 characters."),
		// The id of the customer, user or service in the adopter's own
		// system (internal/metadata.CheckExternalID); unique, compared byte for byte.
		field.String("external_id").MaxLen(metadata.MaxExternalIDLen).Optional().Nillable().Unique().
			Comment("The id of this customer, user or service in your own system (null: none); unique.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// Canonical JSON (internal/metadata); GraphQL's Persona.metadata: Map.
		field.Text("metadata").GoType(metadata.JSON("")).Optional().Annotations(hidden()),
		// Rate limits every token acting as this persona shares (internal/policy).
		field.JSON("rate_limits", []policy.RateLimit{}).Optional().Annotations(hidden()),
	}
}

func (Persona) Edges() []ent.Edge {
	return []ent.Edge{
		// Listing a persona's tokens is reading tokens: authz.Guard requires
		// api-token:read. Personas are not filtered by their tokens.
		edge.To("tokens", APIToken.Type).
			Comment("The tokens acting as this persona. Needs api-token:read.").
			Annotations(
				entgql.RelayConnection(),
				entgql.Skip(entgql.SkipWhereInput),
			),
	}
}

func (Persona) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name", "id"), index.Fields("created_at", "id")}
}
