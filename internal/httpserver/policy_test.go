package httpserver_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const (
	policyQuery  = `{ policy { maxLifetimeDays requireExpiry maxGracePeriodSeconds revokeUnusedAfterDays } }`
	updatePolicy = `mutation($input: UpdatePolicyInput!) { updatePolicy(input: $input) { maxLifetimeDays requireExpiry maxGracePeriodSeconds revokeUnusedAfterDays } }`
	violations   = `{ policyViolations(first: 100) { totalCount edges { node { name } } } }`
)

// manualSweeps keeps the background sweep out of a test that runs sweeps
// itself and counts what they do.
var manualSweeps = testserver.Config(func(c *config.Config) { c.SweepInterval = 24 * time.Hour })

func setPolicy(t *testing.T, s *testserver.Server, in map[string]any) *testserver.Response {
	t.Helper()
	return s.MustDo(t, s.Admin, updatePolicy, map[string]any{"input": in})
}

// policyRefused fails unless r is BAD_USER_INPUT naming policy and field.
func policyRefused(t *testing.T, what string, r *testserver.Response, policy, field string) {
	t.Helper()
	if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["policy"] != policy || r.Field() != field {
		t.Fatalf("%s: want BAD_USER_INPUT policy=%s field=%s, got %s", what, policy, field, r.Raw)
	}
}

// auditActions lists the actions of the audit log, newest first, and
// counts each.
func auditCounts(t *testing.T, s *testserver.Server) map[string]int {
	t.Helper()
	r := s.MustDo(t, s.Admin, `{ auditEvents(first: 1000) { edges { node { action } } } }`, nil)
	out := map[string]int{}
	for _, e := range r.Get("auditEvents.edges").([]any) {
		out[e.(map[string]any)["node"].(map[string]any)["action"].(string)]++
	}
	return out
}

func tokenNames(t *testing.T, r *testserver.Response, path string) []string {
	t.Helper()
	var out []string
	edges, _ := r.Get(path).([]any)
	for _, e := range edges {
		out = append(out, e.(map[string]any)["node"].(map[string]any)["name"].(string))
	}
	sort.Strings(out)
	return out
}

