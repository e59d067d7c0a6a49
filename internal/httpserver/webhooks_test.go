package httpserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

// fastWebhooks makes the worker poll and sweep often, so tests wait little.
func fastWebhooks(c *config.Config) {
	c.WebhookPollInterval = 5 * time.Millisecond
	c.SweepInterval = 5 * time.Millisecond
	// Long enough that a loaded CI machine never times out a receiver that
	// answers; a receiver that hangs costs a test this long.
	c.WebhookTimeout = 2 * time.Second
}

const createEndpoint = `mutation($input: CreateWebhookEndpointInput!) {
	createWebhookEndpoint(input: $input) { secret endpoint { id url events enabled createdAt } } }`

// endpoint registers rcv for events and tells rcv the signing secret.
func endpoint(t *testing.T, s *testserver.Server, rcv *webhooktest.Receiver, events ...string) string {
	t.Helper()
	r := s.MustDo(t, s.Admin, createEndpoint, map[string]any{"input": map[string]any{"url": rcv.URL + "/hook", "events": events}})
	secret := r.Str("createWebhookEndpoint.secret")
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+64 {
		t.Fatalf("endpoint secret %q", secret)
	}
	rcv.SetSecret(secret)
	return r.Str("createWebhookEndpoint.endpoint.id")
}

// waitFor bounds each wait for the background worker (generous: the
// machine may be loaded; a passing test waits milliseconds).
const waitFor = 60 * time.Second

