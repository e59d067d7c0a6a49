package httpserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// post is testserver.Do for goroutines other than the test's own: it
// reports failures instead of stopping the test.
func post(s *testserver.Server, bearer, query string, vars map[string]any) (*testserver.Response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := s.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &testserver.Response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("decoding %q: %w", raw, err)
	}
	return out, nil
}

// race runs documents at the same moment (every goroutine waits on one
// start signal; no sleeps) and returns their responses in order.
func race(t *testing.T, s *testserver.Server, docs []string, vars []map[string]any) []*testserver.Response {
	t.Helper()
	var (
		out   = make([]*testserver.Response, len(docs))
		errs  = make([]error, len(docs))
		ready sync.WaitGroup
		done  sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range docs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i], errs[i] = post(s, s.Admin, docs[i], vars[i])
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Deleting a record without detach and creating a token that relies on it
// must give the result of some serial order: one of them fails. If both
// succeed, the new token silently lost what it was given (and the delete's
// audit event says nothing was detached).
func TestConcurrentDeleteAndUse(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		rounds, pairs := knob(0, "LATCHKEY_CONCURRENCY_ROUNDS", 4), 4
		if dialect == "mysql" {
			rounds = knob(0, "LATCHKEY_CONCURRENCY_ROUNDS", 25)
		}
		s := testserver.New(t, dialect, testserver.Quiet())
		const useToken = `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { apiToken { id } } }`
		cases := []struct {
			name string
			// make creates the record for round i and returns its id.
			make func(i int) string
			del  string
			use  func(i int, id string) map[string]any
			// lost describes what the token created next to a successful
			// delete is missing.
			lost func(tokenID, id string) string
		}{
			{
				name: "deleteRole vs createAPIToken(roleIDs)",
				make: func(i int) string {
					return s.MustDo(t, s.Admin, `mutation($n: String!) { createRole(input: {name: $n, permissions: [{contentType: "api-token", action: "read"}]}) { id } }`,
						map[string]any{"n": fmt.Sprintf("race role %d", i)}).Str("createRole.id")
				},
				del: `mutation($id: ID!) { deleteRole(id: $id) }`,
				use: func(i int, id string) map[string]any {
					return map[string]any{"input": map[string]any{"name": fmt.Sprintf("role user %d", i), "type": "CUSTOM", "roleIDs": []string{id}}}
				},
				lost: func(tokenID, id string) string {
					r := s.MustDo(t, s.Admin, `query($t: ID!, $id: String!) {
						node(id: $t) { ... on APIToken { roles { id } effectivePermissions { contentType action } } }
						auditEvents(where: {action: "role.delete", targetID: $id}) { edges { node { changes } } } }`, map[string]any{"t": tokenID, "id": id})
					return fmt.Sprintf("the token has roles %v and permissions %v; the role.delete audit event records changes %v",
						r.Get("node.roles"), r.Get("node.effectivePermissions"), r.Get("auditEvents.edges"))
				},
			},
			{
				name: "deleteContentType vs createAPIToken(permissions)",
				make: func(i int) string {
					return s.MustDo(t, s.Admin, `mutation($uid: String!) { createContentType(input: {uid: $uid, displayName: $uid, actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}]}) { id } }`,
						map[string]any{"uid": fmt.Sprintf("race-%d", i)}).Str("createContentType.id")
				},
				del: `mutation($id: ID!) { deleteContentType(id: $id) }`,
				use: func(i int, id string) map[string]any {
					return map[string]any{"input": map[string]any{"name": fmt.Sprintf("cell user %d", i), "type": "CUSTOM",
						"permissions": cells(fmt.Sprintf("race-%d:publish", i))}}
				},
				lost: func(tokenID, id string) string {
					r := s.MustDo(t, s.Admin, `query($t: ID!) { node(id: $t) { ... on APIToken { permissions { contentType action } } } }`, map[string]any{"t": tokenID})
					return fmt.Sprintf("the token's own permissions are %v", r.Get("node.permissions"))
				},
			},
			{
				name: "deletePersona vs createAPIToken(personaID)",
				make: func(i int) string {
					return s.MustDo(t, s.Admin, `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`,
						map[string]any{"n": fmt.Sprintf("race persona %d", i)}).Str("createPersona.id")
				},
				del: `mutation($id: ID!) { deletePersona(id: $id) }`,
				use: func(i int, id string) map[string]any {
					return map[string]any{"input": map[string]any{"name": fmt.Sprintf("persona user %d", i), "type": "READ_ONLY", "personaID": id}}
				},
				lost: func(tokenID, id string) string {
					r := s.Do(t, s.Admin, `query($t: ID!) { node(id: $t) { ... on APIToken { persona { id name } } } }`, map[string]any{"t": tokenID})
					return fmt.Sprintf("the token's persona reads as %s", strings.TrimSpace(r.Raw))
				},
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tally := map[string]int{}
				for round := range rounds {
					// Each round races several pairs at once, in both orders,
					// so that the interleavings vary without any sleep.
					var docs []string
					var vars []map[string]any
					ids := make([]string, pairs)
					for p := range pairs {
						i := round*pairs + p
						ids[p] = tc.make(i)
						pair := [][2]any{{tc.del, map[string]any{"id": ids[p]}}, {useToken, tc.use(i, ids[p])}}
						if p%2 == 1 {
							pair[0], pair[1] = pair[1], pair[0]
						}
						for _, d := range pair {
							docs = append(docs, d[0].(string))
							vars = append(vars, d[1].(map[string]any))
						}
					}
					res := race(t, s, docs, vars)
					for p := range pairs {
						del, use := res[2*p], res[2*p+1]
						if p%2 == 1 {
							del, use = use, del
						}
						i := round*pairs + p
						for _, r := range []*testserver.Response{del, use} {
							if c := r.Code(); c != "" && c != "CONFLICT" && c != "BAD_USER_INPUT" && c != "NOT_FOUND" {
								t.Errorf("pair %d: unexpected error (conflicts are the server's to retry): %s", i, r.Raw)
							}
						}
						switch {
						case del.Code() == "" && use.Code() == "":
							tally["both succeeded"]++
							t.Errorf("pair %d: the delete and the create both succeeded, which no serial order allows: %s",
								i, tc.lost(use.Str("createAPIToken.apiToken.id"), ids[p]))
						case del.Code() == "":
							tally["delete won"]++
						case use.Code() == "":
							tally["create won"]++
						default:
							tally["both failed"]++
							t.Errorf("pair %d: both failed: %s / %s", i, del.Raw, use.Raw)
						}
					}
				}
				t.Logf("%d pairs on %s: %v", rounds*pairs, dialect, tally)
			})
		}
	})
}