func TestPolicyDefaultsAndUpdate(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		r := s.MustDo(t, s.Admin, policyQuery, nil)
		if r.Get("policy.maxLifetimeDays") != nil || r.Get("policy.requireExpiry") != false ||
			r.Get("policy.maxGracePeriodSeconds") != float64(604800) || r.Get("policy.revokeUnusedAfterDays") != nil {
			t.Fatalf("default policy: %s", r.Raw)
		}
		u := setPolicy(t, s, map[string]any{"maxLifetimeDays": 90, "requireExpiry": true})
		if u.Get("updatePolicy.maxLifetimeDays") != float64(90) || u.Get("updatePolicy.requireExpiry") != true || u.Get("updatePolicy.maxGracePeriodSeconds") != float64(604800) {
			t.Fatalf("update: %s", u.Raw)
		}
		// Left out: unchanged; null: cleared.
		u = setPolicy(t, s, map[string]any{"maxGracePeriodSeconds": 60, "revokeUnusedAfterDays": 365})
		if u.Get("updatePolicy.maxLifetimeDays") != float64(90) || u.Get("updatePolicy.revokeUnusedAfterDays") != float64(365) {
			t.Fatalf("partial update: %s", u.Raw)
		}
		u = setPolicy(t, s, map[string]any{"maxLifetimeDays": nil})
		if u.Get("updatePolicy.maxLifetimeDays") != nil || u.Get("updatePolicy.revokeUnusedAfterDays") != float64(365) || u.Get("updatePolicy.maxGracePeriodSeconds") != float64(60) {
			t.Fatalf("clearing: %s", u.Raw)
		}
		// Read back through another instance: the policy lives in the database.
		other := s.Another(t)
		r = other.MustDo(t, s.Admin, policyQuery, nil)
		if r.Get("policy.maxLifetimeDays") != nil || r.Get("policy.requireExpiry") != true || r.Get("policy.maxGracePeriodSeconds") != float64(60) {
			t.Fatalf("other instance: %s", r.Raw)
		}
		// Audited with the names of what changed.
		a := s.MustDo(t, s.Admin, `{ auditEvents(first: 3, where: {action: "policy.update"}) { edges { node { changes targetType actorTokenName } } } }`, nil)
		edges := a.Get("auditEvents.edges").([]any)
		if len(edges) != 3 {
			t.Fatalf("audit: %s", a.Raw)
		}
		newest := edges[0].(map[string]any)["node"].(map[string]any)
		if fmt.Sprint(newest["changes"]) != "[maxLifetimeDays]" || newest["targetType"] != "policy" || newest["actorTokenName"] != "Bootstrap" {
			t.Fatalf("audit event: %v", newest)
		}
		oldest := edges[2].(map[string]any)["node"].(map[string]any)
		if fmt.Sprint(oldest["changes"]) != "[maxLifetimeDays requireExpiry]" {
			t.Fatalf("first audit event: %v", oldest)
		}
		// Bad values change nothing.
		before := s.Snapshot(t)
		for _, in := range []map[string]any{
			{"maxLifetimeDays": 0}, {"maxLifetimeDays": -1}, {"maxLifetimeDays": 36501}, {"revokeUnusedAfterDays": 0},
			{"maxGracePeriodSeconds": -1}, {"maxGracePeriodSeconds": 604801},
		} {
			if r := s.Do(t, s.Admin, updatePolicy, map[string]any{"input": in}); r.Code() != "BAD_USER_INPUT" {
				t.Errorf("%v: %s", in, r.Raw)
			}
		}
		if s.Snapshot(t) != before {
			t.Error("a refused policy update changed something")
		}
	})
}

