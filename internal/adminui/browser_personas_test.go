package adminui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const personaRowsJS = `[...document.querySelectorAll('.data-table tbody tr[data-persona-name]')].map(r => r.dataset.personaName)`

func (e *browserEnv) createPersona(t *testing.T, name string) string {
	t.Helper()
	var d struct{ CreatePersona struct{ ID string } }
	e.mustGraphQL(t, e.boot, `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`, map[string]any{"n": name}, &d)
	return d.CreatePersona.ID
}

// personaOf is the name of the persona the token named name acts as.
func (e *browserEnv) personaOf(t *testing.T, name string) string {
	t.Helper()
	var d struct {
		APITokens struct {
			Edges []struct {
				Node struct{ Persona struct{ Name string } }
			}
		}
	}
	e.mustGraphQL(t, e.boot, `query($n: String!) { apiTokens(first: 1, where: {name: $n}) { edges { node { persona { name } } } } }`, map[string]any{"n": name}, &d)
	if len(d.APITokens.Edges) == 0 {
		t.Fatalf("no token named %q", name)
	}
	return d.APITokens.Edges[0].Node.Persona.Name
}

func (e *browserEnv) personaExists(t *testing.T, name string) bool {
	t.Helper()
	var d struct{ Personas struct{ TotalCount int } }
	e.mustGraphQL(t, e.boot, `query($n: String!) { personas(where: {name: $n}) { totalCount } }`, map[string]any{"n": name}, &d)
	return d.Personas.TotalCount > 0
}

