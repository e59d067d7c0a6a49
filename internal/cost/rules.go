// Package cost bounds what one GraphQL request may make the server do,
// before it does any of it: cheap caps on the raw document before
// validation (Precheck), a cost model over the validated operation (Limit)
// and a cap on the size of the answer (ResponseLimit).
package cost

import (
	"slices"

	"github.com/latchkeyhq/latchkey/internal/usage"
)

// The cost model, in the spirit of GitHub's and Shopify's: every object in
// the answer costs Object, every field whose resolver asks the database
// costs Database more (once per object it is resolved on), a connection
// multiplies what its edges ask for by its page size (first or last, else
// the default page), other lists multiply by their size, and introspection
// lists by the real sizes of the schema. Scalars are free: how many of them a
// document may name is bounded by MaxFields.
const (
	Object   = 1
	Database = 2
	// Mutation is the cost of a mutation field: a transaction and an audit
	// event, on top of what its payload asks for.
	Mutation = 10
	// DefaultListSize is what a list of something not paged is assumed to
	// hold: permissions, roles, actions.
	DefaultListSize = 20
)

// databaseFields are the fields below the root whose resolver queries the
// database for every object it is asked on (ent edges, the permission
// resolvers). Root query fields and totalCount always count as such.
var databaseFields = map[string]bool{
	"APIToken.persona":              true,
	"APIToken.roles":                true,
	"APIToken.createdBy":            true,
	"APIToken.permissions":          true,
	"APIToken.effectivePermissions": true,
	"Role.permissions":              true,
	"Persona.tokens":                true,
	// A usage series is one aggregate query per token or persona.
	"APIToken.usage":             true,
	"Persona.usage":              true,
	"APIToken.events":            true,
	"WebhookEvent.deliveries":    true,
	"WebhookEndpoint.deliveries": true,
	"WebhookDelivery.endpoint":   true,
}

// listSizes overrides DefaultListSize for lists whose size is known better.
var listSizes = map[string]int{
	// revokeAPITokens lists the first admin.BulkRevokePage tokens.
	"BulkRevokePayload.apiTokens": 100,
	// The most points a series may have, and the longest ranking.
	"UsageSeries.points": usage.MaxPoints,
	"Query.topAPITokens": usage.MaxTop,
	// The most APIToken.events(first:) returns (graph.maxEvents);
	// WebhookEvent.deliveries returns at most DefaultListSize.
	"APIToken.events": 100,
}

// Pre-validation caps. Validation grows quadratically with the number of
// fields of the same name, so a document is measured before it is
// validated; GraphiQL's introspection query (about 100 selections, depth
// 15, no aliases) and the admin UI's queries fit well inside.
const (
	// MaxQueryBytes is the longest document, checked before anything else.
	MaxQueryBytes = 64 << 10
	// MaxTokens is the most lexical tokens a document may have.
	MaxTokens = 5_000
	// MaxSelections is the most selections (fields, fragment spreads,
	// inline fragments) a document may have, fragments counted where they
	// are spread.
	MaxSelections = 1_000
	// MaxAliases is the most aliased fields a document may have.
	MaxAliases = 50
	// MaxDepth is the deepest nesting of fields.
	MaxDepth = 20
)

// DatabaseFields lists the per-row database fields, sorted.
func DatabaseFields() []string {
	out := make([]string, 0, len(databaseFields))
	for k := range databaseFields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