func TestWebhooksDeliverSignedEventsOfEveryChange(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Config(fastWebhooks))
		rcv := webhooktest.New(t)
		epID := endpoint(t, s, rcv, "*")

		sec, id := mint(t, s, map[string]any{"name": "Deploy bot", "code": "deploy", "type": "READ_ONLY", "persona": map[string]any{"name": "Deployer"}})
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"name": "Deploy bot 2", "persona": map[string]any{"name": "Releaser"}}})
		regen := s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, map[string]any{"id": id})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": id})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": id})
		// Read before it is gone: the events list of a token.
		evs := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { events { id type payload deliveries { status } } } } }`, map[string]any{"id": id})
		if n := len(evs.Get("node.events").([]any)); n != 5 {
			t.Fatalf("APIToken.events: want 5, got %d: %s", n, evs.Raw)
		}
		if typ := evs.Get("node.events").([]any)[0].(map[string]any)["type"]; typ != "api-token.restored" {
			t.Fatalf("APIToken.events starts with %v, not the newest", typ)
		}
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": id})

		want := []string{"api-token.created", "api-token.updated", "api-token.regenerated", "api-token.revoked", "api-token.restored", "api-token.deleted"}
		got := rcv.Wait(t, waitFor, "six events", func(ds []webhooktest.Delivery) bool { return len(ds) >= len(want) })
		byType := map[string]webhooktest.Delivery{}
		for _, d := range got {
			if !d.Valid {
				t.Errorf("%s: signature %q does not verify", d.Type, d.Signature)
			}
			if d.Payload["id"] != d.EventID || d.Payload["type"] != d.Type {
				t.Errorf("headers and body disagree: %s %s vs %s", d.EventID, d.Type, d.Body)
			}
			for _, leak := range []string{sec, regen.Str("regenerateAPIToken.secret"), "secretHash", "hash", "hint", "lk_"} {
				if strings.Contains(string(d.Body), leak) {
					t.Errorf("%s carries %q: %s", d.Type, leak, d.Body)
				}
			}
			byType[d.Type] = d
		}
		for _, typ := range want {
			if _, ok := byType[typ]; !ok {
				t.Errorf("no %s event; got %d deliveries", typ, len(got))
			}
		}
		tokenOf := func(typ string) (tok, persona map[string]any, actor map[string]any) {
			data := byType[typ].Payload["data"].(map[string]any)
			tok, _ = data["apiToken"].(map[string]any)
			persona, _ = data["persona"].(map[string]any)
			actor, _ = data["actor"].(map[string]any)
			return
		}
		tok, persona, actor := tokenOf("api-token.created")
		if tok["id"] != id || tok["name"] != "Deploy bot" || tok["code"] != "deploy" || tok["type"] != "READ_ONLY" || persona["name"] != "Deployer" {
			t.Errorf("created: %s", byType["api-token.created"].Body)
		}
		if actor["type"] != "api-token" || actor["apiToken"].(map[string]any)["name"] != "Bootstrap" || actor["persona"].(map[string]any)["name"] != "Administrator" {
			t.Errorf("created actor: %s", byType["api-token.created"].Body)
		}
		// As of each change: the update shows the new name and persona; the
		// deletion shows the token as it was.
		if data := byType["api-token.updated"].Payload["data"].(map[string]any); fmt.Sprint(data["changes"]) != "[name persona]" {
			t.Errorf("updated changes: %s", byType["api-token.updated"].Body)
		}
		if tok, persona, _ := tokenOf("api-token.updated"); tok["name"] != "Deploy bot 2" || persona["name"] != "Releaser" {
			t.Errorf("updated: %s", byType["api-token.updated"].Body)
		}
		if tok, persona, _ := tokenOf("api-token.deleted"); tok["id"] != id || tok["name"] != "Deploy bot 2" || tok["code"] != "deploy" || persona["name"] != "Releaser" {
			t.Errorf("deleted: %s", byType["api-token.deleted"].Body)
		}
		if ts, err := time.Parse(time.RFC3339Nano, byType["api-token.created"].Payload["createdAt"].(string)); err != nil || ts.IsZero() {
			t.Errorf("createdAt: %v", err)
		}

		// Deliveries are listed with their outcome, and the endpoint is healthy.
		const deliveries = `{ webhookEndpoints { totalCount edges { node { id consecutiveFailures lastAttemptOK lastResponseCode
			deliveries(first: 50) { totalCount edges { node { id event eventID status attempts lastResponseCode createdAt deliveredAt } } } } } } }`
		var r *testserver.Response
		for deadline := time.Now().Add(waitFor); ; time.Sleep(5 * time.Millisecond) {
			r = s.MustDo(t, s.Admin, deliveries, nil)
			if !strings.Contains(r.Raw, "PENDING") || time.Now().After(deadline) {
				break
			}
		}
		node := r.Get("webhookEndpoints.edges").([]any)[0].(map[string]any)["node"].(map[string]any)
		if node["id"] != epID || node["consecutiveFailures"].(float64) != 0 || node["lastAttemptOK"] != true || node["lastResponseCode"].(float64) != 200 {
			t.Errorf("endpoint health: %s", r.Raw)
		}
		for _, e := range node["deliveries"].(map[string]any)["edges"].([]any) {
			d := e.(map[string]any)["node"].(map[string]any)
			if d["status"] != "DELIVERED" || d["attempts"].(float64) != 1 || d["lastResponseCode"].(float64) != 200 || d["deliveredAt"] == nil {
				t.Errorf("delivery: %v", d)
			}
		}
		// The signing secret is never readable again.
		if r := s.Do(t, s.Admin, `{ webhookEndpoints { edges { node { secret } } } }`, nil); r.Code() != "BAD_USER_INPUT" {
			t.Errorf("endpoint secret readable: %s", r.Raw)
		}
	})
}

// A change that rolls back emits nothing; one that commits emits its event.
func TestWebhooksNoEventForRolledBackChange(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Config(fastWebhooks))
		rcv := webhooktest.New(t)
		endpoint(t, s, rcv, "api-token.created")
		before := s.Count(t, "webhook_events")
		r := s.Do(t, s.Admin, `mutation { a: createAPIToken(input: {name: "Doomed", type: READ_ONLY}) { apiToken { id } }
			b: deleteAPIToken(id: "tok_00000000000000000000") }`, nil)
		if r.Code() != "NOT_FOUND" {
			t.Fatalf("want NOT_FOUND: %s", r.Raw)
		}
		if n := s.Count(t, "webhook_events"); n != before {
			t.Fatalf("a rolled-back change left %d events", n-before)
		}
		mint(t, s, map[string]any{"name": "Kept", "type": "READ_ONLY"})
		got := rcv.Wait(t, waitFor, "the committed event", func(ds []webhooktest.Delivery) bool { return len(ds) >= 1 })
		for _, d := range got {
			if strings.Contains(string(d.Body), "Doomed") {
				t.Fatalf("delivered a rolled-back change: %s", d.Body)
			}
		}
		if n := s.Count(t, "webhook_events"); n != before+1 {
			t.Fatalf("events: want %d, got %d", before+1, n)
		}
	})
}

func deliveryOf(t *testing.T, s *testserver.Server, epID string) map[string]any {
	t.Helper()
	r := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { consecutiveFailures lastResponseCode
		deliveries(first: 1) { edges { node { id status attempts lastResponseCode lastError nextAttemptAt deliveredAt } } } } } }`, map[string]any{"id": epID})
	edges := r.Get("node.deliveries.edges").([]any)
	if len(edges) != 1 {
		t.Fatalf("deliveries: %s", r.Raw)
	}
	d := edges[0].(map[string]any)["node"].(map[string]any)
	d["endpointFailures"] = r.Get("node.consecutiveFailures")
	return d
}

