package httpserver_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Every Mutation field, enumerated from the schema, leaves exactly one audit
// event when it succeeds and none when it fails.
func TestEveryMutationIsAudited(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		ids := map[string]string{}
		type step struct {
			mutation, action string
			ok, bad          func() (string, map[string]any)
			keep             string // save the id at this path under the mutation's name
		}
		missing := map[string]any{"id": "tok_AAAAAAAAAAAAAAAAAAAA"}
		steps := []step{
			// First, so that the token mutations below have deliveries to redeliver.
			{"createWebhookEndpoint", "webhook.create",
				func() (string, map[string]any) {
					return `mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/latchkey", events: ["*"]}) { endpoint { id } } }`, nil
				},
				func() (string, map[string]any) {
					return `mutation { createWebhookEndpoint(input: {url: "ftp://hooks.example.com/", events: ["*"]}) { endpoint { id } } }`, nil
				}, "createWebhookEndpoint.endpoint.id"},
			{"updatePolicy", "policy.update",
				func() (string, map[string]any) {
					return `mutation { updatePolicy(input: {maxGracePeriodSeconds: 3600}) { maxGracePeriodSeconds } }`, nil
				},
				func() (string, map[string]any) {
					return `mutation { updatePolicy(input: {maxLifetimeDays: 0}) { maxGracePeriodSeconds } }`, nil
				}, ""},
			{"createContentType", "content-type.create",
				func() (string, map[string]any) {
					return `mutation { createContentType(input: {uid: "article", displayName: "Articles"}) { id } }`, nil
				},
				func() (string, map[string]any) {
					return `mutation { createContentType(input: {uid: "article", displayName: "Again"}) { id } }`, nil
				}, "createContentType.id"},
			{"updateContentType", "content-type.update",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updateContentType(id: $id, input: {displayName: "Posts"}) { id } }`, map[string]any{"id": ids["createContentType"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updateContentType(id: $id, input: {displayName: ""}) { id } }`, map[string]any{"id": ids["createContentType"]}
				}, ""},
			{"createRole", "role.create",
				func() (string, map[string]any) {
					return `mutation { createRole(input: {name: "Writers", permissions: [{contentType: "article", action: "create"}]}) { id } }`, nil
				},
				func() (string, map[string]any) {
					return `mutation { createRole(input: {name: "Bad", permissions: [{contentType: "article", action: "fly"}]}) { id } }`, nil
				}, "createRole.id"},
			{"updateRole", "role.update",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updateRole(id: $id, input: {description: "They write"}) { id } }`, map[string]any{"id": ids["createRole"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updateRole(id: $id, input: {name: "auditor"}) { id } }`, map[string]any{"id": ids["createRole"]}
				}, ""},
			{"createPersona", "persona.create",
				func() (string, map[string]any) {
					return `mutation { createPersona(input: {name: "Writer bot"}) { id } }`, nil
				},
				func() (string, map[string]any) {
					return `mutation { createPersona(input: {name: "x", avatarURL: "ftp://nope"}) { id } }`, nil
				}, "createPersona.id"},
			{"updatePersona", "persona.update",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updatePersona(id: $id, input: {description: "writes"}) { id } }`, map[string]any{"id": ids["createPersona"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updatePersona(id: $id, input: {name: ""}) { id } }`, map[string]any{"id": ids["createPersona"]}
				}, ""},
			{"createAPIToken", "api-token.create",
				func() (string, map[string]any) {
					return createToken, map[string]any{"input": map[string]any{"name": "writer", "type": "CUSTOM", "personaID": ids["createPersona"], "roleIDs": []string{ids["createRole"]}}}
				},
				func() (string, map[string]any) {
					return createToken, map[string]any{"input": map[string]any{"name": "writer", "type": "READ_ONLY"}}
				}, "createAPIToken.apiToken.id"},
			{"updateAPIToken", "api-token.update",
				func() (string, map[string]any) {
					return updateToken, map[string]any{"id": ids["createAPIToken"], "input": map[string]any{"description": "writes articles"}}
				},
				func() (string, map[string]any) {
					return updateToken, map[string]any{"id": ids["createAPIToken"], "input": map[string]any{"code": "NO SLUG"}}
				}, ""},
			{"regenerateAPIToken", "api-token.regenerate",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 30) { secret } }`, map[string]any{"id": ids["createAPIToken"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, missing
				}, ""},
			{"revokeAPIToken", "api-token.revoke",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": ids["createAPIToken"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, missing
				}, ""},
			{"restoreAPIToken", "api-token.restore",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": ids["createAPIToken"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, missing
				}, ""},
			// One event per token revoked: here, one.
			{"revokeAPITokens", "api-token.revoke",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { revokeAPITokens(where: {id: $id}) { count } }`, map[string]any{"id": ids["createAPIToken"]}
				},
				func() (string, map[string]any) {
					return `mutation { revokeAPITokens(where: {createdAtLT: "not a time"}) { count } }`, nil
				}, ""},
			{"deleteAPIToken", "api-token.delete",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": ids["createAPIToken"]}
				},
				func() (string, map[string]any) { return `mutation($id: ID!) { deleteAPIToken(id: $id) }`, missing }, ""},
			{"deleteRole", "role.delete",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { deleteRole(id: $id) }`, map[string]any{"id": ids["createRole"]}
				},
				func() (string, map[string]any) {
					return `mutation { deleteRole(id: "rol_AAAAAAAAAAAAAAAAAAAA") }`, nil
				}, ""},
			{"deletePersona", "persona.delete",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { deletePersona(id: $id) }`, map[string]any{"id": ids["createPersona"]}
				},
				func() (string, map[string]any) {
					return `mutation { deletePersona(id: "per_AAAAAAAAAAAAAAAAAAAA") }`, nil
				}, ""},
			{"deleteContentType", "content-type.delete",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { deleteContentType(id: $id) }`, map[string]any{"id": ids["createContentType"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { deleteContentType(id: $id) }`, map[string]any{"id": ids["createContentType"]}
				}, ""},
			{"updateWebhookEndpoint", "webhook.update",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {url: "https://hooks.example.com/latchkey"}) { id } }`, map[string]any{"id": ids["createWebhookEndpoint"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {events: ["api-token.nope"]}) { id } }`, map[string]any{"id": ids["createWebhookEndpoint"]}
				}, ""},
			{"redeliverWebhook", "webhook.redeliver",
				func() (string, map[string]any) {
					r := s.MustDo(t, s.Admin, `{ webhookDeliveries(first: 1) { edges { node { id } } } }`, nil)
					return `mutation($id: ID!) { redeliverWebhook(deliveryID: $id) { id } }`, map[string]any{"id": r.Get("webhookDeliveries.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"]}
				},
				func() (string, map[string]any) {
					return `mutation { redeliverWebhook(deliveryID: "whd_AAAAAAAAAAAAAAAAAAAA") { id } }`, nil
				}, ""},
			{"deleteWebhookEndpoint", "webhook.delete",
				func() (string, map[string]any) {
					return `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": ids["createWebhookEndpoint"]}
				},
				func() (string, map[string]any) {
					return `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": ids["createWebhookEndpoint"]}
				}, ""},
			// Last: the Bootstrap token rotates itself, and its old secret
			// then works for use only.
			{"updateAPIToken", "api-token.update",
				func() (string, map[string]any) {
					return updateToken, map[string]any{"id": s.MustDo(t, s.Admin, viewerQuery, nil).Str("viewer.apiToken.id"), "input": map[string]any{"allowSelfRotation": true}}
				},
				func() (string, map[string]any) {
					return updateToken, map[string]any{"id": missing["id"], "input": map[string]any{"allowSelfRotation": true}}
				}, ""},
			{"rotateViewerToken", "api-token.rotate",
				func() (string, map[string]any) {
					return `mutation { rotateViewerToken(gracePeriodSeconds: 600) { secret } }`, nil
				},
				func() (string, map[string]any) {
					return `mutation { rotateViewerToken(gracePeriodSeconds: 60) { secret } }`, nil
				}, ""},
		}

		covered := map[string]bool{}
		for _, st := range steps {
			covered[st.mutation] = true
			s.Clock.Advance(time.Second) // so "newest first" has one answer
			before := s.Count(t, "audit_events")
			doc, vars := st.ok()
			r := s.MustDo(t, s.Admin, doc, vars)
			if st.keep != "" {
				ids[st.mutation] = r.Str(st.keep)
			}
			if n := s.Count(t, "audit_events") - before; n != 1 {
				t.Errorf("%s left %d audit events, want 1", st.mutation, n)
			}
			last := s.MustDo(t, s.Admin, `{ auditEvents(first: 1) { edges { node { action actorTokenName actorPersonaName targetID requestID clientIP userAgent } } } }`, nil)
			ev := last.Get("auditEvents.edges").([]any)[0].(map[string]any)["node"].(map[string]any)
			if ev["action"] != st.action || ev["actorPersonaName"] != "Administrator" || ev["actorTokenName"] != "Bootstrap" || ev["requestID"] == "" || ev["clientIP"] != "127.0.0.1" || ev["userAgent"] == "" {
				t.Errorf("%s: newest event %v", st.mutation, ev)
			}
			before = s.Count(t, "audit_events")
			doc, vars = st.bad()
			if r := s.Do(t, s.Admin, doc, vars); len(r.Errors) == 0 {
				t.Errorf("%s: the failing call succeeded: %s", st.mutation, r.Raw)
			}
			if n := s.Count(t, "audit_events") - before; n != 0 {
				t.Errorf("failed %s left %d audit events", st.mutation, n)
			}
		}
		var uncovered []string
		for _, f := range graph.NewExecutableSchema(graph.Config{}).Schema().Mutation.Fields {
			if !covered[f.Name] {
				uncovered = append(uncovered, f.Name)
			}
		}
		sort.Strings(uncovered)
		if len(uncovered) > 0 {
			t.Errorf("mutations without an audit test: %v", uncovered)
		}
	})
}

