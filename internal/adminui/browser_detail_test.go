package adminui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// verify asks POST /v1/verify about secret and one permission, and answers its code.
func (e *browserEnv) verify(t *testing.T, secret, permission string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"token": secret, "permissions": permission})
	res, err := http.Post(e.url+"/v1/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a struct{ Code string }
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil || a.Code == "" {
		t.Fatalf("/v1/verify: HTTP %d, %v", res.StatusCode, err)
	}
	return a.Code
}

// The usage outcomes by the verification codes that count in them.
var outcomeOf = map[string]string{
	"VALID": "allowed", "FORBIDDEN": "forbidden", "RATE_LIMITED": "rateLimited",
	"USAGE_EXCEEDED": "usageExceeded", "IP_NOT_ALLOWED": "ipRefused", "NOT_YET_VALID": "notYetValid",
}

// testTokenDetailPolicy: a token's page shows its usage by outcome as the
// verifications made were answered (chart, legend and totals table, over
// each range), its limits, credits, conditions and metadata, and its
// events with their webhook deliveries.
func testTokenDetailPolicy(t *testing.T, e *browserEnv) {
	const name = "Usage meter"
	defer e.deleteTokens(t, name)
	// An endpoint subscribed to token events, so that they have deliveries.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hook.Close()
	var ep struct {
		CreateWebhookEndpoint struct{ Endpoint struct{ ID string } }
	}
	e.mustGraphQL(t, e.boot, `mutation($url: String!) { createWebhookEndpoint(input: {url: $url, events: ["api-token.created", "api-token.updated"]}) { endpoint { id } } }`,
		map[string]any{"url": hook.URL + "/hook"}, &ep)
	defer e.mustGraphQL(t, e.boot, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": ep.CreateWebhookEndpoint.Endpoint.ID}, &struct{}{})

	secret := e.createToken(t, map[string]any{
		"name": name, "type": "CUSTOM", "permissions": []map[string]string{{"contentType": "api-token", "action": "read"}},
		"rateLimits":        []map[string]any{{"name": "burst", "limit": 8, "periodSeconds": 86400}},
		"credits":           map[string]any{"remaining": 1000, "refillAmount": 250, "refillInterval": "MONTHLY"},
		"allowedNetworks":   []string{"127.0.0.1/32", "::1/128"},
		"metadata":          map[string]any{"team": "billing", "tier": 2},
		"allowSelfRotation": true,
	})
	tok := e.tokenByName(t, name)
	update := func(input map[string]any) {
		e.mustGraphQL(t, e.boot, `mutation($id: ID!, $in: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $in) { id } }`,
			map[string]any{"id": tok.ID, "in": input}, &struct{}{})
	}

	// Verifications, counted by the answers they got: allowed and
	// forbidden until the rate limit refuses, then from outside the
	// allowed networks, then before notBefore.
	tally := map[string]int{}
	count := func(code string) string {
		o, ok := outcomeOf[code]
		if !ok {
			t.Fatalf("verification answered %s", code)
		}
		tally[o]++
		return code
	}
	for i := 0; i < 5; i++ {
		count(e.verify(t, secret, "api-token:read"))
	}
	count(e.verify(t, secret, "api-token:delete"))
	count(e.verify(t, secret, "api-token:delete"))
	for i := 0; i < 12 && tally["rateLimited"] == 0; i++ {
		count(e.verify(t, secret, "api-token:read"))
	}
	update(map[string]any{"allowedNetworks": []string{"10.0.0.0/8"}, "rateLimits": []any{}})
	count(e.verify(t, secret, "api-token:read"))
	count(e.verify(t, secret, "api-token:read"))
	update(map[string]any{"allowedNetworks": []string{"127.0.0.1/32", "::1/128"}, "notBefore": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	count(e.verify(t, secret, "api-token:read"))
	for _, o := range []string{"allowed", "forbidden", "rateLimited", "ipRefused", "notYetValid"} {
		if tally[o] == 0 {
			t.Fatalf("no verification was %s: %v", o, tally)
		}
	}
	// What the page shows of the policy: as it is now, a start time in the past.
	notBefore := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	update(map[string]any{"notBefore": notBefore.Format(time.RFC3339), "rateLimits": []map[string]any{{"name": "burst", "limit": 8, "periodSeconds": 86400}}})
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := e.srv.App.Usage.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range tally {
		total += n
	}

	e.signInAs(t, e.boot)
	e.do(t, chromedp.Navigate(e.url+"/admin/tokens/"+tok.ID))
	type shown struct {
		Legend, Table, Bars map[string]int
		Pressed             string
	}
	read := func(rng string) shown {
		t.Helper()
		e.do(t, click(fmt.Sprintf(`.usage-ranges [data-range=%q]`, rng)))
		e.waitJS(t, fmt.Sprintf(`document.querySelector('.usage[data-range=%q]')?.getAttribute("aria-busy") === "false" && !!document.querySelector(".usage-svg")`, rng), "the "+rng+" chart")
		return run(t, e, chromedp.Evaluate[shown](`(() => {
			const num = (s) => Number(s.replace(/,/g, ""));
			const legend = {}, table = {}, bars = {};
			for (const el of document.querySelectorAll(".usage-legend [data-total]")) legend[el.dataset.total] = num(el.textContent);
			for (const tr of document.querySelectorAll(".usage-table tbody tr")) table[tr.dataset.outcome] = num(tr.querySelector("td").textContent);
			for (const r of document.querySelectorAll(".usage-svg rect[data-outcome]")) bars[r.dataset.outcome] = (bars[r.dataset.outcome] ?? 0) + Number(r.dataset.count);
			return {legend, table, bars, pressed: document.querySelector(".usage-ranges [aria-pressed=true]").dataset.range};
		})()`))
	}
	for _, rng := range []string{"month", "year", "day"} {
		got := read(rng)
		if got.Pressed != rng {
			t.Fatalf("range %s: the pressed button is %s", rng, got.Pressed)
		}
		for o := range outcomeOf {
			o = outcomeOf[o]
			if got.Legend[o] != tally[o] || got.Table[o] != tally[o] || got.Bars[o] != tally[o] {
				t.Errorf("range %s, %s: legend %d, table %d, bars %d; verifications answered %d", rng, o, got.Legend[o], got.Table[o], got.Bars[o], tally[o])
			}
		}
		if got.Legend["requests"] != total || got.Table["requests"] != total {
			t.Errorf("range %s: in all %d / %d, want %d", rng, got.Legend["requests"], got.Table["requests"], total)
		}
	}
	// The drawing says what it shows to those who cannot see it.
	a11y := run(t, e, chromedp.Evaluate[[]string](`(() => { const s = document.querySelector(".usage-svg");
		return [s.getAttribute("role"), document.getElementById(s.getAttribute("aria-labelledby")).textContent, document.getElementById(s.getAttribute("aria-describedby")).textContent]; })()`))
	if a11y[0] != "img" || !strings.Contains(a11y[1], "last 24 hours") || !strings.Contains(a11y[2], fmt.Sprintf("%d in all", total)) {
		t.Fatalf("the chart's title and description: %q", a11y)
	}

	limits := run(t, e, chromedp.Text(chromedp.CSS(".token-detail #limits")))
	for _, want := range []string{"burst: 8 per day", " left; resets to 250 on the 1st of every month", "127.0.0.1/32", "::1/128", "Allowed: it may roll its own secret", `"team": "billing"`, `"tier": 2`, "2025"} {
		if !strings.Contains(limits, want) {
			t.Errorf("limits and conditions lack %q:\n%s", want, limits)
		}
	}
	events := run(t, e, chromedp.Text(chromedp.CSS(".token-detail #events")))
	for _, want := range []string{"api-token.created", "api-token.updated", hook.URL + "/hook"} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %q:\n%s", want, events)
		}
	}

	e.axe(t, "a token's page with its usage, limits and events")
	e.resize(t, 390, 844)
	e.allInView(t, ".token-detail button, .token-detail dd, .usage-svg", "a token's page with its usage at 390 px")
	e.resize(t, 1280, 800)
	e.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#usage").scrollIntoView()`))
	e.screenshot(t, "token-detail-usage.png")
	e.scheme(t, "dark")
	e.screenshot(t, "token-detail-usage-dark.png")
	e.scheme(t, "light")
}

// testTokenFormPolicy: the form's "Limits and conditions" group checks in
// the browser, saves what GraphQL then reads back, sends only what an edit
// changes, and offers a limited viewer nothing looser than its own policy.
func testTokenFormPolicy(t *testing.T, e *browserEnv) {
	const made, limitedName, byLimited = "Policy form", "Policy limited", "Made by the limited"
	defer e.deleteTokens(t, made, limitedName, byLimited)
	type policy struct {
		ID         string
		RateLimits []struct {
			Name          string
			Limit         int
			PeriodSeconds int
		}
		Credits *struct {
			Remaining      int
			RefillAmount   *int
			RefillInterval *string
			RefillMode     *string
		}
		AllowedNetworks   []string
		NotBefore         *string
		Metadata          map[string]any
		AllowSelfRotation bool
	}
	policyOf := func(name string) *policy {
		t.Helper()
		var d struct {
			APITokens struct{ Edges []struct{ Node policy } }
		}
		e.mustGraphQL(t, e.boot, `query($n: String!) { apiTokens(where: {name: $n}) { edges { node { id rateLimits { name limit periodSeconds }
			credits { remaining refillAmount refillInterval refillMode } allowedNetworks notBefore metadata allowSelfRotation } } } }`, map[string]any{"n": name}, &d)
		if len(d.APITokens.Edges) == 0 {
			return nil
		}
		return &d.APITokens.Edges[0].Node
	}
	errorAt := func(field string) string {
		t.Helper()
		e.waitJS(t, fmt.Sprintf(`!!document.querySelector('dialog[open] [data-field=%q] .error')`, field), "an error at "+field)
		return run(t, e, chromedp.Text(chromedp.CSS(fmt.Sprintf(`dialog[open] [data-field=%q] .error`, field))))
	}
	save := `dialog[open] .dialog-actions button[type=submit]`
	closeSecret := chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS("dialog[open] .secret-value")),
		click("dialog[open] input[name=stored]"),
		click("dialog[open] [data-close-secret]"),
		chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")),
	)

	e.signInAs(t, e.boot)
	e.do(t, click("[data-testid=create-token]"), chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=name]")))
	if run(t, e, chromedp.Evaluate[bool](`document.querySelector("dialog[open] [data-testid=policy-group]").open`)) {
		t.Fatal("the Limits and conditions group starts open for a viewer without limits")
	}
	e.do(t, fill("dialog[open] input[name=name]", made), click("dialog[open] [data-testid=policy-group] > summary"), click("dialog[open] [data-add-limit]"))
	e.axe(t, "the token form with Limits and conditions open")

	// The browser's own check: nothing is sent while something is wrong.
	e.do(t,
		fill(`dialog[open] [data-limit-row="0"] input[name=limit-name]`, "no spaces"),
		fill(`dialog[open] [data-limit-row="0"] input[name=limit-limit]`, "100"),
		fill("dialog[open] textarea[name=allowed-networks]", "10.0.0.0/8\n10.0.0.300/8"),
		fill("dialog[open] textarea[name=metadata]", `["not", "an object"]`),
		click(save),
	)
	if msg := errorAt("rateLimits"); !strings.Contains(msg, "letters, digits") {
		t.Errorf("rate limit name: %q", msg)
	}
	if msg := errorAt("allowedNetworks"); !strings.Contains(msg, "10.0.0.300/8") {
		t.Errorf("networks: %q", msg)
	}
	if msg := errorAt("metadata"); !strings.Contains(msg, "JSON object") {
		t.Errorf("metadata: %q", msg)
	}
	if policyOf(made) != nil {
		t.Fatal("the form was sent with errors in it")
	}
	// Editing a control clears its error.
	e.do(t, fill(`dialog[open] [data-limit-row="0"] input[name=limit-name]`, "requests"))
	e.waitJS(t, `!document.querySelector('dialog[open] [data-field="rateLimits"] .error')`, "the rate limit error to clear")

	if hint := run(t, e, chromedp.Text(chromedp.CSS(`dialog[open] [data-field=notBefore] .hint`))); !strings.Contains(hint, "UTC+05:30") {
		t.Errorf("notBefore does not name the time zone: %q", hint)
	}
	e.do(t,
		click("dialog[open] [data-add-limit]"),
		fill(`dialog[open] [data-limit-row="1"] input[name=limit-name]`, "daily"),
		fill(`dialog[open] [data-limit-row="1"] input[name=limit-limit]`, "5000"),
		fill(`dialog[open] [data-limit-row="1"] select[name=limit-unit]`, "86400"),
		click("dialog[open] input[name=use-credits]"),
		fill("dialog[open] input[name=credits-remaining]", "500"),
		fill("dialog[open] select[name=credits-interval]", "DAILY"),
		fill("dialog[open] input[name=credits-refill]", "100"),
		fill("dialog[open] select[name=credits-mode]", "ADD"),
		fill("dialog[open] textarea[name=allowed-networks]", "10.0.0.0/8\n2001:db8::/32"),
		// Asia/Kolkata, the browser's zone in these tests, is UTC+05:30.
		fill("dialog[open] input[name=not-before]", "2030-01-02T03:04"),
		fill("dialog[open] textarea[name=metadata]", `{"team": "billing", "tier": 2}`),
		click("dialog[open] input[name=allow-self-rotation]"),
		click(save),
		closeSecret,
	)
	p := policyOf(made)
	if p == nil {
		t.Fatal("the token was not made")
	}
	got, _ := json.Marshal(p)
	if len(p.RateLimits) != 2 || p.RateLimits[0].Name != "requests" || p.RateLimits[0].Limit != 100 || p.RateLimits[0].PeriodSeconds != 60 ||
		p.RateLimits[1].Name != "daily" || p.RateLimits[1].Limit != 5000 || p.RateLimits[1].PeriodSeconds != 86400 ||
		p.Credits == nil || p.Credits.Remaining != 500 || p.Credits.RefillAmount == nil || *p.Credits.RefillAmount != 100 ||
		*p.Credits.RefillInterval != "DAILY" || *p.Credits.RefillMode != "ADD" ||
		!slices.Equal(p.AllowedNetworks, []string{"10.0.0.0/8", "2001:db8::/32"}) ||
		p.NotBefore == nil || !strings.HasPrefix(*p.NotBefore, "2030-01-01T21:34:00") ||
		p.Metadata["team"] != "billing" || p.Metadata["tier"] != float64(2) || !p.AllowSelfRotation {
		t.Fatalf("saved policy: %s", got)
	}

	// An edit starts from the token's policy (the group open) and sends only what changed.
	e.do(t, chromedp.Navigate(e.url+"/admin/tokens/"+p.ID), click(".detail-actions [data-action=edit]"))
	e.waitJS(t, `document.querySelector("dialog[open] [data-testid=policy-group]")?.open === true && !!document.querySelector('dialog[open] [data-limit-row="1"]')`, "the edit form with the token's limits")
	start := run(t, e, chromedp.Evaluate[[]string](`["credits-remaining", "allowed-networks", "not-before"].map((n) => document.querySelector("dialog[open] [name=" + n + "]").value)`))
	if !slices.Equal(start, []string{"500", "10.0.0.0/8\n2001:db8::/32", "2030-01-02T03:04"}) {
		t.Fatalf("the edit form starts from %q", start)
	}
	e.do(t,
		click(`dialog[open] [data-remove-limit="1"]`),
		fill("dialog[open] textarea[name=allowed-networks]", "10.0.0.0/8\n2001:db8::/32\n192.168.1.0/24"),
		click(save),
		chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")),
	)
	var audit struct {
		AuditEvents struct {
			Edges []struct{ Node struct{ Changes []string } }
		}
	}
	e.mustGraphQL(t, e.boot, `query($id: String!) { auditEvents(first: 1, where: {targetID: $id, action: "api-token.update"}, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { changes } } } }`,
		map[string]any{"id": p.ID}, &audit)
	p = policyOf(made)
	if len(p.RateLimits) != 1 || p.RateLimits[0].Name != "requests" || len(p.AllowedNetworks) != 3 || p.Credits == nil || p.Credits.Remaining != 500 {
		got, _ = json.Marshal(p)
		t.Fatalf("after the edit: %s", got)
	}
	if len(audit.AuditEvents.Edges) != 1 || slices.Contains(audit.AuditEvents.Edges[0].Node.Changes, "credits") || slices.Contains(audit.AuditEvents.Edges[0].Node.Changes, "metadata") {
		t.Fatalf("the edit sent more than it changed: %+v", audit)
	}

	// A limited viewer: the form starts at its own limits and refuses looser ones.
	limited := e.createToken(t, map[string]any{
		"name": limitedName, "type": "CUSTOM",
		"permissions": []map[string]string{
			{"contentType": "api-token", "action": "read"}, {"contentType": "api-token", "action": "create"},
			{"contentType": "api-token", "action": "update"},
			{"contentType": "persona", "action": "read"}, {"contentType": "role", "action": "read"}, {"contentType": "content-type", "action": "read"},
		},
		"rateLimits":      []map[string]any{{"name": "calls", "limit": 1000, "periodSeconds": 60}},
		"credits":         map[string]any{"remaining": 5000},
		"allowedNetworks": []string{"127.0.0.0/8", "::1/128"},
	})
	e.signInAs(t, limited)
	e.do(t, click("[data-testid=create-token]"), chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=name]")),
		click("dialog[open] [data-testid=policy-group] > summary"), chromedp.WaitVisible(chromedp.CSS(`dialog[open] [data-limit-row="0"]`)))
	type offered struct {
		Limit                    []string
		CreditsOn, CreditsLocked bool
		Remaining, RemainingMax  string
		RefillsOff               []bool
		Networks                 string
		Rotation                 bool
		Reasons                  []string
	}
	f := run(t, e, chromedp.Evaluate[offered](`(() => {
		const d = document.querySelector("dialog[open]");
		const row = d.querySelector('[data-limit-row="0"]');
		const use = d.querySelector("input[name=use-credits]");
		return {
			limit: ["limit-name", "limit-limit", "limit-period", "limit-unit"].map((n) => row.querySelector("[name=" + n + "]").value),
			creditsOn: use.checked, creditsLocked: use.disabled,
			remaining: d.querySelector("input[name=credits-remaining]").value, remainingMax: d.querySelector("input[name=credits-remaining]").max,
			refillsOff: [...d.querySelectorAll("select[name=credits-interval] option")].map((o) => o.disabled),
			networks: d.querySelector("textarea[name=allowed-networks]").value,
			rotation: d.querySelector("input[name=allow-self-rotation]").disabled,
			reasons: ["rateLimits", "credits", "allowedNetworks", "allowSelfRotation"].map((r) => d.querySelector("[data-refusal=" + r + "]")?.textContent ?? ""),
		};
	})()`))
	if !slices.Equal(f.Limit, []string{"calls", "1000", "1", "60"}) || !f.CreditsOn || !f.CreditsLocked || f.Remaining != "5000" || f.RemainingMax != "5000" ||
		!slices.Equal(f.RefillsOff, []bool{false, true, true}) || f.Networks != "127.0.0.0/8\n::1/128" || !f.Rotation || slices.Contains(f.Reasons, "") {
		t.Fatalf("a limited viewer is offered %+v", f)
	}
	e.axe(t, "the token form of a limited viewer with Limits and conditions open")
	e.do(t,
		fill("dialog[open] input[name=name]", byLimited),
		fill(`dialog[open] [data-limit-row="0"] input[name=limit-limit]`, "2000"),
		fill("dialog[open] input[name=credits-remaining]", "6000"),
		fill("dialog[open] textarea[name=allowed-networks]", "10.0.0.0/8"),
		click(save),
	)
	if msg := errorAt("rateLimits"); !strings.Contains(msg, "at least as strict") {
		t.Errorf("a looser rate limit: %q", msg)
	}
	if msg := errorAt("credits.remaining"); !strings.Contains(msg, "5,000 credits left") {
		t.Errorf("more credits: %q", msg)
	}
	if msg := errorAt("allowedNetworks"); !strings.Contains(msg, "not within your token") {
		t.Errorf("a wider network: %q", msg)
	}
	if policyOf(byLimited) != nil {
		t.Fatal("the limited viewer's looser token was sent")
	}
	e.do(t,
		fill(`dialog[open] [data-limit-row="0"] input[name=limit-limit]`, "500"),
		fill("dialog[open] input[name=credits-remaining]", "40"),
		fill("dialog[open] textarea[name=allowed-networks]", "127.0.0.1/32"),
		click(save),
		closeSecret,
	)
	p = policyOf(byLimited)
	if p == nil || len(p.RateLimits) != 1 || p.RateLimits[0].Limit != 500 || p.RateLimits[0].PeriodSeconds != 60 || p.Credits == nil || p.Credits.Remaining != 40 ||
		!slices.Equal(p.AllowedNetworks, []string{"127.0.0.1/32"}) {
		got, _ = json.Marshal(p)
		t.Fatalf("made by the limited viewer: %s", got)
	}
	e.signInAs(t, e.boot)
}
