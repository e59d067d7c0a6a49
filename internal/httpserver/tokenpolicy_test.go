package httpserver_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Every refusal reason is decided the same on every path that checks a
// token: /graphql (the bearer middleware), /auth/verify, POST /v1/verify
// and introspectToken.
func TestRefusalReasonsEverywhere(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		future := s.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		cases := []struct {
			code  string
			setup func() string // returns the secret, with any spending done
			perms string        // asked of /auth/verify, /v1/verify, introspectToken
			// what /graphql answers: HTTP status, extensions.code, reason
			status int
			gqlErr string
			reason string
			// what /auth/verify answers
			verify int
		}{
			{"VALID", func() string { sec, _ := policyToken(t, s, "valid", nil); return sec }, "api-token:read", 200, "", "", 200},
			{"INVALID", func() string { return "lk_" + "0000000000000000000000000000000000000000" + "000000" }, "api-token:read", 401, "UNAUTHENTICATED", "", 401},
			{"NOT_YET_VALID", func() string {
				sec, _ := policyToken(t, s, "later", map[string]any{"notBefore": future})
				return sec
			}, "api-token:read", 403, "FORBIDDEN", "NOT_YET_VALID", 403},
			{"IP_NOT_ALLOWED", func() string {
				sec, _ := policyToken(t, s, "elsewhere", map[string]any{"allowedNetworks": []string{"10.0.0.0/8", "2001:db8::/32"}})
				return sec
			}, "api-token:read", 403, "FORBIDDEN", "IP_NOT_ALLOWED", 403},
			{"FORBIDDEN", func() string { sec, _ := policyToken(t, s, "weak", nil); return sec }, "api-token:delete", 0, "", "", 403},
			{"RATE_LIMITED", func() string {
				sec, _ := policyToken(t, s, "limited", map[string]any{"rateLimits": []map[string]any{{"name": "hourly", "limit": 1, "periodSeconds": 3600}}})
				if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 200 {
					t.Fatalf("first use: %d", res.StatusCode)
				}
				return sec
			}, "api-token:read", 429, "RATE_LIMITED", "", 429},
			{"USAGE_EXCEEDED", func() string {
				sec, _ := policyToken(t, s, "spent", map[string]any{"credits": map[string]any{"remaining": 1}})
				if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 200 {
					t.Fatalf("first use: %d", res.StatusCode)
				}
				return sec
			}, "api-token:read", 429, "USAGE_EXCEEDED", "", 429},
		}
		for _, c := range cases {
			t.Run(c.code, func(t *testing.T) {
				sec := c.setup()
				// introspectToken spends nothing: ask it first.
				if code, active := introspectCode(t, s, sec, c.perms); code != c.code || active != (c.code == "VALID") {
					t.Errorf("introspectToken: %s (active %v)", code, active)
				}
				if c.code != "FORBIDDEN" {
					r := graphQLWith(t, s, sec, `{ viewer { apiToken { id } } }`, nil)
					if r.Status != c.status || r.Code() != c.gqlErr || ext(r, "reason") != c.reason {
						t.Errorf("/graphql: %d %s", r.Status, r.Raw)
					}
				} else {
					r := graphQLWith(t, s, sec, `mutation { deleteAPIToken(id: "tok_x") }`, nil)
					if r.Code() != "FORBIDDEN" {
						t.Errorf("/graphql: %d %s", r.Status, r.Raw)
					}
				}
				q := url.Values{"contentType": {"api-token"}, "action": {"read"}}
				if c.perms == "api-token:delete" {
					q.Set("action", "delete")
				}
				if res := forwardAuth(t, s, sec, q, nil); res.StatusCode != c.verify || (c.code != "VALID" && c.code != "INVALID" && res.Header.Get("X-Latchkey-Reason") != c.code && c.code != "FORBIDDEN") {
					t.Errorf("/auth/verify: %d %v", res.StatusCode, res.Header)
				}
				status, ans, _ := verifyAPI(t, s, map[string]any{"token": sec, "permissions": c.perms}, nil)
				if status != 200 || ans["code"] != c.code || ans["valid"] != (c.code == "VALID") {
					t.Errorf("/v1/verify: %d %v", status, ans)
				}
			})
		}
	})
}

