package httpserver_test

import (
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// forbidden fails unless r was refused with FORBIDDEN and none of secrets
// appears anywhere in the answer.
func forbidden(t *testing.T, what string, r *testserver.Response, secrets ...string) {
	t.Helper()
	if r.Code() != "FORBIDDEN" {
		t.Errorf("%s: want FORBIDDEN, got %s", what, r.Raw)
	}
	for _, s := range secrets {
		if strings.Contains(r.Raw, s) {
			t.Errorf("%s: the answer reveals %q: %s", what, s, r.Raw)
		}
	}
}

// Reported: revokeAPIToken on an already revoked token answered with the
// whole token to a caller holding only api-token:revoke.
func TestRevokeRevealsOnlyTheID(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		revoker := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "revoker", "type": "CUSTOM", "permissions": cells("api-token:revoke")}}).Str("createAPIToken.secret")
		victim := func(name string) string {
			return s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": name, "type": "FULL_ACCESS", "persona": map[string]any{"name": "Persona of " + name}}}).Str("createAPIToken.apiToken.id")
		}
		const attack = `mutation($id: ID!) { revokeAPIToken(id: $id) { id name type status persona { id name } roles { name } effectivePermissions { contentType action } } }`
		status := func(id string) string {
			return s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { status } } }`, map[string]any{"id": id}).Str("node.status")
		}

		revoked := victim("already revoked")
		s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": revoked})
		forbidden(t, "revoking a revoked token", s.Do(t, revoker, attack, map[string]any{"id": revoked}), "FULL_ACCESS", "already revoked", "Persona of")

		// On a live token the refused payload rolls the revocation back.
		live := victim("live")
		before := s.Snapshot(t)
		forbidden(t, "revoking a live token", s.Do(t, revoker, attack, map[string]any{"id": live}), "FULL_ACCESS", "Persona of")
		if after := s.Snapshot(t); after != before || status(live) != "ACTIVE" {
			t.Errorf("a refused payload did not roll the revocation back: %s / %s, status %s", before, after, status(live))
		}

		// Revoke itself stays open to the revoker.
		if r := s.MustDo(t, revoker, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": live}); r.Str("revokeAPIToken.id") != live {
			t.Errorf("revoke by id: %s", r.Raw)
		}
		if status(live) != "REVOKED" {
			t.Errorf("the revoker could not revoke")
		}
	})
}

// Reported: a token holding only api-token:read read roles and personas
// through APIToken.roles and APIToken.persona, and filtered on them.
func TestTokenReaderSeesNoRolesOrPersonas(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		reader := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "reader", "type": "CUSTOM", "permissions": cells("api-token:read")}}).Str("createAPIToken.secret")
		auditor := roleID(t, s, "Auditor")
		mgr := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "managed", "type": "CUSTOM", "roleIDs": []string{auditor}, "persona": map[string]any{"name": "Hidden Persona"}}})
		personaID := mgr.Str("createAPIToken.apiToken.persona.id")

		for _, q := range []string{
			`{ apiTokens(first: 10) { edges { node { name roles { name permissions { contentType action } } } } } }`,
			`{ apiTokens { edges { node { name roles { id } } } } }`,
			`{ apiTokens { edges { node { name persona { name avatarURL } } } } }`,
			`{ apiTokens { edges { node { name persona { id } } } } }`,
			`{ apiTokens { edges { node { createdBy { persona { name } } } } } }`,
		} {
			forbidden(t, q, s.Do(t, reader, q, nil), "Auditor", "Hidden Persona", "audit-event", personaID, auditor)
		}

		filters := map[string]any{
			"hasRolesWith":   []any{map[string]any{"name": "Auditor"}},
			"hasPersonaWith": []any{map[string]any{"nameContainsFold": "hidden"}},
			"personaID":      personaID,
			"roleID":         auditor,
			"hasPersona":     true,
			"hasRoles":       true,
		}
		for field, value := range filters {
			where := map[string]any{field: value}
			for form, w := range map[string]any{
				"plain": where, "and": map[string]any{"and": []any{where}}, "or": map[string]any{"or": []any{where}},
				"not": map[string]any{"not": map[string]any{"not": where}}, "under createdBy": map[string]any{"hasCreatedByWith": []any{where}},
			} {
				r := s.Do(t, reader, `query($w: APITokenWhereInput) { apiTokens(where: $w) { totalCount edges { node { name } } } }`, map[string]any{"w": w})
				forbidden(t, field+" "+form+" (variable)", r, "managed")
				if r := s.Do(t, s.Admin, `query($w: APITokenWhereInput) { apiTokens(where: $w) { totalCount } }`, map[string]any{"w": w}); len(r.Errors) > 0 {
					t.Errorf("%s %s is no valid filter: %s", field, form, r.Raw)
				}
			}
		}
		// The same as literals, inline.
		for _, lit := range []string{
			`{ hasRolesWith: [{name: "Auditor"}] }`, `{ hasPersonaWith: {nameContainsFold: "hidden"} }`,
			`{ personaID: "` + personaID + `" }`, `{ or: [{name: "x"}, {roleID: "` + auditor + `"}] }`, `{ not: {hasPersona: false} }`,
		} {
			forbidden(t, lit, s.Do(t, reader, `{ apiTokens(where: `+lit+`) { totalCount } }`, nil), "managed")
		}
		// With the reads, the same filters work.
		both := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "all three", "type": "CUSTOM", "permissions": cells("api-token:read", "role:read", "persona:read")}}).Str("createAPIToken.secret")
		r := s.MustDo(t, both, `query($p: ID, $r: ID) { apiTokens(where: {personaID: $p, roleID: $r, hasRolesWith: [{name: "Auditor"}]}) { edges { node { name persona { name } roles { name } } } } }`, map[string]any{"p": personaID, "r": auditor})
		if !strings.Contains(r.Raw, "Hidden Persona") || !strings.Contains(r.Raw, `"managed"`) {
			t.Errorf("with role:read and persona:read: %s", r.Raw)
		}
	})
}

// The caller's own token and persona under viewer need no read; anything
// they lead to does.
func TestViewerSeesItself(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "nobody", "type": "CUSTOM", "persona": map[string]any{"name": "Nobody"}}})
		nobody, id := c.Str("createAPIToken.secret"), c.Str("createAPIToken.apiToken.id")
		r := s.MustDo(t, nobody, `{ viewer { apiToken { id name type status } persona { id name } permissions { action } } }`, nil)
		if r.Str("viewer.apiToken.name") != "nobody" || r.Str("viewer.apiToken.type") != "CUSTOM" || r.Str("viewer.persona.name") != "Nobody" {
			t.Errorf("viewer: %s", r.Raw)
		}
		for _, q := range []string{
			`{ viewer { apiToken { createdBy { name } } } }`,
			`{ viewer { apiToken { createdBy { id } } } }`,
			`{ viewer { apiToken { roles { id } } } }`,
			`{ viewer { apiToken { persona { name } } } }`,
			`{ viewer { persona { tokens { totalCount } } } }`,
		} {
			forbidden(t, q, s.Do(t, nobody, q, nil), "Bootstrap", "Administrator")
		}
		// The same token reached another way is no exception.
		forbidden(t, "node", s.Do(t, nobody, `query($id: ID!) { node(id: $id) { ... on APIToken { name } } }`, map[string]any{"id": id}), `"nobody"`)

		roles := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "roles", "type": "CUSTOM", "permissions": cells("role:read", "api-token:read")}}).Str("createAPIToken.secret")
		r = s.MustDo(t, roles, `{ viewer { apiToken { roles { name } createdBy { name } } } }`, nil)
		if r.Str("viewer.apiToken.createdBy.name") != "Bootstrap" {
			t.Errorf("with the reads: %s", r.Raw)
		}
	})
}

// The admin UI's documents work for the tokens its pages are shown to.
func TestAdminUIDocumentsForTokenManager(t *testing.T) {
	s := testserver.New(t, "sqlite")
	m := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "manager", "type": "CUSTOM", "roleIDs": []string{roleID(t, s, "Token Manager")}}}).Str("createAPIToken.secret")
	const uiTokenFields = `id name code description type status hint expiresAt lastUsedAt createdAt
  persona { id name avatarURL } roles { id name } permissions { contentType action }`
	s.MustDo(t, m, `query Viewer { viewer { apiToken { id name type } persona { id name avatarURL } permissions { contentType action } } }`, nil)
	s.MustDo(t, m, `query Tokens($first: Int, $where: APITokenWhereInput) { apiTokens(first: $first, where: $where) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { `+uiTokenFields+` } } } }`, map[string]any{"first": 20, "where": map[string]any{"nameContainsFold": "man", "type": "CUSTOM", "status": "ACTIVE"}})
	created := s.MustDo(t, m, `mutation CreateToken($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { `+uiTokenFields+` } } }`,
		map[string]any{"input": map[string]any{"name": "made by manager", "type": "CUSTOM", "permissions": cells("api-token:read")}}).Str("createAPIToken.apiToken.id")
	s.MustDo(t, m, `mutation RevokeToken($id: ID!) { revokeAPIToken(id: $id) { id status } }`, map[string]any{"id": created})
	s.MustDo(t, m, `query Personas { personas(first: 500, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { id name avatarURL description tokens { totalCount } } } } }`, nil)
	s.MustDo(t, m, `query Roles { roles(first: 500, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { id name description permissions { contentType action } } } } }`, nil)
	s.MustDo(t, m, `query ContentTypes { contentTypes(first: 500, orderBy: {field: UID, direction: ASC}) { totalCount edges { node { id uid displayName description system actions { name readOnly } } } } }`, nil)
}

// A mutation whose payload selects a field the caller may not read is
// refused whole and rolled back (fail closed); asking only for the id works.
func TestPayloadNeedsRead(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		maker := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "maker", "type": "CUSTOM",
			"permissions": cells("api-token:create", "api-token:update", "role:create", "role:update", "persona:read")}}).Str("createAPIToken.secret")
		in := map[string]any{"name": "made", "type": "CUSTOM", "permissions": cells("persona:read")}
		cases := []struct{ doc, leak string }{
			{`mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { secret apiToken { id name } } }`, "lk_"},
			{`mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { secret apiToken { effectivePermissions { action } } } }`, "lk_"},
			{`mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { apiToken { persona { tokens { totalCount } } } } }`, "totalCount"},
			{`mutation { createRole(input: {name: "Readers", permissions: [{contentType: "persona", action: "read"}]}) { id name } }`, "Readers"},
		}
		for _, c := range cases {
			before := s.Snapshot(t)
			forbidden(t, c.doc, s.Do(t, maker, c.doc, map[string]any{"in": in}), c.leak)
			if after := s.Snapshot(t); after != before {
				t.Errorf("%s: not rolled back: %s / %s", c.doc, before, after)
			}
		}
		r := s.MustDo(t, maker, `mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { secret apiToken { id } } }`, map[string]any{"in": in})
		if !strings.HasPrefix(r.Str("createAPIToken.secret"), "lk_") || r.Str("createAPIToken.apiToken.id") == "" {
			t.Errorf("create with readable fields: %s", r.Raw)
		}
		s.MustDo(t, maker, `mutation { createRole(input: {name: "Readers", permissions: [{contentType: "persona", action: "read"}]}) { id } }`, nil)
	})
}
