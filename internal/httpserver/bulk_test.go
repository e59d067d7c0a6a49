package httpserver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const bulkRevoke = `mutation($where: APITokenWhereInput!, $dry: Boolean) {
	revokeAPITokens(where: $where, dryRun: $dry) { count apiTokens { id name status } } }`

func bulk(t *testing.T, s *testserver.Server, bearer string, where map[string]any, dry bool) *testserver.Response {
	t.Helper()
	return s.Do(t, bearer, bulkRevoke, map[string]any{"where": where, "dry": dry})
}

// bulkNames is the sorted names of a revokeAPITokens payload, and its count.
func bulkNames(t *testing.T, r *testserver.Response) ([]string, int) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("revokeAPITokens: %s", r.Raw)
	}
	var out []string
	for _, tok := range r.Get("revokeAPITokens.apiTokens").([]any) {
		out = append(out, tok.(map[string]any)["name"].(string))
	}
	return out, int(r.Get("revokeAPITokens.count").(float64))
}

// Each filter the where input offers selects what it says; dryRun tells
// the same answer and changes nothing; the real run revokes exactly those,
// with one audit event each, and every instance refuses them at once.
func TestBulkRevokeFilters(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		other := s.Another(t)
		auditor := roleID(t, s, "Auditor")
		persona := s.MustDo(t, s.Admin, `mutation { createPersona(input: {name: "CI"}) { id } }`, nil).Str("createPersona.id")
		// A token manager that creates tokens of its own.
		mgr, mgrID := mint(t, s, map[string]any{"name": "manager", "type": "CUSTOM", "permissions": cells(
			"api-token:read", "api-token:create", "api-token:revoke", "persona:read", "role:read", "content-type:read", "audit-event:read")})
		secrets := map[string]string{}
		add := func(by string, in map[string]any) string {
			r := s.MustDo(t, by, createToken, map[string]any{"input": in})
			secrets[in["name"].(string)] = r.Str("createAPIToken.secret")
			return r.Str("createAPIToken.apiToken.id")
		}
		add(s.Admin, map[string]any{"name": "old ci", "type": "READ_ONLY", "personaID": persona})
		add(s.Admin, map[string]any{"name": "old audit", "type": "CUSTOM", "roleIDs": []string{auditor}})
		s.Clock.Advance(48 * time.Hour)
		cutoff := s.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		add(s.Admin, map[string]any{"name": "new ci", "type": "READ_ONLY", "personaID": persona})
		add(mgr, map[string]any{"name": "by manager", "type": "READ_ONLY"})
		add(s.Admin, map[string]any{"name": "new full", "type": "FULL_ACCESS"})
		// "new ci" is used now (and cached on the other instance).
		other.MustDo(t, secrets["new ci"], viewerQuery, nil)
		for _, srv := range []*testserver.Server{s, other} {
			if err := srv.App.Recorder.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name  string
			where map[string]any
			want  []string
		}{
			{"persona", map[string]any{"personaID": persona}, []string{"new ci", "old ci"}},
			{"persona (edge)", map[string]any{"hasPersonaWith": []map[string]any{{"name": "CI"}}}, []string{"new ci", "old ci"}},
			{"role", map[string]any{"roleID": auditor}, []string{"old audit"}},
			{"role (edge)", map[string]any{"hasRolesWith": []map[string]any{{"name": "Auditor"}}}, []string{"old audit"}},
			{"creator", map[string]any{"hasCreatedByWith": []map[string]any{{"id": mgrID}}}, []string{"by manager"}},
			{"created before", map[string]any{"createdAtLT": cutoff}, []string{"Bootstrap", "manager", "old audit", "old ci"}},
			{"last used before (or never)", map[string]any{"or": []map[string]any{{"lastUsedAtLT": cutoff}, {"lastUsedAtIsNil": true}}, "nameNEQ": "Bootstrap"},
				[]string{"by manager", "new full", "old audit", "old ci"}},
			{"type", map[string]any{"type": "FULL_ACCESS"}, []string{"Bootstrap", "new full"}},
			{"name", map[string]any{"nameContainsFold": "OLD"}, []string{"old audit", "old ci"}},
			{"nothing", map[string]any{"name": "no such token"}, nil},
		} {
			before := s.Snapshot(t)
			got, n := bulkNames(t, bulk(t, s, s.Admin, c.where, true))
			if fmt.Sprint(got) != fmt.Sprint(c.want) || n != len(c.want) {
				t.Errorf("%s: dry run lists %v (%d), want %v", c.name, got, n, c.want)
			}
			if s.Snapshot(t) != before {
				t.Errorf("%s: a dry run changed something", c.name)
			}
		}
		// The real thing, by persona: the cached token is refused everywhere.
		events := auditCounts(t, s)["api-token.revoke"]
		r := bulk(t, s, s.Admin, map[string]any{"personaID": persona}, false)
		got, n := bulkNames(t, r)
		if fmt.Sprint(got) != "[new ci old ci]" || n != 2 {
			t.Fatalf("revoked %v (%d)", got, n)
		}
		for _, tok := range r.Get("revokeAPITokens.apiTokens").([]any) {
			if tok.(map[string]any)["status"] != "REVOKED" {
				t.Fatalf("payload status: %s", r.Raw)
			}
		}
		if got := auditCounts(t, s)["api-token.revoke"]; got != events+2 {
			t.Fatalf("audit events: %d, want %d", got, events+2)
		}
		expectUnauthenticated(t, s, secrets["new ci"])
		refusedWithin(t, other, secrets["new ci"], time.Second)
		// Revoked ones are not revoked again.
		if _, n := bulkNames(t, bulk(t, s, s.Admin, map[string]any{"personaID": persona}, false)); n != 0 {
			t.Fatalf("second run revoked %d", n)
		}
		if got := auditCounts(t, s)["api-token.revoke"]; got != events+2 {
			t.Fatalf("a run revoking nothing audited: %d", got)
		}
		s.MustDo(t, secrets["old audit"], viewerQuery, nil)
	})
}

