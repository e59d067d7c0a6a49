package httpserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Item 10 of the security-hardening issue: what is ambiguous or malformed
// at the edges is refused, never passed.

func send(t *testing.T, s *testserver.Server, method, path, contentType, body string, headers http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res, string(raw)
}

// graphQLCode is extensions.code of the first error of a GraphQL body.
func graphQLCode(t *testing.T, raw string) string {
	t.Helper()
	var body struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(raw), &body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("not a GraphQL error body: %q", raw)
	}
	c, _ := body.Errors[0].Extensions["code"].(string)
	return c
}

func TestTwoAuthorizationHeaders(t *testing.T) {
	s := testserver.New(t, "sqlite")
	reader := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "reader", "type": "READ_ONLY"}}).Str("createAPIToken.secret")
	two := http.Header{"Authorization": {"Bearer " + reader, "Bearer " + s.Admin}}
	res, raw := send(t, s, http.MethodPost, "/graphql", "application/json", `{"query":"{ viewer { apiToken { name } } }"}`, two)
	if res.StatusCode != http.StatusBadRequest || graphQLCode(t, raw) != "BAD_USER_INPUT" {
		t.Errorf("/graphql with two Authorization headers: HTTP %d %s", res.StatusCode, raw)
	}
	res, _ = send(t, s, http.MethodGet, "/auth/verify?contentType=api-token&action=delete", "", "", two)
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Latchkey-Token-Id") != "" || res.Header.Get("X-Latchkey-Error") == "" {
		t.Errorf("/auth/verify with two Authorization headers: HTTP %d %v", res.StatusCode, res.Header)
	}
	// One header still works.
	res, _ = send(t, s, http.MethodGet, "/auth/verify?contentType=api-token&action=delete", "", "", http.Header{"Authorization": {"Bearer " + s.Admin}})
	if res.StatusCode != http.StatusOK {
		t.Errorf("one header: HTTP %d", res.StatusCode)
	}
}

func TestVerifyNeedsAKnownPermission(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		bearer := http.Header{"Authorization": {"Bearer " + s.Admin}}
		for _, tc := range []struct {
			name    string
			query   string
			headers http.Header
			want    int
		}{
			{"neither", "", bearer, http.StatusBadRequest},
			{"no action", "?contentType=api-token", bearer, http.StatusBadRequest},
			{"no content type", "?action=read", bearer, http.StatusBadRequest},
			{"empty", "?contentType=&action=", bearer, http.StatusBadRequest},
			{"unknown content type", "?contentType=article&action=read", bearer, http.StatusBadRequest},
			{"unknown action", "?contentType=api-token&action=publish", bearer, http.StatusBadRequest},
			{"unknown in headers", "", http.Header{"Authorization": bearer["Authorization"], "X-Latchkey-Content-Type": {"api-token"}, "X-Latchkey-Action": {"fly"}}, http.StatusBadRequest},
			{"missing, without a token", "", nil, http.StatusBadRequest},
			// Whether a permission exists is told only to a valid token.
			{"unknown, without a token", "?contentType=article&action=read", nil, http.StatusUnauthorized},
			{"known", "?contentType=api-token&action=read", bearer, http.StatusOK},
			{"known in headers", "", http.Header{"Authorization": bearer["Authorization"], "X-Latchkey-Content-Type": {"audit-event"}, "X-Latchkey-Action": {"read"}}, http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, body := send(t, s, http.MethodGet, "/auth/verify"+tc.query, "", "", tc.headers)
				if res.StatusCode != tc.want {
					t.Fatalf("HTTP %d, want %d (%s)", res.StatusCode, tc.want, body)
				}
				if tc.want == http.StatusBadRequest && (res.Header.Get("X-Latchkey-Error") == "" || strings.TrimSpace(body) == "" || res.Header.Get("X-Latchkey-Token-Id") != "") {
					t.Errorf("a 400 without its reason, or with an identity: %v %q", res.Header, body)
				}
			})
		}

		// A content type registered here is known at once; on another
		// instance within the cache TTL.
		other := s.Another(t)
		verify := func(srv *testserver.Server) int {
			res, _ := send(t, srv, http.MethodGet, "/auth/verify?contentType=article&action=publish", "", "", bearer)
			return res.StatusCode
		}
		if got := verify(other); got != http.StatusBadRequest {
			t.Fatalf("before: HTTP %d", got)
		}
		s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Articles",
			actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}]}) { id } }`, nil)
		if got := verify(s); got != http.StatusOK {
			t.Errorf("on the instance that made it: HTTP %d", got)
		}
		// On the other, through the change feed, within a second.
		deadline := time.Now().Add(time.Second)
		for verify(other) != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatalf("another instance does not know the new content type after 1 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestGraphQLBodies(t *testing.T) {
	s := testserver.New(t, "sqlite")
	bearer := http.Header{"Authorization": {"Bearer " + s.Admin}}
	big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`
	for _, tc := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"over 1 MiB", "application/json", big, http.StatusRequestEntityTooLarge},
		{"a batch", "application/json", ` [{"query":"{ __typename }"},{"query":"{ __typename }"}]`, http.StatusBadRequest},
		{"text/plain", "text/plain", `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType},
		{"form", "application/x-www-form-urlencoded", `query=%7B__typename%7D`, http.StatusUnsupportedMediaType},
		{"no content type", "", `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, raw := send(t, s, http.MethodPost, "/graphql", tc.contentType, tc.body, bearer)
			if res.StatusCode != tc.want || graphQLCode(t, raw) != "BAD_USER_INPUT" {
				t.Errorf("HTTP %d, want %d with BAD_USER_INPUT: %.200s", res.StatusCode, tc.want, raw)
			}
		})
	}
	res, raw := send(t, s, http.MethodPost, "/graphql", "application/json; charset=utf-8", `{"query":"{ __typename }"}`, bearer)
	if res.StatusCode != http.StatusOK || !strings.Contains(raw, `"__typename":"Query"`) {
		t.Errorf("a JSON body with a charset: HTTP %d %s", res.StatusCode, raw)
	}
}
