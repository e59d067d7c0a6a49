package httpserver_test

import (
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const tokenFields = `id name code description type status hint expiresAt lastUsedAt createdAt updatedAt
	persona { id name avatarURL } roles { id name } permissions { contentType action }
	effectivePermissions { contentType action } createdBy { id name }`

const createToken = `mutation($input: CreateAPITokenInput!) {
	createAPIToken(input: $input) { secret apiToken { ` + tokenFields + ` } } }`

const updateToken = `mutation($id: ID!, $input: UpdateAPITokenInput!) {
	updateAPIToken(id: $id, input: $input) { ` + tokenFields + ` } }`

const viewerQuery = `{ viewer { apiToken { id name } persona { name } permissions { contentType action } } }`

var secretFormat = regexp.MustCompile(`^lk_[0-9A-Za-z]{46}$`)

// roleID returns the id of a seeded role by name.
func roleID(t *testing.T, s *testserver.Server, name string) string {
	t.Helper()
	r := s.MustDo(t, s.Admin, `query($n: String!) { roles(where: {name: $n}) { edges { node { id } } } }`, map[string]any{"n": name})
	edges := r.Get("roles.edges").([]any)
	if len(edges) != 1 {
		t.Fatalf("role %q: %s", name, r.Raw)
	}
	return edges[0].(map[string]any)["node"].(map[string]any)["id"].(string)
}

func TestLifecycle(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		var secrets []string
		secrets = append(secrets, s.Admin)

		// The bootstrap token is the caller.
		v := s.MustDo(t, s.Admin, viewerQuery, nil)
		if v.Str("viewer.persona.name") != "Administrator" || v.Str("viewer.apiToken.name") != "Bootstrap" {
			t.Fatalf("viewer: %s", v.Raw)
		}

		// Create a CUSTOM token with a role, explicit permissions and a new persona.
		manager := roleID(t, s, "Auditor")
		c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{
			"name": "CI deploy bot", "description": "Deploys from CI", "type": "CUSTOM", "lifespan": "DAYS_30",
			"persona":     map[string]any{"name": "Deploy Bot", "avatarURL": "https://example.com/bot.png"},
			"roleIDs":     []string{manager},
			"permissions": []map[string]any{{"contentType": "api-token", "action": "create"}},
		}})
		sec := c.Str("createAPIToken.secret")
		secrets = append(secrets, sec)
		if !secretFormat.MatchString(sec) {
			t.Fatalf("secret %q does not match the format", sec)
		}
		id := c.Str("createAPIToken.apiToken.id")
		if got := c.Str("createAPIToken.apiToken.code"); got != "ci-deploy-bot" {
			t.Errorf("code defaults to a slug of the name, got %q", got)
		}
		if got := c.Str("createAPIToken.apiToken.hint"); got != sec[:9]+"…" {
			t.Errorf("hint = %q", got)
		}
		if c.Str("createAPIToken.apiToken.status") != "ACTIVE" || c.Str("createAPIToken.apiToken.persona.name") != "Deploy Bot" {
			t.Errorf("created: %s", c.Raw)
		}
		if c.Str("createAPIToken.apiToken.createdBy.name") != "Bootstrap" {
			t.Errorf("createdBy: %s", c.Raw)
		}
		exp, _ := time.Parse(time.RFC3339, c.Str("createAPIToken.apiToken.expiresAt"))
		if want := s.Clock.Now().AddDate(0, 0, 30); exp.Sub(want).Abs() > time.Second {
			t.Errorf("expiresAt = %v, want about %v", exp, want)
		}
		eff := c.Raw
		for _, p := range []string{`{"contentType":"audit-event","action":"read"}`, `{"contentType":"api-token","action":"create"}`} {
			if !strings.Contains(eff, p) {
				t.Errorf("effective permissions miss %s: %s", p, eff)
			}
		}

		// The new token authenticates and sees what it may.
		v = s.MustDo(t, sec, viewerQuery, nil)
		if v.Str("viewer.apiToken.id") != id || v.Str("viewer.persona.name") != "Deploy Bot" {
			t.Fatalf("viewer of new token: %s", v.Raw)
		}
		// The secret is nowhere to be read back.
		list := s.MustDo(t, s.Admin, `{ apiTokens { edges { node { `+tokenFields+` } } } }`, nil)
		if strings.Contains(list.Raw, sec) || strings.Contains(list.Raw, sec[9:]) {
			t.Fatal("the list reveals the secret")
		}

		// Update every editable field.
		u := s.MustDo(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{
			"name": "CI deploy bot v2", "code": "deploy-v2", "description": "", "lifespan": "UNLIMITED",
			"roleIDs": []string{}, "permissions": []map[string]any{{"contentType": "persona", "action": "read"}},
		}})
		if u.Str("updateAPIToken.name") != "CI deploy bot v2" || u.Str("updateAPIToken.code") != "deploy-v2" || u.Get("updateAPIToken.expiresAt") != nil {
			t.Errorf("update: %s", u.Raw)
		}
		if got := u.Get("updateAPIToken.effectivePermissions").([]any); len(got) != 1 {
			t.Errorf("after update the token holds only persona:read, got %v", got)
		}
		// The change takes effect on the very next request.
		if r := s.Do(t, sec, `{ auditEvents { totalCount } }`, nil); r.Code() != "FORBIDDEN" {
			t.Errorf("lost audit-event:read, got %s", r.Raw)
		}
		u = s.MustDo(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"type": "READ_ONLY"}})
		if u.Str("updateAPIToken.type") != "READ_ONLY" || len(u.Get("updateAPIToken.permissions").([]any)) != 0 {
			t.Errorf("type change: %s", u.Raw)
		}

		// Regenerate: the old secret stops at once.
		g := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret apiToken { hint } } }`, map[string]any{"id": id})
		newSec := g.Str("regenerateAPIToken.secret")
		secrets = append(secrets, newSec)
		if newSec == sec || !secretFormat.MatchString(newSec) {
			t.Fatalf("regenerated secret %q", newSec)
		}
		expectUnauthenticated(t, s, sec)
		s.MustDo(t, newSec, viewerQuery, nil)

		// Revoke and restore.
		r := s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { status } }`, map[string]any{"id": id})
		if r.Str("revokeAPIToken.status") != "REVOKED" {
			t.Errorf("revoke: %s", r.Raw)
		}
		expectUnauthenticated(t, s, newSec)
		r = s.MustDo(t, s.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { status } }`, map[string]any{"id": id})
		if r.Str("restoreAPIToken.status") != "ACTIVE" {
			t.Errorf("restore: %s", r.Raw)
		}
		s.MustDo(t, newSec, viewerQuery, nil)

		// Fetch through node, then delete.
		n := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { id ... on APIToken { name } } }`, map[string]any{"id": id})
		if n.Str("node.name") != "CI deploy bot v2" {
			t.Errorf("node: %s", n.Raw)
		}
		d := s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": id})
		if d.Str("deleteAPIToken") != id {
			t.Errorf("delete: %s", d.Raw)
		}
		expectUnauthenticated(t, s, newSec)
		if r := s.Do(t, s.Admin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}); r.Code() != "NOT_FOUND" {
			t.Errorf("node after delete: %s", r.Raw)
		}

		// Nothing the server logged contains a secret.
		logs := s.Logs.String()
		if !strings.Contains(logs, "request_id") || !strings.Contains(logs, `"token_id":"`+id+`","persona":"Deploy Bot"`) {
			t.Fatal("expected request logs naming the request, the token and its persona")
		}
		for _, sec := range secrets {
			if strings.Contains(logs, sec) || strings.Contains(logs, sec[9:30]) {
				t.Fatalf("a secret appears in the logs")
			}
		}
		// Nor does the audit log.
		a := s.MustDo(t, s.Admin, `{ auditEvents(first: 100) { totalCount edges { node { action targetName changes actorPersonaName requestID } } } }`, nil)
		for _, sec := range secrets {
			if strings.Contains(a.Raw, sec[9:30]) {
				t.Fatal("a secret appears in the audit log")
			}
		}
	})
}

