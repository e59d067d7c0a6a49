package httpserver_test

import (
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

func TestWebhookEndpointsManagement(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Config(fastWebhooks))

		// Bad input changes nothing.
		before := s.Snapshot(t)
		for _, tc := range []struct {
			name  string
			input map[string]any
			field string
		}{
			{"plain http elsewhere", map[string]any{"url": "http://example.com/hook", "events": []string{"*"}}, "url"},
			{"no scheme", map[string]any{"url": "example.com/hook", "events": []string{"*"}}, "url"},
			{"user info", map[string]any{"url": "https://u:p@example.com/hook", "events": []string{"*"}}, "url"},
			{"ftp", map[string]any{"url": "ftp://example.com/", "events": []string{"*"}}, "url"},
			{"too long", map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2048), "events": []string{"*"}}, "url"},
			{"no events", map[string]any{"url": "https://example.com/hook", "events": []string{}}, "events"},
			{"unknown event", map[string]any{"url": "https://example.com/hook", "events": []string{"api-token.created", "api-token.exploded"}}, "events"},
		} {
			r := s.Do(t, s.Admin, createEndpoint, map[string]any{"input": tc.input})
			if r.Code() != "BAD_USER_INPUT" || r.Field() != tc.field {
				t.Errorf("%s: %s", tc.name, r.Raw)
			}
		}
		if after := s.Snapshot(t); after != before || s.Count(t, "webhook_endpoints") != 0 {
			t.Fatalf("refused creates changed the database")
		}
		types := s.MustDo(t, s.Admin, `{ webhookEventTypes }`, nil).Get("webhookEventTypes").([]any)
		if len(types) != 13 {
			t.Errorf("event types: %v", types)
		}

		// Who may manage endpoints: webhook permissions, and reading what
		// the events carry (token and persona names).
		hooksOnly, _ := mint(t, s, map[string]any{"name": "hooks only", "type": "CUSTOM", "permissions": cells("webhook:create", "webhook:read")})
		hooks, _ := mint(t, s, map[string]any{"name": "hooks", "type": "CUSTOM", "permissions": cells("webhook:create", "webhook:read", "webhook:update", "webhook:redeliver", "api-token:read", "persona:read")})
		readOnly, _ := mint(t, s, map[string]any{"name": "reader", "type": "READ_ONLY"})
		in := map[string]any{"input": map[string]any{"url": "https://hooks.example.com/a", "events": []string{"*"}}}
		if r := s.Do(t, hooksOnly, createEndpoint, in); r.Code() != "FORBIDDEN" {
			t.Errorf("webhook:create without api-token:read: %s", r.Raw)
		}
		if r := s.Do(t, readOnly, `{ webhookEndpoints { totalCount } }`, nil); r.Code() != "FORBIDDEN" {
			t.Errorf("READ_ONLY reads webhook URLs: %s", r.Raw)
		}

		// A disabled endpoint gets nothing; enabled again, it gets what comes next.
		rcv := webhooktest.New(t)
		c := s.MustDo(t, hooks, createEndpoint, map[string]any{"input": map[string]any{"url": rcv.URL, "events": []string{"api-token.created"}, "enabled": false}})
		rcv.SetSecret(c.Str("createWebhookEndpoint.secret"))
		ep := c.Str("createWebhookEndpoint.endpoint.id")
		if c.Get("createWebhookEndpoint.endpoint.enabled") != false {
			t.Fatalf("created enabled: %s", c.Raw)
		}
		mint(t, s, map[string]any{"name": "while disabled", "type": "READ_ONLY"})
		if n := s.Count(t, "webhook_deliveries"); n != 0 {
			t.Fatalf("a disabled endpoint got %d deliveries", n)
		}
		s.MustDo(t, hooks, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {enabled: true, events: ["api-token.created", "api-token.revoked"]}) { id enabled events } }`, map[string]any{"id": ep})
		_, id := mint(t, s, map[string]any{"name": "while enabled", "type": "READ_ONLY"})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": id})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": id}) // not subscribed
		got := rcv.Wait(t, waitFor, "two events", func(ds []webhooktest.Delivery) bool { return len(ds) >= 2 })
		for _, d := range got {
			if d.Type != "api-token.created" && d.Type != "api-token.revoked" || strings.Contains(string(d.Body), "while disabled") {
				t.Errorf("delivered %s: %s", d.Type, d.Body)
			}
		}
		if n := s.Count(t, "webhook_deliveries"); n != 2 {
			t.Fatalf("deliveries: %d", n)
		}

		// Redelivery: a new delivery of the same event, signed afresh.
		first := deliveryOf(t, s, ep)
		waitDelivery(t, s, ep, "the delivery", func(d map[string]any) bool { return d["status"] == "DELIVERED" })
		r := s.MustDo(t, hooks, `mutation($id: ID!) { redeliverWebhook(deliveryID: $id) { id status attempts eventID } }`, map[string]any{"id": first["id"]})
		if r.Str("redeliverWebhook.id") == first["id"] || r.Str("redeliverWebhook.status") != "PENDING" {
			t.Fatalf("redeliver: %s", r.Raw)
		}
		again := rcv.Wait(t, waitFor, "the redelivery", func(ds []webhooktest.Delivery) bool { return len(ds) >= 3 })
		if again[2].EventID != r.Str("redeliverWebhook.eventID") || !again[2].Valid {
			t.Fatalf("redelivered: %+v", again[2])
		}
		// Not to a disabled endpoint.
		s.MustDo(t, hooks, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {enabled: false}) { id } }`, map[string]any{"id": ep})
		if r := s.Do(t, hooks, `mutation($id: ID!) { redeliverWebhook(deliveryID: $id) { id } }`, map[string]any{"id": first["id"]}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("redelivering to a disabled endpoint: %s", r.Raw)
		}
		// hooks may not delete; the admin may, and the deliveries go too.
		if r := s.Do(t, hooks, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": ep}); r.Code() != "FORBIDDEN" {
			t.Fatalf("delete without webhook:delete: %s", r.Raw)
		}
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": ep})
		if s.Count(t, "webhook_deliveries") != 0 || s.Count(t, "webhook_endpoints") != 0 {
			t.Fatal("deleting left rows")
		}
		// The audit log names the host only: the rest of a URL can be a credential.
		a := s.MustDo(t, s.Admin, `{ auditEvents(where: {action: "webhook.create"}) { edges { node { targetName } } } }`, nil)
		if strings.Contains(a.Raw, "/a") || strings.Contains(a.Raw, "http") {
			t.Fatalf("audit target: %s", a.Raw)
		}
	})
}

// A retried createWebhookEndpoint with the same Idempotency-Key is answered
// from the stored outcome, without the secret.
func TestWebhookSecretNotStoredForReplay(t *testing.T) {
	s := testserver.New(t, "sqlite")
	vars := map[string]any{"input": map[string]any{"url": "https://hooks.example.com/", "events": []string{"*"}}}
	first := keyed(t, s, s.Admin, createEndpoint, vars, "hook-key-1")
	secret := first.Str("createWebhookEndpoint.secret")
	if secret == "" {
		t.Fatalf("first: %s", first.Raw)
	}
	replay := keyed(t, s, s.Admin, createEndpoint, vars, "hook-key-1")
	if replay.Get("createWebhookEndpoint.secret") != nil || replay.Str("createWebhookEndpoint.endpoint.id") != first.Str("createWebhookEndpoint.endpoint.id") {
		t.Fatalf("replay: %s", replay.Raw)
	}
	var stored int
	if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM idempotency_keys WHERE response LIKE ?", "%"+secret+"%").Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the secret is stored with the key: %d %v", stored, err)
	}
}
