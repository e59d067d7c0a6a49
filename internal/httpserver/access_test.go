package httpserver_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const (
	fakeToken   = "tok_AAAAAAAAAAAAAAAAAAAA"
	fakePersona = "per_AAAAAAAAAAAAAAAAAAAA"
	fakeRole    = "rol_AAAAAAAAAAAAAAAAAAAA"
	fakeCT      = "ctp_AAAAAAAAAAAAAAAAAAAA"
)

// probe is a GraphQL call that needs exactly one permission and changes
// nothing whether or not it is allowed: allowed, it fails on its input or
// finds nothing; denied, it is FORBIDDEN.
var probes = map[string]string{
	"api-token:read":       `{ apiTokens { totalCount } }`,
	"api-token:create":     `mutation { createAPIToken(input: {name: "", type: READ_ONLY}) { secret } }`,
	"api-token:update":     `mutation { updateAPIToken(id: "` + fakeToken + `", input: {}) { id } }`,
	"api-token:delete":     `mutation { deleteAPIToken(id: "` + fakeToken + `") }`,
	"api-token:regenerate": `mutation { regenerateAPIToken(id: "` + fakeToken + `") { secret } }`,
	"api-token:revoke":     `mutation { revokeAPIToken(id: "` + fakeToken + `") { id } }`,
	"persona:read":         `{ personas { totalCount } }`,
	"persona:create":       `mutation { createPersona(input: {name: ""}) { id } }`,
	"persona:update":       `mutation { updatePersona(id: "` + fakePersona + `", input: {}) { id } }`,
	"persona:delete":       `mutation { deletePersona(id: "` + fakePersona + `") }`,
	"role:read":            `{ roles { totalCount } }`,
	"role:create":          `mutation { createRole(input: {name: ""}) { id } }`,
	"role:update":          `mutation { updateRole(id: "` + fakeRole + `", input: {}) { id } }`,
	"role:delete":          `mutation { deleteRole(id: "` + fakeRole + `") }`,
	"content-type:read":    `{ contentTypes { totalCount } }`,
	"content-type:create":  `mutation { createContentType(input: {uid: "", displayName: ""}) { id } }`,
	"content-type:update":  `mutation { updateContentType(id: "` + fakeCT + `", input: {}) { id } }`,
	"content-type:delete":  `mutation { deleteContentType(id: "` + fakeCT + `") }`,
	"audit-event:read":     `{ auditEvents { totalCount } }`,
	"webhook:read":         `{ webhookEndpoints { totalCount } }`,
	"webhook:create":       `mutation { createWebhookEndpoint(input: {url: "", events: []}) { secret } }`,
	"webhook:update":       `mutation { updateWebhookEndpoint(id: "whk_AAAAAAAAAAAAAAAAAAAA", input: {}) { id } }`,
	"webhook:delete":       `mutation { deleteWebhookEndpoint(id: "whk_AAAAAAAAAAAAAAAAAAAA") }`,
	"webhook:redeliver":    `mutation { redeliverWebhook(deliveryID: "whd_AAAAAAAAAAAAAAAAAAAA") { id } }`,
}

func cells(list ...string) []map[string]any {
	out := make([]map[string]any, len(list))
	for i, c := range list {
		ct, action, _ := strings.Cut(c, ":")
		out[i] = map[string]any{"contentType": ct, "action": action}
	}
	return out
}

