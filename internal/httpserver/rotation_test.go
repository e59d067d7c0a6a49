package httpserver_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const rotatedFields = `id name hint expiresAt createdAt allowSelfRotation persona { id } effectivePermissions { contentType action }`

const rotate = `mutation($g: Int) { rotateViewerToken(gracePeriodSeconds: $g) { secret apiToken { ` + rotatedFields + ` } } }`

// rotateOK rotates bearer's token and returns the new secret.
func rotateOK(t *testing.T, s *testserver.Server, bearer string, grace int) string {
	t.Helper()
	return s.MustDo(t, bearer, rotate, map[string]any{"g": grace}).Str("rotateViewerToken.secret")
}

func tokenStatus(t *testing.T, s *testserver.Server, id string) string {
	t.Helper()
	return s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { status } } }`, map[string]any{"id": id}).Str("node.status")
}

// The paths on which a secret is presented: each checks for reuse the same
// way. ok reports whether the secret authenticated.
var presentPaths = map[string]func(t *testing.T, s *testserver.Server, secret string) bool{
	"graphql": func(t *testing.T, s *testserver.Server, secret string) bool {
		r := s.Do(t, secret, viewerQuery, nil)
		if r.Status != http.StatusOK && r.Status != http.StatusUnauthorized {
			t.Fatalf("graphql: HTTP %d %s", r.Status, r.Raw)
		}
		return r.Status == http.StatusOK
	},
	"verify": func(t *testing.T, s *testserver.Server, secret string) bool {
		res, _ := send(t, s, http.MethodGet, "/auth/verify?contentType=api-token&action=read", "", "", http.Header{"Authorization": {"Bearer " + secret}})
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("verify: HTTP %d", res.StatusCode)
		}
		return res.StatusCode == http.StatusOK
	},
	"introspect": func(t *testing.T, s *testserver.Server, secret string) bool {
		r := s.MustDo(t, s.Admin, `query($s: String!) { introspectToken(secret: $s) { active } }`, map[string]any{"s": secret})
		return r.Get("introspectToken.active") == true
	},
}

// Self-rotation keeps everything but the secret; the creator decides
// whether a token may rotate itself, and setting that needs api-token:update.
func TestRotateViewerToken(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		// A creator without api-token:update may not allow it.
		creator, _ := mint(t, s, map[string]any{"name": "creator", "type": "CUSTOM", "permissions": cells(
			"api-token:create", "api-token:read", "persona:read", "role:read", "content-type:read", "audit-event:read")})
		before := s.Snapshot(t)
		r := s.Do(t, creator, createToken, map[string]any{"input": map[string]any{"name": "x", "type": "READ_ONLY", "allowSelfRotation": true}})
		if r.Code() != "FORBIDDEN" || r.Field() != "allowSelfRotation" {
			t.Fatalf("creator without update: %s", r.Raw)
		}
		if s.Snapshot(t) != before {
			t.Fatal("a refused create changed something")
		}
		s.MustDo(t, creator, createToken, map[string]any{"input": map[string]any{"name": "x", "type": "READ_ONLY", "allowSelfRotation": false}})

		// A READ_ONLY token (no api-token:regenerate) allowed to rotate.
		c := s.MustDo(t, s.Admin, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { `+rotatedFields+` } } }`, map[string]any{"input": map[string]any{
			"name": "rotor", "type": "READ_ONLY", "lifespan": "DAYS_30", "allowSelfRotation": true, "persona": map[string]any{"name": "Rotor"}}})
		old, id := c.Str("createAPIToken.secret"), c.Str("createAPIToken.apiToken.id")
		if c.Get("createAPIToken.apiToken.allowSelfRotation") != true {
			t.Fatalf("allowSelfRotation not set: %s", c.Raw)
		}
		s.Clock.Advance(time.Hour)
		rot := s.MustDo(t, old, rotate, map[string]any{"g": 60})
		fresh := rot.Str("rotateViewerToken.secret")
		if !secretFormat.MatchString(fresh) || fresh == old {
			t.Fatalf("new secret %q", fresh)
		}
		got, want := rot.Get("rotateViewerToken.apiToken").(map[string]any), c.Get("createAPIToken.apiToken").(map[string]any)
		for _, k := range []string{"id", "name", "expiresAt", "createdAt", "allowSelfRotation", "persona", "effectivePermissions"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
				t.Errorf("rotation changed %s: %v → %v", k, want[k], got[k])
			}
		}
		if got["hint"] != fresh[:9]+"…" {
			t.Errorf("hint %v", got["hint"])
		}
		// Both work during the grace period; the old one for use only.
		if v := s.MustDo(t, fresh, viewerQuery, nil); v.Str("viewer.apiToken.id") != id {
			t.Fatal(v.Raw)
		}
		s.MustDo(t, old, viewerQuery, nil)
		expectCode(t, s, old, "FORBIDDEN", rotate, map[string]any{"g": 0})
		// Audited as the token itself.
		a := s.MustDo(t, s.Admin, `{ auditEvents(first: 1, where: {action: "api-token.rotate"}) { edges { node { targetID actorTokenID changes } } } }`, nil)
		if ev := a.Get("auditEvents.edges").([]any)[0].(map[string]any)["node"].(map[string]any); ev["targetID"] != id || ev["actorTokenID"] != id || fmt.Sprint(ev["changes"]) != "[secret gracePeriod]" {
			t.Fatalf("audit: %v", ev)
		}

		// Not allowed: FORBIDDEN, whatever else the token may do.
		plain, plainID := mint(t, s, map[string]any{"name": "plain", "type": "FULL_ACCESS"})
		expectCode(t, s, plain, "FORBIDDEN", rotate, nil)
		expectCode(t, s, "", "UNAUTHENTICATED", rotate, nil)
		// Allowing it later needs api-token:update on the token.
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": plainID, "input": map[string]any{"allowSelfRotation": true}})
		rotateOK(t, s, plain, 0)

		// The policy bounds the grace period.
		setPolicy(t, s, map[string]any{"maxGracePeriodSeconds": 30})
		policyRefused(t, "grace beyond the policy", s.Do(t, fresh, rotate, map[string]any{"g": 31}), "maxGracePeriodSeconds", "gracePeriodSeconds")
		r = s.Do(t, fresh, rotate, map[string]any{"g": 604801})
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("grace beyond the maximum: %s", r.Raw)
		}
		// A token that may not read tokens reads its own in the payload, as
		// under viewer; not what its edges lead to.
		blind, blindID := mint(t, s, map[string]any{"name": "blind", "type": "CUSTOM", "permissions": cells("content-type:read"), "allowSelfRotation": true})
		b := s.MustDo(t, blind, `mutation { rotateViewerToken { secret apiToken { id name hint expiresAt } } }`, nil)
		if b.Str("rotateViewerToken.apiToken.id") != blindID || b.Str("rotateViewerToken.apiToken.name") != "blind" {
			t.Fatalf("own token in the payload: %s", b.Raw)
		}
		forbidden(t, "an edge of its own token", s.Do(t, b.Str("rotateViewerToken.secret"), `mutation { rotateViewerToken { secret apiToken { createdBy { name } } } }`, nil))
		// An aliased pair: the second rotation finds its caller's secret
		// rotated away by the first, and the operation is undone.
		r = s.Do(t, fresh, `mutation { a: rotateViewerToken(gracePeriodSeconds: 10) { secret } b: rotateViewerToken { secret } }`, nil)
		if r.Code() != "FORBIDDEN" {
			t.Fatalf("aliased rotations: %s", r.Raw)
		}
		s.MustDo(t, fresh, viewerQuery, nil)
	})
}