// waitDelivery polls the delivery until cond holds.
func waitDelivery(t *testing.T, s *testserver.Server, epID, what string, cond func(d map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		d := deliveryOf(t, s, epID)
		if cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			var worker []string
			for _, line := range strings.Split(s.Logs.String(), "\n") {
				if strings.Contains(line, "webhooks") {
					worker = append(worker, line)
				}
			}
			t.Fatalf("waited for %s: %v\nclock %s\nworker logs: %v", what, d, s.Clock.Now(), worker)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A receiver that answers 500, then times out, then 200: each retry waits
// for its backoff on the (fake) clock, then the delivery succeeds.
func TestWebhooksRetryWithBackoff(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Config(fastWebhooks))
		rcv := webhooktest.New(t)
		rcv.Answer(func(n int) int { return []int{500, 0, 200, 200}[min(n, 3)] })
		epID := endpoint(t, s, rcv, "api-token.created")
		mint(t, s, map[string]any{"name": "Retried", "type": "READ_ONLY"})

		// The delivery is recorded, then the endpoint's health: wait for both.
		attempts := func(n float64) func(d map[string]any) bool {
			return func(d map[string]any) bool {
				return d["attempts"].(float64) == n && d["endpointFailures"].(float64) == n
			}
		}
		d := waitDelivery(t, s, epID, "the first attempt", attempts(1))
		if d["status"] != "PENDING" || d["lastResponseCode"].(float64) != 500 || d["endpointFailures"].(float64) != 1 {
			t.Fatalf("after a 500: %v", d)
		}
		delay := func(d map[string]any) time.Duration {
			next, _ := time.Parse(time.RFC3339Nano, d["nextAttemptAt"].(string))
			return next.Sub(s.Clock.Now())
		}
		// 30 s after the first failure, jittered down to no less than half.
		if dl := delay(d); dl < 15*time.Second || dl > 30*time.Second {
			t.Fatalf("first backoff %s", dl)
		}
		// Not due yet: nothing happens however long the worker polls, until the clock moves.
		if n := len(rcv.Got()); n != 1 {
			t.Fatalf("retried before its time: %d requests", n)
		}
		s.Clock.Advance(31 * time.Second)
		d = waitDelivery(t, s, epID, "the second attempt (a timeout)", attempts(2))
		if d["status"] != "PENDING" || d["lastResponseCode"] != nil || !strings.Contains(d["lastError"].(string), "no answer") || d["endpointFailures"].(float64) != 2 {
			t.Fatalf("after a timeout: %v", d)
		}
		if dl := delay(d); dl < 30*time.Second || dl > 60*time.Second {
			t.Fatalf("second backoff %s", dl)
		}
		s.Clock.Advance(61 * time.Second)
		d = waitDelivery(t, s, epID, "the delivery", func(d map[string]any) bool { return d["status"] == "DELIVERED" && d["endpointFailures"].(float64) == 0 })
		if d["attempts"].(float64) != 3 || d["lastResponseCode"].(float64) != 200 || d["endpointFailures"].(float64) != 0 {
			t.Fatalf("after success: %v", d)
		}
		got := rcv.Got()
		if len(got) != 3 || got[0].EventID != got[2].EventID || !got[2].Valid {
			t.Fatalf("requests: %+v", got)
		}
		// Each attempt is signed at its own time.
		if got[2].SignedAt-got[0].SignedAt < 90 {
			t.Fatalf("signature times %d, %d", got[0].SignedAt, got[2].SignedAt)
		}
	})
}