// The permission matrix, field by field, for every kind of token.
func TestPermissionMatrix(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		mint := func(in map[string]any) string {
			return s.MustDo(t, s.Admin, createToken, map[string]any{"input": in}).Str("createAPIToken.secret")
		}
		tokens := []struct {
			name, secret string
			allowed      []string
		}{
			{"READ_ONLY", mint(map[string]any{"name": "ro", "type": "READ_ONLY"}),
				[]string{"api-token:read", "persona:read", "role:read", "content-type:read", "audit-event:read"}},
			{"FULL_ACCESS", mint(map[string]any{"name": "full", "type": "FULL_ACCESS"}), nil},
			{"CUSTOM with a role", mint(map[string]any{"name": "manager", "type": "CUSTOM", "roleIDs": []string{roleID(t, s, "Token Manager")}}),
				[]string{"api-token:read", "api-token:create", "api-token:update", "api-token:delete", "api-token:regenerate", "api-token:revoke", "persona:read", "persona:create", "persona:update", "role:read", "content-type:read"}},
			{"CUSTOM with permissions", mint(map[string]any{"name": "explicit", "type": "CUSTOM", "permissions": cells("persona:delete", "role:create", "audit-event:read")}),
				[]string{"persona:delete", "role:create", "audit-event:read"}},
		}
		before := s.Snapshot(t)
		for _, tok := range tokens {
			for _, ct := range admin.SystemContentTypes() {
				for _, a := range ct.Actions {
					cell := ct.UID + ":" + a.Name
					want := tok.name == "FULL_ACCESS" || slices.Contains(tok.allowed, cell)
					r := s.Do(t, tok.secret, probes[cell], nil)
					if got := r.Code() != "FORBIDDEN"; got != want || r.Code() == "UNAUTHENTICATED" {
						t.Errorf("%s × %s: allowed=%v, want %v (%s)", tok.name, cell, got, want, r.Raw)
					}
					q := fmt.Sprintf(`{ authorize(contentType: %q, action: %q) }`, ct.UID, a.Name)
					if got := s.MustDo(t, tok.secret, q, nil).Get("authorize"); got != want {
						t.Errorf("authorize %s × %s = %v, want %v", tok.name, cell, got, want)
					}
				}
			}
		}
		if after := s.Snapshot(t); after != before {
			t.Fatalf("probes changed the database: %s / %s", before, after)
		}

		// A content type registered after the tokens were made.
		s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Articles", actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}]}) { id } }`, nil)
		later := map[string][2]bool{ // read, publish
			"READ_ONLY": {true, false}, "FULL_ACCESS": {true, true}, "CUSTOM with a role": {false, false}, "CUSTOM with permissions": {false, false},
		}
		for _, tok := range tokens {
			for i, action := range []string{"read", "publish"} {
				got := s.MustDo(t, tok.secret, `query($a: String!) { authorize(contentType: "article", action: $a) }`, map[string]any{"a": action}).Get("authorize")
				if got != later[tok.name][i] {
					t.Errorf("%s × article:%s = %v, want %v", tok.name, action, got, later[tok.name][i])
				}
			}
		}
		// Unknown content types and actions are never allowed, even to FULL_ACCESS.
		if got := s.MustDo(t, tokens[1].secret, `{ authorize(contentType: "nope", action: "read") }`, nil).Get("authorize"); got != false {
			t.Errorf("unknown content type allowed")
		}
	})
}