// A secret rotated away and past its grace period, presented again on any
// path, revokes its token: the answer is 401, the token's current secret
// stops too (on every instance), one api-token.reuse-revoke event is
// written under the system actor.
func TestReuseRevokesTheFamily(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		other := s.Another(t)
		for path, present := range presentPaths {
			t.Run(path, func(t *testing.T) {
				old, id := mint(t, s, map[string]any{"name": "reused via " + path, "type": "READ_ONLY", "allowSelfRotation": true})
				fresh := rotateOK(t, s, old, 60)
				other.MustDo(t, fresh, viewerQuery, nil) // cached there
				if !present(t, s, old) {
					t.Fatal("the old secret is refused during its grace period")
				}
				s.Clock.Advance(61 * time.Second)
				if present(t, s, old) {
					t.Fatal("the old secret authenticates after its grace period")
				}
				if st := tokenStatus(t, s, id); st != "REVOKED" {
					t.Fatalf("status after reuse: %s", st)
				}
				expectUnauthenticated(t, s, fresh)
				refusedWithin(t, other, fresh, time.Second)
				a := s.MustDo(t, s.Admin, `query($id: String!) { auditEvents(where: {action: "api-token.reuse-revoke", targetID: $id}) { edges { node { actorTokenID actorTokenName changes } } } }`, map[string]any{"id": id})
				edges := a.Get("auditEvents.edges").([]any)
				if len(edges) != 1 {
					t.Fatalf("reuse events: %s", a.Raw)
				}
				if ev := edges[0].(map[string]any)["node"].(map[string]any); ev["actorTokenID"] != "" || ev["actorTokenName"] != "system" {
					t.Fatalf("actor: %v", ev)
				}
				// Presented again: still 401, no second event.
				if present(t, s, old) {
					t.Fatal("reused secret authenticates")
				}
				if n := len(s.MustDo(t, s.Admin, `query($id: String!) { auditEvents(where: {action: "api-token.reuse-revoke", targetID: $id}) { edges { node { id } } } }`, map[string]any{"id": id}).Get("auditEvents.edges").([]any)); n != 1 {
					t.Fatalf("reuse events after a second presentation: %d", n)
				}
				// Restored by an admin, the old secret stays armed.
				s.MustDo(t, s.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": id})
				s.MustDo(t, fresh, viewerQuery, nil)
				present(t, s, old)
				if st := tokenStatus(t, s, id); st != "REVOKED" {
					t.Fatalf("status after a second reuse: %s", st)
				}
			})
		}
	})
}

