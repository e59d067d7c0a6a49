package adminui_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// signInAs signs the tab out of whatever session it has and in with secret,
// on the tokens page.
func (e *browserEnv) signInAs(t *testing.T, secret string) {
	t.Helper()
	e.do(t, chromedp.Navigate(e.url+"/admin/tokens"))
	e.waitJS(t, `!!document.querySelector("#signin-token") || !!document.querySelector(".viewer .button")`, "the admin to load")
	if run(t, e, chromedp.Evaluate[bool](`!document.querySelector("#signin-token")`)) {
		e.do(t, click(".viewer .button"))
	}
	e.do(t,
		chromedp.WaitVisible(chromedp.CSS("#signin-token")),
		chromedp.SendKeys(chromedp.CSS("#signin-token"), secret),
		click(".signin-card button[type=submit]"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=viewer-name]")),
	)
}

// layoutSettledJS is an async function answering whether the layout has
// settled after a resize: every table is in the layout its width calls for
// (cards below its data-cards-below) and still is two frames later, when a
// ResizeObserver has had its turn.
const layoutSettledJS = `async () => {
	const right = () => [...document.querySelectorAll(".table-wrap[data-cards-below]")]
		.every((w) => w.classList.contains("as-cards") === (w.clientWidth < Number(w.dataset.cardsBelow)));
	if (!right()) return false;
	for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(() => r()));
	return right();
}`

// resize emulates a window of w by h pixels and waits for the layout to settle.
func (e *browserEnv) resize(t *testing.T, w, h int64) {
	t.Helper()
	e.do(t, chromedp.EmulateViewport(w, h), pollJS(fmt.Sprintf(`innerWidth === %d && (%s)()`, w, layoutSettledJS)))
}

// axeSource is axe-core, copied from web/node_modules by the build.
//
//go:embed testdata/axe.min.js
var axeSource string

// axe runs axe-core on the page as it is now (any open dialog included) at
// 1280 and 390 px, each in light and dark mode, and fails the test on any
// violation, naming the rule and the elements. The viewport and colour
// scheme are restored afterwards.
func (e *browserEnv) axe(t *testing.T, what string) {
	t.Helper()
	e.axeAt(t, what, 1280, 390)
}

// axeHere is axe at the current width only: for a state that a resize
// would end (an open row menu closes on resize).
func (e *browserEnv) axeHere(t *testing.T, what string) {
	t.Helper()
	e.axeAt(t, what)
}

func (e *browserEnv) axeAt(t *testing.T, what string, widths ...int64) {
	t.Helper()
	size := run(t, e, chromedp.Evaluate[[]int64](`[innerWidth, innerHeight]`))
	resize := len(widths) > 0
	if !resize {
		widths = []int64{size[0]}
	}
	for _, w := range widths {
		if resize {
			e.resize(t, w, heightFor(w))
		}
		for _, scheme := range []string{"light", "dark"} {
			e.scheme(t, scheme)
			e.axeRun(t, fmt.Sprintf("%s (%d px, %s)", what, w, scheme))
		}
	}
	e.scheme(t, "light")
	e.resize(t, size[0], size[1])
}

// heightFor is the window height the tests pair with a width: 844 for a phone, 800 otherwise.
func heightFor(w int64) int64 {
	if w <= 390 {
		return 844
	}
	return 800
}

// scheme makes the page see the system prefer a light or a dark colour scheme.
func (e *browserEnv) scheme(t *testing.T, scheme string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		t.Fatalf("emulating prefers-color-scheme: %s: %v", scheme, err)
	}
	e.waitJS(t, fmt.Sprintf(`matchMedia("(prefers-color-scheme: %s)").matches`, scheme), "the "+scheme+" colour scheme")
}

