package httpserver_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A stateful property test of the outbox: random sequences of token
// mutations, some of which fail and roll back (alone, or together with a
// change made earlier in the same operation). The invariant: the outbox
// holds exactly one event per committed change, of the type the audit
// action maps to, naming the token as it was at that change, in order; and
// nothing for what rolled back.
func TestOutboxFollowsCommittedChanges(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		rng := rand.New(rand.NewPCG(10, 2026))
		type want struct{ typ, id, name string }
		var expected []want
		type tok struct {
			id, name string
			revoked  bool
		}
		var live []*tok
		n := 0
		pick := func() *tok { return live[rng.IntN(len(live))] }
		for step := 0; step < 60; step++ {
			n++
			op := rng.IntN(8)
			if len(live) == 0 {
				op = 0
			}
			switch op {
			case 0: // create
				name := fmt.Sprintf("token %d", n)
				r := s.MustDo(t, s.Admin, `mutation($n: String!) { createAPIToken(input: {name: $n, type: READ_ONLY}) { apiToken { id } } }`, map[string]any{"n": name})
				tk := &tok{id: r.Str("createAPIToken.apiToken.id"), name: name}
				live = append(live, tk)
				expected = append(expected, want{"api-token.created", tk.id, name})
			case 1: // rename
				tk := pick()
				tk.name = fmt.Sprintf("renamed %d", n)
				s.MustDo(t, s.Admin, `mutation($id: ID!, $n: String!) { updateAPIToken(id: $id, input: {name: $n}) { id } }`, map[string]any{"id": tk.id, "n": tk.name})
				expected = append(expected, want{"api-token.updated", tk.id, tk.name})
			case 2: // regenerate
				tk := pick()
				s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, map[string]any{"id": tk.id})
				expected = append(expected, want{"api-token.regenerated", tk.id, tk.name})
			case 3: // revoke or restore
				tk := pick()
				if tk.revoked {
					s.MustDo(t, s.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": tk.id})
					expected = append(expected, want{"api-token.restored", tk.id, tk.name})
				} else {
					s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": tk.id})
					expected = append(expected, want{"api-token.revoked", tk.id, tk.name})
				}
				tk.revoked = !tk.revoked
			case 4: // delete
				i := rng.IntN(len(live))
				tk := live[i]
				s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": tk.id})
				live = append(live[:i], live[i+1:]...)
				expected = append(expected, want{"api-token.deleted", tk.id, tk.name})
			case 5: // refused on its input
				tk := pick()
				if r := s.Do(t, s.Admin, `mutation($id: ID!) { updateAPIToken(id: $id, input: {code: "NOT A SLUG"}) { id } }`, map[string]any{"id": tk.id}); r.Code() != "BAD_USER_INPUT" {
					t.Fatalf("bad update: %s", r.Raw)
				}
			case 6: // a change that commits, then one that fails, in one operation: both roll back
				tk := pick()
				r := s.Do(t, s.Admin, `mutation($id: ID!, $n: String!) { a: updateAPIToken(id: $id, input: {name: $n}) { id } b: revokeAPIToken(id: "tok_AAAAAAAAAAAAAAAAAAAA") { id } }`,
					map[string]any{"id": tk.id, "n": fmt.Sprintf("never %d", n)})
				if r.Code() != "NOT_FOUND" {
					t.Fatalf("doomed pair: %s", r.Raw)
				}
			case 7: // two changes in one operation: both commit, in order
				tk := pick()
				name := fmt.Sprintf("pair %d", n)
				s.MustDo(t, s.Admin, `mutation($id: ID!, $n: String!) { a: updateAPIToken(id: $id, input: {name: $n}) { id } b: regenerateAPIToken(id: $id) { secret } }`,
					map[string]any{"id": tk.id, "n": name})
				tk.name = name
				expected = append(expected, want{"api-token.updated", tk.id, name}, want{"api-token.regenerated", tk.id, name})
			}
		}
		rows, err := s.Store.DB.Query("SELECT type, token_id, payload FROM webhook_events ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []want
		for rows.Next() {
			var typ, id, payload string
			if err := rows.Scan(&typ, &id, &payload); err != nil {
				t.Fatal(err)
			}
			var p struct {
				Type string `json:"type"`
				Data struct {
					APIToken struct{ ID, Name string } `json:"apiToken"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(payload), &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != typ || p.Data.APIToken.ID != id {
				t.Fatalf("row and payload disagree: %s %s %s", typ, id, payload)
			}
			got = append(got, want{typ, id, p.Data.APIToken.Name})
		}
		// The Bootstrap token's creation at seeding comes first.
		if len(got) == 0 || got[0].name != "Bootstrap" {
			t.Fatalf("first event: %v", got)
		}
		got = got[1:]
		if len(got) != len(expected) {
			t.Fatalf("%d events, want %d:\n got  %v\n want %v", len(got), len(expected), got, expected)
		}
		for i := range expected {
			if got[i] != expected[i] {
				t.Fatalf("event %d: got %v, want %v", i, got[i], expected[i])
			}
		}
		t.Logf("%d committed changes, each with its event", len(expected))
	})
}
