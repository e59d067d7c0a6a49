package adminui_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, copied from web/node_modules by the build.
//
//go:embed testdata/axe.min.js
var axeSource string

// axe runs axe-core on the page as it is now (any open dialog included) and
// fails the test on any violation, naming the rule and the elements.
func (e *browserEnv) axe(t *testing.T, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	if has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)); err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	} else if !has {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined")); err != nil {
			t.Fatalf("loading axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then((r) =>
		JSON.stringify(r.violations.map((v) => v.id + " (" + v.help + "): " + v.nodes.map((n) => n.target.join(" ") + " — " + n.failureSummary).join("; "))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	}
	var violations []string
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("axe-core finds %d violations on %s:\n%s", len(violations), what, strings.Join(violations, "\n"))
	}
}

// rowAction opens the "⋯" menu of the table row named name and picks the item for action.
func rowAction(name, action string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		click(fmt.Sprintf(`button[data-row-menu=%q]`, name)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.row-menu [data-action=%q]`, action))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.row-menu [data-action=%q]`, action))),
	)
}

// box is an element's place on screen, with the viewport's size.
type box struct {
	Left, Right, Top, Bottom, Width, Height float64
	ViewportW, ViewportH, PageW             float64
}

const boxJS = `((el) => {
	const r = el.getBoundingClientRect();
	return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height,
		viewportW: document.documentElement.clientWidth, viewportH: innerHeight, pageW: document.documentElement.scrollWidth};
})`

// inView waits until the element sel, brought into view vertically, lies
// wholly inside the viewport, is at least minSize pixels both ways, and the
// page does not scroll sideways; it fails with the box it found.
func (e *browserEnv) inView(t *testing.T, sel string, minSize float64, what string) box {
	t.Helper()
	cond := fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return false;
		el.scrollIntoView({block: "center", inline: "nearest"});
		const b = %s(el);
		return b.width >= %v && b.height >= %v && b.left >= 0 && b.right <= b.viewportW + 0.5 &&
			b.top >= 0 && b.bottom <= b.viewportH + 0.5 && b.pageW <= b.viewportW;
	})()`, sel, boxJS, minSize, minSize)
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(stepTimeout))); err != nil {
		b, _ := chromedp.Run(e.tab, chromedp.Evaluate[box](fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el ? %s(el) : null })()`, sel, boxJS)))
		t.Fatalf("%s: %s is not wholly in view (at least %vpx): %+v", what, sel, minSize, b)
	}
	return run(t, e, chromedp.Evaluate[box](fmt.Sprintf(`%s(document.querySelector(%q))`, boxJS, sel)))
}

// allInView fails unless every visible element matching sel lies between the
// viewport's left and right edges and the page does not scroll sideways:
// nothing is cut off.
func (e *browserEnv) allInView(t *testing.T, sel, what string) {
	t.Helper()
	out := run(t, e, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const vw = document.documentElement.clientWidth, bad = [];
		if (document.documentElement.scrollWidth > vw) bad.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + vw);
		for (const w of document.querySelectorAll(".table-wrap")) if (w.scrollWidth > w.clientWidth + 1) bad.push("a table scrolls sideways: " + w.scrollWidth + " > " + w.clientWidth);
		for (const el of document.querySelectorAll(%q)) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue;
			if (r.left < -0.5 || r.right > vw + 0.5) bad.push((el.getAttribute("aria-label") || el.textContent.trim().slice(0, 40)) + ": " + Math.round(r.left) + "–" + Math.round(r.right));
		}
		return bad;
	})()`, sel)))
	if len(out) > 0 {
		t.Fatalf("%s: cut off at the viewport's edge:\n%s", what, strings.Join(out, "\n"))
	}
}
