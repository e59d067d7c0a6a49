package httpserver_test

import (
	"slices"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Bad policy input is refused with BAD_USER_INPUT naming the field, and
// changes nothing.
func TestPolicyValidation(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		many := make([]any, 11)
		for i := range many {
			many[i] = lim("l"+itoa(i), 1, 1)
		}
		nets := make([]string, 101)
		for i := range nets {
			nets[i] = "10.0.0." + itoa(i%256) + "/32"
		}
		before := s.Snapshot(t)
		for _, c := range []struct {
			name, field string
			in          map[string]any
		}{
			{"zero limit", "rateLimits", map[string]any{"rateLimits": []any{lim("a", 0, 1)}}},
			{"zero period", "rateLimits", map[string]any{"rateLimits": []any{lim("a", 1, 0)}}},
			{"period over a year", "rateLimits", map[string]any{"rateLimits": []any{lim("a", 1, 400*86400)}}},
			{"bad name", "rateLimits", map[string]any{"rateLimits": []any{lim("a b", 1, 1)}}},
			{"same name twice", "rateLimits", map[string]any{"rateLimits": []any{lim("a", 1, 1), lim("A", 2, 2)}}},
			{"too many limits", "rateLimits", map[string]any{"rateLimits": many}},
			{"negative credits", "credits.remaining", map[string]any{"credits": map[string]any{"remaining": -1}}},
			{"refill without interval", "credits.refillAmount", map[string]any{"credits": map[string]any{"remaining": 1, "refillAmount": 5}}},
			{"zero refill", "credits.refillAmount", map[string]any{"credits": map[string]any{"remaining": 1, "refillAmount": 0, "refillInterval": "DAILY"}}},
			{"bad CIDR", "allowedNetworks", map[string]any{"allowedNetworks": []string{"10.0.0.0/33"}}},
			{"not an address", "allowedNetworks", map[string]any{"allowedNetworks": []string{"example.com"}}},
			{"too many networks", "allowedNetworks", map[string]any{"allowedNetworks": nets}},
			{"persona limit", "persona.rateLimits", map[string]any{"persona": map[string]any{"name": "p", "rateLimits": []any{lim("a", -5, 1)}}}},
		} {
			in := map[string]any{"name": "bad", "type": "READ_ONLY"}
			for k, v := range c.in {
				in[k] = v
			}
			r := s.Do(t, s.Admin, createToken, map[string]any{"input": in})
			if r.Code() != "BAD_USER_INPUT" || r.Field() != c.field {
				t.Errorf("%s: %s", c.name, r.Raw)
			}
		}
		if after := s.Snapshot(t); after != before {
			t.Fatalf("refused input changed the database:\n%s\n%s", before, after)
		}
	})
}

// Every policy change is audited by field name, and reaches the cached
// verifications of another instance within a second (the change feed).
func TestPolicyChangesAuditedAndEverywhere(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		a := testserver.New(t, dialect)
		b := a.Another(t)
		sec, id := policyToken(t, a, "edited", nil)
		if res := forwardAuth(t, b, sec, nil, nil); res.StatusCode != 200 {
			t.Fatalf("before: %d", res.StatusCode)
		}
		upd := `mutation($id: ID!, $input: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $input) { id } }`
		later := a.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		a.MustDo(t, a.Admin, upd, map[string]any{"id": id, "input": map[string]any{
			"rateLimits": []any{lim("m", 5, 60)}, "credits": map[string]any{"remaining": 3}, "allowedNetworks": []string{"127.0.0.1"}, "notBefore": later,
		}})
		ev := a.MustDo(t, a.Admin, `{ auditEvents(first: 1) { edges { node { action targetID changes } } } }`, nil)
		node := ev.Get("auditEvents.edges").([]any)[0].(map[string]any)["node"].(map[string]any)
		var changes []string
		for _, c := range node["changes"].([]any) {
			changes = append(changes, c.(string))
		}
		for _, f := range []string{"rateLimits", "credits", "allowedNetworks", "notBefore"} {
			if !slices.Contains(changes, f) || node["action"] != "api-token.update" || node["targetID"] != id {
				t.Fatalf("audit event %v lacks %s", node, f)
			}
		}
		// B refuses within a second, without being told but through the feed.
		deadline := time.Now().Add(time.Second)
		for forwardAuth(t, b, sec, nil, nil).StatusCode != 403 {
			if time.Now().After(deadline) {
				t.Fatal("another instance still admits the token a second after notBefore was set")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// null removes credits and notBefore; [] removes limits and networks.
		a.MustDo(t, a.Admin, upd, map[string]any{"id": id, "input": map[string]any{"rateLimits": []any{}, "credits": nil, "allowedNetworks": []string{}, "notBefore": nil}})
		r := a.MustDo(t, a.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { rateLimits { name } credits { remaining } allowedNetworks notBefore } } }`, map[string]any{"id": id})
		if r.Raw != `{"data":{"node":{"rateLimits":[],"credits":null,"allowedNetworks":[],"notBefore":null}}}` {
			t.Fatalf("after removing: %s", r.Raw)
		}
		// Leaving the fields out changes nothing.
		a.MustDo(t, a.Admin, upd, map[string]any{"id": id, "input": map[string]any{"credits": map[string]any{"remaining": 7}}})
		a.MustDo(t, a.Admin, upd, map[string]any{"id": id, "input": map[string]any{"name": "renamed"}})
		if got := remainingCredits(t, a, id); got != 7 {
			t.Fatalf("an update without credits changed them: %v", got)
		}
	})
}