// No way up: a caller can only grant what it holds.
func TestPrivilegeCeiling(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		manager := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{
			"name": "manager", "type": "CUSTOM", "roleIDs": []string{roleID(t, s, "Token Manager")}, "permissions": cells("role:create", "role:update"),
		}})
		m, mID := manager.Str("createAPIToken.secret"), manager.Str("createAPIToken.apiToken.id")
		bootID := s.MustDo(t, s.Admin, viewerQuery, nil).Str("viewer.apiToken.id")
		adminPersona := s.MustDo(t, s.Admin, `{ viewer { persona { id } } }`, nil).Str("viewer.persona.id")
		s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Articles", actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}]}) { id } }`, nil)
		articleID := s.MustDo(t, s.Admin, `{ contentTypes(where: {uid: "article"}) { edges { node { id } } } }`, nil).Get("contentTypes.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
		typist := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "typist", "type": "CUSTOM",
			"permissions": cells("content-type:read", "content-type:update", "article:read")}}).Str("createAPIToken.secret")
		readers := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "all reads", "type": "CUSTOM",
			"permissions": cells("api-token:read", "api-token:create", "persona:read", "role:read", "content-type:read", "audit-event:read", "article:read")}}).Str("createAPIToken.secret")
		cases := []struct {
			name   string
			caller string
			doc    string
			vars   map[string]any
			code   string
		}{
			{"FULL_ACCESS from a CUSTOM caller", m, createToken, map[string]any{"input": map[string]any{"name": "x1", "type": "FULL_ACCESS"}}, "FORBIDDEN"},
			{"READ_ONLY without every read", m, createToken, map[string]any{"input": map[string]any{"name": "x2", "type": "READ_ONLY"}}, "FORBIDDEN"},
			{"READ_ONLY from a caller holding every read", readers, createToken, map[string]any{"input": map[string]any{"name": "x3", "type": "READ_ONLY"}}, ""},
			{"CUSTOM within the caller", m, createToken, map[string]any{"input": map[string]any{"name": "x4", "type": "CUSTOM", "permissions": cells("api-token:read", "persona:create")}}, ""},
			{"CUSTOM beyond the caller", m, createToken, map[string]any{"input": map[string]any{"name": "x5", "type": "CUSTOM", "permissions": cells("api-token:read", "audit-event:read")}}, "FORBIDDEN"},
			{"a role the caller does not cover", m, createToken, map[string]any{"input": map[string]any{"name": "x6", "type": "CUSTOM", "roleIDs": []string{roleID(t, s, "Auditor")}}}, "FORBIDDEN"},
			{"raising its own token", m, updateToken, map[string]any{"id": mID, "input": map[string]any{"permissions": cells("role:create", "role:update", "role:delete")}}, "FORBIDDEN"},
			{"making itself FULL_ACCESS", m, updateToken, map[string]any{"id": mID, "input": map[string]any{"type": "FULL_ACCESS"}}, "FORBIDDEN"},
			{"editing a stronger token", m, updateToken, map[string]any{"id": bootID, "input": map[string]any{"description": "mine now"}}, "FORBIDDEN"},
			{"regenerating a stronger token", m, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, map[string]any{"id": bootID}, "FORBIDDEN"},
			{"a role beyond the caller", m, `mutation { createRole(input: {name: "Escalator", permissions: [{contentType: "role", action: "delete"}]}) { id } }`, nil, "FORBIDDEN"},
			{"a role within the caller", m, `mutation { createRole(input: {name: "Helpers", permissions: [{contentType: "persona", action: "read"}]}) { id } }`, nil, ""},
			{"taking on a stronger token's persona", m, updateToken, map[string]any{"id": mID, "input": map[string]any{"personaID": adminPersona}}, "FORBIDDEN"},
			{"a new token acting as a stronger token's persona", m, createToken, map[string]any{"input": map[string]any{"name": "x7", "type": "CUSTOM", "personaID": adminPersona}}, "FORBIDDEN"},
			{"renaming a stronger token's persona", m, `mutation($id: ID!) { updatePersona(id: $id, input: {name: "Mallory"}) { id } }`, map[string]any{"id": adminPersona}, "FORBIDDEN"},
			{"deleting a stronger token", m, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": bootID}, "FORBIDDEN"},
			{"making an action it lacks read-only", typist, `mutation($id: ID!) { updateContentType(id: $id, input: {actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: true}]}) { id } }`, map[string]any{"id": articleID}, "FORBIDDEN"},
			{"editing actions it holds", typist, `mutation($id: ID!) { updateContentType(id: $id, input: {actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}, {name: "archive", readOnly: false}]}) { id } }`, map[string]any{"id": articleID}, ""},
			{"reading tokens through persona filters", typist, `{ personas(where: {hasTokensWith: [{name: "Bootstrap"}]}) { totalCount } }`, nil, "BAD_USER_INPUT"},
			{"reading its creator without api-token:read", typist, `{ viewer { apiToken { createdBy { name } } } }`, nil, "FORBIDDEN"},
			{"editing a role beyond the caller", m, `mutation($id: ID!) { updateRole(id: $id, input: {description: "x"}) { id } }`, map[string]any{"id": roleID(t, s, "Auditor")}, "FORBIDDEN"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := s.Snapshot(t)
				r := s.Do(t, tc.caller, tc.doc, tc.vars)
				if r.Code() != tc.code {
					t.Fatalf("want %q, got %s", tc.code, r.Raw)
				}
				if tc.code != "" && s.Snapshot(t) != before {
					t.Fatal("a refused grant changed the database")
				}
			})
		}
	})
}

