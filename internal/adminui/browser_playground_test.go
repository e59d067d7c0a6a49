package adminui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// The playground's tabs, named after their operations (playground/web/src/examples.ts).
var exampleTabs = []string{"WhoAmI", "ListTokens", "CreateCustomToken", "RegenerateWithGrace", "CheckPermission", "TokenUsage"}

const (
	tabTitlesJS  = `[...document.querySelectorAll(".graphiql-tab .graphiql-tab-button")].map((b) => b.textContent.trim())`
	queryEditor  = `document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror`
	responseText = `(document.querySelector(".graphiql-response")?.textContent ?? "")`
)

// testPlaygroundFromAdmin: the admin's Playground link opens the playground
// in a new tab that uses the admin's sign-in (no second paste; the token in
// no URL, no localStorage, not in GraphiQL's own storage), with a tab per
// main task; it works at 390 px and axe-core finds nothing in either colour
// scheme.
func testPlaygroundFromAdmin(t *testing.T, e *browserEnv) {
	e.do(t, chromedp.Navigate(e.url+"/admin/tokens"), chromedp.WaitVisible(chromedp.CSS("[data-testid=playground-link]")))
	opened := chromedp.WaitNewTarget(e.tab, func(i *target.Info) bool { return strings.HasSuffix(i.URL, "/playground") })
	e.do(t, click("[data-testid=playground-link]"))
	var id target.ID
	select {
	case id = <-opened:
	case <-time.After(stepTimeout):
		t.Fatal("the Playground link opened no tab")
	}
	tab, cancel := chromedp.NewContext(e.tab, chromedp.WithTargetID(id))
	defer cancel()
	// Attach on the tab's own context: attached under a step's timeout, the
	// tab would be let go when that step ends.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("attaching to the playground's tab: %v", err)
	}
	admin := e.tab
	e.tab = tab
	defer func() { e.tab = admin }()
	e.do(t, chromedp.WaitVisible(chromedp.CSS(".graphiql-container")), chromedp.EmulateViewport(1280, 800))

	e.waitJS(t, `(document.querySelector("[data-testid=playground-session]")?.textContent ?? "").includes("Administrator")`, "the admin's sign-in named")
	e.waitJS(t, fmt.Sprintf(`JSON.stringify(%s) === %q`, tabTitlesJS, mustJSON(exampleTabs)), "a tab per example")
	headers := run(t, e, chromedp.Evaluate[string](`document.querySelector(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")?.CodeMirror.getValue() ?? ""`))
	if strings.Contains(headers, e.boot) {
		t.Fatal("the token is in the headers editor")
	}

	// The first tab runs as the admin's token without a paste.
	e.do(t, click(".graphiql-execute-button"))
	e.waitJS(t, responseText+`.includes('"Administrator"') && `+responseText+`.includes('"FULL_ACCESS"')`, "WhoAmI answered for the admin's token")
	// Each task's tab holds its operation; these run as they are.
	for _, ex := range []struct{ tab, want string }{
		{"CheckPermission", `"authorize": true`},
		{"ListTokens", `"totalCount"`},
		{"CreateCustomToken", `"secret": "lk_`},
	} {
		i := slices.Index(exampleTabs, ex.tab)
		e.do(t, click(fmt.Sprintf(".graphiql-tab:nth-child(%d) .graphiql-tab-button", i+1)))
		e.waitJS(t, fmt.Sprintf(`/\b(query|mutation) %s\b/.test(%s.getValue())`, ex.tab, queryEditor), "the "+ex.tab+" tab's operation")
		e.do(t, click(".graphiql-execute-button"))
		e.waitJS(t, fmt.Sprintf(`%s.includes(%q) && !%s.includes('"errors"')`, responseText, ex.want, responseText), ex.tab+"'s answer")
	}
	if tok := e.tokenByName(t, "Billing export"); tok == nil || tok.Type != "CUSTOM" || !tok.may("audit-event", "read") {
		t.Fatalf("CreateCustomToken made %+v", tok)
	}
	for _, ex := range []string{"RegenerateWithGrace", "TokenUsage"} {
		i := slices.Index(exampleTabs, ex)
		e.do(t, click(fmt.Sprintf(".graphiql-tab:nth-child(%d) .graphiql-tab-button", i+1)))
		e.waitJS(t, fmt.Sprintf(`/\b(query|mutation) %s\b/.test(%s.getValue())`, ex, queryEditor), "the "+ex+" tab's operation")
		if vars := run(t, e, chromedp.Evaluate[string](`document.querySelector(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")?.CodeMirror.getValue() ?? ""`)); !strings.Contains(vars, `"id"`) {
			t.Fatalf("the %s tab's variables: %q", ex, vars)
		}
	}

	// The token went nowhere else: not the address, not localStorage, not
	// GraphiQL's storage (its history records headers).
	leaks := run(t, e, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const secret = %q, found = [];
		if (location.href.includes(secret)) found.push("the address");
		for (const k of Object.keys(localStorage)) if ((localStorage.getItem(k) ?? "").includes(secret)) found.push("localStorage " + k);
		for (const k of Object.keys(sessionStorage)) if (k !== "latchkey.token" && (sessionStorage.getItem(k) ?? "").includes(secret)) found.push("sessionStorage " + k);
		return found;
	})()`, e.boot)))
	if len(leaks) > 0 {
		t.Fatalf("the admin's token is in %q", leaks)
	}
	e.screenshot(t, "playground.png")
	e.axe(t, "the playground")

	// At 390 px: no sideways scrolling; the bar, the tabs, the editor and the run button in view.
	e.resize(t, 390, 844)
	for _, sel := range []string{".graphiql-execute-button", ".lk-bar .lk-button", ".graphiql-tab-add"} {
		e.inView(t, sel, 24, "the playground at 390 px")
	}
	if w := run(t, e, chromedp.Evaluate[float64](`document.querySelector(".graphiql-query-editor").getBoundingClientRect().width`)); w < 250 {
		t.Fatalf("at 390 px the query editor is %v px wide", w)
	}
	if w := run(t, e, chromedp.Evaluate[float64](`document.querySelector(".graphiql-response").getBoundingClientRect().width`)); w < 250 {
		t.Fatalf("at 390 px the response is %v px wide", w)
	}
	e.screenshot(t, "playground-narrow.png")
	e.resize(t, 1280, 800)
	e.scheme(t, "dark")
	e.screenshot(t, "playground-dark.png")
	e.scheme(t, "light")

	// "Stop using it" forgets the sign-in in this tab only: requests go anonymous.
	e.do(t, click(".lk-bar .lk-button"))
	e.waitJS(t, `!sessionStorage.getItem("latchkey.token") && !(document.querySelector("[data-testid=playground-session]")?.textContent ?? "").includes("Administrator")`, "the sign-in forgotten")
	e.do(t, chromedp.Evaluate[chromedp.Void](`window.close()`))
	e.tab = admin
	if got := run(t, e, chromedp.Evaluate[string](`sessionStorage.getItem("latchkey.token") ?? ""`)); got != e.boot {
		t.Fatal("forgetting the sign-in in the playground signed the admin tab out")
	}
	e.deleteTokens(t, "Billing export")
}