// What does not count as reuse: a secret replaced by regenerateAPIToken
// (an admin's answer to a leak; arming it would let the leak revoke the
// replacement), looking a secret up with the admin's secret filter, and a
// rotated secret pushed out of the bounded history.
func TestReuseBoundaries(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		old, id := mint(t, s, map[string]any{"name": "regenerated", "type": "READ_ONLY", "allowSelfRotation": true})
		g := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, map[string]any{"id": id})
		expectUnauthenticated(t, s, old)
		if st := tokenStatus(t, s, id); st != "ACTIVE" {
			t.Fatalf("a regenerated-away secret revoked its token: %s", st)
		}
		cur := g.Str("regenerateAPIToken.secret")

		// The secret filter is a lookup, not a presentation.
		rotated := cur
		cur = rotateOK(t, s, cur, 0)
		r := s.MustDo(t, s.Admin, `query($s: String!) { apiTokens(where: {secret: $s}) { totalCount } }`, map[string]any{"s": rotated})
		if r.Get("apiTokens.totalCount") != float64(0) || tokenStatus(t, s, id) != "ACTIVE" {
			t.Fatalf("secret filter: %s", r.Raw)
		}
		// A chosen secret may not be one rotated away.
		r = s.Do(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "copycat", "type": "READ_ONLY", "secret": rotated}})
		if r.Code() != "CONFLICT" {
			t.Fatalf("reusing a retired secret as a new one: %s", r.Raw)
		}

		// A grace secret within its grace period is no reuse, even when its
		// token has expired meanwhile.
		exp, expID := mint(t, s, map[string]any{"name": "expiring", "type": "READ_ONLY", "allowSelfRotation": true})
		rotateOK(t, s, exp, 90)
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": expID, "input": map[string]any{"expiresAt": s.Clock.Now().Add(20 * time.Second).Format(time.RFC3339)}})
		s.Clock.Advance(40 * time.Second)
		expectUnauthenticated(t, s, exp)
		if st := tokenStatus(t, s, expID); st != "EXPIRED" {
			t.Fatalf("a grace secret of an expired token: %s", st)
		}
		s.Clock.Advance(60 * time.Second)
		expectUnauthenticated(t, s, exp)
		if st := tokenStatus(t, s, expID); st != "REVOKED" {
			t.Fatalf("the same secret after its grace period: %s", st)
		}

		// History holds the last 20 rotated-away secrets of a token.
		history := []string{rotated}
		for range 20 {
			history = append(history, cur)
			cur = rotateOK(t, s, cur, 0)
		}
		expectUnauthenticated(t, s, history[0]) // forgotten: a plain miss
		if st := tokenStatus(t, s, id); st != "ACTIVE" {
			t.Fatalf("a secret beyond the history revoked its token: %s", st)
		}
		if n := retired(t, s, id); n != 20 {
			t.Fatalf("retired secrets kept: %d", n)
		}
		expectUnauthenticated(t, s, history[1])
		if st := tokenStatus(t, s, id); st != "REVOKED" {
			t.Fatalf("the oldest remembered secret did not revoke: %s", st)
		}
		// Deleting the token forgets its history.
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": id})
		if n := retired(t, s, id); n != 0 {
			t.Fatalf("retired secrets after delete: %d", n)
		}
		expectUnauthenticated(t, s, history[2])
	})
}

