package httpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

func TestPersonasRolesContentTypes(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		// Seeded catalog.
		cts := s.MustDo(t, s.Admin, `{ contentTypes { totalCount edges { node { uid system actions { name readOnly } } } } }`, nil)
		if cts.Get("contentTypes.totalCount") != float64(6) || !strings.Contains(cts.Raw, `{"name":"regenerate","readOnly":false}`) {
			t.Fatalf("system content types: %s", cts.Raw)
		}

		// Personas.
		p := s.MustDo(t, s.Admin, `mutation { createPersona(input: {name: "Partner bot", avatarURL: "https://example.com/a.png"}) { id name avatarURL } }`, nil)
		pid := p.Str("createPersona.id")
		p = s.MustDo(t, s.Admin, `mutation($id: ID!) { updatePersona(id: $id, input: {name: "Partner", description: "Acme"}) { name description avatarURL } }`, map[string]any{"id": pid})
		if p.Str("updatePersona.name") != "Partner" || p.Str("updatePersona.avatarURL") != "https://example.com/a.png" {
			t.Errorf("updatePersona: %s", p.Raw)
		}
		tok := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "partner", "type": "READ_ONLY", "personaID": pid}})
		if r := s.Do(t, s.Admin, `mutation($id: ID!) { deletePersona(id: $id) }`, map[string]any{"id": pid}); r.Code() != "CONFLICT" {
			t.Errorf("deleting a persona in use: %s", r.Raw)
		}
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": tok.Str("createAPIToken.apiToken.id")})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deletePersona(id: $id) }`, map[string]any{"id": pid})

		// A content type of the admin's own, with a custom action.
		ct := s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Articles",
			actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}]}) { id uid system actions { name readOnly } } }`, nil)
		ctID := ct.Str("createContentType.id")
		if ct.Get("createContentType.system") != false {
			t.Errorf("createContentType: %s", ct.Raw)
		}
		def := s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "comment", displayName: "Comments"}) { actions { name readOnly } } }`, nil)
		if !strings.Contains(def.Raw, `[{"name":"read","readOnly":true},{"name":"create","readOnly":false},{"name":"update","readOnly":false},{"name":"delete","readOnly":false}]`) {
			t.Errorf("default actions: %s", def.Raw)
		}

		// A role granting article:publish, on a token.
		role := s.MustDo(t, s.Admin, `mutation { createRole(input: {name: "Publisher", permissions: [{contentType: "article", action: "publish"}, {contentType: "article", action: "read"}]}) { id name permissions { contentType action } } }`, nil)
		rid := role.Str("createRole.id")
		pub := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "publisher", "type": "CUSTOM", "roleIDs": []string{rid}}})
		pubSecret := pub.Str("createAPIToken.secret")
		if r := s.MustDo(t, pubSecret, `{ authorize(contentType: "article", action: "publish") }`, nil); r.Get("authorize") != true {
			t.Errorf("authorize publish: %s", r.Raw)
		}
		role = s.MustDo(t, s.Admin, `mutation($id: ID!) { updateRole(id: $id, input: {name: "Readers", permissions: [{contentType: "article", action: "read"}]}) { name permissions { action } } }`, map[string]any{"id": rid})
		if role.Str("updateRole.name") != "Readers" {
			t.Errorf("updateRole: %s", role.Raw)
		}
		if r := s.MustDo(t, pubSecret, `{ authorize(contentType: "article", action: "publish") }`, nil); r.Get("authorize") != false {
			t.Errorf("a role edit must apply at once: %s", r.Raw)
		}

		// Removing a granted action or the content type needs detach.
		upd := `mutation($id: ID!, $detach: Boolean) { updateContentType(id: $id, detach: $detach, input: {actions: [{name: "publish", readOnly: false}]}) { actions { name } } }`
		if r := s.Do(t, s.Admin, upd, map[string]any{"id": ctID}); r.Code() != "CONFLICT" {
			t.Errorf("removing a granted action: %s", r.Raw)
		}
		s.MustDo(t, s.Admin, upd, map[string]any{"id": ctID, "detach": true})
		if r := s.MustDo(t, pubSecret, `{ authorize(contentType: "article", action: "read") }`, nil); r.Get("authorize") != false {
			t.Errorf("detached grant still works: %s", r.Raw)
		}
		s.MustDo(t, s.Admin, `mutation($id: ID!) { updateRole(id: $id, input: {permissions: [{contentType: "article", action: "publish"}]}) { id } }`, map[string]any{"id": rid})
		del := `mutation($id: ID!, $detach: Boolean) { deleteContentType(id: $id, detach: $detach) }`
		if r := s.Do(t, s.Admin, del, map[string]any{"id": ctID}); r.Code() != "CONFLICT" {
			t.Errorf("deleting a granted content type: %s", r.Raw)
		}
		s.MustDo(t, s.Admin, del, map[string]any{"id": ctID, "detach": true})

		// Deleting a role that tokens have needs detach too.
		delRole := `mutation($id: ID!, $detach: Boolean) { deleteRole(id: $id, detach: $detach) }`
		if r := s.Do(t, s.Admin, delRole, map[string]any{"id": rid}); r.Code() != "CONFLICT" {
			t.Errorf("deleting a role in use: %s", r.Raw)
		}
		s.MustDo(t, s.Admin, delRole, map[string]any{"id": rid, "detach": true})
		if r := s.Do(t, s.Admin, delRole, map[string]any{"id": rid, "detach": true}); r.Code() != "NOT_FOUND" {
			t.Errorf("deleting a role twice: %s", r.Raw)
		}

		// System content types are immutable.
		sys := s.MustDo(t, s.Admin, `{ contentTypes(where: {uid: "api-token"}) { edges { node { id } } } }`, nil)
		sysID := sys.Get("contentTypes.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
		if r := s.Do(t, s.Admin, `mutation($id: ID!) { updateContentType(id: $id, input: {displayName: "Mine"}) { id } }`, map[string]any{"id": sysID}); r.Code() != "FORBIDDEN" {
			t.Errorf("changing a system content type: %s", r.Raw)
		}
		if r := s.Do(t, s.Admin, del, map[string]any{"id": sysID, "detach": true}); r.Code() != "FORBIDDEN" {
			t.Errorf("deleting a system content type: %s", r.Raw)
		}
	})
}

