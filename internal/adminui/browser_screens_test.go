package adminui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

// tokenStatuses is the status of each named token, read through the API.
func (e *browserEnv) tokenStatuses(t *testing.T, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		tok := e.tokenByName(t, n)
		if tok == nil {
			t.Fatalf("no token named %q", n)
		}
		out = append(out, tok.Status)
	}
	return out
}

// testPolicies: a full-access viewer edits the lifecycle policy (the
// browser refuses what the server would), the tokens that break it are
// listed with links to their pages, and a viewer that may not change it
// reads it with the reason.
func testPolicies(t *testing.T, e *browserEnv) {
	reader := e.createToken(t, map[string]any{"name": "Policy reader", "type": "CUSTOM", "lifespan": "DAYS_7",
		"permissions": []map[string]string{{"contentType": "api-token", "action": "read"}}})
	e.createToken(t, map[string]any{"name": "Policy forever", "type": "READ_ONLY"})
	defer e.deleteTokens(t, "Policy reader", "Policy forever")
	// Whatever happens, later scenarios create tokens without an expiry.
	defer e.mustGraphQL(t, e.boot, `mutation { updatePolicy(input: {maxLifetimeDays: null, requireExpiry: false, maxGracePeriodSeconds: 604800}) { requireExpiry } }`, nil, &struct{}{})

	e.do(t,
		chromedp.Navigate(e.url+"/admin/policies"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=policy-form]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=no-violations]")),
		countMutations,
	)
	if cur := run(t, e, chromedp.Evaluate[string](`document.querySelector(".mainnav a[aria-current=page]")?.textContent`)); cur != "Policies" {
		t.Fatalf("the navigation marks %q as the current page", cur)
	}
	e.axe(t, "the policies page")

	// The browser's own check: nothing is sent.
	e.do(t,
		fill("input[name=maxLifetimeDays]", "thirty"),
		fill("input[name=maxGracePeriodSeconds]", "999999"),
		click("[data-testid=save-policy]"),
	)
	e.waitJS(t, `(document.querySelector("[data-field=maxLifetimeDays] .error")?.textContent ?? "").includes("whole number from 1 to 36,500")`, "the lifetime's error")
	e.waitJS(t, `(document.querySelector("[data-field=maxGracePeriodSeconds] .error")?.textContent ?? "").includes("from 0 to 604,800")`, "the grace period's error")
	if n := e.mutationsSent(t); n != 0 {
		t.Fatalf("%d mutations sent for a policy the browser refuses", n)
	}
	e.axe(t, "the policy form with errors")
	// Editing a field clears its error.
	e.do(t, fill("input[name=maxLifetimeDays]", "30"))
	e.waitJS(t, `!document.querySelector("[data-field=maxLifetimeDays] .error")`, "the lifetime's error to clear")
	e.do(t,
		fill("input[name=maxGracePeriodSeconds]", "3600"),
		click("[data-testid=policy-form] input[type=checkbox]"),
		click("[data-testid=save-policy]"),
	)
	// The violations reload under the new policy: every token without an
	// expiry, never the one that expires in 7 days.
	e.waitJS(t, `!!document.querySelector('tr[data-violator="Policy forever"]')`, "the token without an expiry listed as breaking the policy")
	var p struct {
		Policy struct {
			MaxLifetimeDays       *int
			RequireExpiry         bool
			MaxGracePeriodSeconds int
		}
	}
	e.mustGraphQL(t, e.boot, `{ policy { maxLifetimeDays requireExpiry maxGracePeriodSeconds } }`, nil, &p)
	if p.Policy.MaxLifetimeDays == nil || *p.Policy.MaxLifetimeDays != 30 || !p.Policy.RequireExpiry || p.Policy.MaxGracePeriodSeconds != 3600 {
		t.Fatalf("saved policy: %+v", p.Policy)
	}
	var v struct {
		PolicyViolations struct {
			TotalCount int
			Edges      []struct{ Node struct{ Name string } }
		}
	}
	e.mustGraphQL(t, e.boot, `{ policyViolations(first: 100) { totalCount edges { node { name } } } }`, nil, &v)
	var want []string
	for _, ed := range v.PolicyViolations.Edges {
		want = append(want, ed.Node.Name)
	}
	if slices.Contains(want, "Policy reader") || !slices.Contains(want, "Policy forever") {
		t.Fatalf("the server's violations: %q", want)
	}
	e.waitJS(t, fmt.Sprintf(`JSON.stringify([...document.querySelectorAll("tr[data-violator]")].map((r) => r.dataset.violator)) === %q`, mustJSON(want)),
		"the page to list the server's violations")
	if why := run(t, e, chromedp.Text(chromedp.CSS(`tr[data-violator="Policy forever"] [data-testid=violation-reason]`))); why != "Never expires" {
		t.Fatalf("the reason given: %q", why)
	}
	e.waitJS(t, `(document.querySelector("[data-testid=pager-count]")?.textContent ?? "").includes("page 1 of 1")`, "the violations' pager")

	e.scheme(t, "dark")
	e.screenshot(t, "policies-dark.png")
	e.scheme(t, "light")
	e.axe(t, "the policies page with violations")

	// Each violator links to its page.
	forever := e.tokenByName(t, "Policy forever")
	e.do(t, click(`tr[data-violator="Policy forever"] a.token-name`))
	e.waitJS(t, fmt.Sprintf(`location.pathname === "/admin/tokens/%s"`, forever.ID), "the token's page")

	// A viewer that may read tokens but is not full access reads the policy;
	// it has no bulk revoke (it may not revoke).
	e.signInAs(t, reader)
	e.do(t, chromedp.Navigate(e.url+"/admin/policies"), chromedp.WaitVisible(chromedp.CSS("[data-refusal=policy]")))
	got := run(t, e, chromedp.Evaluate[[]string](`[document.querySelector("[data-testid=policy-max-lifetime]").textContent,
		String(document.querySelectorAll("[data-testid=policy-form], input[name=maxLifetimeDays]").length),
		[...document.querySelectorAll(".mainnav a")].map((a) => a.textContent).join("|")]`))
	if got[0] != "30 days" || got[1] != "0" || !strings.Contains(got[2], "Policies") || strings.Contains(got[2], "Bulk revoke") || strings.Contains(got[2], "Webhooks") {
		t.Fatalf("a reader sees: lifetime %q, %s form controls, navigation %q", got[0], got[1], got[2])
	}
	e.axe(t, "the policies page of a reader")
	e.signInAs(t, e.boot)
}

