package httpserver_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// POST /v1/verify: 200 with the contract's shape whenever the request is
// well-formed, 400 otherwise; invalid tokens spend the client's
// failed-attempt budget like bearer failures.
func TestVerifyAPI(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Config(func(c *config.Config) { c.AuthFailureBurst, c.AuthFailureRate = 3, 0.001 }))
		r := s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Article", actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}, {name: "update", readOnly: false}]}) { id } }`, nil)
		_ = r
		sec, id := policyToken(t, s, "service", map[string]any{
			"permissions": cells("article:read", "article:update"),
			"persona":     map[string]any{"name": "Billing service"},
			"rateLimits":  []any{lim("burst", 10, 60)},
			"credits":     map[string]any{"remaining": 50},
		})
		status, ans, _ := verifyAPI(t, s, map[string]any{"token": sec, "permissions": "article:read AND (article:publish OR article:update)", "cost": 2}, nil)
		keys := make([]string, 0, len(ans))
		for k := range ans {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"code", "expiresAt", "metadata", "persona", "rateLimits", "remaining", "tokenId", "valid"}) {
			t.Fatalf("answer keys %v", keys)
		}
		persona := ans["persona"].(map[string]any)
		if status != 200 || ans["valid"] != true || ans["code"] != "VALID" || ans["tokenId"] != id || persona["name"] != "Billing service" ||
			persona["externalId"] != nil || ans["remaining"] != float64(48) || ans["expiresAt"] != nil {
			t.Fatalf("answer %v", ans)
		}
		if l := ans["rateLimits"].([]any)[0].(map[string]any); l["name"] != "burst" || l["remaining"] != float64(8) || l["limit"] != float64(10) {
			t.Fatalf("rate limits %v", ans["rateLimits"])
		}
		if _, ans, _ := verifyAPI(t, s, map[string]any{"token": sec, "permissions": "article:publish OR article:read AND article:update"}, nil); ans["code"] != "VALID" {
			t.Fatalf("OR of an AND: %v", ans)
		}
		if _, ans, _ := verifyAPI(t, s, map[string]any{"token": sec, "permissions": "(article:publish OR article:read) AND article:publish"}, nil); ans["code"] != "FORBIDDEN" || ans["tokenId"] != id {
			t.Fatalf("a permission it lacks: %v", ans)
		}
		for _, body := range []any{
			`not json`, `{"token": "x"} {}`, `[]`,
			map[string]any{"token": ""},
			map[string]any{"permissions": "article:read"},
			map[string]any{"token": sec, "permission": "article:read"},
			map[string]any{"token": sec, "permissions": "article:read AND"},
			map[string]any{"token": sec, "permissions": "article:read OR article:frobnicate"},
			map[string]any{"token": sec, "cost": -1},
			map[string]any{"token": sec, "cost": 1.5},
		} {
			if status, ans, _ := verifyAPI(t, s, body, nil); status != 400 || ans["code"] != "BAD_USER_INPUT" {
				t.Errorf("%v: %d %v", body, status, ans)
			}
		}
		// Three invalid tokens use up this client's failed attempts; the
		// fourth request is refused before it is looked at, the valid
		// token (cached) still passes.
		bad := "lk_" + "1111111111111111111111111111111111111111" + "000000"
		for range 3 {
			if status, ans, _ := verifyAPI(t, s, map[string]any{"token": bad}, nil); status != 200 || ans["code"] != "INVALID" || ans["tokenId"] != nil || ans["persona"] != nil {
				t.Fatalf("invalid token: %d %v", status, ans)
			}
		}
		status, ans, h := verifyAPI(t, s, map[string]any{"token": bad}, nil)
		if status != http.StatusTooManyRequests || ans["code"] != "RATE_LIMITED" || h.Get("Retry-After") == "" {
			t.Fatalf("after 3 failures: %d %v", status, ans)
		}
		if _, ans, _ := verifyAPI(t, s, map[string]any{"token": sec}, nil); ans["code"] != "VALID" {
			t.Fatalf("a cached token from a blocked address: %v", ans)
		}
	})
}
