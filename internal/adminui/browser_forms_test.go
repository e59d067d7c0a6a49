package adminui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// countMutations makes the page count the GraphQL mutations it sends, in
// window.__mutations, so that a test can tell the browser's own checks
// from the server's.
var countMutations = chromedp.Evaluate[chromedp.Void](`(() => {
	window.__mutations = 0;
	if (window.__fetch) return;
	window.__fetch = window.fetch;
	window.fetch = (url, opts) => {
		if (String(opts?.body ?? "").startsWith('{"query":"mutation')) window.__mutations++;
		return window.__fetch(url, opts);
	};
})()`)

// fieldError is the error shown at the open dialog's field for the server's field name.
func (e *browserEnv) fieldError(t *testing.T, field string) string {
	t.Helper()
	return run(t, e, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('dialog[open] [data-field=%q] .error')?.textContent ?? ""`, field)))
}

// waitFieldError waits until the field's error contains want.
func (e *browserEnv) waitFieldError(t *testing.T, field, want string) {
	t.Helper()
	e.waitJS(t, fmt.Sprintf(`(document.querySelector('dialog[open] [data-field=%q] .error')?.textContent ?? "").includes(%q)`, field, want),
		fmt.Sprintf("the error %q at %s", want, field))
}

func (e *browserEnv) mutationsSent(t *testing.T) int {
	t.Helper()
	return run(t, e, chromedp.Evaluate[int](`window.__mutations`))
}

const submit = "dialog[open] .dialog-actions button[type=submit]"

// testFormChecks: the token form checks what it can before sending, clears
// a field's error once the field is edited, and words the server's errors
// for its own controls; role and content type dialogs do the same.
func testFormChecks(t *testing.T, e *browserEnv) {
	e.do(t,
		chromedp.Navigate(e.url+"/admin/tokens"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=create-token]")),
		countMutations,
		click("[data-testid=create-token]"),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=name]")),
		click(submit),
	)
	e.waitFieldError(t, "name", "Enter a name.")
	e.waitJS(t, `document.activeElement?.name === "name"`, "the focus on the name, the first field at fault")

	// Several problems at once, each at its control, in the form's words.
	e.do(t,
		fill("dialog[open] input[name=name]", "Checked in the browser"),
		fill("dialog[open] input[name=code]", "Not A Slug"),
		fill("dialog[open] textarea[name=description]", strings.Repeat("x", 1001)),
		click(`dialog[open] input[name=persona-mode][value=new]`),
		fill("dialog[open] input[name=persona-avatar]", "http://example.com/bot.png"),
		click("dialog[open] input[name=own-secret]"),
		fill("dialog[open] input[name=secret]", "too-short"),
		click(submit),
	)
	e.waitFieldError(t, "code", "lower-case letters and digits joined by single hyphens for the code, such as “not-a-slug”")
	for field, want := range map[string]string{
		"description":       "1001 characters long; at most 1000",
		"persona.name":      "Enter a persona name.",
		"persona.avatarURL": "https",
		"secret":            "it needs at least 32",
	} {
		if got := e.fieldError(t, field); !strings.Contains(got, want) {
			t.Errorf("the error at %s reads %q, want %q", field, got, want)
		}
	}
	if got := e.fieldError(t, "name"); got != "" {
		t.Errorf("the name was filled in, yet its error stays: %q", got)
	}
	if n := e.mutationsSent(t); n != 0 {
		t.Fatalf("%d mutations were sent for a form the browser finds wrong", n)
	}
	e.axe(t, "the create dialog with field errors")

	// Editing a field clears its error, and only its.
	e.do(t, fill("dialog[open] input[name=code]", ""))
	e.waitJS(t, `!document.querySelector('dialog[open] [data-field=code] .error') && !document.querySelector('dialog[open] input[name=code][aria-invalid]')`, "the code's error to clear")
	if got := e.fieldError(t, "secret"); got == "" {
		t.Fatal("editing the code cleared the token value's error too")
	}
	e.do(t, click("dialog[open] input[name=own-secret]"))
	e.waitJS(t, `!document.querySelector('dialog[open] [data-field=secret]')`, "the token value to go")

	// The server's errors, by code and field, in sentences naming the
	// form's controls: a name taken by another token...
	e.do(t,
		fill("dialog[open] textarea[name=description]", "Fine."),
		fill("dialog[open] input[name=persona-avatar]", ""),
		fill("dialog[open] input[name=persona-name]", "administrator"),
		fill("dialog[open] input[name=name]", "Zulu full"),
		click(submit),
	)
	e.waitFieldError(t, "name", "Another API token is already called “Zulu full”. Choose another name.")
	// ...then, once the name is changed (its error clears at once), a
	// persona name taken by another persona, shown at the persona's name
	// and naming the option that reuses it.
	e.do(t, fill("dialog[open] input[name=name]", "Checked in the browser"))
	e.waitJS(t, `!document.querySelector('dialog[open] [data-field=name] .error')`, "the name's error to clear on edit")
	e.do(t, click(submit))
	e.waitFieldError(t, "persona.name", "A persona named “administrator” already exists. Choose “An existing persona” to use it")
	for _, field := range []string{"persona.name", "name"} {
		if got := e.fieldError(t, field); strings.Contains(got, "persona.name") || strings.Contains(got, "must not be empty") {
			t.Fatalf("the error at %s speaks the API's words: %q", field, got)
		}
	}
	e.waitJS(t, `document.activeElement?.name === "persona-name"`, "the focus on the persona name, the field at fault")
	if n := e.mutationsSent(t); n != 2 {
		t.Fatalf("%d mutations sent, want the 2 the server refused", n)
	}
	e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if tok := e.tokenByName(t, "Checked in the browser"); tok != nil {
		t.Fatalf("a refused form made a token: %+v", tok)
	}

	// A role that tokens have: deleting it says which box to tick, not "detach".
	var role struct{ CreateRole struct{ ID string } }
	e.mustGraphQL(t, e.boot, `mutation { createRole(input: {name: "Held role", permissions: [{contentType: "api-token", action: "read"}]}) { id } }`, nil, &role)
	e.createToken(t, map[string]any{"name": "Holds a role", "type": "CUSTOM", "roleIDs": []string{role.CreateRole.ID}})
	e.do(t,
		chromedp.Navigate(e.url+"/admin/roles"),
		click(`button[aria-label="Delete Held role"]`),
		click("dialog[open] button.danger"),
	)
	e.waitJS(t, `(document.querySelector("dialog[open] .banner-error")?.textContent ?? "").includes("Tick “Also take it off the tokens that have it”")`, "the role's conflict explained")
	if msg := run(t, e, chromedp.Text(chromedp.CSS("dialog[open] .banner-error"))); strings.Contains(msg, "detach") {
		t.Fatalf("the role's conflict reads %q", msg)
	}
	e.axe(t, "a refused role deletion")
	e.do(t,
		click("dialog[open] .checkbox input"),
		click("dialog[open] button.danger"),
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-role-name="Held role"]`)),
	)

	// The role form checks its name in the browser.
	e.do(t, click(".page-actions .button.primary"), chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=name]")), click(submit))
	e.waitFieldError(t, "name", "Enter a name.")
	e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))

	// Content types: the UID and actions are checked in the browser; taking
	// away an action that a role holds says which box to tick.
	e.do(t,
		chromedp.Navigate(e.url+"/admin/content-types"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-content-type="article"]`)),
		countMutations,
		click(".page-actions .button.primary"),
		fill("dialog[open] input[name=displayName]", "Invoices"),
		fill("dialog[open] input[name=uid]", "Billing Invoice"),
		fill("dialog[open] #action-1", "read"),
		click(submit),
	)
	e.waitFieldError(t, "uid", "such as “billing-invoice”")
	e.waitFieldError(t, "actions", "The action “read” is listed twice.")
	if n := e.mutationsSent(t); n != 0 {
		t.Fatalf("%d mutations sent for a content type the browser finds wrong", n)
	}
	e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")),
		click(`button[aria-label="Edit Articles"]`),
		click(`dialog[open] button[aria-label="Remove action publish"]`),
		click(submit),
	)
	e.waitJS(t, `(document.querySelector("dialog[open] .banner-error")?.textContent ?? "").includes("Tick “If I remove actions that roles or tokens hold, revoke those grants”")`, "the content type's conflict explained")
	if msg := run(t, e, chromedp.Text(chromedp.CSS("dialog[open] .banner-error"))); strings.Contains(msg, "detach") {
		t.Fatalf("the content type's conflict reads %q", msg)
	}
	e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	e.deleteTokens(t, "Holds a role")
}
