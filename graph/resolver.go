// Package graph is the GraphQL layer: gqlgen's generated executor and thin
// resolvers that hand each field to internal/.
package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/predicate"
	"github.com/latchkeyhq/latchkey/graph/model"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/ids"
	"github.com/latchkeyhq/latchkey/internal/listcount"
	"github.com/latchkeyhq/latchkey/internal/namesearch"
	"github.com/latchkeyhq/latchkey/internal/perm"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// Resolver holds what resolvers need; the ent client travels in the context
// (the transaction, during a mutation).
type Resolver struct {
	Admin    *admin.Service
	Hasher   secret.Hasher
	Verifier *auth.Verifier
	Guesses  admin.Guesses
	Now      func() time.Time
	// Usage counts verifications and reads usage series (internal/usage).
	UsageRecorder *usage.Recorder
	// Decider makes the verification decision of introspectToken.
	Decider *auth.Policy
	// Counts keeps the token list's totalCount for common filters (may be nil).
	Counts *listcount.Cache
	// Dialect is the database's (entgo.io/ent/dialect): the name search
	// plans its trigram query for it.
	Dialect string
}

// NewSchema wires resolvers and the authorization directives into gqlgen.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	cfg := Config{
		Resolvers: r,
		Directives: DirectiveRoot{
			HasPermission:     authz.HasPermission,
			HasNodePermission: authz.HasNodePermission,
			Authenticated:     authz.Authenticated,
			Public:            authz.Public,
			FullAccess:        authz.FullAccess,
		},
	}
	// Query cost is bounded by internal/cost, not by gqlgen's complexity.
	return NewExecutableSchema(cfg)
}

// tables maps a GraphQL type to the table its node lives in.
var tables = map[string]string{
	"APIToken":        "api_tokens",
	"Persona":         "personas",
	"Role":            "roles",
	"ContentType":     "content_types",
	"AuditEvent":      "audit_events",
	"WebhookEndpoint": "webhook_endpoints",
	"WebhookDelivery": "webhook_deliveries",
}

// nodeType resolves an id to its table from its prefix.
func nodeType(_ context.Context, id string) (string, error) {
	if t, ok := tables[ids.TypeOf(id)]; ok {
		return t, nil
	}
	return "", &ent.NotFoundError{}
}

func list(s perm.Set) []*perm.Permission {
	ps := s.List()
	out := make([]*perm.Permission, len(ps))
	for i := range ps {
		out[i] = &ps[i]
	}
	return out
}

func boolValue(b *bool) bool { return b != nil && *b }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Pages hold DefaultPage records unless first or last says otherwise, and
// never more than maxPage. Query costs (internal/cost) assume the same.
const (
	DefaultPage = 100
	maxPage     = 1000
	// maxEvents bounds APIToken.events; maxDeliveries WebhookEvent.deliveries
	// (one per endpoint, newest first).
	maxEvents     = 100
	maxDeliveries = 20
)

// pageSize checks first and last and applies the default page size.
func pageSize(first, last *int) (*int, error) {
	for name, n := range map[string]*int{"first": first, "last": last} {
		if n != nil && *n > maxPage {
			return nil, gqlerr.BadInput(name, "%s may be at most %d", name, maxPage)
		}
	}
	if first == nil && last == nil {
		n := DefaultPage
		return &n, nil
	}
	return first, nil
}

// requested reports whether the current field's selection reaches the
// field at path (e.g. edges → node → permissions), through fragments too.
func requested(ctx context.Context, path ...string) bool {
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFieldsCtx(ctx, nil)
	for i, name := range path {
		var next []graphql.CollectedField
		for _, f := range fields {
			if f.Name == name {
				if i == len(path)-1 {
					return true
				}
				next = append(next, graphql.CollectFields(oc, f.Selections, nil)...)
			}
		}
		fields = next
	}
	return false
}

// nameSearch turns the name searches of a token filter into their exact
// predicates (internal/namesearch) and prepares ctx for the page: the
// list's totalCount comes from r.Counts when the filter is one it keeps
// and counting it would read the whole table, and a page in the NAME order
// whose search scans reads its ids from the name index first.
func (r *Resolver) nameSearch(ctx context.Context, where *ent.APITokenWhereInput, order model.APITokenOrderField) (context.Context, error) {
	key, keyed := listcount.Key(where, admin.Fold)
	scan, err := r.foldNameFilter(ctx, where)
	if err != nil {
		return nil, err
	}
	switch {
	case where == nil && keyed:
		ctx = r.Counts.For(ctx, key)
	case scan && keyed:
		ctx = r.Counts.ForScan(ctx, key)
	}
	if scan && order == model.APITokenOrderFieldName {
		ctx = namesearch.Late(ctx)
	}
	return ctx, nil
}

// foldNameFilter replaces every nameContainsFold in w (and its and, or,
// not and hasCreatedByWith) by namesearch's exact predicate for the folded text; scan reports
// whether w's own search is one the database answers by scanning.
func (r *Resolver) foldNameFilter(ctx context.Context, w *ent.APITokenWhereInput) (scan bool, err error) {
	if w == nil {
		return false, nil
	}
	if w.NameContainsFold != nil {
		var match predicate.APIToken
		match, scan, err = namesearch.Filter(ctx, ent.FromContext(ctx), r.Dialect, admin.Fold(*w.NameContainsFold))
		if err != nil {
			return false, err
		}
		w.NameContainsFold = nil
		w.AddPredicates(match)
	}
	// Every nested token filter too (the creator's included), so that one
	// rule decides wherever a token's name is searched.
	subs := append(append(append([]*ent.APITokenWhereInput{w.Not}, w.And...), w.Or...), w.HasCreatedByWith...)
	for _, sub := range subs {
		if _, err := r.foldNameFilter(ctx, sub); err != nil {
			return false, err
		}
	}
	return scan, nil
}

// secretFilter is the predicate of the secret filter. Filtering by a secret
// answers whether it exists, so it spends the failed-attempt budget of
// bearer authentication on a miss. It matches only a secret that
// authenticates now (a token's current one, or a replaced one in its grace
// period, of a token that is active) unless the caller may revoke and
// restore tokens: only those may look up what a leaked secret belonged to
// once it stopped working.
func secretFilter(ctx context.Context, r *Resolver, value string) (predicate.APIToken, error) {
	if err := r.Guesses.Allow(ctx); err != nil {
		return nil, err
	}
	now := r.Now()
	match := tokenstatus.SecretIs(r.Hasher, value, now)
	if p := authz.FromContext(ctx); p == nil || !p.Can("api-token", "revoke") {
		match = apitoken.And(match, tokenstatus.StatusIs(tokenstatus.StatusActive, now))
	}
	found, err := ent.FromContext(ctx).APIToken.Query().Where(match).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if !found {
		r.Guesses.Miss(ctx)
	}
	return match, nil
}
