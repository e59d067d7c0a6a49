package httpserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Regression tests from an attack review of the access rules.

// graphQLWithUA sends a GraphQL request with the given User-Agent and
// returns the answer's body.
func graphQLWithUA(t *testing.T, s *testserver.Server, secret, ua, query string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("User-Agent", ua)
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.Status + " " + string(raw)
}

// userAgents are headers the audit copy once refused (more than 512 bytes
// of non-ASCII, invalid UTF-8), which rolled back the change it recorded.
var userAgents = []string{"curl/8.0", strings.Repeat("ж", 300), "Mozilla/5.0 (Z\xfcrich)", strings.Repeat("a", 600)}

// Presenting a secret its token rotated away revokes the token, whatever
// User-Agent comes with it: the revocation's audit copy must not fail.
func TestReuseRevokesWhateverTheUserAgent(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		for i, ua := range userAgents {
			r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "reuse " + string(rune('a'+i)), "type": "FULL_ACCESS", "allowSelfRotation": true}})
			id, old := r.Str("createAPIToken.apiToken.id"), r.Str("createAPIToken.secret")
			s.MustDo(t, old, `mutation { rotateViewerToken { secret } }`, nil)
			got := graphQLWithUA(t, s, old, ua, `{ viewer { apiToken { id } } }`, nil)
			st := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { status } } }`, map[string]any{"id": id}).Str("node.status")
			if st != "REVOKED" {
				t.Errorf("rotated-away secret presented with a User-Agent of %d bytes: token %s, answer %.200s", len(ua), st, got)
			}
		}
	})
}

// A mutation succeeds whatever the client's User-Agent.
func TestMutationsWhateverTheUserAgent(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		for i, ua := range userAgents {
			got := graphQLWithUA(t, s, s.Admin, ua, createToken, map[string]any{"input": map[string]any{"name": "ua " + string(rune('a'+i)), "type": "READ_ONLY"}})
			if strings.Contains(got, `"errors"`) {
				t.Errorf("User-Agent of %d bytes: %.400s", len(ua), got)
			}
		}
	})
}

// A limited token that may update itself cannot reset its rate limit by
// renaming (or resizing) it: counters belong to the period.
func TestRenamingOwnLimitKeepsTheCount(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		in := map[string]any{"name": "limited self", "type": "CUSTOM",
			"permissions": []map[string]any{{"contentType": "api-token", "action": "read"}, {"contentType": "api-token", "action": "update"}},
			"rateLimits":  []map[string]any{{"name": "hourly", "limit": 3, "periodSeconds": 3600}}}
		r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": in})
		sec, id := r.Str("createAPIToken.secret"), r.Str("createAPIToken.apiToken.id")
		allowed := 0
		for round, name := range []string{"hourly-a", "hourly-b", "hourly-c", "hourly-d"} {
			for range 2 {
				if forwardAuth(t, s, sec, nil, nil).StatusCode == http.StatusOK {
					allowed++
				}
			}
			u := s.Do(t, sec, `mutation($id: ID!, $n: String!) { updateAPIToken(id: $id, input: {rateLimits: [{name: $n, limit: 3, periodSeconds: 3600}]}) { id } }`, map[string]any{"id": id, "n": name})
			t.Logf("round %d: rename to %s: %.200s", round, name, u.Raw)
		}
		// The first rename spends a unit too (every authenticated request
		// does): 2 verifications + 1 mutation fill the hour.
		if allowed > 2 {
			t.Errorf("a token limited to 3 an hour got %d verifications while renaming its own limit", allowed)
		}
	})
}

// A name of at most 100 characters whose comparison key (NFKC, case
// folded) would not fit its column is refused at the name, with a reason.
func TestNameWhoseFoldIsTooLong(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		for _, name := range []string{strings.Repeat("ﷺ", 13), strings.Repeat("ΐ", 100)} {
			for what, q := range map[string]string{
				"token":   `mutation($n: String!) { createAPIToken(input: {name: $n, type: READ_ONLY}) { secret } }`,
				"persona": `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`,
				"role":    `mutation($n: String!) { createRole(input: {name: $n}) { id } }`,
			} {
				r := s.Do(t, s.Admin, q, map[string]any{"n": name})
				if r.Code() != "BAD_USER_INPUT" || r.Field() != "name" {
					t.Errorf("%s named %d × %q: code %q field %q: %.300s", what, len([]rune(name)), []rune(name)[0], r.Code(), r.Field(), r.Raw)
				}
			}
		}
	})
}

// nameContainsFold means the same inside hasCreatedByWith as at the top:
// the folded-substring rule, in the list and in a bulk revoke alike.
func TestNestedNameSearchSameRule(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		parent := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "Straße Deploy", "type": "FULL_ACCESS"}}).Str("createAPIToken.secret")
		s.MustDo(t, parent, createToken, map[string]any{"input": map[string]any{"name": "child one", "type": "READ_ONLY"}})
		list := func(w map[string]any) []string {
			r := s.MustDo(t, s.Admin, `query($w: APITokenWhereInput) { apiTokens(first: 100, where: $w) { edges { node { name } } } }`, map[string]any{"w": w})
			var out []string
			for _, e := range r.Get("apiTokens.edges").([]any) {
				out = append(out, e.(map[string]any)["node"].(map[string]any)["name"].(string))
			}
			sort.Strings(out)
			return out
		}
		if top := list(map[string]any{"nameContainsFold": "strasse"}); len(top) != 1 || top[0] != "Straße Deploy" {
			t.Errorf("top-level search: %v", top)
		}
		if nested := list(map[string]any{"hasCreatedByWith": []any{map[string]any{"nameContainsFold": "strasse"}}}); len(nested) != 1 || nested[0] != "child one" {
			t.Errorf("search on the creator: %v", nested)
		}
		d := s.MustDo(t, s.Admin, `mutation { revokeAPITokens(where: {hasCreatedByWith: [{nameContainsFold: "strasse"}]}, dryRun: true) { count } }`, nil)
		if n := d.Get("revokeAPITokens.count"); n != float64(1) {
			t.Errorf("bulk revoke dry run by the creator's name: %v", n)
		}
	})
}