func expectUnauthenticated(t *testing.T, s *testserver.Server, secret string) {
	t.Helper()
	r := s.Do(t, secret, viewerQuery, nil)
	if r.Status != http.StatusUnauthorized || r.Code() != "UNAUTHENTICATED" || r.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Fatalf("want 401 invalid_token, got %d %v %s", r.Status, r.Header, r.Raw)
	}
}

func TestRegenerateGracePeriod(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "rolling", "type": "READ_ONLY"}})
		old, id := c.Str("createAPIToken.secret"), c.Str("createAPIToken.apiToken.id")
		s.MustDo(t, old, viewerQuery, nil)
		g := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 60) { secret } }`, map[string]any{"id": id})
		fresh := g.Str("regenerateAPIToken.secret")
		s.MustDo(t, old, viewerQuery, nil)
		s.MustDo(t, fresh, viewerQuery, nil)
		s.Clock.Advance(59 * time.Second)
		s.MustDo(t, old, viewerQuery, nil)
		s.Clock.Advance(2 * time.Second)
		expectUnauthenticated(t, s, old)
		s.MustDo(t, fresh, viewerQuery, nil)
	})
}

// A server clock in any zone gives the same answers: times reach the
// database in UTC.
func TestClockZoneDoesNotMatter(t *testing.T) {
	for _, zone := range []*time.Location{time.FixedZone("UTC-5", -5*3600), time.FixedZone("UTC+9", 9*3600)} {
		t.Run(zone.String(), func(t *testing.T) {
			s := testserver.New(t, "sqlite")
			s.Clock.SetZone(zone)
			c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "zoned", "type": "READ_ONLY", "lifespan": "DAYS_7"}})
			old, id := c.Str("createAPIToken.secret"), c.Str("createAPIToken.apiToken.id")
			fresh := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 60) { secret } }`, map[string]any{"id": id}).Str("regenerateAPIToken.secret")
			s.MustDo(t, old, viewerQuery, nil)
			if r := s.MustDo(t, s.Admin, listQuery, map[string]any{"where": map[string]any{"status": "ACTIVE", "name": "zoned"}}); len(names(r)) != 1 {
				t.Errorf("status filter: %s", r.Raw)
			}
			s.Clock.Advance(61 * time.Second)
			expectUnauthenticated(t, s, old)
			s.MustDo(t, fresh, viewerQuery, nil)
			s.Clock.Advance(7 * 24 * time.Hour)
			expectUnauthenticated(t, s, fresh)
			if r := s.MustDo(t, s.Admin, listQuery, map[string]any{"where": map[string]any{"status": "EXPIRED"}}); !reflect.DeepEqual(names(r), []string{"zoned"}) {
				t.Errorf("expired filter: %s", r.Raw)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "weekly", "type": "READ_ONLY", "lifespan": "DAYS_7"}})
		sec, id := c.Str("createAPIToken.secret"), c.Str("createAPIToken.apiToken.id")
		at := s.Clock.Now().Add(36 * time.Hour).Format(time.RFC3339)
		c2 := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "dated", "type": "READ_ONLY", "expiresAt": at}})
		sec2 := c2.Str("createAPIToken.secret")
		s.MustDo(t, sec, viewerQuery, nil)
		s.MustDo(t, sec2, viewerQuery, nil)
		s.Clock.Advance(37 * time.Hour)
		expectUnauthenticated(t, s, sec2)
		s.MustDo(t, sec, viewerQuery, nil)
		s.Clock.Advance(6 * 24 * time.Hour)
		expectUnauthenticated(t, s, sec)
		r := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { status } } }`, map[string]any{"id": id})
		if r.Str("node.status") != "EXPIRED" {
			t.Errorf("status: %s", r.Raw)
		}
		// Giving the token a new lifespan brings it back.
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"lifespan": "DAYS_90"}})
		s.MustDo(t, sec, viewerQuery, nil)
	})
}

func TestAnonymous(t *testing.T) {
	s := testserver.New(t, "sqlite")
	r := s.Do(t, "", `{ __schema { queryType { name } } }`, nil)
	if r.Status != http.StatusOK || r.Str("__schema.queryType.name") != "Query" {
		t.Fatalf("introspection: %s", r.Raw)
	}
	for _, q := range []string{viewerQuery, `{ apiTokens { totalCount } }`, `mutation { createPersona(input: {name: "x"}) { id } }`} {
		if r := s.Do(t, "", q, nil); r.Code() != "UNAUTHENTICATED" || r.Get("viewer") != nil {
			t.Errorf("%s anonymously: %s", q, r.Raw)
		}
	}
	for _, bad := range []string{"lk_nope", "lk_" + strings.Repeat("a", 46), "short", strings.Repeat("x", 40)} {
		expectUnauthenticated(t, s, bad)
	}
}

func TestHealth(t *testing.T) {
	s := testserver.New(t, "sqlite")
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		res, err := s.Client().Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	s.Store.Close()
	res, err := s.Client().Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d", res.StatusCode)
	}
}

func TestMetrics(t *testing.T) {
	s := testserver.New(t, "sqlite")
	s.MustDo(t, s.Admin, viewerQuery, nil)
	s.MustDo(t, s.Admin, viewerQuery, nil)
	s.Do(t, "lk_nope", viewerQuery, nil)
	res, err := s.Client().Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		"latchkey_token_lookups_total 1", "latchkey_token_cache_hits_total 1", "latchkey_auth_failures_total 1",
		`latchkey_http_requests_total{code="401",route="graphql"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(string(body), s.Admin) {
		t.Error("/metrics shows a secret")
	}
}
