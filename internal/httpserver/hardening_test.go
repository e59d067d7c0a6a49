package httpserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// The attacks the security review found working, each as a regression
// test. The generated attacks live in escalation_model_test.go.

// mint creates a token as the Bootstrap admin and returns its secret and id.
func mint(t *testing.T, s *testserver.Server, in map[string]any) (secret, id string) {
	t.Helper()
	r := s.MustDo(t, s.Admin, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { id } } }`, map[string]any{"input": in})
	return r.Str("createAPIToken.secret"), r.Str("createAPIToken.apiToken.id")
}

// expectCode runs a document and fails unless its first error has code.
func expectCode(t *testing.T, s *testserver.Server, bearer, code, query string, vars map[string]any) *testserver.Response {
	t.Helper()
	r := s.Do(t, bearer, query, vars)
	if r.Code() != code {
		t.Fatalf("want %s, got HTTP %d: %s", code, r.Status, r.Raw)
	}
	return r
}

// effective reads a token's effective permissions as the admin.
func effective(t *testing.T, s *testserver.Server, id string) []string {
	t.Helper()
	r := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { effectivePermissions { contentType action } } } }`, map[string]any{"id": id})
	var out []string
	for _, p := range r.Get("node.effectivePermissions").([]any) {
		m := p.(map[string]any)
		out = append(out, m["contentType"].(string)+":"+m["action"].(string))
	}
	return out
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

const (
	createCT = `mutation($input: CreateContentTypeInput!) { createContentType(input: $input) { id } }`
	updateCT = `mutation($id: ID!, $input: UpdateContentTypeInput!, $detach: Boolean) { updateContentType(id: $id, input: $input, detach: $detach) { id } }`
	deleteCT = `mutation($id: ID!, $detach: Boolean) { deleteContentType(id: $id, detach: $detach) }`
)

func actions(list ...string) []map[string]any {
	out := make([]map[string]any, len(list))
	for i, a := range list {
		name, ro := strings.CutSuffix(a, "*")
		out[i] = map[string]any{"name": name, "readOnly": ro}
	}
	return out
}

// Item 1: making an action read-only, by any route, is a grant to every
// READ_ONLY token, checked on the resulting catalog.
func TestReadOnlyFlagIsAGrant(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		ct := s.MustDo(t, s.Admin, createCT, map[string]any{"input": map[string]any{"uid": "article", "displayName": "Articles", "actions": actions("read*", "create", "publish")}}).Str("createContentType.id")
		// An editor of content types that may not publish. It holds every
		// read-only action, so it may take one from READ_ONLY tokens.
		editor, _ := mint(t, s, map[string]any{"name": "editor", "type": "CUSTOM", "permissions": cells(
			"content-type:read", "content-type:create", "content-type:update", "content-type:delete", "article:read", "article:create",
			"api-token:read", "persona:read", "role:read", "audit-event:read")})
		_, ro := mint(t, s, map[string]any{"name": "reader", "type": "READ_ONLY"})

		vars := func(acts ...string) map[string]any {
			return map[string]any{"id": ct, "input": map[string]any{"actions": actions(acts...)}, "detach": true}
		}
		// Directly.
		expectCode(t, s, editor, "FORBIDDEN", updateCT, vars("read*", "create", "publish*"))
		// Remove, then re-add as read-only: two calls.
		s.MustDo(t, editor, updateCT, vars("read*", "create"))
		expectCode(t, s, editor, "FORBIDDEN", updateCT, vars("read*", "create", "publish*"))
		// A brand-new read-only action.
		expectCode(t, s, editor, "FORBIDDEN", updateCT, vars("read*", "create", "review*"))
		// Holding the action is not enough: the caller must be able to
		// create READ_ONLY tokens holding it.
		publisher, _ := mint(t, s, map[string]any{"name": "publisher", "type": "CUSTOM", "permissions": cells("content-type:update", "article:create")})
		expectCode(t, s, publisher, "FORBIDDEN", updateCT, vars("read*", "create*"))
		// Both halves as aliased mutations in one request.
		s.MustDo(t, s.Admin, updateCT, vars("read*", "create", "publish"))
		expectCode(t, s, editor, "FORBIDDEN", `mutation($id: ID!) {
			a: updateContentType(id: $id, input: {actions: [{name: "read", readOnly: true}, {name: "create", readOnly: false}]}, detach: true) { id }
			b: updateContentType(id: $id, input: {actions: [{name: "read", readOnly: true}, {name: "create", readOnly: false}, {name: "publish", readOnly: true}]}) { id } }`,
			map[string]any{"id": ct})
		// Delete with detach, then re-create with publish read-only.
		s.MustDo(t, editor, deleteCT, map[string]any{"id": ct, "detach": true})
		expectCode(t, s, editor, "FORBIDDEN", createCT, map[string]any{"input": map[string]any{"uid": "article", "displayName": "Articles", "actions": actions("read*", "publish*")}})
		// A brand-new content type with the default actions (read is read-only).
		expectCode(t, s, editor, "FORBIDDEN", createCT, map[string]any{"input": map[string]any{"uid": "blog", "displayName": "Blog"}})
		// Without read-only actions it may.
		s.MustDo(t, editor, createCT, map[string]any{"input": map[string]any{"uid": "blog", "displayName": "Blog", "actions": actions("write")}})
		for _, p := range effective(t, s, ro) {
			if strings.HasPrefix(p, "article:") && p != "article:read" || strings.HasPrefix(p, "blog:") {
				t.Fatalf("READ_ONLY token gained %s: %v", p, effective(t, s, ro))
			}
		}
		// FULL_ACCESS may make anything read-only.
		s.MustDo(t, s.Admin, createCT, map[string]any{"input": map[string]any{"uid": "article", "displayName": "Articles", "actions": actions("read*", "publish*")}})
		if got := effective(t, s, ro); !has(got, "article:publish") {
			t.Fatalf("READ_ONLY token lacks article:publish after a FULL_ACCESS change: %v", got)
		}
	})
}