// Who may revoke in bulk: api-token:revoke for the mutation, api-token:read
// for its filter (it tells which tokens exist), and read on every record a
// filter names. Within that, the rule of revokeAPIToken holds token by
// token: any token may be revoked, stronger ones and the caller's own too.
func TestBulkRevokeRights(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		revokeOnly, _ := mint(t, s, map[string]any{"name": "revoke only", "type": "CUSTOM", "permissions": cells("api-token:revoke")})
		readOnly, _ := mint(t, s, map[string]any{"name": "reader", "type": "CUSTOM", "permissions": cells("api-token:read")})
		responder, _ := mint(t, s, map[string]any{"name": "responder", "type": "CUSTOM", "permissions": cells("api-token:read", "api-token:revoke")})
		mint(t, s, map[string]any{"name": "victim", "type": "FULL_ACCESS"})
		before := s.Snapshot(t)
		forbidden(t, "revoke without read", bulk(t, s, revokeOnly, map[string]any{"name": "victim"}, true))
		forbidden(t, "revoke without read, real", bulk(t, s, revokeOnly, map[string]any{"name": "victim"}, false))
		forbidden(t, "read without revoke", bulk(t, s, readOnly, map[string]any{"name": "victim"}, true))
		// Filters on records the caller may not read, however deep.
		for name, where := range map[string]map[string]any{
			"roleID":           {"roleID": roleID(t, s, "Auditor")},
			"hasRolesWith":     {"hasRolesWith": []map[string]any{{"name": "Auditor"}}},
			"personaID":        {"personaID": "per_x"},
			"hasPersonaWith":   {"not": map[string]any{"hasPersonaWith": []map[string]any{{"name": "Administrator"}}}},
			"nested in or/and": {"or": []map[string]any{{"and": []map[string]any{{"hasPersona": true}}}}},
		} {
			forbidden(t, name, bulk(t, s, responder, where, false))
		}
		if s.Snapshot(t) != before {
			t.Fatal("a refused bulk revoke changed something")
		}
		// Stronger tokens are revoked in bulk as one by one.
		got, n := bulkNames(t, bulk(t, s, responder, map[string]any{"name": "victim"}, false))
		if n != 1 || got[0] != "victim" {
			t.Fatalf("responder revoked %v", got)
		}
		// The caller's own token, when the filter reaches it, is revoked too
		// (as revokeAPIToken on itself would be); the payload says so.
		got, n = bulkNames(t, bulk(t, s, responder, map[string]any{"type": "CUSTOM"}, false))
		if n != 3 || fmt.Sprint(got) != "[reader responder revoke only]" {
			t.Fatalf("own token: %v", got)
		}
		expectUnauthenticated(t, s, responder)
	})
}