func (e *browserEnv) axeRun(t *testing.T, what string) {
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

// contrastJS defines colour arithmetic in the page: the colour behind an
// element (its ancestors' backgrounds, composited) and WCAG contrast ratios.
const contrastJS = `(() => {
	if (window.__contrast) return;
	const parse = (c) => {
		const m = /rgba?\(([^)]+)\)/.exec(c);
		if (!m) return null;
		const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
		return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
	};
	const over = (top, below) => ({r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a), b: top.b * top.a + below.b * (1 - top.a), a: 1});
	const behind = (el) => {
		const layers = [];
		for (let n = el; n; n = n.parentElement) {
			const c = parse(getComputedStyle(n).backgroundColor);
			if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
		}
		let c = matchMedia("(prefers-color-scheme: dark)").matches ? {r: 0, g: 0, b: 0, a: 1} : {r: 255, g: 255, b: 255, a: 1};
		for (const l of layers.reverse()) c = over(l, c);
		return c;
	};
	const lum = (c) => {
		const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
	};
	const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
	const name = (el) => el.tagName.toLowerCase() + (el.name ? "[name=" + el.name + "]" : "") + (el.id ? "#" + el.id : "") +
		" " + (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 30);
	window.__contrast = {parse, over, behind, ratio, name, lum};
})()`

// contrast fails the test unless, in both colour schemes, the border of
// every visible text box, drop-down and text area, and the focus ring of
// each of the next tabs controls that Tab reaches from the page's start (or
// an open dialog's), have a contrast of at least 3:1 with what is around
// them (WCAG 1.4.11).
func (e *browserEnv) contrast(t *testing.T, what string, tabs int) {
	t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		e.scheme(t, scheme)
		e.do(t, chromedp.Evaluate[chromedp.Void](contrastJS))
		bad := run(t, e, chromedp.Evaluate[[]string](`(() => {
			const {parse, over, behind, ratio, name} = window.__contrast;
			const root = document.querySelector("dialog[open]") ?? document;
			const bad = [];
			for (const el of root.querySelectorAll("input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea")) {
				const r = el.getBoundingClientRect();
				if (r.width === 0 || r.height === 0) continue;
				const cs = getComputedStyle(el);
				const border = parse(cs.borderTopColor);
				const outside = behind(el.parentElement);
				const inside = over(parse(cs.backgroundColor), outside);
				const q = Math.min(ratio(border, outside), ratio(border, inside));
				if (q < 3) bad.push("border of " + name(el) + ": " + q.toFixed(2) + ":1 (" + cs.borderTopColor + ")");
			}
			return bad;
		})()`))
		e.do(t, chromedp.Evaluate[chromedp.Void](`(document.activeElement ?? document.body).blur(); (document.querySelector("dialog[open]") ?? document.body).focus?.()`))
		for i := 0; i < tabs; i++ {
			e.do(t, chromedp.KeyEvent("\t"))
			if msg := run(t, e, chromedp.Evaluate[string](`(() => {
				const {parse, behind, ratio, name} = window.__contrast;
				const el = document.activeElement;
				if (!el || el === document.body) return "";
				const cs = getComputedStyle(el);
				if (cs.outlineStyle === "none" || parseFloat(cs.outlineWidth) < 2) return "no focus ring on " + name(el) + " (" + cs.outlineStyle + " " + cs.outlineWidth + ")";
				// The ring lies outside the element (outline-offset), on what is behind it.
				const q = ratio(parse(cs.outlineColor), parseFloat(cs.outlineOffset) >= 0 ? behind(el.parentElement) : behind(el));
				return q < 3 ? "focus ring of " + name(el) + ": " + q.toFixed(2) + ":1 (" + cs.outlineColor + ")" : "";
			})()`)); msg != "" {
				bad = append(bad, msg)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s in %s mode: below 3:1:\n%s", what, scheme, strings.Join(bad, "\n"))
		}
	}
	e.scheme(t, "light")
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
	if _, err := chromedp.Run(ctx, pollJS(cond)); err != nil {
		b, _ := chromedp.Run(e.tab, chromedp.Evaluate[box](fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el ? %s(el) : null })()`, sel, boxJS)))
		t.Fatalf("%s: %s is not wholly in view (at least %vpx): %+v", what, sel, minSize, b)
	}
	return run(t, e, chromedp.Evaluate[box](fmt.Sprintf(`%s(document.querySelector(%q))`, boxJS, sel)))
}

// allInView fails unless every visible element matching sel lies between the
// viewport's left and right edges and the page does not scroll sideways:
// nothing is cut off. It waits (bounded) for the layout to settle: a table
// turns into cards when a ResizeObserver reports its new width.
func (e *browserEnv) allInView(t *testing.T, sel, what string) {
	t.Helper()
	find := fmt.Sprintf(`(() => {
		const vw = document.documentElement.clientWidth, bad = [];
		if (document.documentElement.scrollWidth > vw) bad.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + vw);
		for (const w of document.querySelectorAll(".table-wrap")) if (w.scrollWidth > w.clientWidth + 1) bad.push("a table scrolls sideways: " + w.scrollWidth + " > " + w.clientWidth);
		for (const el of document.querySelectorAll(%q)) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue;
			if (r.left < -0.5 || r.right > vw + 0.5) bad.push((el.getAttribute("aria-label") || el.textContent.trim().slice(0, 40)) + ": " + Math.round(r.left) + "–" + Math.round(r.right));
		}
		return bad;
	})()`, sel)
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, pollJS(find+`.length === 0`)); err != nil {
		out := run(t, e, chromedp.Evaluate[[]string](find))
		t.Fatalf("%s: cut off at the viewport's edge:\n%s", what, strings.Join(out, "\n"))
	}
}

// mustJSON is v as JSON, for comparing with JSON.stringify in the page.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// deleteTokens deletes the tokens with these names through the API (a
// scenario's own, so that the next one sees the list it expects).
func (e *browserEnv) deleteTokens(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if tok := e.tokenByName(t, n); tok != nil {
			e.mustGraphQL(t, e.boot, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": tok.ID}, &struct{}{})
		}
	}
}

// pollJS waits, inside the page, until the JavaScript expression (awaited, so
// it may be a promise) is truthy, checking every 30 ms up to stepTimeout.
// It runs as one evaluation in the page's current document (chromedp.Poll
// names an execution context, which can be the one a reload just replaced).
func pollJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](fmt.Sprintf(`new Promise((resolve) => {
			const until = Date.now() + %d;
			const tick = async () => {
				let v = false;
				try { v = await (%s); } catch (e) { v = false; }
				if (v) resolve(true);
				else if (Date.now() > until) resolve(false);
				else setTimeout(tick, 30);
			};
			tick();
		})`, (stepTimeout-time.Second).Milliseconds(), expr), chromedp.EvalAwaitPromise)(ctx, t)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("still false after %v: %s", stepTimeout, expr)
		}
		return nil
	})
}