// Item 2: a secret in its grace period authenticates for use only.
func TestGraceSecretCannotControlItsToken(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		old, id := mint(t, s, map[string]any{"name": "automation", "type": "CUSTOM", "permissions": cells(
			"api-token:read", "api-token:create", "api-token:update", "api-token:regenerate", "api-token:revoke", "api-token:delete")})
		fresh := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 3600) { secret } }`, map[string]any{"id": id}).Str("regenerateAPIToken.secret")
		_, other := mint(t, s, map[string]any{"name": "other", "type": "CUSTOM", "permissions": cells("api-token:read")})
		v := map[string]any{"id": id}
		for name, q := range map[string]string{
			"regenerate": `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`,
			"update":     `mutation($id: ID!) { updateAPIToken(id: $id, input: {description: "mine"}) { id } }`,
			"restore":    `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`,
			"delete":     `mutation($id: ID!) { deleteAPIToken(id: $id) }`,
			"create":     `mutation { createAPIToken(input: {name: "spawn", type: CUSTOM, lifespan: DAYS_7}) { secret } }`,
		} {
			t.Run(name, func(t *testing.T) {
				before := s.Snapshot(t)
				r := expectCode(t, s, old, "FORBIDDEN", q, v)
				if !strings.Contains(r.Errors[0].Message, "grace period") {
					t.Fatalf("message does not say why: %s", r.Raw)
				}
				if after := s.Snapshot(t); after != before {
					t.Fatalf("a refused mutation changed something:\n%s\n%s", before, after)
				}
			})
		}
		// It still works for use, but it manages nothing: not even other
		// tokens (regenerating one would give it a permanent secret).
		s.MustDo(t, old, viewerQuery, nil)
		expectCode(t, s, old, "FORBIDDEN", `mutation($id: ID!) { updateAPIToken(id: $id, input: {description: "touched"}) { id } }`, map[string]any{"id": other})
		expectCode(t, s, old, "FORBIDDEN", `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, map[string]any{"id": other})
		// The owner's new secret is untouched and fully in control.
		s.MustDo(t, fresh, `mutation($id: ID!) { updateAPIToken(id: $id, input: {description: "mine"}) { id } }`, v)
		// The same rule holds when the grace secret authenticated before the
		// regenerate, in one request: aliased regenerate then regenerate.
		s.MustDo(t, fresh, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 600) { secret } }`, v)
		expectCode(t, s, fresh, "FORBIDDEN", `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, v)
	})
}