// retired counts the rotated-away secrets kept for token id.
func retired(t *testing.T, s *testserver.Server, id string) int {
	t.Helper()
	var n int
	if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM retired_secrets WHERE token_id = ?", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// An admin's regenerate disarms the secrets the token rotated away itself:
// one of them presented afterwards is a plain miss, not a reuse that would
// revoke the replacement. The audit event says the history went.
func TestRegenerateDisarmsRotationHistory(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		first, id := mint(t, s, map[string]any{"name": "rotating", "type": "READ_ONLY", "allowSelfRotation": true})
		second := rotateOK(t, s, first, 0)
		third := rotateOK(t, s, second, 60) // second is the grace secret
		if n := retired(t, s, id); n != 2 {
			t.Fatalf("retired secrets before regenerate: %d", n)
		}
		r := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 30) { secret } }`, map[string]any{"id": id})
		next := r.Str("regenerateAPIToken.secret")
		if n := retired(t, s, id); n != 0 {
			t.Fatalf("retired secrets after regenerate: %d", n)
		}
		a := s.MustDo(t, s.Admin, `query($id: String!) { auditEvents(first: 1, where: {action: "api-token.regenerate", targetID: $id}) { edges { node { changes } } } }`, map[string]any{"id": id})
		if got := fmt.Sprint(a.Get("auditEvents.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["changes"]); got != "[secret gracePeriod rotationHistory]" {
			t.Fatalf("audit changes: %s", got)
		}
		s.Clock.Advance(2 * time.Minute) // every grace period is over
		for _, old := range []string{first, second, third} {
			expectUnauthenticated(t, s, old)
		}
		if st := tokenStatus(t, s, id); st != "ACTIVE" {
			t.Fatalf("an old secret presented after regenerate: %s", st)
		}
		if r := graphQLWith(t, s, next, `{ viewer { apiToken { id } } }`, nil); r.Status != 200 || r.Str("viewer.apiToken.id") != id {
			t.Fatalf("the replacement: %d %s", r.Status, r.Raw)
		}
		// They still cannot be chosen as a new token's secret.
		if r := s.Do(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "copycat", "type": "READ_ONLY", "secret": first}}); r.Code() != "CONFLICT" {
			t.Fatalf("choosing a disarmed retired secret: %s", r.Raw)
		}
		// Rotating again arms the new history as before.
		after := rotateOK(t, s, next, 0)
		expectUnauthenticated(t, s, next)
		if st := tokenStatus(t, s, id); st != "REVOKED" {
			t.Fatalf("a secret rotated away after regenerate, presented: %s (current %s)", st, after[:6])
		}
	})
}