// Aliased pairs in one operation: one transaction, run in order; a failure
// anywhere leaves nothing; the caller revoked by the first is refused by
// the second.
func TestBulkRevokeAliasesAndOneTransaction(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		for i := range 3 {
			mint(t, s, map[string]any{"name": fmt.Sprintf("ro %d", i), "type": "READ_ONLY"})
		}
		responder, _ := mint(t, s, map[string]any{"name": "responder", "type": "CUSTOM", "permissions": cells("api-token:read", "api-token:revoke")})
		pair := `mutation { a: revokeAPITokens(where: {type: READ_ONLY}, dryRun: true) { count }
			b: revokeAPITokens(where: {type: READ_ONLY}) { count }
			c: revokeAPITokens(where: {type: READ_ONLY}) { count } }`
		r := s.MustDo(t, s.Admin, pair, nil)
		if r.Get("a.count") != float64(3) || r.Get("b.count") != float64(3) || r.Get("c.count") != float64(0) {
			t.Fatalf("aliases: %s", r.Raw)
		}
		for i := range 3 {
			mint(t, s, map[string]any{"name": fmt.Sprintf("cu %d", i), "type": "CUSTOM", "permissions": cells("persona:read")})
		}
		// The second field fails (FORBIDDEN): the first's revocations and
		// audit events roll back with it.
		before := s.Snapshot(t)
		r = s.Do(t, responder, `mutation { a: revokeAPITokens(where: {nameHasPrefix: "cu "}) { count }
			b: updatePolicy(input: {requireExpiry: true}) { requireExpiry } }`, nil)
		if r.Code() != "FORBIDDEN" {
			t.Fatalf("want FORBIDDEN, got %s", r.Raw)
		}
		if s.Snapshot(t) != before {
			t.Fatal("a failed operation left revocations behind")
		}
		// The first field revokes the caller itself: the second is refused
		// and the whole operation undone.
		r = s.Do(t, responder, `mutation { a: revokeAPITokens(where: {type: CUSTOM}) { count }
			b: revokeAPITokens(where: {nameHasPrefix: "cu "}) { count } }`, nil)
		if r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("want UNAUTHENTICATED, got %s", r.Raw)
		}
		if s.Snapshot(t) != before {
			t.Fatal("a failed operation left revocations behind")
		}
		s.MustDo(t, responder, viewerQuery, nil)
	})
}

// More than the limit matching is refused and nothing revoked; at the
// limit the payload lists the first 100 by name, and a cached token is
// refused on every instance (one change that empties every cache).
func TestBulkRevokeBounds(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		other := s.Another(t)
		const n = 101
		var first string
		for i := range n {
			sec, _ := mint(t, s, map[string]any{"name": fmt.Sprintf("bulk %03d", i), "type": "READ_ONLY"})
			if i == 0 {
				first = sec
			}
		}
		other.MustDo(t, first, viewerQuery, nil)
		s.App.Admin.MaxBulkRevoke = n - 1
		before := s.Snapshot(t)
		for _, dry := range []bool{true, false} {
			r := bulk(t, s, s.Admin, map[string]any{"nameHasPrefix": "bulk "}, dry)
			if r.Code() != "BAD_USER_INPUT" || r.Field() != "where" {
				t.Fatalf("over the limit (dry %v): %s", dry, r.Raw)
			}
		}
		if s.Snapshot(t) != before {
			t.Fatal("a refused bulk revoke changed something")
		}
		s.App.Admin.MaxBulkRevoke = n
		events := auditCounts(t, s)["api-token.revoke"]
		got, count := bulkNames(t, bulk(t, s, s.Admin, map[string]any{"nameHasPrefix": "bulk "}, false))
		if count != n || len(got) != 100 || got[0] != "bulk 000" || got[99] != "bulk 099" {
			t.Fatalf("count %d, listed %d: %v…", count, len(got), got[:3])
		}
		if got := auditCounts(t, s)["api-token.revoke"]; got != events+n {
			t.Fatalf("audit events: %d, want %d", got, events+n)
		}
		refusedWithin(t, other, first, time.Second)
		s.MustDo(t, s.Admin, viewerQuery, nil)
	})
}