// Only FULL_ACCESS callers change the policy; every other caller, however
// much else it holds, gets FORBIDDEN and changes nothing. Anyone signed in
// reads it.
func TestUpdatePolicyNeedsFullAccess(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		all := s.MustDo(t, s.Admin, `{ viewer { permissions { contentType action } } }`, nil).Get("viewer.permissions").([]any)
		var every []map[string]any
		for _, p := range all {
			every = append(every, p.(map[string]any))
		}
		custom, _ := mint(t, s, map[string]any{"name": "everything but the type", "type": "CUSTOM", "permissions": every})
		readOnly, _ := mint(t, s, map[string]any{"name": "reader", "type": "READ_ONLY"})
		full, fullID := mint(t, s, map[string]any{"name": "second admin", "type": "FULL_ACCESS"})
		before := s.Snapshot(t)
		for _, sec := range []string{custom, readOnly} {
			expectCode(t, s, sec, "FORBIDDEN", updatePolicy, map[string]any{"input": map[string]any{"requireExpiry": true}})
			s.MustDo(t, sec, policyQuery, nil)
		}
		expectCode(t, s, "", "UNAUTHENTICATED", updatePolicy, map[string]any{"input": map[string]any{"requireExpiry": true}})
		expectCode(t, s, "", "UNAUTHENTICATED", policyQuery, nil)
		if s.Snapshot(t) != before {
			t.Fatal("a refused updatePolicy changed something")
		}
		// A grace secret of a FULL_ACCESS token manages nothing.
		g := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 60) { secret } }`, map[string]any{"id": fullID})
		expectCode(t, s, full, "FORBIDDEN", updatePolicy, map[string]any{"input": map[string]any{"requireExpiry": true}})
		s.MustDo(t, g.Str("regenerateAPIToken.secret"), updatePolicy, map[string]any{"input": map[string]any{"requireExpiry": true}})
		// A FULL_ACCESS caller downgraded earlier in the same operation is
		// judged as it is now, inside the transaction.
		r := s.Do(t, g.Str("regenerateAPIToken.secret"), `mutation($id: ID!) {
			a: updateAPIToken(id: $id, input: {type: READ_ONLY}) { id }
			b: updatePolicy(input: {requireExpiry: false}) { requireExpiry } }`, map[string]any{"id": fullID})
		if r.Code() != "FORBIDDEN" {
			t.Fatalf("downgraded caller: %s", r.Raw)
		}
		if p := s.MustDo(t, s.Admin, policyQuery, nil); p.Get("policy.requireExpiry") != true {
			t.Fatalf("the refused operation changed the policy: %s", p.Raw)
		}
	})
}

// Every policy on every path that sets an expiry or a grace period: the
// table of what is refused (BAD_USER_INPUT, extensions.policy) and what
// passes.
func TestPolicyEnforcement(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		now := s.Clock.Now()
		at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
		day := 24 * time.Hour
		_, target := mint(t, s, map[string]any{"name": "target", "type": "READ_ONLY", "lifespan": "DAYS_7"})
		// A CUSTOM caller with the api-token cells and every read-only one
		// (so it may manage READ_ONLY tokens): the policy binds it like any
		// caller; its own expiry is no limit (it has none).
		manager, _ := mint(t, s, map[string]any{"name": "manager", "type": "CUSTOM", "permissions": cells(
			"api-token:read", "api-token:create", "api-token:update", "api-token:regenerate", "api-token:revoke",
			"persona:read", "role:read", "content-type:read", "audit-event:read")})
		type row struct {
			name   string
			policy map[string]any
			op     string // create, update, regenerate
			in     map[string]any
			refuse string // policy refused, "" to pass
			field  string
		}
		rows := []row{
			{"max lifetime: lifespan within", map[string]any{"maxLifetimeDays": 30}, "create", map[string]any{"lifespan": "DAYS_30"}, "", ""},
			{"max lifetime: lifespan beyond", map[string]any{"maxLifetimeDays": 30}, "create", map[string]any{"lifespan": "DAYS_90"}, "maxLifetimeDays", "lifespan"},
			{"max lifetime: unlimited", map[string]any{"maxLifetimeDays": 30}, "create", map[string]any{"lifespan": "UNLIMITED"}, "maxLifetimeDays", "lifespan"},
			{"max lifetime: no expiry given", map[string]any{"maxLifetimeDays": 30}, "create", map[string]any{}, "maxLifetimeDays", "lifespan"},
			{"max lifetime: expiresAt on the limit", map[string]any{"maxLifetimeDays": 30}, "create", map[string]any{"expiresAt": at(30 * day)}, "", ""},
			{"max lifetime: expiresAt a second beyond", map[string]any{"maxLifetimeDays": 30}, "create", map[string]any{"expiresAt": at(30*day + time.Second)}, "maxLifetimeDays", "expiresAt"},
			{"max lifetime: update beyond", map[string]any{"maxLifetimeDays": 30}, "update", map[string]any{"lifespan": "DAYS_90"}, "maxLifetimeDays", "lifespan"},
			{"max lifetime: update to unlimited", map[string]any{"maxLifetimeDays": 30}, "update", map[string]any{"lifespan": "UNLIMITED"}, "maxLifetimeDays", "lifespan"},
			{"max lifetime: update within", map[string]any{"maxLifetimeDays": 30}, "update", map[string]any{"expiresAt": at(29 * day)}, "", ""},
			{"max lifetime: update not touching the expiry", map[string]any{"maxLifetimeDays": 3}, "update", map[string]any{"description": "fine"}, "", ""},
			{"require expiry: none", map[string]any{"requireExpiry": true}, "create", map[string]any{}, "requireExpiry", "lifespan"},
			{"require expiry: unlimited", map[string]any{"requireExpiry": true}, "create", map[string]any{"lifespan": "UNLIMITED"}, "requireExpiry", "lifespan"},
			{"require expiry: given", map[string]any{"requireExpiry": true}, "create", map[string]any{"lifespan": "DAYS_90"}, "", ""},
			{"require expiry: update to none", map[string]any{"requireExpiry": true}, "update", map[string]any{"lifespan": "UNLIMITED"}, "requireExpiry", "lifespan"},
			{"require expiry: update to a date", map[string]any{"requireExpiry": true}, "update", map[string]any{"lifespan": "DAYS_7"}, "", ""},
			{"max grace: within", map[string]any{"maxGracePeriodSeconds": 60}, "regenerate", map[string]any{"grace": 60}, "", ""},
			{"max grace: beyond", map[string]any{"maxGracePeriodSeconds": 60}, "regenerate", map[string]any{"grace": 61}, "maxGracePeriodSeconds", "gracePeriodSeconds"},
			{"max grace: none allowed", map[string]any{"maxGracePeriodSeconds": 0}, "regenerate", map[string]any{"grace": 1}, "maxGracePeriodSeconds", "gracePeriodSeconds"},
			{"max grace: no grace asked", map[string]any{"maxGracePeriodSeconds": 0}, "regenerate", map[string]any{}, "", ""},
			{"unused: does not block create", map[string]any{"revokeUnusedAfterDays": 1}, "create", map[string]any{}, "", ""},
		}
		reset := map[string]any{"maxLifetimeDays": nil, "requireExpiry": false, "maxGracePeriodSeconds": 604800, "revokeUnusedAfterDays": nil}
		for i, r := range rows {
			for _, caller := range []string{s.Admin, manager} {
				setPolicy(t, s, reset)
				setPolicy(t, s, r.policy)
				before := s.Snapshot(t)
				var res *testserver.Response
				switch r.op {
				case "create":
					in := map[string]any{"name": fmt.Sprintf("row %d by %s", i, caller[:8]), "type": "READ_ONLY"}
					for k, v := range r.in {
						in[k] = v
					}
					res = s.Do(t, caller, createToken, map[string]any{"input": in})
				case "update":
					res = s.Do(t, caller, `mutation($id: ID!, $input: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $input) { id } }`, map[string]any{"id": target, "input": r.in})
				case "regenerate":
					res = s.Do(t, caller, `mutation($id: ID!, $g: Int) { regenerateAPIToken(id: $id, gracePeriodSeconds: $g) { secret } }`, map[string]any{"id": target, "g": r.in["grace"]})
				}
				if r.refuse == "" {
					if len(res.Errors) > 0 {
						t.Errorf("%s: refused: %s", r.name, res.Raw)
					}
					continue
				}
				policyRefused(t, r.name, res, r.refuse, r.field)
				if s.Snapshot(t) != before {
					t.Errorf("%s: a refused mutation changed something", r.name)
				}
			}
		}
	})
}

// Tokens that break a policy made after them are listed, not changed.
func TestPolicyViolationsListed(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, manualSweeps)
		mint(t, s, map[string]any{"name": "forever", "type": "READ_ONLY"})
		mint(t, s, map[string]any{"name": "ninety", "type": "READ_ONLY", "lifespan": "DAYS_90"})
		mint(t, s, map[string]any{"name": "week", "type": "READ_ONLY", "lifespan": "DAYS_7"})
		_, longGrace := mint(t, s, map[string]any{"name": "long grace", "type": "READ_ONLY", "lifespan": "DAYS_7"})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 3600) { secret } }`, map[string]any{"id": longGrace})
		_, revoked := mint(t, s, map[string]any{"name": "revoked forever", "type": "READ_ONLY"})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": revoked})

		if got := tokenNames(t, s.MustDo(t, s.Admin, violations, nil), "policyViolations.edges"); len(got) != 0 {
			t.Fatalf("no policy, no violations: %v", got)
		}
		setPolicy(t, s, map[string]any{"requireExpiry": true})
		// The Bootstrap token has no expiry either.
		want := []string{"Bootstrap", "forever"}
		if got := tokenNames(t, s.MustDo(t, s.Admin, violations, nil), "policyViolations.edges"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("requireExpiry: %v, want %v", got, want)
		}
		setPolicy(t, s, map[string]any{"requireExpiry": false, "maxLifetimeDays": 30, "maxGracePeriodSeconds": 600})
		want = []string{"Bootstrap", "forever", "long grace", "ninety"}
		r := s.MustDo(t, s.Admin, violations, nil)
		if got := tokenNames(t, r, "policyViolations.edges"); fmt.Sprint(got) != fmt.Sprint(want) || r.Get("policyViolations.totalCount") != float64(4) {
			t.Fatalf("maxLifetimeDays + grace: %v, want %v (%s)", got, want, r.Raw)
		}
		// Listed, not changed.
		for _, n := range want {
			st := s.MustDo(t, s.Admin, `query($n: String!) { apiTokens(where: {name: $n}) { edges { node { status expiresAt } } } }`, map[string]any{"n": n})
			node := st.Get("apiTokens.edges").([]any)[0].(map[string]any)["node"].(map[string]any)
			if node["status"] != "ACTIVE" || (n == "forever" && node["expiresAt"] != nil) {
				t.Fatalf("%s changed: %s", n, st.Raw)
			}
		}
		// Paginated.
		p := s.MustDo(t, s.Admin, `{ policyViolations(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }`, nil)
		if len(p.Get("policyViolations.edges").([]any)) != 3 || p.Get("policyViolations.pageInfo.hasNextPage") != true {
			t.Fatalf("first page: %s", p.Raw)
		}
		p2 := s.MustDo(t, s.Admin, `query($c: Cursor) { policyViolations(first: 3, after: $c) { edges { node { name } } } }`, map[string]any{"c": p.Get("policyViolations.pageInfo.endCursor")})
		if got := tokenNames(t, p2, "policyViolations.edges"); len(got) != 1 {
			t.Fatalf("second page: %s", p2.Raw)
		}
		// Time moves: the week token expires and leaves; unused tokens show.
		setPolicy(t, s, map[string]any{"maxLifetimeDays": nil, "maxGracePeriodSeconds": 604800, "revokeUnusedAfterDays": 10})
		s.Clock.Advance(11 * 24 * time.Hour)
		s.MustDo(t, s.Admin, viewerQuery, nil) // the Bootstrap token was used just now
		if err := s.App.Recorder.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		want = []string{"forever", "ninety"}
		if got := tokenNames(t, s.MustDo(t, s.Admin, violations, nil), "policyViolations.edges"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("unused: %v, want %v", got, want)
		}
		// Guarded by api-token:read.
		noRead, _ := mint(t, s, map[string]any{"name": "no read", "type": "CUSTOM", "permissions": cells("api-token:revoke")})
		expectCode(t, s, noRead, "FORBIDDEN", violations, nil)
	})
}

