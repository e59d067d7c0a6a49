package httpserver_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A client behind a gateway cannot choose its cost (nginx's auth_request
// forwards the client's headers, so a cost header is ignored), and a cost of
// 0 checks without spending but is refused on a token with no credit or
// rate-limit unit left. (Found by an attack review.)
func TestCostZeroCannotBypassCreditsOrLimits(t *testing.T) {
	s := testserver.New(t, "sqlite")
	sec, _ := policyToken(t, s, "metered", map[string]any{
		"credits":    map[string]any{"remaining": 1},
		"rateLimits": []map[string]any{{"name": "hourly", "limit": 1, "periodSeconds": 3600}},
	})
	if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 200 {
		t.Fatalf("first use: %d", res.StatusCode)
	}
	if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 429 {
		t.Fatalf("second use without cost header: %d, want 429", res.StatusCode)
	}
	ok := 0
	for i := 0; i < 20; i++ {
		res := forwardAuth(t, s, sec, nil, http.Header{"X-Latchkey-Cost": {"0"}})
		if res.StatusCode == 200 {
			ok++
		}
	}
	_, a, _ := verifyAPI(t, s, map[string]any{"token": sec, "permissions": "api-token:read", "cost": 0}, nil)
	t.Logf("/v1/verify cost 0 on a spent token: %v", a["code"])
	if ok > 0 || a["valid"] == true {
		t.Errorf("%d/20 /auth/verify requests with a client-supplied X-Latchkey-Cost: 0 were admitted on a token with no credits and no rate limit left; /v1/verify cost 0 valid=%v", ok, a["valid"])
	}
	if res := forwardAuth(t, s, sec, url.Values{"cost": {"0"}}, nil); res.StatusCode != 429 {
		t.Errorf("/auth/verify?cost=0 on a spent token: %d, want 429", res.StatusCode)
	}
}

// Persona.usage adds up the traffic of every token acting as the persona,
// stronger ones included: it needs api-token:read, through viewer too.
func TestPersonaUsageNeedsTokenRead(t *testing.T) {
	s := testserver.New(t, "sqlite")
	// A weak token with no permissions at all, on the Administrator persona's sibling:
	a := s.MustDo(t, s.Admin, `{ viewer { persona { id } } }`, nil)
	pid := a.Str("viewer.persona.id")
	r := s.MustDo(t, s.Admin, `mutation($p: ID!) { createAPIToken(input: {name: "nothing", type: CUSTOM, permissions: [], personaID: $p}) { secret } }`, map[string]any{"p": pid})
	weak := r.Str("createAPIToken.secret")
	from := s.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
	to := s.Clock.Now().Add(time.Hour).Format(time.RFC3339)
	q := s.Do(t, weak, `query($f: Time!, $t: Time!) { viewer { persona { usage(from: $f, to: $t, interval: HOUR) { total { allowed forbidden } } } } }`, map[string]any{"f": from, "t": to})
	t.Logf("weak token, viewer.persona.usage: code=%q data=%v", q.Code(), q.Data)
	if q.Code() != "FORBIDDEN" {
		t.Errorf("a token without api-token:read read the usage of every token of its persona: %s", q.Raw)
	}
}

// POST /v1/verify (no auth) tells a secret's holder outside allowedNetworks
// (or before notBefore) nothing about the token: not its id, persona,
// externalId, metadata, credits or limits.
func TestVerifyAPIRefusedByConditionsTellsNothing(t *testing.T) {
	s := testserver.New(t, "sqlite")
	sec, _ := policyToken(t, s, "fenced", map[string]any{
		"allowedNetworks": []string{"10.0.0.0/8"},
		"metadata":        map[string]any{"tenant": "acme", "plan": "gold"},
		"persona":         map[string]any{"name": "Acme", "externalID": "cus_ACME"},
		"credits":         map[string]any{"remaining": 77},
	})
	_, a, _ := verifyAPI(t, s, map[string]any{"token": sec}, nil)
	t.Logf("answer: %v", a)
	if a["code"] != "IP_NOT_ALLOWED" {
		t.Fatalf("code %v, want IP_NOT_ALLOWED", a["code"])
	}
	for _, k := range []string{"tokenId", "persona", "metadata", "remaining", "expiresAt"} {
		if a[k] != nil {
			t.Errorf("an IP_NOT_ALLOWED answer carries %s: %v", k, a[k])
		}
	}
	if l, _ := a["rateLimits"].([]any); len(l) != 0 {
		t.Errorf("an IP_NOT_ALLOWED answer carries rate limits: %v", l)
	}
}
