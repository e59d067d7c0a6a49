package httpserver_test

import (
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Names and descriptions are counted in characters, not bytes: 100 Cyrillic
// letters (200 bytes) fit a name, 101 do not; likewise 1000 of a description.
// The audit event that copies the name keeps it too.
func TestLengthsCountCharacters(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		cyr := func(n int) string { return strings.Repeat("ж", n) }
		cases := []struct {
			name  string
			doc   string
			vars  map[string]any
			code  string // "" when accepted
			field string
		}{
			{"token of 60 Cyrillic letters", createToken, map[string]any{"input": map[string]any{"name": cyr(60), "type": "READ_ONLY"}}, "", ""},
			{"token of 100 Cyrillic letters with 1000 in its description", createToken, map[string]any{"input": map[string]any{
				"name": "т" + cyr(99), "type": "READ_ONLY", "description": cyr(1000), "persona": map[string]any{"name": "п" + cyr(99)},
			}}, "", ""},
			{"token of 101 Cyrillic letters", createToken, map[string]any{"input": map[string]any{"name": "к" + cyr(100), "type": "READ_ONLY"}}, "BAD_USER_INPUT", "name"},
			{"description of 1001 Cyrillic letters", createToken, map[string]any{"input": map[string]any{"name": "d", "type": "READ_ONLY", "description": cyr(1001)}}, "BAD_USER_INPUT", "description"},
			{"persona of 60 Cyrillic letters", `mutation($n: String!, $d: String) { createPersona(input: {name: $n, description: $d}) { id name } }`,
				map[string]any{"n": "Персона " + cyr(52), "d": cyr(1000)}, "", ""},
			{"persona of 101 Cyrillic letters", `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`, map[string]any{"n": "л" + cyr(100)}, "BAD_USER_INPUT", "name"},
			{"role of 100 Cyrillic letters", `mutation($n: String!) { createRole(input: {name: $n}) { id } }`, map[string]any{"n": "р" + cyr(99)}, "", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.Do(t, s.Admin, c.doc, c.vars)
				if r.Code() != c.code || r.Field() != c.field {
					t.Fatalf("want code %q field %q, got %s", c.code, c.field, r.Raw)
				}
			})
		}

		// The token of 100 letters is listed under its whole name, and its
		// creation is in the audit log under it.
		name := "т" + cyr(99)
		r := s.MustDo(t, s.Admin, `query($n: String!) { apiTokens(where: {name: $n}) { edges { node { name description persona { name } } } } }`, map[string]any{"n": name})
		edges, _ := r.Get("apiTokens.edges").([]any)
		if len(edges) != 1 {
			t.Fatalf("listed: %s", r.Raw)
		}
		node := edges[0].(map[string]any)["node"].(map[string]any)
		if node["name"] != name || node["description"] != cyr(1000) || node["persona"].(map[string]any)["name"] != "п"+cyr(99) {
			t.Fatalf("listed: %s", r.Raw)
		}
		a := s.MustDo(t, s.Admin, `{ auditEvents(where: {action: "api-token.create"}, orderBy: {field: CREATED_AT, direction: DESC}, first: 10) { edges { node { targetName } } } }`, nil)
		found := false
		for _, e := range a.Get("auditEvents.edges").([]any) {
			found = found || e.(map[string]any)["node"].(map[string]any)["targetName"] == name
		}
		if !found {
			t.Fatalf("no audit event names the token: %s", a.Raw)
		}
	})
}