// A code derived from the name is numbered rather than refused.
func TestDerivedCodes(t *testing.T) {
	s := testserver.New(t, "sqlite")
	var codes []string
	for _, name := range []string{"CI deploy", "ci-deploy!", "CI   Deploy?"} {
		codes = append(codes, s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": name, "type": "READ_ONLY"}}).Str("createAPIToken.apiToken.code"))
	}
	if strings.Join(codes, ",") != "ci-deploy,ci-deploy-2,ci-deploy-3" {
		t.Fatalf("codes %v", codes)
	}
}

func TestSeedOnce(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		before := s.Snapshot(t)
		again, err := store.Seed(context.Background(), s.Store.Client, s.App.Admin, "")
		if err != nil || again != nil {
			t.Fatalf("second seed: %v %v", again, err)
		}
		if err := s.Store.Migrate(context.Background()); err != nil {
			t.Fatalf("migrating again: %v", err)
		}
		if after := s.Snapshot(t); after != before {
			t.Fatalf("seeding twice changed the database: %s / %s", before, after)
		}
		roles := s.MustDo(t, s.Admin, `{ roles { edges { node { name } } } personas { edges { node { name } } } }`, nil)
		for _, want := range []string{"Token Manager", "Auditor", "Administrator"} {
			if !strings.Contains(roles.Raw, want) {
				t.Errorf("missing seeded %q: %s", want, roles.Raw)
			}
		}
	})
}