// testWebhooks: an endpoint is added through the form (its signing secret
// shown once), receives a signed event, its page lists the delivery, and
// Redeliver sends the same event again as a second delivery; edit and
// delete (confirmation focused on Cancel) go through the API.
func testWebhooks(t *testing.T, e *browserEnv) {
	recv := webhooktest.New(t)
	hook := recv.URL + "/hook"
	e.do(t,
		chromedp.Navigate(e.url+"/admin/webhooks"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=create-webhook]")),
		countMutations,
	)
	e.axe(t, "the webhooks page, empty")
	e.do(t,
		click("[data-testid=create-webhook]"),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=url]")),
		fill("dialog[open] input[name=url]", "http://example.com/hook"),
		click(submit),
	)
	e.waitFieldError(t, "url", "must start with https://")
	if n := e.mutationsSent(t); n != 0 {
		t.Fatalf("%d mutations sent for a plain http address", n)
	}
	// Without "all events", at least one type must be chosen.
	e.do(t,
		fill("dialog[open] input[name=url]", hook),
		click("dialog[open] [data-field=events] .checkbox input"),
		click(submit),
	)
	e.waitJS(t, `(document.querySelector("dialog[open] [data-field=events] .error")?.textContent ?? "").includes("at least one event type")`, "the events' error")
	e.do(t, click(`dialog[open] input[name=event-type][value="api-token.created"]`))
	e.waitJS(t, `!document.querySelector("dialog[open] [data-field=events] .error")`, "the events' error to clear")
	e.axe(t, "the add-endpoint dialog")
	e.do(t, click(submit), chromedp.WaitVisible(chromedp.CSS("dialog[open] #webhook-secret")))
	secret := run(t, e, chromedp.Value(chromedp.CSS("dialog[open] #webhook-secret")))
	if secret == "" {
		t.Fatal("no signing secret shown")
	}
	recv.SetSecret(secret)
	e.axe(t, "the signing secret dialog")
	// Until stored, Escape does not close it.
	e.do(t, chromedp.KeyEvent("\x1b"), chromedp.KeyEvent("\x1b"))
	if !run(t, e, chromedp.Evaluate[bool](`!!document.querySelector("dialog[open] #webhook-secret") && document.querySelector("dialog[open] [data-close-secret]").disabled`)) {
		t.Fatal("the secret dialog closed on Escape, or its Close works before the secret is stored")
	}
	e.do(t, click("dialog[open] input[name=stored]"), click("dialog[open] [data-close-secret]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	row := fmt.Sprintf(`tr[data-endpoint-url=%q]`, hook)
	e.do(t, chromedp.WaitVisible(chromedp.CSS(row)))
	if h := run(t, e, chromedp.Text(chromedp.CSS(row+` td[data-label=Health]`))); h != "No deliveries yet" {
		t.Fatalf("a new endpoint's health: %q", h)
	}
	var eps struct {
		WebhookEndpoints struct {
			Edges []struct {
				Node struct {
					ID      string
					URL     string
					Events  []string
					Enabled bool
				}
			}
		}
	}
	e.mustGraphQL(t, e.boot, `{ webhookEndpoints(first: 10) { edges { node { id url events enabled } } } }`, nil, &eps)
	if len(eps.WebhookEndpoints.Edges) != 1 || eps.WebhookEndpoints.Edges[0].Node.URL != hook ||
		!slices.Equal(eps.WebhookEndpoints.Edges[0].Node.Events, []string{"api-token.created"}) || !eps.WebhookEndpoints.Edges[0].Node.Enabled {
		t.Fatalf("endpoints: %+v", eps.WebhookEndpoints.Edges)
	}
	epID := eps.WebhookEndpoints.Edges[0].Node.ID

	// An event: a token created. The receiver gets it, signed with the secret shown.
	e.createToken(t, map[string]any{"name": "Webhook probe", "type": "READ_ONLY"})
	defer e.deleteTokens(t, "Webhook probe")
	got := recv.Wait(t, 15*time.Second, "the api-token.created event", func(d []webhooktest.Delivery) bool { return len(d) >= 1 })
	if !got[0].Valid || got[0].Type != "api-token.created" {
		t.Fatalf("first delivery: type %q, signature valid %v", got[0].Type, got[0].Valid)
	}
	eventID := got[0].EventID

	// The list shows the endpoint healthy; its page shows the delivery.
	e.do(t, chromedp.Reload())
	e.waitJS(t, fmt.Sprintf(`(document.querySelector('%s td[data-label=Health]')?.textContent ?? "").includes("Healthy")`, row), "the endpoint marked healthy")
	e.screenshot(t, "webhooks.png")
	e.axe(t, "the webhooks page")
	e.resize(t, 390, 844)
	e.allInView(t, row+" .row-menu-button, .page-actions .button", "the webhooks page at 390 px")
	e.resize(t, 1280, 800)
	e.do(t, click(row+" a.token-name"))
	e.waitJS(t, fmt.Sprintf(`location.pathname === "/admin/webhooks/%s"`, epID), "the endpoint's page")
	delivered := fmt.Sprintf(`[...document.querySelectorAll('tr[data-event-id=%q]')].filter((r) => r.dataset.status === "DELIVERED")`, eventID)
	e.waitJS(t, delivered+`.length === 1`, "the delivery, delivered")
	cells := run(t, e, chromedp.Evaluate[[]string](delivered+`.flatMap((r) => [r.querySelector("[data-testid=delivery-attempts]").textContent, r.querySelector("[data-testid=delivery-response]").textContent])`))
	if !slices.Equal(cells, []string{"1", "HTTP 200"}) {
		t.Fatalf("the delivery's attempts and response: %q", cells)
	}
	e.screenshot(t, "webhook-deliveries.png")
	e.axe(t, "an endpoint's deliveries")
	e.resize(t, 390, 844)
	e.allInView(t, ".deliveries-table button, .page-actions .button, .pager .button", "an endpoint's deliveries at 390 px")
	e.resize(t, 1280, 800)

	// Redeliver: the same event again, a second delivery, which the page shows.
	e.do(t, click(fmt.Sprintf(`tr[data-event-id=%q] button[aria-label^="Redeliver"]`, eventID)))
	again := recv.Wait(t, 15*time.Second, "the redelivery", func(d []webhooktest.Delivery) bool { return len(d) >= 2 })
	if again[1].EventID != eventID || !again[1].Valid {
		t.Fatalf("redelivery: event %q (want %q), signature valid %v", again[1].EventID, eventID, again[1].Valid)
	}
	e.waitJS(t, delivered+`.length === 2`, "two delivered deliveries of the event")
	if s := run(t, e, chromedp.Text(chromedp.CSS("[data-testid=pager-count]"))); !strings.HasPrefix(s, "2 deliveries") {
		t.Fatalf("the pager reads %q", s)
	}

	// Edit on the list: all events, disabled.
	e.do(t,
		chromedp.Navigate(e.url+"/admin/webhooks"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		rowAction(hook, "edit"),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=url]")),
		click("dialog[open] [data-field=events] .checkbox input"),
		click("dialog[open] input[name=enabled]"),
		click(submit),
		chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")),
	)
	e.waitJS(t, fmt.Sprintf(`(document.querySelector('%s td[data-label=Health]')?.textContent ?? "") === "Disabled"`, row), "the endpoint shown disabled")
	e.mustGraphQL(t, e.boot, `{ webhookEndpoints(first: 10) { edges { node { id url events enabled } } } }`, nil, &eps)
	if n := eps.WebhookEndpoints.Edges[0].Node; !slices.Equal(n.Events, []string{"*"}) || n.Enabled {
		t.Fatalf("after the edit: %+v", n)
	}

	// Delete asks first, with the focus on Cancel.
	e.do(t, rowAction(hook, "delete"), chromedp.WaitVisible(chromedp.CSS("dialog[open] button.danger")))
	if !run(t, e, chromedp.Evaluate[bool](`document.activeElement.matches("[data-cancel]")`)) {
		t.Fatal("the delete dialog does not open with the focus on Cancel")
	}
	e.axe(t, "the delete-endpoint dialog")
	e.do(t, click("dialog[open] button.danger"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")), chromedp.WaitNotPresent(chromedp.CSS(row)))
	var after struct{ WebhookEndpoints struct{ TotalCount int } }
	e.mustGraphQL(t, e.boot, `{ webhookEndpoints { totalCount } }`, nil, &after)
	if after.WebhookEndpoints.TotalCount != 0 {
		t.Fatalf("%d endpoints left after the delete", after.WebhookEndpoints.TotalCount)
	}
}

// testBulkRevoke: a dry run lists exactly the tokens the filter matches and
// changes nothing; the revoke waits for the typed count; it revokes those
// tokens and no other; the viewer's own token among them is named.
func testBulkRevoke(t *testing.T, e *browserEnv) {
	incident := []string{"Incident key 1", "Incident key 2", "Incident key 3"}
	for _, n := range incident {
		e.createToken(t, map[string]any{"name": n, "type": "READ_ONLY"})
	}
	e.createToken(t, map[string]any{"name": "Unrelated key", "type": "READ_ONLY"})
	operator := e.createToken(t, map[string]any{"name": "Incident operator", "type": "CUSTOM",
		"permissions": []map[string]string{
			{"contentType": "api-token", "action": "read"}, {"contentType": "api-token", "action": "revoke"},
			{"contentType": "persona", "action": "read"}, {"contentType": "role", "action": "read"},
		}})
	all := append(append([]string{}, incident...), "Incident operator", "Unrelated key")
	defer e.deleteTokens(t, all...)

	e.signInAs(t, operator)
	e.do(t,
		click(`.mainnav a[href="/admin/bulk-revoke"]`),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=dry-run]")),
		countMutations,
	)
	e.axe(t, "the bulk revoke page")
	// Nothing chosen: the browser refuses a dry run of every token.
	e.do(t, click("[data-testid=dry-run]"))
	e.waitJS(t, `(document.querySelector("[data-field=where].error")?.textContent ?? "").includes("at least one condition")`, "the refusal of an empty filter")
	if n := e.mutationsSent(t); n != 0 {
		t.Fatalf("%d mutations sent for an empty filter", n)
	}
	e.do(t, fill("input[name=name]", "incident"), click("[data-testid=dry-run]"), chromedp.WaitVisible(chromedp.CSS("[data-testid=bulk-preview]")))
	want := append(append([]string{}, incident...), "Incident operator")
	names := run(t, e, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=bulk-names] li")].map((li) => li.dataset.tokenName)`))
	if !slices.Equal(names, want) {
		t.Fatalf("the dry run lists %q, want %q", names, want)
	}
	if h := run(t, e, chromedp.Text(chromedp.CSS("#preview-title"))); h != "4 tokens would be revoked" {
		t.Fatalf("the dry run says %q", h)
	}
	if w := run(t, e, chromedp.Text(chromedp.CSS("[data-testid=own-token-in-bulk]"))); !strings.Contains(w, "Incident operator") || !strings.Contains(w, "signs you out") {
		t.Fatalf("the own-token warning reads %q", w)
	}
	if s := e.tokenStatuses(t, all...); slices.ContainsFunc(s, func(v string) bool { return v != "ACTIVE" }) {
		t.Fatalf("the dry run changed statuses: %q", s)
	}
	if u := run(t, e, chromedp.Evaluate[string](`location.search`)); u != "?name=incident" {
		t.Fatalf("the filter is not in the address: %q", u)
	}
	e.axe(t, "the dry run's preview")
	e.resize(t, 390, 844)
	e.allInView(t, ".bulk-filters input, .bulk-filters select, .bulk-preview .button, .bulk-list a", "the bulk revoke page at 390 px")
	e.resize(t, 1280, 800)

	// The typed confirmation gates the revoke; the dialog opens on Cancel.
	e.do(t, countMutations, click("[data-testid=bulk-revoke]"), chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=confirm]")))
	state := func() []string {
		return run(t, e, chromedp.Evaluate[[]string](`[String(document.activeElement.matches("[data-cancel]")), String(document.querySelector("dialog[open] button.danger").disabled),
			document.querySelector("dialog[open] label[for]").textContent, String(!!document.querySelector("dialog[open] .own-token-warning"))]`))
	}
	if s := state(); s[0] != "true" || s[1] != "true" || !strings.Contains(s[2], "revoke 4 tokens") || s[3] != "true" {
		t.Fatalf("the confirmation: focus on Cancel %s, revoke disabled %s, label %q, own-token warning %s", s[0], s[1], s[2], s[3])
	}
	e.axe(t, "the typed confirmation")
	e.do(t, fill("dialog[open] input[name=confirm]", "revoke 3 tokens"))
	if s := state(); s[1] != "true" {
		t.Fatal("the revoke button works with the wrong count typed")
	}
	e.do(t, click("dialog[open] input[name=confirm]"), chromedp.KeyEvent("\r"))
	if n := e.mutationsSent(t); n != 0 || !run(t, e, chromedp.Evaluate[bool](`!!document.querySelector("dialog[open] input[name=confirm]")`)) {
		t.Fatalf("Enter with the wrong count sent %d mutations or closed the dialog", n)
	}
	e.do(t, fill("dialog[open] input[name=confirm]", "revoke 4 tokens"))
	if s := state(); s[1] != "false" {
		t.Fatal("the revoke button stays disabled with the count typed")
	}
	e.do(t, click("dialog[open] button.danger"), chromedp.WaitVisible(chromedp.CSS("[data-testid=bulk-result]")))
	if h := run(t, e, chromedp.Text(chromedp.CSS("#result-title"))); h != "4 tokens revoked" {
		t.Fatalf("the result says %q", h)
	}
	if s := e.tokenStatuses(t, all...); !slices.Equal(s, []string{"REVOKED", "REVOKED", "REVOKED", "REVOKED", "ACTIVE"}) {
		t.Fatalf("statuses after the revoke of %q: %q", all, s)
	}
	// The tab's own token is gone: the next request signs it out.
	e.do(t, chromedp.Navigate(e.url+"/admin/tokens"), chromedp.WaitVisible(chromedp.CSS("#signin-token")))
	e.signInAs(t, e.boot)
}

// testPersonaPolicy: a persona's external ID, metadata and rate limits are
// checked in the browser, saved and shown in the list; a duplicate external
// ID is explained at its field; a viewer with limits of its own is told,
// and refused, limits looser than its own.
func testPersonaPolicy(t *testing.T, e *browserEnv) {
	crewID := e.createPersona(t, "Limited crew")
	e.createToken(t, map[string]any{"name": "Limited crew key", "type": "CUSTOM", "personaID": crewID,
		"permissions": []map[string]string{{"contentType": "persona", "action": "read"}}})
	defer e.deleteTokens(t, "Limited crew key", "Limited editor")

	e.do(t,
		chromedp.Navigate(e.url+"/admin/personas?q=Limited+crew"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-persona-name="Limited crew"]`)),
		countMutations,
		click(`button[aria-label="Edit Limited crew"]`),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=externalID]")),
		fill("dialog[open] input[name=externalID]", "cust 42"),
		fill("dialog[open] textarea[name=metadata]", `["not", "an object"]`),
		click("dialog[open] [data-add-limit]"),
		fill("dialog[open] input[name=limit-limit]", "0"),
		click(submit),
	)
	e.waitFieldError(t, "externalID", "visible ASCII characters")
	e.waitFieldError(t, "metadata", "must be a JSON object")
	e.waitFieldError(t, "rateLimits", "from 1 to 1,000,000,000")
	if n := e.mutationsSent(t); n != 0 {
		t.Fatalf("%d mutations sent for what the browser refuses", n)
	}
	e.axe(t, "the persona form with its errors")
	e.resize(t, 390, 844)
	e.allInView(t, "dialog[open] input, dialog[open] textarea, dialog[open] .button", "the persona form at 390 px")
	e.resize(t, 1280, 800)
	// A second row, removed again.
	e.do(t,
		fill("dialog[open] input[name=externalID]", "cust_42"),
		fill("dialog[open] textarea[name=metadata]", `{"plan": "pro", "seats": 5}`),
		fill("dialog[open] input[name=limit-name]", "api"),
		fill("dialog[open] input[name=limit-limit]", "100"),
		fill("dialog[open] input[name=limit-period]", "60"),
		fill("dialog[open] select[name=limit-unit]", "1"),
		click("dialog[open] [data-add-limit]"),
	)
	e.waitJS(t, `document.querySelectorAll("dialog[open] [data-limit-row]").length === 2`, "a second limit row")
	e.do(t, click(`dialog[open] [data-remove-limit="1"]`))
	e.waitJS(t, `document.querySelectorAll("dialog[open] [data-limit-row]").length === 1`, "the second row removed")
	e.do(t, click(submit), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	type personaInfo struct {
		ExternalID *string
		Metadata   map[string]any
		RateLimits []struct {
			Name          string
			Limit         int
			PeriodSeconds int
		}
	}
	read := func() personaInfo {
		var d struct{ Node personaInfo }
		e.mustGraphQL(t, e.boot, `query($id: ID!) { node(id: $id) { ... on Persona { externalID metadata rateLimits { name limit periodSeconds } } } }`, map[string]any{"id": crewID}, &d)
		return d.Node
	}
	p := read()
	if p.ExternalID == nil || *p.ExternalID != "cust_42" || p.Metadata["plan"] != "pro" || len(p.RateLimits) != 1 ||
		p.RateLimits[0].Name != "api" || p.RateLimits[0].Limit != 100 || p.RateLimits[0].PeriodSeconds != 60 {
		t.Fatalf("the saved persona: %+v", p)
	}
	e.waitJS(t, fmt.Sprintf(`JSON.stringify(["persona-external-id", "persona-limits"].map((id) => document.querySelector('tr[data-persona-name="Limited crew"] [data-testid=' + id + ']').textContent)) === %q`,
		mustJSON([]string{"cust_42", "100 per minute (api)"})), "the list to show the external ID and the limit")
	e.axe(t, "the personas page with external IDs and limits")
	e.resize(t, 390, 844)
	e.allInView(t, `tr[data-persona-name="Limited crew"] td, tr[data-persona-name="Limited crew"] .button`, "the personas page at 390 px")
	e.resize(t, 1280, 800)

	// Another persona may not take the same external ID: said at the field.
	e.do(t,
		click(`.page-actions .button.primary`),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=externalID]")),
		fill("dialog[open] input[name=name]", "Copycat crew"),
		fill("dialog[open] input[name=externalID]", "cust_42"),
		click(submit),
	)
	e.waitFieldError(t, "externalID", "Another persona already has the external ID “cust_42”")
	e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))

	// A viewer limited to 10 per minute may not leave the crew's token looser.
	editor := e.createToken(t, map[string]any{"name": "Limited editor", "type": "CUSTOM",
		"rateLimits": []map[string]any{{"name": "ops", "limit": 10, "periodSeconds": 60}},
		"permissions": []map[string]string{
			{"contentType": "persona", "action": "read"}, {"contentType": "persona", "action": "update"}, {"contentType": "api-token", "action": "read"},
		}})
	e.signInAs(t, editor)
	e.do(t,
		chromedp.Navigate(e.url+"/admin/personas?q=Limited+crew"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-persona-name="Limited crew"]`)),
		click(`button[aria-label="Edit Limited crew"]`),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=limit-limit]")),
	)
	e.waitJS(t, `(document.querySelector("dialog[open] [data-refusal=rateLimits]")?.textContent ?? "").includes("limited to 10 per minute")`, "the viewer's own limit said")
	e.axe(t, "the persona form of a limited viewer")
	e.do(t, fill("dialog[open] input[name=limit-limit]", "50"), click(submit))
	e.waitFieldError(t, "rateLimits", "limited to 10 per minute")
	if p := read(); p.RateLimits[0].Limit != 100 {
		t.Fatalf("a refused change was saved: %+v", p.RateLimits)
	}
	e.do(t, fill("dialog[open] input[name=limit-limit]", "10"))
	e.waitJS(t, `!document.querySelector("dialog[open] [data-refusal=rateLimits]") && !document.querySelector("dialog[open] [data-field=rateLimits] .error")`, "the refusal to go once the limit is as strict")
	e.do(t, click(submit), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if p := read(); len(p.RateLimits) != 1 || p.RateLimits[0].Limit != 10 {
		t.Fatalf("the limit within the viewer's: %+v", p.RateLimits)
	}
	e.signInAs(t, e.boot)
}