// The N+1st request of a window is refused with 429, Retry-After, the
// limit named, and the IETF RateLimit headers; answers before it carry the
// headers too, and the next window admits again.
func TestRateLimitWindow(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		sec, _ := policyToken(t, s, "burst", map[string]any{"rateLimits": []map[string]any{
			{"name": "burst", "limit": 3, "periodSeconds": 60},
			{"name": "daily", "limit": 1000, "periodSeconds": 86400},
		}})
		now := s.Clock.Now()
		end := now.Truncate(time.Minute).Add(time.Minute)
		reset := strconv.Itoa(int(end.Sub(now).Seconds()))
		for i := range 3 {
			res := forwardAuth(t, s, sec, nil, nil)
			if res.StatusCode != 200 || res.Header.Get("RateLimit-Limit") != "3" || res.Header.Get("RateLimit-Remaining") != strconv.Itoa(2-i) || res.Header.Get("RateLimit-Reset") != reset {
				t.Fatalf("request %d: %d %v", i+1, res.StatusCode, res.Header)
			}
		}
		res := forwardAuth(t, s, sec, nil, nil)
		if res.StatusCode != 429 || res.Header.Get("Retry-After") != reset || res.Header.Get("RateLimit-Remaining") != "0" ||
			res.Header.Get("RateLimit-Limit") != "3" || res.Header.Get("X-Latchkey-Reason") != "RATE_LIMITED" {
			t.Fatalf("4th request: %d %v", res.StatusCode, res.Header)
		}
		r := graphQLWith(t, s, sec, `{ viewer { apiToken { id } } }`, nil)
		if r.Status != 429 || r.Code() != "RATE_LIMITED" || ext(r, "limit") != "burst" || r.Header.Get("Retry-After") != reset || r.Header.Get("RateLimit-Remaining") != "0" {
			t.Fatalf("/graphql over the limit: %d %v %s", r.Status, r.Header, r.Raw)
		}
		// The refusals spent nothing; the next window admits three more.
		s.Clock.Advance(end.Sub(now))
		r = graphQLWith(t, s, sec, `{ viewer { apiToken { id } } }`, nil)
		if r.Status != 200 || r.Header.Get("RateLimit-Remaining") != "2" || r.Header.Get("RateLimit-Reset") != "60" {
			t.Fatalf("next window: %d %v %s", r.Status, r.Header, r.Raw)
		}
		status, ans, _ := verifyAPI(t, s, map[string]any{"token": sec}, nil)
		limits, _ := ans["rateLimits"].([]any)
		if status != 200 || ans["valid"] != true || len(limits) != 2 {
			t.Fatalf("/v1/verify: %v", ans)
		}
		burst := limits[0].(map[string]any)
		if burst["name"] != "burst" || burst["remaining"] != float64(1) || burst["limit"] != float64(3) || burst["reset"] != float64(end.Add(time.Minute).UnixMilli()) {
			t.Fatalf("/v1/verify limits: %v", limits)
		}
	})
}

// A persona's limits are shared by all of its tokens.
func TestPersonaSharedLimit(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		p := s.MustDo(t, s.Admin, `mutation { createPersona(input: {name: "Shared", rateLimits: [{name: "team", limit: 4, periodSeconds: 3600}]}) { id rateLimits { name limit periodSeconds } } }`, nil)
		pid := p.Str("createPersona.id")
		a, _ := policyToken(t, s, "a", map[string]any{"personaID": pid})
		b, _ := policyToken(t, s, "b", map[string]any{"personaID": pid, "rateLimits": []map[string]any{{"name": "own", "limit": 100, "periodSeconds": 60}}})
		for i, sec := range []string{a, b, a, b} {
			if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 200 || res.Header.Get("RateLimit-Remaining") != strconv.Itoa(3-i) {
				t.Fatalf("use %d: %d %v", i+1, res.StatusCode, res.Header)
			}
		}
		for _, sec := range []string{a, b} {
			if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 429 || res.Header.Get("RateLimit-Limit") != "4" {
				t.Fatalf("5th use of the persona: %d %v", res.StatusCode, res.Header)
			}
		}
		// Raising the persona's limit reaches the cached verifications.
		s.MustDo(t, s.Admin, `mutation($id: ID!) { updatePersona(id: $id, input: {rateLimits: [{name: "team", limit: 5, periodSeconds: 3600}]}) { id } }`, map[string]any{"id": pid})
		if res := forwardAuth(t, s, a, nil, nil); res.StatusCode != 200 {
			t.Fatalf("after raising the limit: %d", res.StatusCode)
		}
	})
}

// cost spends that many units; a request it would take over is refused
// whole, and spends nothing.
func TestWeightedCost(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		sec, _ := policyToken(t, s, "weighted", map[string]any{
			"rateLimits": []map[string]any{{"name": "units", "limit": 10, "periodSeconds": 3600}},
			"credits":    map[string]any{"remaining": 100},
		})
		cost := func(n string) *http.Response {
			return forwardAuth(t, s, sec, url.Values{"contentType": {"api-token"}, "action": {"read"}, "cost": {n}}, nil)
		}
		for _, step := range []struct {
			cost, status int
			remaining    string
		}{{4, 200, "6"}, {4, 200, "2"}, {0, 200, "2"}, {4, 429, "2"}, {2, 200, "0"}, {0, 429, "0"}, {1, 429, "0"}} {
			// cost 0 checks without spending, and still needs a unit left.
			res := cost(strconv.Itoa(step.cost))
			if res.StatusCode != step.status || res.Header.Get("RateLimit-Remaining") != step.remaining {
				t.Fatalf("cost %d: %d %v", step.cost, res.StatusCode, res.Header)
			}
		}
		if res := cost("-1"); res.StatusCode != 400 {
			t.Fatalf("negative cost: %d", res.StatusCode)
		}
		if status, _, _ := verifyAPI(t, s, map[string]any{"token": sec, "cost": 2000000}, nil); status != 400 {
			t.Fatalf("cost out of range on /v1/verify: %d", status)
		}
		// Credits were spent by exactly the admitted cost: 10.
		if err := s.App.SyncPolicy(t.Context(), true); err != nil {
			t.Fatal(err)
		}
		r := s.MustDo(t, s.Admin, `{ apiTokens(where: {name: "weighted"}) { edges { node { credits { remaining } } } } }`, nil)
		if got := r.Get("apiTokens.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["credits"].(map[string]any)["remaining"]; got != float64(90) {
			t.Fatalf("credits after spending 10: %v", got)
		}
	})
}
