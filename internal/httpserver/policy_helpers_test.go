package httpserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// policyToken creates a CUSTOM token holding api-token:read with the policy
// fields in extra, and returns its secret and id.
func policyToken(t testing.TB, s *testserver.Server, name string, extra map[string]any) (string, string) {
	t.Helper()
	in := map[string]any{"name": name, "type": "CUSTOM", "permissions": []map[string]any{{"contentType": "api-token", "action": "read"}}}
	for k, v := range extra {
		in[k] = v
	}
	r := s.MustDo(t, s.Admin, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { id } } }`, map[string]any{"input": in})
	return r.Str("createAPIToken.secret"), r.Str("createAPIToken.apiToken.id")
}

// forwardAuth calls GET /auth/verify for api-token:read (or what q says).
func forwardAuth(t testing.TB, s *testserver.Server, secret string, q url.Values, headers http.Header) *http.Response {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	if q.Get("contentType") == "" {
		q.Set("contentType", "api-token")
		q.Set("action", "read")
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/auth/verify?"+q.Encode(), nil)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// verifyAPI posts a body to POST /v1/verify and decodes the answer.
func verifyAPI(t testing.TB, s *testserver.Server, body any, headers http.Header) (int, map[string]any, http.Header) {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/verify", bytes.NewReader([]byte(raw)))
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range headers {
		req.Header[k] = vs
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	data, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("/v1/verify answered %d with %q", res.StatusCode, data)
	}
	return res.StatusCode, out, res.Header
}

// introspectCode asks introspectToken (as the admin) for its code.
func introspectCode(t testing.TB, s *testserver.Server, secret, permissions string) (code string, active bool) {
	t.Helper()
	vars := map[string]any{"s": secret}
	if permissions != "" {
		vars["p"] = permissions
	}
	r := s.MustDo(t, s.Admin, `query($s: String!, $p: String) { introspectToken(secret: $s, permissions: $p) { active code } }`, vars)
	return r.Str("introspectToken.code"), r.Get("introspectToken.active") == true
}

// graphQLWith posts a GraphQL document with a bearer token and headers.
func graphQLWith(t testing.TB, s *testserver.Server, bearer, query string, headers http.Header) *testserver.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	for k, vs := range headers {
		req.Header[k] = vs
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &testserver.Response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decoding %q: %v", raw, err)
	}
	return out
}

func ext(r *testserver.Response, key string) string {
	if len(r.Errors) == 0 {
		return ""
	}
	v, _ := r.Errors[0].Extensions[key].(string)
	return v
}
