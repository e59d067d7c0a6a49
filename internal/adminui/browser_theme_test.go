package adminui_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// darkJS tells whether the page and its main surfaces are dark, as the
// system's dark preference asks.
const darkJS = `(() => {
	const {behind, lum} = window.__contrast;
	const el = document.querySelector("dialog[open] .dialog-body") ?? document.querySelector(".table-wrap") ?? document.body;
	return lum(behind(document.body)) < 0.05 && lum(behind(el)) < 0.05;
})()`

// testDarkMode: the admin follows the system's colour scheme; in both,
// input borders and focus rings keep 3:1 with what is around them.
func testDarkMode(t *testing.T, e *browserEnv) {
	e.do(t,
		chromedp.Navigate(e.url+"/admin/tokens"),
		chromedp.WaitVisible(chromedp.CSS(".tokens-table tbody tr[data-token-name]")),
		click(`[aria-controls=token-filters]`),
		chromedp.WaitVisible(chromedp.CSS("#filter-name")),
		chromedp.Evaluate[chromedp.Void](contrastJS),
	)
	if run(t, e, chromedp.Evaluate[bool](darkJS)) {
		t.Fatal("the page is dark while the system prefers light")
	}
	e.scheme(t, "dark")
	if !run(t, e, chromedp.Evaluate[bool](darkJS)) {
		t.Fatal("the page stays light while the system prefers dark")
	}
	e.screenshot(t, "tokens-page-dark.png")
	e.scheme(t, "light")
	e.contrast(t, "the tokens page with its filters", 16)

	e.do(t,
		click("[data-testid=create-token]"),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=name]")),
		click("dialog[open] input[name=type][value=CUSTOM]"),
		click(`dialog[open] input[name=role]`),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[data-granted-by]`)),
	)
	e.contrast(t, "the create dialog", 24)
	e.scheme(t, "dark")
	if !run(t, e, chromedp.Evaluate[bool](darkJS)) {
		t.Fatal("the dialog stays light while the system prefers dark")
	}
	e.do(t, chromedp.ScrollIntoView(chromedp.CSS(".matrix")))
	e.screenshot(t, "create-dialog-dark.png")
	e.scheme(t, "light")
	e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
}