// Property: whatever random caller asks for whatever random grant, a token
// that gets created never holds a permission its creator lacks, and a
// refusal only happens when the grant really exceeds the creator.
func TestPrivilegeCeilingProperty(t *testing.T) {
	s := testserver.New(t, "sqlite")
	all := slices.Sorted(func(yield func(string) bool) {
		for cell := range probes {
			if !yield(cell) {
				return
			}
		}
	})
	roleIDs := []string{roleID(t, s, "Token Manager"), roleID(t, s, "Auditor")}
	roleCells := map[string][]string{}
	for _, id := range roleIDs {
		r := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on Role { permissions { contentType action } } } }`, map[string]any{"id": id})
		for _, p := range r.Get("node.permissions").([]any) {
			pm := p.(map[string]any)
			roleCells[id] = append(roleCells[id], pm["contentType"].(string)+":"+pm["action"].(string))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	subset := func(p float64) []string {
		var out []string
		for _, c := range all {
			if rng.Float64() < p {
				out = append(out, c)
			}
		}
		return out
	}
	reads := []string{"api-token:read", "persona:read", "role:read", "content-type:read", "audit-event:read"}
	created, refused := 0, 0
	for i := range 60 {
		held := append(subset(0.5), "api-token:create")
		caller := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{
			"name": fmt.Sprintf("caller %d", i), "type": "CUSTOM", "permissions": cells(held...)}}).Str("createAPIToken.secret")
		typ := []string{"READ_ONLY", "FULL_ACCESS", "CUSTOM", "CUSTOM", "CUSTOM"}[rng.IntN(5)]
		in := map[string]any{"name": fmt.Sprintf("grant %d", i), "type": typ}
		var want []string
		switch typ {
		case "READ_ONLY":
			want = reads
		case "FULL_ACCESS":
			want = all
		default:
			own := subset(0.15)
			in["permissions"] = cells(own...)
			want = own
			if rng.IntN(3) == 0 {
				id := roleIDs[rng.IntN(2)]
				in["roleIDs"] = []string{id}
				want = append(want, roleCells[id]...)
			}
		}
		exceeds := typ == "FULL_ACCESS" && !slices.Equal(held, all)
		for _, c := range want {
			if !slices.Contains(held, c) {
				exceeds = true
			}
		}
		// Only the id: the caller may lack api-token:read (TestPayloadNeedsRead).
		r := s.Do(t, caller, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { apiToken { id } } }`, map[string]any{"input": in})
		switch {
		case r.Code() == "FORBIDDEN":
			refused++
			if !exceeds {
				t.Errorf("refused a grant within the caller: held %v, asked %v: %s", held, in, r.Raw)
			}
		case r.Code() != "":
			t.Fatalf("unexpected error: %s", r.Raw)
		default:
			created++
			got := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { effectivePermissions { contentType action } } } }`, map[string]any{"id": r.Str("createAPIToken.apiToken.id")})
			for _, p := range got.Get("node.effectivePermissions").([]any) {
				pm := p.(map[string]any)
				if c := pm["contentType"].(string) + ":" + pm["action"].(string); !slices.Contains(held, c) {
					t.Errorf("escalation: caller without %s created a token holding it (%v)", c, in)
				}
			}
		}
	}
	if created == 0 || refused == 0 {
		t.Fatalf("the property test exercised only one side: %d created, %d refused", created, refused)
	}
}

func TestIntrospectToken(t *testing.T) {
	s := testserver.New(t, "sqlite")
	c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "svc", "type": "READ_ONLY", "lifespan": "DAYS_7", "persona": map[string]any{"name": "Service"}}})
	sec := c.Str("createAPIToken.secret")
	q := `query($s: String!) { introspectToken(secret: $s) { active apiToken { name } persona { name } permissions { contentType action } expiresAt } }`
	r := s.MustDo(t, s.Admin, q, map[string]any{"s": sec})
	if r.Get("introspectToken.active") != true || r.Str("introspectToken.persona.name") != "Service" || r.Str("introspectToken.expiresAt") == "" || len(r.Get("introspectToken.permissions").([]any)) != 5 {
		t.Errorf("active token: %s", r.Raw)
	}
	s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": c.Str("createAPIToken.apiToken.id")})
	for _, secret := range []string{sec, "lk_garbage", "x"} {
		r := s.MustDo(t, s.Admin, q, map[string]any{"s": secret})
		if r.Get("introspectToken.active") != false || r.Get("introspectToken.apiToken") != nil {
			t.Errorf("inactive %q: %s", secret, r.Raw)
		}
	}
	// It needs api-token:read.
	other := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "p", "type": "CUSTOM", "permissions": cells("persona:read")}}).Str("createAPIToken.secret")
	if r := s.Do(t, other, q, map[string]any{"s": sec}); r.Code() != "FORBIDDEN" {
		t.Errorf("without api-token:read: %s", r.Raw)
	}
}

func TestNodeNeedsReadOfItsType(t *testing.T) {
	s := testserver.New(t, "sqlite")
	c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "personas only", "type": "CUSTOM", "permissions": cells("persona:read")}})
	sec := c.Str("createAPIToken.secret")
	tokID, perID := c.Str("createAPIToken.apiToken.id"), c.Str("createAPIToken.apiToken.persona.id")
	if r := s.Do(t, sec, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": tokID}); r.Code() != "FORBIDDEN" {
		t.Errorf("node of a token without api-token:read: %s", r.Raw)
	}
	if r := s.Do(t, sec, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{perID, tokID}}); r.Code() != "FORBIDDEN" {
		t.Errorf("nodes mixing types: %s", r.Raw)
	}
	s.MustDo(t, sec, `query($id: ID!) { node(id: $id) { id ... on Persona { name } } }`, map[string]any{"id": perID})
	if r := s.Do(t, sec, `query($id: ID!) { node(id: $id) { ... on Persona { tokens { totalCount } } } }`, map[string]any{"id": perID}); r.Code() != "FORBIDDEN" {
		t.Errorf("a persona's tokens without api-token:read: %s", r.Raw)
	}
}

func TestFailedAuthenticationRateLimit(t *testing.T) {
	trustLoopback := func(c *config.Config) {
		c.AuthFailureBurst, c.AuthFailureRate = 3, 0.001
		c.TrustedProxies = append(c.TrustedProxies, mustPrefix("127.0.0.1/32"))
	}
	s := testserver.New(t, "sqlite", testserver.Config(trustLoopback))
	from := func(ip, secret string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ viewer { persona { name } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("X-Forwarded-For", ip)
		res, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	bad := "lk_" + strings.Repeat("Z", 46)
	for i := range 3 {
		if res := from("203.0.113.9", bad); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad attempt %d: %d", i+1, res.StatusCode)
		}
	}
	res := from("203.0.113.9", bad)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("4th bad attempt: %d %v", res.StatusCode, res.Header)
	}
	fresh := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "fresh", "type": "READ_ONLY"}}).Str("createAPIToken.secret")
	if res := from("198.51.100.7", s.Admin); res.StatusCode != http.StatusOK {
		t.Errorf("a good token from another IP: %d", res.StatusCode)
	}
	// From the limited IP, a token verified moments ago still works (it costs
	// no lookup), but nothing is looked up until the bucket refills.
	if res := from("203.0.113.9", s.Admin); res.StatusCode != http.StatusOK {
		t.Errorf("limited IP with a cached good token: %d", res.StatusCode)
	}
	if res := from("203.0.113.9", fresh); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("limited IP with an uncached token: %d", res.StatusCode)
	}
	// Without trusted proxies, X-Forwarded-For cannot be used to dodge the limit.
	s2 := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) { c.AuthFailureBurst, c.AuthFailureRate = 2, 0.001 }))
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodPost, s2.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Authorization", "Bearer "+bad)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i))
		res, err := s2.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusUnauthorized
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if res.StatusCode != want {
			t.Errorf("spoofed attempt %d: %d, want %d", i, res.StatusCode, want)
		}
	}
	rl := s2.Do(t, bad, viewerQuery, nil)
	if rl.Code() != "RATE_LIMITED" {
		t.Errorf("RATE_LIMITED code: %s", rl.Raw)
	}
}
