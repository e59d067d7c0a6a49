package httpserver_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/metadata"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Issue 9, item 4: metadata on tokens and personas, a persona's external id,
// both passed upstream by /auth/verify and shown by introspectToken and viewer.

const createPersonaDoc = `mutation($input: CreatePersonaInput!) { createPersona(input: $input) { id name externalID metadata } }`
const updatePersonaDoc = `mutation($id: ID!, $input: UpdatePersonaInput!) { updatePersona(id: $id, input: $input) { id externalID metadata } }`

// nested builds a JSON object nested depth levels deep.
func nested(depth int) map[string]any {
	m := map[string]any{"leaf": true}
	for range depth - 1 {
		m = map[string]any{"k": m}
	}
	return m
}

func manyKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = i
	}
	return m
}

// Every bad metadata or external id is refused with its field, and changes nothing.
func TestMetadataValidation(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		taken := s.MustDo(t, s.Admin, createPersonaDoc, map[string]any{"input": map[string]any{"name": "Acme", "externalID": "cus_acme"}})
		other := s.MustDo(t, s.Admin, createPersonaDoc, map[string]any{"input": map[string]any{"name": "Globex"}}).Str("createPersona.id")
		big := map[string]any{"blob": strings.Repeat("x", metadata.MaxBytes)}
		longKey := map[string]any{strings.Repeat("k", metadata.MaxKeyBytes+1): 1}
		token := func(meta any) (string, map[string]any) {
			return createToken, map[string]any{"input": map[string]any{"name": "t", "type": "READ_ONLY", "metadata": meta}}
		}
		persona := func(in map[string]any) (string, map[string]any) {
			in["name"] = "p"
			return createPersonaDoc, map[string]any{"input": in}
		}
		cases := []struct {
			name        string
			doc         string
			vars        map[string]any
			code, field string
		}{
			{"array", "", nil, "BAD_USER_INPUT", "metadata"},
			{"string", "", nil, "BAD_USER_INPUT", "metadata"},
			{"number", "", nil, "BAD_USER_INPUT", "metadata"},
			{"over 4 KB", "", nil, "BAD_USER_INPUT", "metadata"},
			{"6 levels deep", "", nil, "BAD_USER_INPUT", "metadata"},
			{"101 keys", "", nil, "BAD_USER_INPUT", "metadata"},
			{"101 keys across levels", "", nil, "BAD_USER_INPUT", "metadata"},
			{"empty key", "", nil, "BAD_USER_INPUT", "metadata"},
			{"129-byte key", "", nil, "BAD_USER_INPUT", "metadata"},
			{"nested persona metadata", createToken, map[string]any{"input": map[string]any{"name": "t", "type": "READ_ONLY",
				"persona": map[string]any{"name": "p", "metadata": []any{1}}}}, "BAD_USER_INPUT", "persona.metadata"},
			{"persona metadata literal", `mutation { createPersona(input: {name: "p", metadata: "text"}) { id } }`, nil, "BAD_USER_INPUT", "metadata"},
			{"externalID with a space", "", nil, "BAD_USER_INPUT", "externalID"},
			{"externalID with a newline", "", nil, "BAD_USER_INPUT", "externalID"},
			{"externalID non-ASCII", "", nil, "BAD_USER_INPUT", "externalID"},
			{"externalID of 256", "", nil, "BAD_USER_INPUT", "externalID"},
			{"externalID taken", "", nil, "CONFLICT", "externalID"},
			{"externalID taken, nested", createToken, map[string]any{"input": map[string]any{"name": "t", "type": "READ_ONLY",
				"persona": map[string]any{"name": "p", "externalID": "cus_acme"}}}, "CONFLICT", "persona.externalID"},
			{"externalID taken, by update", updatePersonaDoc, map[string]any{"id": other, "input": map[string]any{"externalID": "cus_acme"}}, "CONFLICT", "externalID"},
			{"update metadata array", updatePersonaDoc, map[string]any{"id": other, "input": map[string]any{"metadata": []any{}}}, "BAD_USER_INPUT", "metadata"},
			{"update token metadata", updateToken, map[string]any{"id": "", "input": map[string]any{"metadata": "x"}}, "BAD_USER_INPUT", "metadata"},
		}
		builders := map[string]func() (string, map[string]any){
			"array":                  func() (string, map[string]any) { return token([]any{1, 2}) },
			"string":                 func() (string, map[string]any) { return token("tenant=acme") },
			"number":                 func() (string, map[string]any) { return token(42) },
			"over 4 KB":              func() (string, map[string]any) { return token(big) },
			"6 levels deep":          func() (string, map[string]any) { return token(nested(metadata.MaxDepth + 1)) },
			"101 keys":               func() (string, map[string]any) { return token(manyKeys(metadata.MaxKeys + 1)) },
			"101 keys across levels": func() (string, map[string]any) { return token(map[string]any{"a": manyKeys(60), "b": manyKeys(40)}) },
			"empty key":              func() (string, map[string]any) { return token(map[string]any{"": 1}) },
			"129-byte key":           func() (string, map[string]any) { return token(longKey) },
			"externalID with a space": func() (string, map[string]any) {
				return persona(map[string]any{"externalID": "cus acme"})
			},
			"externalID with a newline": func() (string, map[string]any) {
				return persona(map[string]any{"externalID": "cus\r\nX-Evil: 1"})
			},
			"externalID non-ASCII": func() (string, map[string]any) { return persona(map[string]any{"externalID": "cüs"}) },
			"externalID of 256": func() (string, map[string]any) {
				return persona(map[string]any{"externalID": strings.Repeat("a", 256)})
			},
			"externalID taken": func() (string, map[string]any) { return persona(map[string]any{"externalID": "cus_acme"}) },
		}
		tok := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "existing", "type": "READ_ONLY"}}).Str("createAPIToken.apiToken.id")
		before := s.Snapshot(t)
		for _, c := range cases {
			doc, vars := c.doc, c.vars
			if b := builders[c.name]; b != nil {
				doc, vars = b()
			}
			if c.name == "update token metadata" {
				vars["id"] = tok
			}
			r := s.Do(t, s.Admin, doc, vars)
			if r.Code() != c.code || r.Field() != c.field {
				t.Errorf("%s: got %s / %q, want %s / %q: %.300s", c.name, r.Code(), r.Field(), c.code, c.field, r.Raw)
			}
		}
		if after := s.Snapshot(t); after != before {
			t.Errorf("refused inputs changed the database:\n%s\n%s", before, after)
		}

		// What is accepted is stored canonically: keys sorted, compact,
		// numbers exact, no HTML escaping; at the limits exactly.
		okCases := []struct {
			in   any
			want string
		}{
			{map[string]any{"tier": "gold", "id": json.Number("12345678901234567890"), "tags": []any{"<b>&", 1.5}}, `{"id":12345678901234567890,"tags":["<b>&",1.5],"tier":"gold"}`},
			{nested(metadata.MaxDepth), ""},
			{manyKeys(metadata.MaxKeys), ""},
			{map[string]any{}, "null"},
			{nil, "null"},
		}
		for i, c := range okCases {
			r := s.MustDo(t, s.Admin, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { apiToken { id metadata } } }`,
				map[string]any{"input": map[string]any{"name": fmt.Sprintf("ok %d", i), "type": "READ_ONLY", "metadata": c.in}})
			if got := exactJSON(t, r.Raw, "createAPIToken", "apiToken", "metadata"); c.want != "" && got != c.want {
				t.Errorf("case %d: metadata %s, want %s", i, got, c.want)
			}
		}
		// Just at 4096 bytes is accepted, one more is not.
		pad := metadata.MaxBytes - len(`{"b":""}`)
		if r := s.Do(t, s.Admin, `mutation($m: Map) { createAPIToken(input: {name: "at limit", type: READ_ONLY, metadata: $m}) { apiToken { id } } }`,
			map[string]any{"m": map[string]any{"b": strings.Repeat("y", pad)}}); r.Code() != "" {
			t.Errorf("4096 bytes: %s", r.Code())
		}
		if r := s.Do(t, s.Admin, `mutation($m: Map) { createAPIToken(input: {name: "over limit", type: READ_ONLY, metadata: $m}) { apiToken { id } } }`,
			map[string]any{"m": map[string]any{"b": strings.Repeat("y", pad+1)}}); r.Field() != "metadata" {
			t.Errorf("4097 bytes: %s", r.Raw)
		}
		_ = taken
	})
}

// exactJSON is the value at path in a JSON document, re-encoded compactly
// with numbers exact and no HTML escaping.
func exactJSON(t *testing.T, raw string, path ...string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	v = v.(map[string]any)["data"]
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// Edits of identity are audited by field name only, and clear with "" and {}.
func TestIdentityEditsAudited(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		p := s.MustDo(t, s.Admin, createPersonaDoc, map[string]any{"input": map[string]any{"name": "Acme", "externalID": "cus_secretish_1", "metadata": map[string]any{"plan": "platinum-9"}}})
		id := p.Str("createPersona.id")
		if p.Str("createPersona.externalID") != "cus_secretish_1" || !strings.Contains(p.Raw, `"metadata":{"plan":"platinum-9"}`) {
			t.Fatalf("created: %s", p.Raw)
		}
		u := s.MustDo(t, s.Admin, updatePersonaDoc, map[string]any{"id": id, "input": map[string]any{"externalID": "", "metadata": map[string]any{}}})
		if u.Get("updatePersona.externalID") != nil || u.Get("updatePersona.metadata") != nil {
			t.Errorf("cleared: %s", u.Raw)
		}
		// Once cleared, the id is free for another persona.
		s.MustDo(t, s.Admin, createPersonaDoc, map[string]any{"input": map[string]any{"name": "Acme 2", "externalID": "cus_secretish_1"}})
		tok := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "t", "type": "READ_ONLY", "metadata": map[string]any{"plan": "platinum-9"}}}).Str("createAPIToken.apiToken.id")
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": tok, "input": map[string]any{"metadata": map[string]any{"plan": "platinum-10"}}})
		r := s.MustDo(t, s.Admin, `{ auditEvents(first: 20, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { action targetID changes } } } }`, nil)
		want := map[string][]string{"persona.create": {"externalID", "metadata"}, "persona.update": {"externalID", "metadata"}, "api-token.create": {"metadata"}, "api-token.update": {"metadata"}}
		for _, e := range r.Get("auditEvents.edges").([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			if n["targetID"] != id && n["targetID"] != tok {
				continue
			}
			changes := fmt.Sprint(n["changes"])
			for _, f := range want[n["action"].(string)] {
				if !strings.Contains(changes, f) {
					t.Errorf("%s records %s, missing %s", n["action"], changes, f)
				}
			}
		}
		if strings.Contains(r.Raw, "platinum") || strings.Contains(r.Raw, "secretish") {
			t.Errorf("the audit log holds values: %s", r.Raw)
		}
	})
}

// Concurrent creates of one external id: exactly one wins, the rest CONFLICT.
func TestExternalIDUniqueUnderConcurrency(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Quiet())
		for round := range 3 {
			ext := fmt.Sprintf("cus_race_%d", round)
			var docs []string
			var vars []map[string]any
			for i := range 6 {
				if i%2 == 0 {
					docs = append(docs, createPersonaDoc)
					vars = append(vars, map[string]any{"input": map[string]any{"name": fmt.Sprintf("race %d-%d", round, i), "externalID": ext}})
				} else {
					docs = append(docs, createToken)
					vars = append(vars, map[string]any{"input": map[string]any{"name": fmt.Sprintf("race token %d-%d", round, i), "type": "READ_ONLY",
						"persona": map[string]any{"name": fmt.Sprintf("race %d-%d", round, i), "externalID": ext}}})
				}
			}
			won := 0
			for i, r := range race(t, s, docs, vars) {
				switch r.Code() {
				case "":
					won++
				case "CONFLICT":
				default:
					t.Errorf("round %d, request %d: %s", round, i, r.Raw)
				}
			}
			var n int
			if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM personas WHERE external_id = ?", ext).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if won != 1 || n != 1 {
				t.Errorf("round %d: %d creates succeeded, %d personas have the id; want 1 and 1", round, won, n)
			}
		}
	})
}

func verifyWith(t *testing.T, s *testserver.Server, secret, permission string) *http.Response {
	t.Helper()
	ct, action, _ := strings.Cut(permission, ":")
	res, _ := send(t, s, http.MethodGet, "/auth/verify?contentType="+ct+"&action="+action, "", "", http.Header{"Authorization": {"Bearer " + secret}})
	return res
}

// /auth/verify passes the external id as it is and the metadata as base64url
// JSON, leaves out metadata too large for a header, and follows edits at once.
func TestIdentityHeaders(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		meta := map[string]any{"tenant": "acme", "note": "ünïcode ✓ + / = <>&\"'", "n": json.Number("9007199254740993")}
		c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "gw", "type": "READ_ONLY", "metadata": meta,
			"persona": map[string]any{"name": "Acme", "externalID": "auth0|5f7c8ec7c33c6c004bbafe82"}}})
		sec, id := c.Str("createAPIToken.secret"), c.Str("createAPIToken.apiToken.id")
		canonical := `{"n":9007199254740993,"note":"ünïcode ✓ + / = <>&\"'","tenant":"acme"}`
		for range 2 { // a database lookup, then a cache hit
			res := verifyWith(t, s, sec, "api-token:read")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("verify: %d", res.StatusCode)
			}
			if got := res.Header.Get("X-Latchkey-Persona-External-Id"); got != "auth0|5f7c8ec7c33c6c004bbafe82" {
				t.Errorf("external id header %q", got)
			}
			enc := res.Header.Get("X-Latchkey-Token-Metadata")
			raw, err := base64.RawURLEncoding.DecodeString(enc)
			if err != nil || string(raw) != canonical {
				t.Errorf("metadata header %q decodes to %q (%v), want %s", enc, raw, err, canonical)
			}
			if res.Header.Get("X-Latchkey-Token-Metadata-Omitted") != "" {
				t.Error("omitted header on small metadata")
			}
		}
		// 1536 bytes of JSON fit the header; 1537 do not.
		fits := map[string]any{"b": strings.Repeat("z", metadata.MaxHeaderBytes*3/4-len(`{"b":""}`))}
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"metadata": fits}})
		res := verifyWith(t, s, sec, "api-token:read")
		if got := len(res.Header.Get("X-Latchkey-Token-Metadata")); got != metadata.MaxHeaderBytes {
			t.Errorf("metadata at the cap: header of %d characters, want %d", got, metadata.MaxHeaderBytes)
		}
		fits["b"] = fits["b"].(string) + "z"
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"metadata": fits}})
		res = verifyWith(t, s, sec, "api-token:read")
		if res.Header.Get("X-Latchkey-Token-Metadata") != "" || res.Header.Get("X-Latchkey-Token-Metadata-Omitted") != "too-large" {
			t.Errorf("over the cap: %v", res.Header)
		}
		// Cleared metadata and external id: no headers at all.
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"metadata": map[string]any{}}})
		s.MustDo(t, s.Admin, updatePersonaDoc, map[string]any{"id": c.Str("createAPIToken.apiToken.persona.id"), "input": map[string]any{"externalID": ""}})
		res = verifyWith(t, s, sec, "api-token:read")
		for _, h := range []string{"X-Latchkey-Token-Metadata", "X-Latchkey-Token-Metadata-Omitted", "X-Latchkey-Persona-External-Id"} {
			if v := res.Header.Values(h); len(v) > 0 {
				t.Errorf("%s: %v after clearing", h, v)
			}
		}
		// A refusal carries no identity.
		res = verifyWith(t, s, sec, "api-token:delete")
		if res.StatusCode != http.StatusForbidden || res.Header.Get("X-Latchkey-Persona-Id") != "" {
			t.Errorf("forbidden: %d %v", res.StatusCode, res.Header)
		}
	})
}

// introspectToken and viewer show the external id and the metadata.
func TestIdentityFields(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "svc", "type": "READ_ONLY", "metadata": map[string]any{"tier": "gold"},
			"persona": map[string]any{"name": "Svc", "externalID": "svc-42", "metadata": map[string]any{"team": "core"}}}})
		sec := c.Str("createAPIToken.secret")
		// A service that may read tokens but not personas still learns the
		// external id of the token it introspects (its holder could ask viewer).
		svc := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "introspector", "type": "CUSTOM", "permissions": cells("api-token:read")}}).Str("createAPIToken.secret")
		r := s.MustDo(t, svc, `query($s: String!) { introspectToken(secret: $s) { active externalID metadata apiToken { metadata } } }`, map[string]any{"s": sec})
		if r.Str("introspectToken.externalID") != "svc-42" || !strings.Contains(r.Raw, `"metadata":{"tier":"gold"},"apiToken":{"metadata":{"tier":"gold"}}`) {
			t.Errorf("introspectToken: %s", r.Raw)
		}
		if r := s.Do(t, svc, `query($s: String!) { introspectToken(secret: $s) { persona { externalID } } }`, map[string]any{"s": sec}); r.Code() != "FORBIDDEN" {
			t.Errorf("persona.externalID without persona:read: %s", r.Raw)
		}
		r = s.MustDo(t, s.Admin, `query($s: String!) { introspectToken(secret: $s) { externalID metadata } }`, map[string]any{"s": "lk_garbage"})
		if r.Get("introspectToken.externalID") != nil || r.Get("introspectToken.metadata") != nil {
			t.Errorf("inactive: %s", r.Raw)
		}
		v := s.MustDo(t, sec, `{ viewer { externalID metadata apiToken { metadata } persona { externalID metadata } } }`, nil)
		if v.Str("viewer.externalID") != "svc-42" || v.Str("viewer.persona.externalID") != "svc-42" ||
			!strings.Contains(v.Raw, `"metadata":{"tier":"gold"},"apiToken":{"metadata":{"tier":"gold"}},"persona":{"externalID":"svc-42","metadata":{"team":"core"}}`) {
			t.Errorf("viewer: %s", v.Raw)
		}
	})
}

// Tokens filter by their persona's external id through hasPersonaWith,
// which needs persona:read like every persona filter.
func TestFilterByExternalID(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		for i, ext := range []string{"cus_1", "cus_1", "cus_2", ""} {
			p := map[string]any{"name": fmt.Sprintf("token %d", i), "type": "READ_ONLY"}
			if i == 1 {
				p["personaID"] = s.MustDo(t, s.Admin, `{ apiTokens(where: {name: "token 0"}) { edges { node { persona { id } } } } }`, nil).
					Get("apiTokens.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["persona"].(map[string]any)["id"]
			} else if ext != "" {
				p["persona"] = map[string]any{"name": fmt.Sprintf("persona %d", i), "externalID": ext}
			}
			s.MustDo(t, s.Admin, createToken, map[string]any{"input": p})
		}
		q := `query($w: APITokenWhereInput) { apiTokens(where: $w) { totalCount edges { node { name } } } }`
		for ext, want := range map[string]float64{"cus_1": 2, "cus_2": 1, "cus_3": 0} {
			r := s.MustDo(t, s.Admin, q, map[string]any{"w": map[string]any{"hasPersonaWith": []any{map[string]any{"externalID": ext}}}})
			if r.Get("apiTokens.totalCount") != want {
				t.Errorf("externalID %s: %s", ext, r.Raw)
			}
		}
		r := s.MustDo(t, s.Admin, q, map[string]any{"w": map[string]any{"hasPersonaWith": []any{map[string]any{"externalIDIn": []string{"cus_1", "cus_2"}}}}})
		if r.Get("apiTokens.totalCount") != 3.0 {
			t.Errorf("externalIDIn: %s", r.Raw)
		}
		tokensOnly := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "tokens only", "type": "CUSTOM", "permissions": cells("api-token:read")}}).Str("createAPIToken.secret")
		for _, w := range []map[string]any{
			{"hasPersonaWith": []any{map[string]any{"externalID": "cus_1"}}},
			{"not": map[string]any{"or": []any{map[string]any{"hasPersonaWith": []any{map[string]any{"externalIDHasPrefix": "cus_"}}}}}},
		} {
			if r := s.Do(t, tokensOnly, q, map[string]any{"w": w}); r.Code() != "FORBIDDEN" {
				t.Errorf("filter %v without persona:read: %s", w, r.Raw)
			}
		}
		personas := s.MustDo(t, s.Admin, `{ personas(where: {externalID: "cus_2"}) { edges { node { name } } } }`, nil)
		if !strings.Contains(personas.Raw, "persona 2") {
			t.Errorf("personas by externalID: %s", personas.Raw)
		}
	})
}

// Identity edits follow the rights of editing the token or persona: a
// weaker caller may not rewrite a stronger token's metadata or persona.
func TestIdentityEditsNeedTheCeiling(t *testing.T) {
	s := testserver.New(t, "sqlite")
	editor := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "editor", "type": "CUSTOM",
		"permissions": cells("api-token:read", "api-token:update", "persona:read", "persona:update")}}).Str("createAPIToken.secret")
	strong := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "strong", "type": "FULL_ACCESS", "persona": map[string]any{"name": "Strong", "externalID": "strong"}}})
	const updateToken = `mutation($id: ID!, $input: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $input) { id metadata } }`
	if r := s.Do(t, editor, updateToken, map[string]any{"id": strong.Str("createAPIToken.apiToken.id"), "input": map[string]any{"metadata": map[string]any{"tenant": "other"}}}); r.Code() != "FORBIDDEN" {
		t.Errorf("metadata of a stronger token: %s", r.Raw)
	}
	if r := s.Do(t, editor, updatePersonaDoc, map[string]any{"id": strong.Str("createAPIToken.apiToken.persona.id"), "input": map[string]any{"externalID": "mine"}}); r.Code() != "FORBIDDEN" {
		t.Errorf("externalID of a stronger token's persona: %s", r.Raw)
	}
	weak := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "weak", "type": "CUSTOM", "permissions": cells("api-token:read")}}).Str("createAPIToken.apiToken.id")
	s.MustDo(t, editor, updateToken, map[string]any{"id": weak, "input": map[string]any{"metadata": map[string]any{"tenant": "acme"}}})
}