// testPersonas: the personas page is searched and paged with its state in
// the URL and shows each persona's tokens; the token form reuses personas
// through a searchable picker; deleting a persona's last token offers to
// delete the persona.
func testPersonas(t *testing.T, e *browserEnv) {
	crew := make([]string, 23)
	ids := map[string]string{}
	for i := range crew {
		crew[i] = fmt.Sprintf("Crew %02d", i+1)
		ids[crew[i]] = e.createPersona(t, crew[i])
	}
	var keys []string
	for _, k := range []string{"A", "B", "C", "D", "E", "F"} {
		keys = append(keys, "Crew 01 key "+k)
		e.createToken(t, map[string]any{"name": "Crew 01 key " + k, "type": "READ_ONLY", "personaID": ids["Crew 01"]})
	}

	e.do(t, chromedp.Navigate(e.url+"/admin/personas"), chromedp.WaitVisible(chromedp.CSS(`tr[data-persona-name="Administrator"]`)))
	e.do(t, fill("#persona-search", "CREW"))
	pagerIs := func(want string) {
		e.waitJS(t, fmt.Sprintf(`document.querySelector("[data-testid=pager-count]")?.textContent === %q`, want), "the pager to read "+want)
	}
	pagerIs("23 personas · page 1 of 2")
	e.waitJS(t, fmt.Sprintf(`JSON.stringify(%s) === %q`, personaRowsJS, mustJSON(crew[:20])), "the first 20 crew personas")
	e.do(t, click(`.pager [data-page=next]`))
	e.waitJS(t, fmt.Sprintf(`JSON.stringify(%s) === %q`, personaRowsJS, mustJSON(crew[20:])), "the last 3 crew personas")
	pagerIs("23 personas · page 2 of 2")
	// Reload keeps the search and the page; the address carries them.
	e.do(t, chromedp.Reload())
	e.waitJS(t, fmt.Sprintf(`JSON.stringify(%s) === %q`, personaRowsJS, mustJSON(crew[20:])), "the last 3 crew personas after a reload")
	if v := run(t, e, chromedp.Evaluate[[]string](`[document.querySelector("#persona-search").value, location.search]`)); v[0] != "CREW" || !strings.Contains(v[1], "q=CREW") || !strings.Contains(v[1], "page=2") {
		t.Fatalf("after a reload: search %q, address %q", v[0], v[1])
	}
	e.do(t, fill("#persona-sort", "name-desc"))
	e.waitJS(t, personaRowsJS+`[0] === "Crew 23"`, "the personas sorted Z to A, from the first page")
	e.do(t, chromedp.NavigateBack())
	e.waitJS(t, fmt.Sprintf(`JSON.stringify(%s) === %q`, personaRowsJS, mustJSON(crew[20:])), "Back to the second page")
	e.do(t, fill("#persona-search", "crew 0"), fill("#persona-sort", "name"))
	pagerIs("9 personas · page 1 of 1")

	// Each persona lists its tokens; a link shows them all in the token list.
	cell := `tr[data-persona-name="Crew 01"] [data-testid=persona-tokens]`
	e.waitJS(t, fmt.Sprintf(`document.querySelectorAll('%s li').length === 5`, cell), "the first 5 tokens of Crew 01")
	listed := run(t, e, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('%s li a')].map(a => a.textContent)`, cell)))
	if !slices.Equal(listed, keys[:5]) {
		t.Fatalf("Crew 01 lists %q, want %q", listed, keys[:5])
	}
	if n := run(t, e, chromedp.Text(chromedp.CSS(`tr[data-persona-name="Crew 02"] [data-testid=persona-tokens]`))); n != "No tokens" {
		t.Fatalf("Crew 02 (no tokens) shows %q", n)
	}
	e.screenshot(t, "personas-page.png")
	e.axe(t, "the personas page, searched")
	e.do(t, click(cell+" > a"))
	e.waitRows(t, keys...)
	e.waitJS(t, `(document.querySelector("[data-testid=persona-filter]")?.textContent ?? "").includes("Crew 01")`, "the persona filter named")
	if u := run(t, e, chromedp.Evaluate[string](`location.pathname + location.search`)); u != "/admin/tokens?persona="+ids["Crew 01"] {
		t.Fatalf("the link opened %s", u)
	}
	e.axe(t, "the tokens of one persona")
	e.do(t, click("[data-testid=persona-filter] button"))
	e.waitJS(t, `!document.querySelector("[data-testid=persona-filter]") && document.querySelectorAll(".tokens-table tbody tr[data-token-name]").length > 6`, "every token again")

	// The token form's picker: search, the arrow keys and Enter pick; Escape
	// closes the list, not the dialog.
	picker := "dialog[open] input[name=persona-search]"
	e.do(t,
		click("[data-testid=create-token]"),
		fill("dialog[open] input[name=name]", "Picked persona"),
		click(`dialog[open] input[name=persona-mode][value=existing]`),
		click(picker),
		fill(picker, "crew 0"),
	)
	e.waitJS(t, `(() => { const o = [...document.querySelectorAll("dialog[open] [role=option]")];
		return o.length === 8 && o[0].dataset.personaOption === "Crew 01" && o[0].textContent.includes("6 tokens") })()`, "the first 8 matches, with their tokens")
	if status := run(t, e, chromedp.Text(chromedp.CSS("dialog[open] .picker-status"))); !strings.Contains(status, "9 personas match") {
		t.Fatalf("the picker's status reads %q", status)
	}
	e.screenshot(t, "persona-picker.png")
	e.axe(t, "the persona picker, open")
	e.do(t, chromedp.KeyEvent("\x1b"))
	e.waitJS(t, `document.querySelector("dialog[open] [role=listbox]")?.hidden === true && document.querySelector(`+"`"+picker+"`"+`).getAttribute("aria-expanded") === "false"`, "Escape to close the list")
	if !run(t, e, chromedp.Evaluate[bool](`!!document.querySelector("dialog[open] input[name=name]")`)) {
		t.Fatal("Escape in the picker closed the dialog")
	}
	e.do(t, chromedp.KeyEvent(kb.ArrowDown))
	e.waitJS(t, `document.querySelectorAll("dialog[open] [role=option]").length === 8`, "the list to open again")
	e.do(t, chromedp.KeyEvent(kb.ArrowDown))
	e.waitJS(t, `(document.querySelector(`+"`"+picker+"`"+`).getAttribute("aria-activedescendant") ?? "").endsWith("-1")`, "the second option active")
	e.do(t, chromedp.KeyEvent("\r"))
	e.waitJS(t, `document.querySelector(`+"`"+picker+"`"+`).value === "Crew 02"`, "Crew 02 picked by the arrow keys and Enter")
	e.do(t, click(submit))
	e.waitJS(t, `!!document.querySelector("dialog[open] .secret-value")`, "the new token's secret")
	e.do(t, click("dialog[open] input[name=stored]"), click("dialog[open] [data-close-secret]"))
	if p := e.personaOf(t, "Picked persona"); p != "Crew 02" {
		t.Fatalf("the token made with the picker acts as %q, want Crew 02", p)
	}

	// A token named like a persona: the form offers that persona instead of a numbered new one.
	e.do(t, click("[data-testid=create-token]"), fill("dialog[open] input[name=name]", "Crew 05"))
	e.waitJS(t, `(document.querySelector("dialog[open] [data-testid=namesake]")?.textContent ?? "").includes("A persona named “Crew 05” exists")`, "the offer to reuse Crew 05")
	e.do(t, click("dialog[open] [data-testid=namesake] button"))
	e.waitJS(t, `document.querySelector(`+"`"+picker+"`"+`)?.value === "Crew 05" && document.querySelector("dialog[open] input[name=persona-mode][value=existing]").checked`, "Crew 05 chosen")
	e.do(t, click(submit))
	e.waitJS(t, `!!document.querySelector("dialog[open] .secret-value")`, "the new token's secret")
	e.do(t, click("dialog[open] input[name=stored]"), click("dialog[open] [data-close-secret]"))
	if p := e.personaOf(t, "Crew 05"); p != "Crew 05" {
		t.Fatalf("the token Crew 05 acts as %q, want the persona Crew 05 reused", p)
	}

	// Deleting the last token of a persona offers to delete the persona,
	// focused on keeping it; a persona other tokens still have is not offered.
	e.createToken(t, map[string]any{"name": "Lonely key", "type": "READ_ONLY"})
	e.createToken(t, map[string]any{"name": "Shared key", "type": "READ_ONLY", "personaID": ids["Crew 03"]})
	e.createToken(t, map[string]any{"name": "Shared key two", "type": "READ_ONLY", "personaID": ids["Crew 03"]})
	e.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`tr[data-token-name="Lonely key"]`)))
	e.do(t, rowAction("Shared key", "delete"), click("dialog[open] button.danger"), chromedp.WaitNotPresent(chromedp.CSS(`tr[data-token-name="Shared key"]`)))
	if n := run(t, e, chromedp.Evaluate[int](`document.querySelectorAll("dialog[open]").length`)); n != 0 {
		t.Fatal("deleting a token whose persona others share asks about the persona")
	}
	e.do(t, rowAction("Lonely key", "delete"), click("dialog[open] button.danger"))
	e.waitJS(t, `document.querySelector("dialog[open] h2")?.textContent === "Delete its persona too?"`, "the offer to delete the orphan persona")
	got := run(t, e, chromedp.Evaluate[[]string](`[document.querySelector("dialog[open] .dialog-body").textContent,
		document.activeElement.textContent, String(document.activeElement.matches("[data-cancel]"))]`))
	if !strings.Contains(got[0], "“Lonely key” was the last token acting as the persona “Lonely key”") || got[1] != "Keep the persona" || got[2] != "true" {
		t.Fatalf("the orphan question reads %q, focus on %q (cancel: %s)", got[0], got[1], got[2])
	}
	e.axe(t, "the offer to delete an orphan persona")
	e.do(t, click("dialog[open] button.danger"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	e.waitJS(t, `!document.querySelector('tr[data-token-name="Lonely key"]')`, "the deleted token gone")
	if e.personaExists(t, "Lonely key") || !e.personaExists(t, "Crew 03") {
		t.Fatal("the orphan persona was not deleted, or a shared one was")
	}
	e.deleteTokens(t, append(keys, "Picked persona", "Crew 05", "Shared key two")...)
}