// Item 3 (the revoke payload) is covered by the read guard tests; items 4-6
// follow.

// Item 4: identity cannot be borrowed.
func TestPersonaIdentityCannotBeBorrowed(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		creator, _ := mint(t, s, map[string]any{"name": "creator", "type": "CUSTOM", "permissions": cells(
			"api-token:create", "persona:create", "persona:update", "persona:delete", "persona:read")})
		for _, name := range []string{"Administrator", "administrator", "  ADMINISTRATOR ", "Admini\u200bstrator",
			"Adminiſtrator", "Ａdministrator", "Administrator\ufe0f", "Administrator\u034f", "Administrator\u3164", "Administrator\u2800"} {
			r := s.Do(t, creator, `mutation($n: String!) { createAPIToken(input: {name: "x", type: CUSTOM, lifespan: DAYS_7, persona: {name: $n}}) { secret } }`, map[string]any{"n": name})
			if c := r.Code(); c != "CONFLICT" && c != "BAD_USER_INPUT" {
				t.Fatalf("persona named %q: %s", name, r.Raw)
			}
			r = s.Do(t, creator, `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`, map[string]any{"n": name})
			if c := r.Code(); c != "CONFLICT" && c != "BAD_USER_INPUT" {
				t.Fatalf("persona named %q: %s", name, r.Raw)
			}
		}
		// A deleted FULL_ACCESS token's persona stays out of reach.
		strong := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "strong", type: FULL_ACCESS, persona: {name: "Root"}}) { apiToken { id persona { id } } } }`, nil)
		persona := strong.Str("createAPIToken.apiToken.persona.id")
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": strong.Str("createAPIToken.apiToken.id")})
		expectCode(t, s, creator, "FORBIDDEN", `mutation($p: ID!) { createAPIToken(input: {name: "borrower", type: CUSTOM, lifespan: DAYS_7, personaID: $p}) { secret } }`, map[string]any{"p": persona})
		expectCode(t, s, creator, "FORBIDDEN", `mutation($p: ID!) { updatePersona(id: $p, input: {name: "Mine now"}) { id } }`, map[string]any{"p": persona})
		expectCode(t, s, creator, "FORBIDDEN", `mutation($p: ID!) { deletePersona(id: $p) }`, map[string]any{"p": persona})
		// A persona whose strongest holder's action left the catalog stays
		// out of reach: removing the action does not free it.
		s.MustDo(t, s.Admin, createCT, map[string]any{"input": map[string]any{"uid": "article", "displayName": "Articles", "actions": actions("read*", "publish")}})
		pub := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "pub", type: CUSTOM, permissions: [{contentType: "article", action: "publish"}], persona: {name: "Publisher Bot"}}) { apiToken { id persona { id } } } }`, nil)
		pubPersona := pub.Str("createAPIToken.apiToken.persona.id")
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": pub.Str("createAPIToken.apiToken.id")})
		ct := s.MustDo(t, s.Admin, `{ contentTypes(where: {uid: "article"}) { edges { node { id } } } }`, nil).Get("contentTypes.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
		s.MustDo(t, s.Admin, updateCT, map[string]any{"id": ct, "input": map[string]any{"actions": actions("read*")}})
		expectCode(t, s, creator, "FORBIDDEN", `mutation($p: ID!) { updatePersona(id: $p, input: {name: "Renamed"}) { id } }`, map[string]any{"p": pubPersona})
		// A token name taken by a persona gets a numbered persona, not a failure.
		r := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "root", type: READ_ONLY}) { apiToken { persona { name } } } }`, nil)
		if got := r.Str("createAPIToken.apiToken.persona.name"); got != "root (2)" {
			t.Fatalf("derived persona name %q", got)
		}
	})
}

// Item 5: destruction respects the ceiling too.
func TestDestructionRespectsTheCeiling(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		s.MustDo(t, s.Admin, createCT, map[string]any{"input": map[string]any{"uid": "article", "displayName": "Articles", "actions": actions("read*", "create", "publish")}})
		role := s.MustDo(t, s.Admin, `mutation { createRole(input: {name: "Publisher", permissions: [{contentType: "article", action: "publish"}]}) { id } }`, nil).Str("createRole.id")
		_, publisher := mint(t, s, map[string]any{"name": "publisher", "type": "CUSTOM", "roleIDs": []string{role}})
		weak, _ := mint(t, s, map[string]any{"name": "weak", "type": "CUSTOM", "permissions": cells(
			"role:read", "role:update", "role:delete", "content-type:read", "content-type:update", "content-type:delete", "api-token:revoke", "article:create")})
		before := s.Snapshot(t)
		expectCode(t, s, weak, "FORBIDDEN", `mutation($id: ID!) { deleteRole(id: $id, detach: true) }`, map[string]any{"id": role})
		expectCode(t, s, weak, "FORBIDDEN", `mutation($id: ID!) { deleteRole(id: $id) }`, map[string]any{"id": role})
		expectCode(t, s, weak, "FORBIDDEN", `mutation($id: ID!) { updateRole(id: $id, input: {permissions: []}) { id } }`, map[string]any{"id": role})
		ct := s.MustDo(t, s.Admin, `{ contentTypes(where: {uid: "article"}) { edges { node { id } } } }`, nil).Get("contentTypes.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
		before = s.Snapshot(t)
		expectCode(t, s, weak, "FORBIDDEN", updateCT, map[string]any{"id": ct, "input": map[string]any{"actions": actions("read*", "create")}, "detach": true})
		expectCode(t, s, weak, "FORBIDDEN", deleteCT, map[string]any{"id": ct, "detach": true})
		if after := s.Snapshot(t); after != before {
			t.Fatalf("refused destruction changed something:\n%s\n%s", before, after)
		}
		if got := effective(t, s, publisher); !has(got, "article:publish") {
			t.Fatalf("publisher lost article:publish: %v", got)
		}
		// Revoke stays open to anyone who may revoke.
		s.MustDo(t, weak, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": publisher})
		// Taking article:read from READ_ONLY tokens needs their strength.
		mint(t, s, map[string]any{"name": "reader", "type": "READ_ONLY"})
		expectCode(t, s, weak, "FORBIDDEN", updateCT, map[string]any{"id": ct, "input": map[string]any{"actions": actions("read", "create", "publish")}, "detach": true})
	})
}

// Item 6: a caller that is not FULL_ACCESS cannot give any token an expiry
// later than its own.
func TestLifetimeCeiling(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		short, self := mint(t, s, map[string]any{"name": "short", "type": "CUSTOM", "expiresAt": s.Clock.Now().Add(time.Hour).Format(time.RFC3339),
			"permissions": cells("api-token:update", "api-token:create", "api-token:read")})
		_, other := mint(t, s, map[string]any{"name": "other", "type": "CUSTOM", "lifespan": "DAYS_7", "permissions": cells("api-token:read")})
		for _, id := range []string{self, other} {
			for _, in := range []map[string]any{{"lifespan": "UNLIMITED"}, {"lifespan": "DAYS_7"}, {"expiresAt": s.Clock.Now().Add(2 * time.Hour).Format(time.RFC3339)}} {
				r := expectCode(t, s, short, "FORBIDDEN", `mutation($id: ID!, $in: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $in) { id } }`, map[string]any{"id": id, "in": in})
				if r.Field() != "expiresAt" {
					t.Fatalf("field %q: %s", r.Field(), r.Raw)
				}
			}
		}
		expectCode(t, s, short, "FORBIDDEN", `mutation { createAPIToken(input: {name: "forever", type: CUSTOM}) { secret } }`, nil)
		// Nor may it launder its powers into a token that outlives it: no
		// new grants, secret or life for a token that expires later.
		expectCode(t, s, short, "FORBIDDEN", `mutation($id: ID!) { updateAPIToken(id: $id, input: {permissions: [{contentType: "api-token", action: "create"}]}) { id } }`, map[string]any{"id": other})
		expectCode(t, s, short, "FORBIDDEN", `mutation($id: ID!) { updateAPIToken(id: $id, input: {type: READ_ONLY}) { id } }`, map[string]any{"id": other})
		// A harmless edit is fine.
		s.MustDo(t, short, `mutation($id: ID!) { updateAPIToken(id: $id, input: {description: "noted"}) { id } }`, map[string]any{"id": other})
		// Within its own lifetime it may.
		s.MustDo(t, short, `mutation($id: ID!, $at: Time!) { updateAPIToken(id: $id, input: {expiresAt: $at}) { id } }`,
			map[string]any{"id": other, "at": s.Clock.Now().Add(30 * time.Minute).Format(time.RFC3339)})
		s.MustDo(t, short, `mutation($at: Time!) { createAPIToken(input: {name: "brief", type: CUSTOM, expiresAt: $at}) { secret } }`,
			map[string]any{"at": s.Clock.Now().Add(time.Hour).Format(time.RFC3339)})
	})
}

// Item 9: every path that matches a secret spends the same failed-attempt
// budget as bearer failures, per client IP and per calling token.
func TestSecretGuessingHasOneBudget(t *testing.T) {
	for name, q := range map[string]string{
		"filter":     `query($s: String!) { apiTokens(where: {secret: $s}) { totalCount } }`,
		"introspect": `query($s: String!) { introspectToken(secret: $s) { active } }`,
	} {
		t.Run(name, func(t *testing.T) {
			s := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) { c.AuthFailureBurst, c.AuthFailureRate = 3, 0.001 }))
			guesser, _ := mint(t, s, map[string]any{"name": "guesser", "type": "READ_ONLY"})
			for i := 0; i < 3; i++ {
				s.MustDo(t, guesser, q, map[string]any{"s": "lk_" + strings.Repeat("A", 46)})
			}
			expectCode(t, s, guesser, "RATE_LIMITED", q, map[string]any{"s": s.Admin})
		})
	}
	t.Run("chosen secret conflict", func(t *testing.T) {
		s := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) { c.AuthFailureBurst, c.AuthFailureRate = 3, 0.001 }))
		creator, _ := mint(t, s, map[string]any{"name": "creator", "type": "CUSTOM", "permissions": cells("api-token:create")})
		taken := strings.Repeat("x", 40)
		mint(t, s, map[string]any{"name": "holder", "type": "CUSTOM", "secret": taken})
		for i := 0; i < 3; i++ {
			expectCode(t, s, creator, "CONFLICT", `mutation($s: String!) { createAPIToken(input: {name: "guess", type: CUSTOM, secret: $s}) { secret } }`, map[string]any{"s": taken})
		}
		expectCode(t, s, creator, "RATE_LIMITED", `mutation($s: String!) { createAPIToken(input: {name: "guess", type: CUSTOM, secret: $s}) { secret } }`, map[string]any{"s": taken})
	})
	t.Run("revoked tokens", func(t *testing.T) {
		s := testserver.New(t, "sqlite")
		reader, _ := mint(t, s, map[string]any{"name": "reader", "type": "READ_ONLY"})
		leaked, id := mint(t, s, map[string]any{"name": "leaked", "type": "READ_ONLY"})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": id})
		q := `query($s: String!) { apiTokens(where: {secret: $s}) { totalCount } }`
		if n := s.MustDo(t, reader, q, map[string]any{"s": leaked}).Get("apiTokens.totalCount"); n != float64(0) {
			t.Fatalf("a caller that may not revoke found a revoked token by its secret: %v", n)
		}
		if n := s.MustDo(t, s.Admin, q, map[string]any{"s": leaked}).Get("apiTokens.totalCount"); n != float64(1) {
			t.Fatalf("an admin cannot find a revoked token by its leaked secret: %v", n)
		}
	})
}

// The second attacker review's findings, each as a regression test.
func TestSecondReview(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		s.MustDo(t, s.Admin, createCT, map[string]any{"input": map[string]any{"uid": "article", "displayName": "Articles", "actions": actions("read*", "peek*", "publish")}})

		t.Run("an idempotent replay shows nothing the caller may no longer read", func(t *testing.T) {
			csec, cid := mint(t, s, map[string]any{"name": "replayer", "type": "CUSTOM", "permissions": cells("api-token:read", "api-token:update", "persona:read")})
			_, vid := mint(t, s, map[string]any{"name": "replay victim", "type": "CUSTOM", "description": "top secret description", "permissions": cells("api-token:read")})
			q := `mutation($id: ID!) { updateAPIToken(id: $id, input: {code: "victim-code"}) { id description persona { name } } }`
			if r := keyed(t, s, csec, q, map[string]any{"id": vid}, "K"); len(r.Errors) > 0 {
				t.Fatal(r.Raw)
			}
			s.MustDo(t, s.Admin, `mutation($id: ID!) { updateAPIToken(id: $id, input: {permissions: [{contentType: "api-token", action: "update"}]}) { id } }`, map[string]any{"id": cid})
			before := s.Snapshot(t)
			r := keyed(t, s, csec, q, map[string]any{"id": vid}, "K")
			if strings.Contains(r.Raw, "top secret") || r.Code() != "CONFLICT" || reason(r) != "IDEMPOTENCY_CALLER_CHANGED" {
				t.Fatalf("replay after the caller lost its rights: %s", r.Raw)
			}
			if after := s.Snapshot(t); after != before {
				t.Fatal("the refused replay changed something")
			}
		})

		t.Run("refusals do not name records the caller may not read", func(t *testing.T) {
			csec, cid := mint(t, s, map[string]any{"name": "namer", "type": "CUSTOM", "permissions": cells("api-token:revoke", "api-token:delete", "api-token:update")})
			_, vid := mint(t, s, map[string]any{"name": "Secret Deploy Bot Name", "type": "FULL_ACCESS"})
			admin := s.MustDo(t, s.Admin, `{ viewer { persona { id } } }`, nil).Str("viewer.persona.id")
			raw := expectCode(t, s, csec, "FORBIDDEN", `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": vid}).Raw +
				expectCode(t, s, csec, "FORBIDDEN", `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": vid}).Raw +
				expectCode(t, s, csec, "FORBIDDEN", `mutation($id: ID!, $p: ID!) { updateAPIToken(id: $id, input: {personaID: $p}) { id } }`, map[string]any{"id": cid, "p": admin}).Raw
			if strings.Contains(raw, "Secret Deploy Bot Name") || strings.Contains(raw, "Administrator") {
				t.Fatalf("a refusal names a record: %s", raw)
			}
		})

		t.Run("Cherokee names of either case are one name", func(t *testing.T) {
			q := `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`
			s.MustDo(t, s.Admin, q, map[string]any{"n": "ᏣᎳᎩ"})
			expectCode(t, s, s.Admin, "CONFLICT", q, map[string]any{"n": "ꮳꮃꭹ"})
		})

		t.Run("a role edit gives no new powers to a token that outlives the caller", func(t *testing.T) {
			rid := s.MustDo(t, s.Admin, `mutation { createRole(input: {name: "Readers of articles", permissions: [{contentType: "article", action: "read"}]}) { id } }`, nil).Str("createRole.id")
			_, tid := mint(t, s, map[string]any{"name": "forever", "type": "CUSTOM", "roleIDs": []string{rid}})
			csec, _ := mint(t, s, map[string]any{"name": "weekly", "type": "CUSTOM", "lifespan": "DAYS_7", "permissions": cells("role:read", "role:update", "article:read", "article:publish")})
			expectCode(t, s, csec, "FORBIDDEN", `mutation($id: ID!) { updateRole(id: $id, input: {permissions: [{contentType: "article", action: "read"}, {contentType: "article", action: "publish"}]}) { id } }`, map[string]any{"id": rid})
			if has(effective(t, s, tid), "article:publish") {
				t.Fatal("the token that outlives the caller gained article:publish")
			}
		})

		t.Run("a READ_ONLY token's persona keeps what was read-only then", func(t *testing.T) {
			r := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "ro ops", type: READ_ONLY, persona: {name: "Ops"}}) { apiToken { id persona { id } } } }`, nil)
			ct := s.MustDo(t, s.Admin, `{ contentTypes(where: {uid: "article"}) { edges { node { id } } } }`, nil).Get("contentTypes.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
			s.MustDo(t, s.Admin, updateCT, map[string]any{"id": ct, "input": map[string]any{"actions": actions("read*", "peek", "publish")}})
			s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": r.Str("createAPIToken.apiToken.id")})
			wsec, _ := mint(t, s, map[string]any{"name": "w", "type": "CUSTOM", "permissions": cells("api-token:read", "persona:read", "role:read", "content-type:read", "audit-event:read", "article:read", "persona:update")})
			expectCode(t, s, wsec, "FORBIDDEN", `mutation($id: ID!) { updatePersona(id: $id, input: {name: "Ops hijacked"}) { id } }`, map[string]any{"id": r.Str("createAPIToken.apiToken.persona.id")})
		})
	})
}