// Retries stop after 3 days: the delivery is FAILED.
func TestWebhooksGiveUpAfterThreeDays(t *testing.T) {
	testserver.Dialects(t, giveUpAfterThreeDays)
}

func giveUpAfterThreeDays(t *testing.T, dialect string) {
	s := testserver.New(t, dialect, testserver.Config(fastWebhooks))
	rcv := webhooktest.New(t)
	rcv.Answer(func(int) int { return http.StatusServiceUnavailable })
	epID := endpoint(t, s, rcv, "*")
	mint(t, s, map[string]any{"name": "Never delivered", "type": "READ_ONLY"})
	d := waitDelivery(t, s, epID, "the first attempt", func(d map[string]any) bool { return d["attempts"].(float64) == 1 })
	for i := 0; d["status"] == "PENDING"; i++ {
		if i > 40 {
			t.Fatalf("still retrying: %v", d)
		}
		n := d["attempts"].(float64)
		s.Clock.Advance(12*time.Hour + time.Minute)
		d = waitDelivery(t, s, epID, "another attempt", func(d map[string]any) bool { return d["attempts"].(float64) > n || d["status"] != "PENDING" })
	}
	// 30 s doubling to 12 h: attempts at 0, then one per 12 h advanced,
	// until the next would come after 3 days.
	if d["status"] != "FAILED" || d["attempts"].(float64) < 6 || d["attempts"].(float64) > 8 {
		t.Fatalf("gave up: %v", d)
	}
	// Failed for good: no further attempt however far the clock moves.
	n := len(rcv.Got())
	s.Clock.Advance(24 * time.Hour)
	if d := deliveryOf(t, s, epID); d["status"] != "FAILED" || len(rcv.Got()) != n {
		t.Fatalf("after failing: %v", d)
	}
}

// Decode is a helper for payload checks in other tests.
func payloadData(t *testing.T, d webhooktest.Delivery) map[string]any {
	t.Helper()
	var p struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(d.Body, &p); err != nil {
		t.Fatal(err)
	}
	return p.Data
}

// A redirect is not followed: the delivery fails with the 3xx, and the
// place it pointed to is never called.
func TestWebhooksRefuseRedirects(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Config(fastWebhooks))
	target := webhooktest.New(t)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	r := s.MustDo(t, s.Admin, createEndpoint, map[string]any{"input": map[string]any{"url": redirect.URL, "events": []string{"*"}}})
	epID := r.Str("createWebhookEndpoint.endpoint.id")
	mint(t, s, map[string]any{"name": "Redirected", "type": "READ_ONLY"})
	d := waitDelivery(t, s, epID, "the attempt", func(d map[string]any) bool { return d["attempts"].(float64) == 1 })
	if d["status"] != "PENDING" || d["lastResponseCode"].(float64) != 307 {
		t.Fatalf("after a redirect: %v", d)
	}
	if n := len(target.Got()); n != 0 {
		t.Fatalf("the redirect was followed: %d requests", n)
	}
}