// A policy made on one instance binds the next mutation on another, with
// no cache to wait for.
func TestPolicyFreshAcrossInstances(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		other := s.Another(t)
		other.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "before", "type": "READ_ONLY"}})
		setPolicy(t, s, map[string]any{"requireExpiry": true})
		r := other.Do(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "after", "type": "READ_ONLY"}})
		policyRefused(t, "other instance", r, "requireExpiry", "lifespan")
	})
}

// The sweep revokes tokens unused for revokeUnusedAfterDays (never used:
// since created) exactly once, under the system actor, and the revocation
// reaches every instance's cache at once.
func TestAutoRevokeUnused(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, manualSweeps)
		other := s.Another(t)
		ctx := context.Background()
		idle, idleID := mint(t, s, map[string]any{"name": "idle", "type": "READ_ONLY"})
		busy, _ := mint(t, s, map[string]any{"name": "busy", "type": "READ_ONLY"})
		never, _ := mint(t, s, map[string]any{"name": "never used", "type": "READ_ONLY"})
		// Both are cached on the other instance.
		other.MustDo(t, idle, viewerQuery, nil)
		other.MustDo(t, busy, viewerQuery, nil)
		setPolicy(t, s, map[string]any{"revokeUnusedAfterDays": 30})

		s.Clock.Advance(29 * 24 * time.Hour)
		other.MustDo(t, busy, viewerQuery, nil)
		other.MustDo(t, s.Admin, viewerQuery, nil)
		if err := other.App.Recorder.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := s.App.Lifecycle.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("day 29: revoked %d, %v", n, err)
		}
		s.Clock.Advance(2 * 24 * time.Hour)
		// Sweep from both instances at once: each token is revoked once.
		var wg sync.WaitGroup
		counts := make([]int, 4)
		errs := make([]error, 4)
		for i := range counts {
			app := s.App
			if i%2 == 1 {
				app = other.App
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts[i], errs[i] = app.Lifecycle.Sweep(ctx)
			}()
		}
		wg.Wait()
		total := 0
		for i := range counts {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			total += counts[i]
		}
		if total != 2 {
			t.Fatalf("sweeps revoked %v tokens in all, want 2 (idle, never used)", counts)
		}
		// And again later: nothing more.
		s.Clock.Advance(time.Hour)
		if n, err := other.App.Lifecycle.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep: %d %v", n, err)
		}
		refusedWithin(t, other, idle, time.Second)
		refusedWithin(t, s, never, time.Second)
		other.MustDo(t, busy, viewerQuery, nil)
		other.MustDo(t, s.Admin, viewerQuery, nil)

		a := s.MustDo(t, s.Admin, `{ auditEvents(where: {action: "api-token.auto-revoke"}) { edges { node { targetID targetName actorTokenID actorTokenName actorPersonaName changes } } } }`, nil)
		edges := a.Get("auditEvents.edges").([]any)
		if len(edges) != 2 {
			t.Fatalf("audit events: %s", a.Raw)
		}
		for _, e := range edges {
			ev := e.(map[string]any)["node"].(map[string]any)
			if ev["actorTokenID"] != "" || ev["actorTokenName"] != "system" || ev["actorPersonaName"] != "system" || fmt.Sprint(ev["changes"]) != "[revokedAt]" {
				t.Fatalf("audit event: %v", ev)
			}
		}
		st := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { status } } }`, map[string]any{"id": idleID})
		if st.Str("node.status") != "REVOKED" {
			t.Fatalf("status: %s", st.Raw)
		}
	})
}

// The background sweep runs on LATCHKEY_SWEEP_INTERVAL.
func TestAutoRevokeRunsInTheBackground(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Config(func(c *config.Config) { c.SweepInterval = 20 * time.Millisecond }))
		_, id := mint(t, s, map[string]any{"name": "idle", "type": "READ_ONLY"})
		s.Clock.Advance(25 * time.Hour)
		// The admin stays in use: its use now is flushed by the sweep.
		setPolicy(t, s, map[string]any{"revokeUnusedAfterDays": 1})
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { status } } }`, map[string]any{"id": id})
			if st.Str("node.status") == "REVOKED" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the background sweep did not revoke the idle token within 10 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if n := auditCounts(t, s)["api-token.auto-revoke"]; n != 1 {
			t.Fatalf("auto-revoke events: %d", n)
		}
		if r := s.MustDo(t, s.Admin, viewerQuery, nil); r.Str("viewer.apiToken.name") != "Bootstrap" {
			t.Fatal("the admin was revoked")
		}
	})
}

// refusedWithin waits, at most d, until srv refuses secret with 401: a
// change made on another instance reaches srv through the change feed.
func refusedWithin(t *testing.T, srv *testserver.Server, secret string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for srv.Do(t, secret, viewerQuery, nil).Status != 401 {
		if time.Now().After(deadline) {
			t.Fatalf("the secret still authenticates after %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	expectUnauthenticated(t, srv, secret)
}
