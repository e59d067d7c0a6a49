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
	"github.com/latchkeyhq/latchkey/internal/metadata"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// APIToken is a bearer credential. Only the HMAC of its secret is stored.
type APIToken struct{ ent.Schema }

func (APIToken) Mixin() []ent.Mixin {
	return []ent.Mixin{
		idMixin{prefix: ids.APIToken},
		timeMixin{},
		graphqlMixin{queryField: "apiTokens", contentType: "api-token", description: "API tokens, by name unless orderBy says otherwise. Filter with where: name, exact token value, type, status, persona, role."},
	}
}

func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{schema.Comment("A credential that API consumers send as Authorization: Bearer <secret>. It acts as its persona and may do what its type, roles and own permissions grant. Latchkey keeps only a hash of the secret, never the secret itself.")}
}

func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(100).
			Comment("Unique regardless of case, 1 to 100 characters."),
		// name_fold is the lower-cased name: it makes names unique regardless
		// of case on every database and is the key of the NAME order.
		field.String("name_fold").MaxLen(400).Unique().
			Comment("Order by name, regardless of case.").
			Annotations(orderOnly("NAME")...),
		field.String("code").NotEmpty().MaxLen(100).Unique().
			Comment("A unique slug that names the token in scripts and logs; defaults to a slug of the name.").Annotations(entgql.OrderField("CODE")),
		field.String("description").MaxRuneLen(1000).Default("").
			Comment("What the token is for, up to 1000 characters."),
		// A plain string column: MySQL would sort (and page) an ENUM by its index.
		field.Enum("type").Values("READ_ONLY", "FULL_ACCESS", "CUSTOM").
			SchemaType(map[string]string{dialect.MySQL: "varchar(16)"}).
			Comment("What the token may do: every read-only action, every action, or what its roles and own permissions grant.").
			Annotations(entgql.OrderField("TYPE"), enumValues{
				"READ_ONLY":   "Every read-only action on every content type.",
				"FULL_ACCESS": "Every action on every content type; also the only type that may change the lifecycle policy.",
				"CUSTOM":      "The union of the token's roles' permissions and its own permissions.",
			}),
		field.String("secret_hash").MaxLen(64).Unique().Sensitive().Annotations(hidden()),
		// The secret that regenerate replaced keeps working until its grace period ends.
		field.String("previous_secret_hash").MaxLen(64).Optional().Nillable().Sensitive().Annotations(hidden()),
		field.Time("previous_secret_expires_at").SchemaType(datetime).Optional().Nillable().Annotations(hidden()),
		field.String("hint").MaxLen(32).
			Comment("The start of the secret (e.g. lk_Ab3dE9), to recognise it; the where filter secret finds a token by its full value."),
		field.Time("expires_at").SchemaType(datetime).Optional().Nillable().
			Comment("From this time on the token authenticates nothing (null: it never expires)."),
		// Sort keys never hold NULL so that cursor pagination stays exact:
		// unlimited tokens sort after every dated one, unused ones first.
		field.Time("expires_sort").SchemaType(datetime).
			Comment("Order by expiresAt; ascending, tokens that never expire come last.").
			Annotations(orderOnly("EXPIRES_AT")...),
		field.Time("revoked_at").SchemaType(datetime).Optional().Nillable().
			Comment("When the token was revoked (null: it is not); restoreAPIToken clears it."),
		// Last use lives in TokenUsage, off this row; GraphQL still shows it
		// here (lastUsedAt, lastUsedIP, LAST_USED_AT; internal/lastused).
		field.String("persona_id").MaxLen(32).Annotations(hidden()),
		field.String("created_by_id").MaxLen(32).Optional().Nillable().Annotations(hidden()),
		// The token may roll its own secret (rotateViewerToken); set by a caller
		// holding api-token:update.
		field.Bool("allow_self_rotation").Default(false).
			Comment("The token may give itself a new secret with rotateViewerToken.").
			Annotations(entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// Canonical JSON (internal/metadata); GraphQL's APIToken.metadata: Map.
		field.Text("metadata").GoType(metadata.JSON("")).Optional().Annotations(hidden()),
		// Verification-time policy (internal/policy), shown and edited through
		// schema/tokenpolicy.graphql. Credits leased by instances are already taken
		// out of credits_remaining; credits_epoch changes whenever the balance
		// is set or reset, so that older leases are never returned into it.
		field.JSON("rate_limits", []policy.RateLimit{}).Optional().Annotations(hidden()),
		field.Int64("credits_remaining").Optional().Nillable().Annotations(hidden()),
		field.Int64("credits_refill_amount").Optional().Nillable().Annotations(hidden()),
		field.String("credits_refill_interval").MaxLen(16).Optional().Nillable().Annotations(hidden()),
		field.String("credits_refill_mode").MaxLen(16).Optional().Nillable().Annotations(hidden()),
		field.Time("credits_last_refill_at").SchemaType(datetime).Optional().Nillable().Annotations(hidden()),
		field.Int64("credits_epoch").Default(0).Annotations(hidden()),
		field.Strings("allowed_networks").Optional().Annotations(hidden()),
		field.Time("not_before").SchemaType(datetime).Optional().Nillable().Annotations(hidden()),
	}
}

func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("persona", Persona.Type).Ref("tokens").Field("persona_id").Unique().Required().
			Comment("The identity the token acts as: its name is what the audit log, viewer and gateways show."),
		edge.To("roles", Role.Type).
			Comment("The roles whose permissions the token holds (CUSTOM only)."),
		edge.To("permissions", Permission.Type).Annotations(entgql.Skip()),
		// Another token: even from viewer it needs api-token:read (authz.Guard).
		edge.To("created_tokens", APIToken.Type).
			Annotations(entgql.Skip()).
			From("created_by").Field("created_by_id").Unique().
			Comment("The token that created this one (null: made at bootstrap, by the CLI, or its creator was deleted)."),
	}
}

func (APIToken) Indexes() []ent.Index {
	return []ent.Index{
		// The unique fields have their own indexes; these serve ordered pages,
		// which walk (sort key, id).
		index.Fields("name_fold", "id"),
		index.Fields("code", "id"),
		index.Fields("previous_secret_hash"),
		index.Fields("type", "id"),
		index.Fields("created_at", "id"),
		index.Fields("updated_at", "id"),
		index.Fields("expires_sort", "id"),
		index.Fields("persona_id"),
	}
}
