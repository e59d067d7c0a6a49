package httpserver_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Every bad input gets its code (and the field at fault) and changes nothing.
func TestBadInput(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		existing := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{
			"name": "Forums", "code": "forums", "type": "READ_ONLY", "secret": "my-own-secret-that-is-long-enough-1234",
		}})
		tokenID := existing.Str("createAPIToken.apiToken.id")
		personaID := existing.Str("createAPIToken.apiToken.persona.id")
		gone := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "gone", "type": "READ_ONLY"}}).Str("createAPIToken.apiToken.id")
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": gone})

		create := func(in map[string]any) (string, map[string]any) {
			base := map[string]any{"name": "new token", "type": "READ_ONLY"}
			for k, v := range in {
				base[k] = v
			}
			return createToken, map[string]any{"input": base}
		}
		past := s.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		future := s.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		cases := []struct {
			name  string
			doc   string
			vars  map[string]any
			code  string
			field string
		}{
			{"empty name", createToken, map[string]any{"input": map[string]any{"name": "  ", "type": "READ_ONLY"}}, "BAD_USER_INPUT", "name"},
			{"control character in a name", createToken, map[string]any{"input": map[string]any{"name": "evil\r\nX-Latchkey-Persona: Administrator", "type": "READ_ONLY"}}, "BAD_USER_INPUT", "name"},
			{"101-char name", createToken, map[string]any{"input": map[string]any{"name": strings.Repeat("n", 101), "type": "READ_ONLY"}}, "BAD_USER_INPUT", "name"},
			{"name differing only in case", createToken, map[string]any{"input": map[string]any{"name": "FORUMS", "type": "READ_ONLY"}}, "CONFLICT", "name"},
			{"bad code slug", "", nil, "BAD_USER_INPUT", "code"},
			{"duplicate code", "", nil, "CONFLICT", "code"},
			{"unknown type", createToken, map[string]any{"input": map[string]any{"name": "x", "type": "SUPERUSER"}}, "BAD_USER_INPUT", ""},
			{"expiresAt in the past", "", nil, "BAD_USER_INPUT", "expiresAt"},
			{"lifespan and expiresAt", "", nil, "BAD_USER_INPUT", "expiresAt"},
			{"short own secret", "", nil, "BAD_USER_INPUT", "secret"},
			{"malformed lk_ own secret", "", nil, "BAD_USER_INPUT", "secret"},
			{"own secret already used", "", nil, "CONFLICT", "secret"},
			{"unknown persona", "", nil, "BAD_USER_INPUT", "personaID"},
			{"persona by id and inline", "", nil, "BAD_USER_INPUT", "persona"},
			{"bad avatar URL", "", nil, "BAD_USER_INPUT", "persona.avatarURL"},
			{"plain http avatar URL", `mutation { createPersona(input: {name: "p", avatarURL: "http://10.0.0.1/cgi-bin/reboot"}) { id } }`, nil, "BAD_USER_INPUT", "avatarURL"},
			{"unknown role", "", nil, "BAD_USER_INPUT", "roleIDs"},
			{"roles on a READ_ONLY token", "", nil, "BAD_USER_INPUT", "roleIDs"},
			{"unknown content type", "", nil, "BAD_USER_INPUT", "permissions"},
			{"unknown action", "", nil, "BAD_USER_INPUT", "permissions"},
			{"malformed node id", updateToken, map[string]any{"id": "not-an-id", "input": map[string]any{"name": "x"}}, "NOT_FOUND", ""},
			{"foreign node id", updateToken, map[string]any{"id": personaID, "input": map[string]any{"name": "x"}}, "NOT_FOUND", ""},
			{"deleting an id twice", `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": gone}, "NOT_FOUND", ""},
			{"rename to an existing name", updateToken, nil, "CONFLICT", "name"},
			{"negative grace period", `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: -1) { secret } }`, map[string]any{"id": tokenID}, "BAD_USER_INPUT", "gracePeriodSeconds"},
			{"empty role name", `mutation { createRole(input: {name: ""}) { id } }`, nil, "BAD_USER_INPUT", "name"},
			{"duplicate role name", `mutation { createRole(input: {name: "auditor"}) { id } }`, nil, "CONFLICT", "name"},
			{"bad content type uid", `mutation { createContentType(input: {uid: "Not A Slug", displayName: "x"}) { id } }`, nil, "BAD_USER_INPUT", "uid"},
			{"duplicate action", `mutation { createContentType(input: {uid: "article", displayName: "Articles", actions: [{name: "read", readOnly: true}, {name: "read", readOnly: false}]}) { id } }`, nil, "BAD_USER_INPUT", "actions"},
			{"system content type uid taken", `mutation { createContentType(input: {uid: "api-token", displayName: "x"}) { id } }`, nil, "CONFLICT", "uid"},
			{"bad persona name", `mutation { createPersona(input: {name: ""}) { id } }`, nil, "BAD_USER_INPUT", "name"},
		}
		fill := map[string]map[string]any{
			"bad code slug":              {"code": "Not A Slug!"},
			"duplicate code":             {"code": "forums"},
			"expiresAt in the past":      {"expiresAt": past},
			"lifespan and expiresAt":     {"expiresAt": future, "lifespan": "DAYS_7"},
			"short own secret":           {"secret": "too-short"},
			"malformed lk_ own secret":   {"secret": "lk_" + strings.Repeat("A", 46)},
			"own secret already used":    {"secret": "my-own-secret-that-is-long-enough-1234"},
			"unknown persona":            {"personaID": "per_AAAAAAAAAAAAAAAAAAAA"},
			"persona by id and inline":   {"personaID": personaID, "persona": map[string]any{"name": "p"}},
			"bad avatar URL":             {"persona": map[string]any{"name": "p", "avatarURL": "javascript:alert(1)"}},
			"unknown role":               {"type": "CUSTOM", "roleIDs": []string{"rol_AAAAAAAAAAAAAAAAAAAA"}},
			"roles on a READ_ONLY token": {"roleIDs": []string{roleID(t, s, "Auditor")}},
			"unknown content type":       {"type": "CUSTOM", "permissions": []map[string]any{{"contentType": "nope", "action": "read"}}},
			"unknown action":             {"type": "CUSTOM", "permissions": []map[string]any{{"contentType": "api-token", "action": "fly"}}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				doc, vars := tc.doc, tc.vars
				if in, ok := fill[tc.name]; ok {
					doc, vars = create(in)
				}
				if tc.name == "rename to an existing name" {
					other := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "other", "type": "READ_ONLY"}}).Str("createAPIToken.apiToken.id")
					vars = map[string]any{"id": other, "input": map[string]any{"name": "forums", "description": "changed"}}
				}
				before := s.Snapshot(t)
				r := s.Do(t, s.Admin, doc, vars)
				if r.Code() != tc.code || (tc.field != "" && r.Field() != tc.field) {
					t.Fatalf("want %s on %q, got %s", tc.code, tc.field, r.Raw)
				}
				if after := s.Snapshot(t); after != before {
					t.Fatalf("a failed mutation changed the database:\nbefore %s\nafter  %s", before, after)
				}
				if strings.Contains(r.Raw, "SELECT") || strings.Contains(r.Raw, "INSERT") || strings.Contains(r.Raw, ".go:") {
					t.Fatalf("internal detail leaked: %s", r.Raw)
				}
			})
		}
	})
}

// Bad arguments and over-expensive queries are the client's fault.
func TestBadArguments(t *testing.T) {
	s := testserver.New(t, "sqlite")
	cases := []struct {
		name, doc string
		field     string
	}{
		{"garbage cursor", `{ apiTokens(after: "garbage") { totalCount } }`, ""},
		{"negative first", `{ apiTokens(first: -1) { totalCount } }`, ""},
		{"page too large", `{ apiTokens(first: 5000) { totalCount } }`, "first"},
		{"last too large", `{ roles(last: 1001) { totalCount } }`, "last"},
		{"bad time", `{ auditEvents(where: {createdAtGT: "yesterday"}) { totalCount } }`, ""},
		{"unknown enum", `{ apiTokens(where: {type: ROOT}) { totalCount } }`, ""},
		{"syntax error", `{ apiTokens(`, ""},
		{"too expensive", `{ personas(first: 1000) { edges { node { tokens(first: 1000) { edges { node { id name code } } } } } } }`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(t, s.Admin, tc.doc, nil)
			if r.Code() != "BAD_USER_INPUT" || (tc.field != "" && r.Field() != tc.field) {
				t.Fatalf("want BAD_USER_INPUT, got %s", r.Raw)
			}
		})
	}
	// Without first or last a page holds 100 records.
	for i := range 101 {
		s.MustDo(t, s.Admin, `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`, map[string]any{"n": fmt.Sprintf("p%03d", i)})
	}
	r := s.MustDo(t, s.Admin, `{ personas { totalCount edges { node { id } } pageInfo { hasNextPage } } }`, nil)
	if n := len(r.Get("personas.edges").([]any)); n != 100 || r.Get("personas.pageInfo.hasNextPage") != true {
		t.Fatalf("default page: %d edges, %s", n, r.Raw[:200])
	}
}