func TestAuditLogQuery(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		c := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "reader", "type": "READ_ONLY", "secret": "a-secret-chosen-by-the-user-000000001"}})
		id := c.Str("createAPIToken.apiToken.id")
		s.Clock.Advance(time.Hour)
		s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, map[string]any{"id": id})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": id})

		q := `query($where: AuditEventWhereInput) { auditEvents(where: $where) { totalCount edges { node { action targetID targetName changes } } } }`
		all := s.MustDo(t, s.Admin, q, map[string]any{"where": map[string]any{"targetID": id}})
		var actions []string
		for _, e := range all.Get("auditEvents.edges").([]any) {
			actions = append(actions, e.(map[string]any)["node"].(map[string]any)["action"].(string))
		}
		if strings.Join(actions, ",") != "api-token.revoke,api-token.regenerate,api-token.create" {
			t.Errorf("newest first by target: %v", actions)
		}
		if strings.Contains(all.Raw, "a-secret-chosen") || !strings.Contains(all.Raw, `"secret"`) {
			t.Errorf("changes name the secret field but never its value: %s", all.Raw)
		}
		for _, where := range []map[string]any{
			{"action": "api-token.regenerate"},
			{"actorTokenID": s.MustDo(t, s.Admin, viewerQuery, nil).Str("viewer.apiToken.id"), "action": "api-token.revoke"},
			{"createdAtGT": s.Clock.Now().Add(-time.Minute).Format(time.RFC3339), "targetID": id, "actionNEQ": "api-token.revoke"},
		} {
			if r := s.MustDo(t, s.Admin, q, map[string]any{"where": where}); r.Get("auditEvents.totalCount") != float64(1) {
				t.Errorf("where %v: %s", where, r.Raw)
			}
		}
		// Reading the audit log needs audit-event:read.
		if r := s.Do(t, "a-secret-chosen-by-the-user-000000001", q, nil); r.Status != 401 {
			t.Errorf("revoked token: %s", r.Raw)
		}
		ro := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "custom", "type": "CUSTOM", "permissions": []map[string]any{{"contentType": "api-token", "action": "read"}}}})
		if r := s.Do(t, ro.Str("createAPIToken.secret"), q, nil); r.Code() != "FORBIDDEN" {
			t.Errorf("without audit-event:read: %s", r.Raw)
		}
	})
}
