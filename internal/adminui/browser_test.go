package adminui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const chromiumPath = "/usr/bin/chromium"

// stepTimeout bounds every wait on the page; nothing sleeps.
const stepTimeout = 20 * time.Second

// browserEnv is the real server with the admin and the playground mounted,
// and one headless Chromium tab that the subtests share, in order.
type browserEnv struct {
	srv      *testserver.Server
	url      string
	boot     string // the FULL_ACCESS Bootstrap secret
	tab      context.Context
	shotsDir string
	// avatars is an https server of images: /avatar.png loads, anything
	// else is a 404 (avatars must be https URLs).
	avatars string
	// httpAvatarHits counts requests for /no-such-avatar.png on the plain
	// http server, which the admin must never make.
	httpAvatarHits atomic.Int64
}

func newBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must install Debian's chromium (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s is missing; install Debian's chromium to run the browser tests", chromiumPath)
	}
	srv := testserver.New(t, "sqlite", testserver.RealClock(), testserver.Quiet())
	env := &browserEnv{srv: srv, boot: srv.Admin}
	// The real server (admin UI and playground included) plus one route that
	// counts requests for an avatar the CSP must block.
	mux := http.NewServeMux()
	mux.HandleFunc("/no-such-avatar.png", func(w http.ResponseWriter, r *http.Request) {
		env.httpAvatarHits.Add(1)
		http.NotFound(w, r)
	})
	mux.Handle("/", srv.App.Handler())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(onePixelPNG, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	images := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/avatar.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	}))
	t.Cleanup(images.Close)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		// The https avatar server's certificate is httptest's own.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)

	_, file, _, _ := runtime.Caller(0)
	env.url, env.avatars, env.tab = ts.URL, images.URL, tab
	env.shotsDir = filepath.Join(filepath.Dir(file), "..", "..", "docs", "screenshots")
	// Start the browser on the tab's own context: a browser started under a
	// step's timeout would end with that step.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	env.do(t, chromedp.EmulateViewport(1280, 800))
	// A zone with a half-hour offset, so that the UTC offset the admin shows
	// is the browser's and not assumed.
	if _, err := chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"}); err != nil {
		t.Fatalf("setting the time zone: %v", err)
	}
	// Let the copy button use the real clipboard, and the test read it back.
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(tab, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name},
			Setting:    browser.PermissionSettingGranted,
			Origin:     ts.URL,
		})
		if err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}
	return env
}

func (e *browserEnv) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

func run[T any](t *testing.T, e *browserEnv, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy.
func (e *browserEnv) waitJS(t *testing.T, expr, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, pollJS(expr)); err != nil {
		quick, cancelQuick := context.WithTimeout(e.tab, 5*time.Second)
		defer cancelQuick()
		page, _ := chromedp.Run(quick, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		t.Fatalf("waiting for %s: %v\nthe page reads:\n%s", what, err, page)
	}
}

const rowsJS = `[...document.querySelectorAll('.tokens-table tbody tr[data-token-name]')].map(r => r.dataset.tokenName)`

// waitRows waits until the token table shows exactly these names, in order.
func (e *browserEnv) waitRows(t *testing.T, want ...string) {
	t.Helper()
	w, _ := json.Marshal(want)
	ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, pollJS(fmt.Sprintf(`JSON.stringify(%s) === %q`, rowsJS, w)))
	if err != nil {
		got, _ := chromedp.Run(e.tab, chromedp.Evaluate[[]string](rowsJS))
		t.Fatalf("token rows: got %q, want %q (%v)", got, want, err)
	}
}

// onePixelPNG is an image that loads.
const onePixelPNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

// waitPreviewInitials waits until the open dialog's avatar preview shows
// these initials and no image, and still does once the app has handled what
// it was doing (Preact runs effects after the next frame), so that a preview
// which shows the initials only for a moment does not pass.
func (e *browserEnv) waitPreviewInitials(t *testing.T, initials string) {
	t.Helper()
	e.waitJS(t, fmt.Sprintf(`(async () => {
		const shown = () => {
			const p = document.querySelector("dialog[open] .avatar-preview");
			return !!p && !p.querySelector("img") && p.querySelector(".avatar-initials")?.textContent === %q;
		};
		if (!shown()) return false;
		for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
		return shown();
	})()`, initials), "the avatar preview to show the initials "+initials)
}

// fill sets a form control's value the way typing or choosing would, so the
// app sees input and change events.
func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const el = document.querySelector(%q);
			const proto = Object.getPrototypeOf(el);
			Object.getOwnPropertyDescriptor(proto, "value").set.call(el, %q);
			el.dispatchEvent(new Event("input", {bubbles: true}));
			el.dispatchEvent(new Event("change", {bubbles: true}));
		})()`, sel, value)),
	)
}

// blur ends editing of a form control, as leaving it would.
func blur(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new FocusEvent("blur"))`, sel))
}

// click clicks the element as a person would, after bringing it to the
// middle of its scroll box so that no sticky dialog header or footer covers
// it, and once it stays where it is: a table still turning into cards or
// back after a resize would move it from under the pointer.
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		pollJS(fmt.Sprintf(`(async () => {
			const el = document.querySelector(%q);
			if (!el) return false;
			el.scrollIntoView({block: "center"});
			const a = el.getBoundingClientRect();
			if (!(await (%s)())) return false;
			const b = el.getBoundingClientRect();
			return a.left === b.left && a.top === b.top && a.width === b.width && a.height === b.height;
		})()`, sel, layoutSettledJS)),
		chromedp.Click(chromedp.CSS(sel)),
	)
}

func (e *browserEnv) screenshot(t *testing.T, name string) {
	t.Helper()
	png := run(t, e, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(e.shotsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.shotsDir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

type gqlResult struct {
	status int
	Data   map[string]json.RawMessage
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func (e *browserEnv) graphql(t *testing.T, secret, query string, vars map[string]any) gqlResult {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r gqlResult
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("decoding the GraphQL answer (HTTP %d): %v", res.StatusCode, err)
	}
	r.status = res.StatusCode
	return r
}

// mustGraphQL runs a document that must succeed and decodes its data.
func (e *browserEnv) mustGraphQL(t *testing.T, secret, query string, vars map[string]any, into any) {
	t.Helper()
	r := e.graphql(t, secret, query, vars)
	if r.status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("GraphQL: HTTP %d, errors %+v", r.status, r.Errors)
	}
	raw, _ := json.Marshal(r.Data)
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatal(err)
	}
}

type tokenInfo struct {
	ID                   string
	Name                 string
	Description          string
	Hint                 string
	Status               string
	Type                 string
	EffectivePermissions []struct{ ContentType, Action string }
}

func (e *browserEnv) tokenByName(t *testing.T, name string) *tokenInfo {
	t.Helper()
	var d struct {
		APITokens struct {
			Edges []struct{ Node tokenInfo }
		}
	}
	e.mustGraphQL(t, e.boot, `query($n: String!) { apiTokens(first: 5, where: {name: $n}) {
		edges { node { id name description hint status type effectivePermissions { contentType action } } } } }`,
		map[string]any{"n": name}, &d)
	if len(d.APITokens.Edges) == 0 {
		return nil
	}
	return &d.APITokens.Edges[0].Node
}

func (ti *tokenInfo) may(ct, action string) bool {
	return slices.ContainsFunc(ti.EffectivePermissions, func(p struct{ ContentType, Action string }) bool {
		return p.ContentType == ct && p.Action == action
	})
}

func (e *browserEnv) createToken(t *testing.T, input map[string]any) string {
	t.Helper()
	var d struct{ CreateAPIToken struct{ Secret string } }
	e.mustGraphQL(t, e.boot, `mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { secret } }`, map[string]any{"in": input}, &d)
	return d.CreateAPIToken.Secret
}

// viewerStatus is the HTTP status of a viewer query made with secret.
func (e *browserEnv) viewerStatus(t *testing.T, secret string) int {
	t.Helper()
	return e.graphql(t, secret, `{ viewer { apiToken { name } } }`, nil).status
}

func TestAdminInBrowser(t *testing.T) {
	e := newBrowserEnv(t)
	const name = "CI Deployer"
	var secret string // the current secret of "CI Deployer"

	t.Run("sign in", func(t *testing.T) {
		e.do(t,
			chromedp.Navigate(e.url+"/admin/"),
			chromedp.WaitVisible(chromedp.CSS("#signin-token")),
		)
		e.axe(t, "the sign-in page")
		e.do(t,
			chromedp.SendKeys(chromedp.CSS("#signin-token"), e.boot),
			click(".signin-card button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=viewer-name]")),
		)
		if got := run(t, e, chromedp.Text(chromedp.CSS("[data-testid=viewer-name]"))); got != "Administrator" {
			t.Fatalf("header shows %q, want the persona Administrator", got)
		}
		stored := run(t, e, chromedp.Evaluate[[]int](`[sessionStorage.length, localStorage.length]`))
		if stored[0] != 1 || stored[1] != 0 {
			t.Fatalf("sessionStorage has %d items and localStorage %d; the token belongs in sessionStorage only", stored[0], stored[1])
		}
		e.waitRows(t, "Bootstrap")
	})

	t.Run("create a custom token through the matrix", func(t *testing.T) {
		e.do(t,
			click("[data-testid=create-token]"),
			chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=name]")),
			fill("dialog[open] input[name=name]", name),
			fill("dialog[open] textarea[name=description]", "Deploys from CI."),
			click("dialog[open] input[name=type][value=CUSTOM]"),
			click(`dialog[open] input[data-cell="api-token:read"]`),
			click(`dialog[open] input[data-cell="api-token:create"]`),
		)
		// A chosen role's cells look granted: ticked, not disabled, with the
		// role's name; a click does not untick them.
		e.do(t, click(`dialog[open] input[name=role]`))
		roleCell := `dialog[open] input[data-cell="audit-event:read"]`
		e.waitJS(t, fmt.Sprintf(`(() => { const c = document.querySelector(%q);
			return c && c.checked && !c.disabled && c.dataset.grantedBy === "Auditor" &&
				c.closest("td").querySelector(".granted-by")?.textContent === "Auditor" })()`, roleCell), "the role's cell to look granted, with the role's name")
		e.do(t, click(roleCell))
		if !run(t, e, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked`, roleCell))) {
			t.Fatal("a click unticked a cell the chosen role grants")
		}
		e.do(t, chromedp.ScrollIntoView(chromedp.CSS(".matrix")))
		e.screenshot(t, "create-dialog.png")
		e.axe(t, "the create dialog")
		e.resize(t, 390, 844)
		e.do(t, chromedp.ScrollIntoView(chromedp.CSS(".matrix")))
		e.screenshot(t, "create-dialog-narrow.png")
		e.resize(t, 1280, 800)
		e.do(t,
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS("dialog[open] .secret-value")),
		)
		secret = run(t, e, chromedp.Value(chromedp.CSS("dialog[open] .secret-value")))
		if !strings.HasPrefix(secret, "lk_") {
			t.Fatalf("show-once dialog shows %q, want an lk_ secret", secret)
		}
		warning := run(t, e, chromedp.Text(chromedp.CSS("dialog[open] .banner-warning")))
		if !strings.Contains(warning, "will not be shown again") {
			t.Fatalf("show-once dialog warns %q", warning)
		}
		e.screenshot(t, "show-once-dialog.png")
		e.axe(t, "the show-once dialog")

		// Until the secret is copied or marked stored, nothing but the
		// dialog's own buttons can close it: not Escape (twice, which
		// Chromium would otherwise honour), not a click on the backdrop, and
		// there is no ×.
		e.do(t, chromedp.KeyEvent("\x1b"), chromedp.KeyEvent("\x1b"), chromedp.MouseClickXY(8, 8))
		held := run(t, e, chromedp.Evaluate[[]bool](`[!!document.querySelector("dialog[open] .secret-value"),
			!!document.querySelector("dialog[open] .dialog-head .icon-button"),
			document.querySelector("dialog[open] [data-close-secret]").disabled]`))
		if !held[0] || held[1] || !held[2] {
			t.Fatalf("before copying: dialog open %v, × shown %v, Close disabled %v; want open, no ×, disabled", held[0], held[1], held[2])
		}

		e.do(t, click("dialog[open] .copy-button"))
		e.waitJS(t, `document.querySelector("dialog[open] .copy-status").textContent.includes("Copied")`, "the copy confirmation")
		ctx, cancel := context.WithTimeout(e.tab, stepTimeout)
		defer cancel()
		copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil || copied != secret {
			t.Fatalf("clipboard holds %q (%v), want the secret", copied, err)
		}

		tok := e.tokenByName(t, name)
		if tok == nil || tok.Type != "CUSTOM" || tok.Description != "Deploys from CI." {
			t.Fatalf("created token: %+v", tok)
		}
		for _, p := range [][2]string{{"api-token", "read"}, {"api-token", "create"}, {"audit-event", "read"}} {
			if !tok.may(p[0], p[1]) {
				t.Errorf("token may not %s %s", p[1], p[0])
			}
		}
		if tok.may("api-token", "delete") {
			t.Error("token may delete api-token, which was not granted")
		}
		if s := e.viewerStatus(t, secret); s != http.StatusOK {
			t.Fatalf("the new secret gets HTTP %d", s)
		}

		// Copied, it closes; the new token heads the list, marked new,
		// although "Bootstrap" sorts before it.
		e.do(t,
			click("dialog[open] [data-close-secret]"),
			chromedp.WaitNotPresent(chromedp.CSS(".secret-value")),
		)
		e.waitRows(t, name, "Bootstrap")
		if n := run(t, e, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-new]")].map((r) => r.dataset.tokenName + ": " + r.querySelector(".badge-new")?.textContent)`)); !slices.Equal(n, []string{name + ": New"}) {
			t.Fatalf("rows marked new: %q", n)
		}
		hint := run(t, e, chromedp.Text(chromedp.CSS(`tr[data-token-name="CI Deployer"] td[data-col=hint]`)))
		if hint != tok.Hint || strings.Contains(run(t, e, chromedp.Evaluate[string](`document.body.innerHTML`)), secret) {
			t.Fatalf("after closing, the row shows %q (want the hint %q) or the page still holds the secret", hint, tok.Hint)
		}
	})

	// Tokens made through the API to sort and filter among.
	e.createToken(t, map[string]any{"name": "Alpha reader", "type": "READ_ONLY"})
	zulu := e.createToken(t, map[string]any{"name": "Zulu full", "type": "FULL_ACCESS", "lifespan": "DAYS_7"})
	e.createToken(t, map[string]any{"name": "Old service", "type": "READ_ONLY"})
	old := e.tokenByName(t, "Old service")
	e.mustGraphQL(t, e.boot, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": old.ID}, &struct{}{})

	t.Run("sort and filter", func(t *testing.T) {
		// After a reload the new token is in its sorted place, no longer marked.
		e.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("[data-testid=viewer-name]")))
		all := []string{"Alpha reader", "Bootstrap", name, "Old service", "Zulu full"}
		e.waitRows(t, all...)
		if n := run(t, e, chromedp.Evaluate[int](`document.querySelectorAll("tr[data-new], .badge-new").length`)); n != 0 {
			t.Fatalf("%d rows still marked new after a reload", n)
		}
		if arrow := run(t, e, chromedp.Text(chromedp.CSS(`th[data-col=name] .sort-arrow`))); arrow != "▲" {
			t.Fatalf("name column shows %q, want ▲ for ascending", arrow)
		}
		e.do(t, click(`th[data-col=name] .sort-button`))
		e.waitRows(t, "Zulu full", "Old service", name, "Bootstrap", "Alpha reader")
		if sort := run(t, e, chromedp.Evaluate[string](`document.querySelector("th[data-col=name]").getAttribute("aria-sort")`)); sort != "descending" {
			t.Fatalf("aria-sort %q after the second click", sort)
		}
		if arrow := run(t, e, chromedp.Text(chromedp.CSS(`th[data-col=name] .sort-arrow`))); arrow != "▼" {
			t.Fatalf("name column shows %q, want ▼ for descending", arrow)
		}
		e.do(t, click(`th[data-col=created] .sort-button`))
		e.waitRows(t, "Bootstrap", name, "Alpha reader", "Zulu full", "Old service")
		e.do(t, click(`th[data-col=type] .sort-button`))
		e.waitJS(t, rowsJS+`[0] === "CI Deployer"`, "the CUSTOM token to sort first by access level")
		e.do(t, click(`th[data-col=name] .sort-button`))
		e.waitRows(t, all...)

		e.do(t, click(`[aria-controls=token-filters]`), chromedp.WaitVisible(chromedp.CSS("#filter-name")))
		e.do(t, chromedp.SendKeys(chromedp.CSS("#filter-name"), "DEPLO"))
		e.waitRows(t, name)
		e.do(t, fill("#filter-name", ""))
		e.waitRows(t, all...)
		e.do(t, fill("#filter-secret", secret))
		e.waitRows(t, name)
		// The hint the list shows finds the token too, whole or its start;
		// anything else filters nothing and says what to paste.
		hint := e.tokenByName(t, name).Hint
		e.do(t, fill("#filter-secret", hint))
		e.waitRows(t, name)
		e.do(t, fill("#filter-secret", strings.TrimSuffix(hint, "…")[:7]))
		e.waitJS(t, fmt.Sprintf(`%s.includes(%q)`, rowsJS, name), "the token found by the start of its hint")
		e.do(t, fill("#filter-secret", "not a token"))
		e.waitJS(t, `document.querySelector("#filter-secret-advice")?.textContent.includes("Paste the whole token")`, "the advice on what to paste")
		e.waitRows(t, all...)
		e.do(t, fill("#filter-secret", ""), fill("#filter-type", "READ_ONLY"))
		e.waitRows(t, "Alpha reader", "Old service")
		e.do(t, fill("#filter-type", ""), fill("#filter-status", "REVOKED"))
		e.waitRows(t, "Old service")
		e.do(t, fill("#filter-name", "nothing like this"))
		e.waitJS(t, `!!document.querySelector("[data-testid=tokens-no-match]")`, "the no-match row")
		e.do(t, click(".filters-actions .button"))
		e.waitRows(t, all...)
		e.do(t, click(`[aria-controls=token-filters]`), chromedp.WaitNotPresent(chromedp.CSS("#filter-name")))
		e.screenshot(t, "tokens-page.png")
	})

	t.Run("edit", func(t *testing.T) {
		e.do(t,
			rowAction(name, "edit"),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[data-cell="api-token:create"]`)),
		)
		// A server validation error appears at the field it names.
		e.do(t,
			fill("dialog[open] input[name=name]", "Zulu full"),
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] .field[data-field=name] .error`)),
		)
		if msg := run(t, e, chromedp.Text(chromedp.CSS(`dialog[open] .field[data-field=name] .error`))); !strings.Contains(msg, "Another API token is already called “Zulu full”") {
			t.Fatalf("name error %q", msg)
		}
		e.do(t,
			fill("dialog[open] input[name=name]", name),
			fill("dialog[open] textarea[name=description]", "Deploys from CI, edited."),
			click(`dialog[open] input[data-cell="api-token:create"]`),
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")),
		)
		e.waitJS(t, `[...document.querySelectorAll('tr[data-token-name="CI Deployer"] td[data-col=description]')].some(td => td.textContent.includes("edited"))`, "the edited description")
		tok := e.tokenByName(t, name)
		if tok.Description != "Deploys from CI, edited." || tok.may("api-token", "create") || !tok.may("api-token", "read") {
			t.Fatalf("edited token: %+v", tok)
		}
	})

	t.Run("regenerate", func(t *testing.T) {
		e.do(t,
			rowAction(name, "regenerate"),
			chromedp.WaitVisible(chromedp.CSS("dialog[open] select[name=grace]")),
		)
		if own := run(t, e, chromedp.Evaluate[int](`document.querySelectorAll("dialog[open] .own-token-warning, dialog[open] input[name=acknowledge]").length`)); own != 0 {
			t.Fatal("regenerating another token warns about the viewer's own")
		}
		e.do(t,
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS("dialog[open] .secret-value")),
		)
		fresh := run(t, e, chromedp.Value(chromedp.CSS("dialog[open] .secret-value")))
		if !strings.HasPrefix(fresh, "lk_") || fresh == secret {
			t.Fatalf("regenerated secret %q", fresh)
		}
		if s := e.viewerStatus(t, secret); s != http.StatusUnauthorized {
			t.Fatalf("the old secret gets HTTP %d, want 401", s)
		}
		if s := e.viewerStatus(t, fresh); s != http.StatusOK {
			t.Fatalf("the new secret gets HTTP %d", s)
		}
		secret = fresh
		// Ticked as stored (not copied), Escape closes it.
		e.do(t, click("dialog[open] input[name=stored]"), chromedp.KeyEvent("\x1b"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	})

	t.Run("revoke asks first, focused on Cancel, and offers Undo", func(t *testing.T) {
		row := `tr[data-token-name="CI Deployer"]`
		status := func() string { return run(t, e, chromedp.Text(chromedp.CSS(row+" td[data-col=status] .badge"))) }
		e.do(t, rowAction(name, "revoke"), chromedp.WaitVisible(chromedp.CSS("dialog[open] button.danger")))
		if !run(t, e, chromedp.Evaluate[bool](`document.activeElement.matches("dialog[open] [data-cancel]")`)) {
			t.Fatal("the revoke dialog opens with the focus elsewhere than Cancel")
		}
		question := run(t, e, chromedp.Text(chromedp.CSS("dialog[open] .dialog-body")))
		if !strings.Contains(question, "CI Deployer") || strings.Contains(question, "signed in with") {
			t.Fatalf("the revoke question reads %q", question)
		}
		e.axe(t, "the revoke confirmation")
		// Enter presses Cancel: nothing is revoked, and the focus is back on the row's menu.
		e.do(t, chromedp.KeyEvent("\r"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
		e.waitJS(t, `document.activeElement?.dataset.rowMenu === "CI Deployer"`, "the focus back on the row's ⋯ button")
		if s := e.viewerStatus(t, secret); s != http.StatusOK || status() != "Active" {
			t.Fatalf("after Cancel the token gets HTTP %d and shows %q", s, status())
		}

		e.do(t, rowAction(name, "revoke"), click("dialog[open] button.danger"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
		e.waitJS(t, `document.querySelector('`+row+` td[data-col=status] .badge')?.textContent === "Revoked"`, "the Revoked badge")
		if s := e.viewerStatus(t, secret); s != http.StatusUnauthorized {
			t.Fatalf("a revoked token gets HTTP %d, want 401", s)
		}
		// The toast's Undo restores it.
		e.do(t, click(".toast-action"))
		e.waitJS(t, `document.querySelector('`+row+` td[data-col=status] .badge')?.textContent === "Active"`, "the token restored by Undo")
		if s := e.viewerStatus(t, secret); s != http.StatusOK {
			t.Fatalf("a restored token gets HTTP %d", s)
		}
		// Restore from the menu too.
		e.do(t, rowAction(name, "revoke"), click("dialog[open] button.danger"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
		e.waitJS(t, `document.querySelector('`+row+` td[data-col=status] .badge')?.textContent === "Revoked"`, "the Revoked badge")
		e.do(t, rowAction(name, "restore"))
		e.waitJS(t, `document.querySelector('`+row+` td[data-col=status] .badge')?.textContent === "Active"`, "the token restored from the menu")
		if s := e.viewerStatus(t, secret); s != http.StatusOK {
			t.Fatalf("a restored token gets HTTP %d", s)
		}
	})

	t.Run("delete through the confirmation dialog", func(t *testing.T) {
		e.do(t, rowAction(name, "delete"), chromedp.WaitVisible(chromedp.CSS("dialog[open] button.danger")))
		if !run(t, e, chromedp.Evaluate[bool](`document.activeElement.matches("dialog[open] [data-cancel]")`)) {
			t.Fatal("the delete dialog opens with the focus elsewhere than Cancel")
		}
		question := run(t, e, chromedp.Text(chromedp.CSS("dialog[open] .dialog-body")))
		if !strings.Contains(question, "CI Deployer") {
			t.Fatalf("the confirmation does not name the token: %q", question)
		}
		if label := run(t, e, chromedp.Text(chromedp.CSS("dialog[open] button.danger"))); label != "Yes, delete API token" {
			t.Fatalf("confirm button %q", label)
		}
		// Tab stays inside the dialog.
		for range 6 {
			e.do(t, chromedp.KeyEvent("\t"))
			if inside := run(t, e, chromedp.Evaluate[bool](`!!document.activeElement.closest("dialog[open]")`)); !inside {
				t.Fatal("Tab moved the focus out of the dialog")
			}
		}
		// Escape closes without deleting; then delete for real.
		e.do(t,
			chromedp.KeyEvent("\x1b"),
			chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")),
			rowAction(name, "delete"),
			click("dialog[open] button.danger"),
			chromedp.WaitNotPresent(chromedp.CSS(`tr[data-token-name="CI Deployer"]`)),
		)
		// Its persona, named after it, acts for no token now: the admin
		// offers to delete it too; keep it.
		e.waitJS(t, `document.querySelector("dialog[open] h2")?.textContent === "Delete its persona too?"`, "the question about the orphan persona")
		e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
		if !e.personaExists(t, name) {
			t.Fatal("the persona was deleted although the admin chose to keep it")
		}
		if tok := e.tokenByName(t, name); tok != nil {
			t.Fatalf("token still exists: %+v", tok)
		}
		if s := e.viewerStatus(t, secret); s != http.StatusUnauthorized {
			t.Fatalf("a deleted token gets HTTP %d, want 401", s)
		}
	})

	t.Run("row actions stay in view at every width, with long names", func(t *testing.T) {
		long := strings.Repeat("Unbrokenname", 9)[:100]
		e.createToken(t, map[string]any{"name": long, "type": "READ_ONLY", "description": strings.Repeat("Wordy description ", 12)})
		e.do(t, chromedp.Reload())
		e.waitJS(t, fmt.Sprintf(`!!document.querySelector('button[data-row-menu=%q]')`, long), "the long-named row")
		for _, w := range []int64{1280, 1150, 1000, 900, 760, 390} {
			h := int64(800)
			if w == 390 {
				h = 844
			}
			e.resize(t, w, h)
			what := fmt.Sprintf("at %d px", w)
			for _, n := range []string{long, "Bootstrap"} {
				b := e.inView(t, fmt.Sprintf(`button[data-row-menu=%q]`, n), 44, what)
				if b.Width < 44 || b.Height < 44 {
					t.Fatalf("%s: the ⋯ button of %q is %vx%v px, want at least 44x44", what, n, b.Width, b.Height)
				}
			}
			e.inView(t, fmt.Sprintf(`tr[data-token-name=%q] .token-name`, long), 1, what+": the long name wraps")
			if w == 1000 {
				e.screenshot(t, "tokens-page-1000.png")
				// The menu's items have text labels and 44 px targets, all in view.
				e.do(t, click(fmt.Sprintf(`button[data-row-menu=%q]`, long)), chromedp.WaitVisible(chromedp.CSS(".row-menu")))
				items := run(t, e, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".row-menu [role=menuitem]")].map((b) => {
					const r = b.getBoundingClientRect();
					return b.textContent + (r.height >= 44 && r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight ? "" : " (" + r.height + "px, " + r.left + "–" + r.right + ")");
				})`))
				if !slices.Equal(items, []string{"Edit", "Regenerate", "Revoke", "Delete"}) {
					t.Fatalf("menu items %q, want Edit, Regenerate, Revoke, Delete, each 44 px and in view", items)
				}
				e.axeHere(t, "the tokens page with a row menu open")
				if !run(t, e, chromedp.Evaluate[bool](`document.activeElement.getAttribute("role") === "menuitem"`)) {
					t.Fatal("the open menu does not hold the focus")
				}
				e.do(t, chromedp.KeyEvent("\x1b"), chromedp.WaitNotPresent(chromedp.CSS(".row-menu")))
				e.waitJS(t, fmt.Sprintf(`document.activeElement?.dataset.rowMenu === %q`, long), "the focus back on the ⋯ button")
			}
			if w == 390 {
				e.allInView(t, ".tokens-table td, .tokens-table button", what)
			}
		}
		e.resize(t, 1280, 800)
		e.axe(t, "the tokens page")
		tok := e.tokenByName(t, long)
		e.mustGraphQL(t, e.boot, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": tok.ID}, &struct{}{})
		e.do(t, chromedp.Reload())
		e.waitRows(t, "Alpha reader", "Bootstrap", "Old service", "Zulu full")
	})

	t.Run("dates are relative, with the exact time and UTC offset on hover", func(t *testing.T) {
		type when struct{ Text, Title, Datetime, Status string }
		read := func(name, col string) when {
			return run(t, e, chromedp.Evaluate[when](fmt.Sprintf(`(() => {
				const row = document.querySelector('tr[data-token-name=%q]');
				const el = row.querySelector('td[data-col=%q] time, td[data-col=%q] .when');
				return {text: el.firstChild.textContent, title: el.title ?? "", datetime: el.getAttribute("datetime") ?? "",
					status: row.querySelector("td[data-col=status]").textContent};
			})()`, name, col, col)))
		}
		exact := regexp.MustCompile(`\d{1,2}:\d{2}:\d{2}.* UTC\+05:30$`)
		z := read("Zulu full", "expires")
		if z.Text != "in 7 days" || !exact.MatchString(z.Title) || z.Datetime == "" {
			t.Fatalf("Zulu full expires %+v; want \"in 7 days\" with the exact time in Asia/Kolkata (UTC+05:30) as the title", z)
		}
		if !strings.Contains(z.Status, "Expires soon") {
			t.Fatalf("Zulu full (7 days left) shows %q, want an Expires soon badge", z.Status)
		}
		if a := read("Alpha reader", "expires"); a.Text != "Never" || strings.Contains(a.Status, "soon") {
			t.Fatalf("Alpha reader (no expiry) shows %+v", a)
		}
		if c := read("Bootstrap", "created"); !strings.HasSuffix(c.Text, "ago") && c.Text != "now" || !exact.MatchString(c.Title) {
			t.Fatalf("Bootstrap created %+v; want a relative time with the exact one as the title", c)
		}
		// The exact time is in the text screen readers read, too.
		if sr := run(t, e, chromedp.Text(chromedp.CSS(`tr[data-token-name="Zulu full"] td[data-col=expires] time .visually-hidden`))); !exact.MatchString(strings.Trim(sr, " ()")) {
			t.Fatalf("hidden text %q", sr)
		}
	})

	t.Run("a token's page", func(t *testing.T) {
		if s := e.viewerStatus(t, zulu); s != http.StatusOK {
			t.Fatalf("Zulu full gets HTTP %d", s)
		}
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		if err := e.srv.App.Recorder.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		tok := e.tokenByName(t, "Zulu full")
		// A click anywhere on the row (not on its controls) opens the page.
		e.do(t, chromedp.Reload(), click(`tr[data-token-name="Zulu full"] td[data-col=type]`))
		e.waitJS(t, `!!document.querySelector(".token-detail h1")`, "the token's page")
		if path := run(t, e, chromedp.Evaluate[string](`location.pathname`)); path != "/admin/tokens/"+tok.ID {
			t.Fatalf("the row opened %s", path)
		}
		e.waitJS(t, `document.querySelector(".token-detail #audit")?.textContent.includes("api-token.create")`, "the audit trail")
		page := run(t, e, chromedp.Text(chromedp.CSS(".token-detail")))
		for _, want := range []string{"Zulu full", "Full access", "Persona", "Last used from", "127.0.0.1", "Created by", "Bootstrap", "Effective permissions", "Expires soon"} {
			if !strings.Contains(page, want) {
				t.Errorf("the token's page lacks %q:\n%s", want, page)
			}
		}
		if perms := run(t, e, chromedp.Text(chromedp.CSS(".token-detail [data-testid=effective-permissions]"))); !strings.Contains(perms, "api-token") || !strings.Contains(perms, "revoke") || !strings.Contains(perms, "audit-event") {
			t.Fatalf("effective permissions of a full-access token: %q", perms)
		}
		e.screenshot(t, "token-detail.png")
		e.axe(t, "a token's page")
		// Its own address loads it, and back returns to the list.
		e.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".token-detail [data-testid=effective-permissions]")))
		e.resize(t, 390, 844)
		e.allInView(t, ".token-detail button, .token-detail dd", "a token's page at 390 px")
		e.do(t, chromedp.EmulateViewport(1280, 800), chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(".tokens-table")))
		e.waitRows(t, "Alpha reader", "Bootstrap", "Old service", "Zulu full")
	})

	t.Run("lists keep their state in the URL", func(t *testing.T) {
		for i := 1; i <= 12; i++ {
			e.createToken(t, map[string]any{"name": fmt.Sprintf("Bulk %02d", i), "type": "READ_ONLY"})
		}
		bulk := func(from, to int) []string {
			var names []string
			for i := from; i >= to; i-- {
				names = append(names, fmt.Sprintf("Bulk %02d", i))
			}
			return names
		}
		page1 := append([]string{"Zulu full", "Old service"}, bulk(12, 5)...)
		page2 := append(bulk(4, 1), "Bootstrap", "Alpha reader")
		pagerIs := func(want string) {
			e.waitJS(t, fmt.Sprintf(`document.querySelector("[data-testid=pager-count]")?.textContent === %q`, want), "the pager to read "+want)
		}
		e.do(t, chromedp.Navigate(e.url+"/admin/tokens"))
		pagerIs("16 tokens · page 1 of 1")
		e.do(t, fill(".pager select[name=page-size]", "10"))
		pagerIs("16 tokens · page 1 of 2")
		e.do(t, click(`th[data-col=name] .sort-button`))
		e.waitRows(t, page1...)
		e.do(t, click(`.pager [data-page=next]`))
		e.waitRows(t, page2...)
		pagerIs("16 tokens · page 2 of 2")
		// Reload keeps sort, page size and page; so does a link to the address.
		e.do(t, chromedp.Reload())
		e.waitRows(t, page2...)
		if u := run(t, e, chromedp.Evaluate[string](`location.search`)); !strings.Contains(u, "dir=DESC") || !strings.Contains(u, "size=10") || !strings.Contains(u, "page=2") {
			t.Fatalf("the address keeps %q", u)
		}
		// Back returns to the first page; First and Last work.
		e.do(t, chromedp.NavigateBack())
		e.waitRows(t, page1...)
		e.do(t, click(`.pager [data-page=last]`))
		e.waitRows(t, page2...)
		pagerIs("16 tokens · page 2 of 2")
		e.do(t, click(`.pager [data-page=first]`))
		e.waitRows(t, page1...)
		// Filters too (never the token value).
		e.do(t, click(`[aria-controls=token-filters]`), fill("#filter-name", "bulk 1"))
		e.waitRows(t, bulk(12, 10)...)
		e.do(t, fill("#filter-secret", "lk_"), chromedp.Reload())
		e.waitRows(t, bulk(12, 10)...)
		if v := run(t, e, chromedp.Evaluate[[]string](`[document.querySelector("#filter-name").value, document.querySelector("#filter-secret").value, location.search]`)); v[0] != "bulk 1" || v[1] != "" || strings.Contains(v[2], "lk_") {
			t.Fatalf("after a reload: name filter %q, token filter %q, address %q", v[0], v[1], v[2])
		}
		e.axe(t, "the tokens page, filtered and paged")
		var d struct {
			APITokens struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		e.mustGraphQL(t, e.boot, `{ apiTokens(first: 50, where: {nameHasPrefix: "Bulk "}) { edges { node { id } } } }`, nil, &d)
		for _, n := range d.APITokens.Edges {
			e.mustGraphQL(t, e.boot, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": n.Node.ID}, &struct{}{})
		}
		e.do(t, chromedp.Navigate(e.url+"/admin/tokens"))
		e.waitRows(t, "Alpha reader", "Bootstrap", "Old service", "Zulu full")
	})

	t.Run("content types, roles, personas and the audit log", func(t *testing.T) {
		e.do(t,
			click(`.mainnav a[href="/admin/content-types"]`),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-content-type="api-token"]`)),
			click(`.page-actions .button.primary`),
			fill("dialog[open] input[name=displayName]", "Articles"),
			fill("dialog[open] input[name=uid]", "article"),
			click("dialog[open] .add-action"),
			fill("dialog[open] #action-4", "publish"),
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-content-type="article"]`)),
		)
		if acts := run(t, e, chromedp.Text(chromedp.CSS(`tr[data-content-type="article"] td:nth-child(3)`))); !strings.Contains(acts, "publish") {
			t.Fatalf("article actions %q", acts)
		}

		e.do(t,
			click(`.mainnav a[href="/admin/roles"]`),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-role-name="Auditor"]`)),
			click(`.page-actions .button.primary`),
			fill("dialog[open] input[name=name]", "Publisher"),
			click(`dialog[open] input[data-cell="article:read"]`),
			click(`dialog[open] input[data-cell="article:publish"]`),
		)
		e.screenshot(t, "role-editor.png")
		e.do(t,
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-role-name="Publisher"]`)),
		)
		var roles struct {
			Roles struct {
				Edges []struct {
					Node struct {
						Permissions []struct{ ContentType, Action string }
					}
				}
			}
		}
		e.mustGraphQL(t, e.boot, `{ roles(where: {name: "Publisher"}) { edges { node { permissions { contentType action } } } } }`, nil, &roles)
		if len(roles.Roles.Edges) != 1 || len(roles.Roles.Edges[0].Node.Permissions) != 2 {
			t.Fatalf("role Publisher: %+v", roles)
		}

		e.do(t,
			click(`.mainnav a[href="/admin/personas"]`),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-persona-name="Administrator"]`)),
			click(`.page-actions .button.primary`),
			fill("dialog[open] input[name=name]", "Release bot"),
			// Only https URLs are avatars: an image that is not one, even a
			// valid one, is not previewed, and the preview stays on the initials.
			fill("dialog[open] input[name=avatarURL]", onePixelPNG),
			blur("dialog[open] input[name=avatarURL]"),
		)
		e.waitPreviewInitials(t, "RB")
		// An https image that loads is shown once typing pauses…
		e.do(t, fill("dialog[open] input[name=avatarURL]", e.avatars+"/avatar.png"))
		e.waitJS(t, `(() => { const img = document.querySelector("dialog[open] .avatar-preview img");
			return !!img && img.complete && img.naturalWidth > 0 && !document.querySelector("dialog[open] .avatar-preview .avatar-initials") })()`,
			"the avatar preview to show the image")
		// …one the server does not have falls back to the initials again…
		e.do(t, fill("dialog[open] input[name=avatarURL]", e.avatars+"/no-such-avatar.png"), blur("dialog[open] input[name=avatarURL]"))
		e.waitPreviewInitials(t, "RB")
		// …and a plain http URL is never fetched (the preview skips it, and the
		// CSP's img-src allows https only): the initials show and the server
		// sees no request.
		e.do(t, fill("dialog[open] input[name=avatarURL]", e.url+"/no-such-avatar.png"), blur("dialog[open] input[name=avatarURL]"))
		e.waitPreviewInitials(t, "RB")
		if n := e.httpAvatarHits.Load(); n != 0 {
			t.Fatalf("the admin requested the http avatar URL %d times", n)
		}
		e.do(t,
			fill("dialog[open] input[name=avatarURL]", "not a url"),
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] .field[data-field=avatarURL] .error`)),
			fill("dialog[open] input[name=avatarURL]", "https://example.com/bot.png"),
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-persona-name="Release bot"]`)),
		)

		e.do(t,
			click(`.mainnav a[href="/admin/audit"]`),
			chromedp.WaitVisible(chromedp.CSS(".audit-table tbody tr")),
			fill("#audit-action", "content-type.create"),
			fill("#audit-target", "artic"),
		)
		e.waitJS(t, `(() => { const rows = [...document.querySelectorAll(".audit-table tbody tr")];
			return rows.length === 1 && rows[0].textContent.includes("content-type.create") && rows[0].textContent.includes("article") })()`, "the filtered audit log")
		e.do(t, click(".filters-actions .button"))
		e.waitJS(t, `document.querySelectorAll(".audit-table tbody tr").length > 5`, "the whole audit log")
		e.screenshot(t, "audit-log.png")
		e.do(t, click(`.mainnav a[href="/admin/tokens"]`), chromedp.WaitVisible(chromedp.CSS(".tokens-table")))
	})

	t.Run("roles, personas, content types and the audit log at 390 px", func(t *testing.T) {
		long := strings.Repeat("Longrolename", 9)[:100]
		e.mustGraphQL(t, e.boot, `mutation($n: String!) { createRole(input: {name: $n, description: "A role with a long unbroken name", permissions: [{contentType: "article", action: "read"}]}) { id } }`, map[string]any{"n": long}, &struct{}{})
		e.mustGraphQL(t, e.boot, `mutation($n: String!) { createPersona(input: {name: $n}) { id } }`, map[string]any{"n": strings.Repeat("Longpersonaname", 7)[:100]}, &struct{}{})
		for _, page := range []struct{ path, ready string }{
			{"roles", `tr[data-role-name="Auditor"]`},
			{"personas", `tr[data-persona-name="Administrator"]`},
			{"content-types", `tr[data-content-type="api-token"]`},
			{"audit", ".audit-table tbody tr"},
		} {
			e.do(t, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.url+"/admin/"+page.path), chromedp.WaitVisible(chromedp.CSS(page.ready)))
			e.axe(t, "/admin/"+page.path)
			e.resize(t, 390, 844)
			e.waitJS(t, `!!document.querySelector(".table-wrap.as-cards")`, page.path+" as cards")
			e.allInView(t, ".data-table td, .data-table button, .data-table code", "/admin/"+page.path+" at 390 px")
			if page.path != "audit" {
				e.inView(t, ".data-table .row-actions .button", 44, "/admin/"+page.path+" at 390 px: the first row's button")
			}
		}
		// The audit log gives every event's time in full: seconds and UTC offset.
		when := run(t, e, chromedp.Text(chromedp.CSS(".audit-table tbody tr .audit-when time")))
		if !regexp.MustCompile(`\d{1,2}:\d{2}:\d{2}.* UTC\+05:30$`).MatchString(when) {
			t.Fatalf("the audit log shows %q, want the time with seconds and the UTC offset", when)
		}
		e.screenshot(t, "audit-log-narrow.png")
		e.do(t, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.url+"/admin/tokens"), chromedp.WaitVisible(chromedp.CSS(".tokens-table")))
	})

	t.Run("forms check in the browser and explain the server's errors at their controls", func(t *testing.T) { testFormChecks(t, e) })
	t.Run("personas: search, paging, their tokens, the picker, orphans", func(t *testing.T) { testPersonas(t, e) })
	t.Run("dark mode and the contrast of borders and focus rings", func(t *testing.T) { testDarkMode(t, e) })
	t.Run("the playground opened from the admin", func(t *testing.T) { testPlaygroundFromAdmin(t, e) })
	t.Run("the forms' own checks refuse what the server refuses, on generated values", func(t *testing.T) { testChecksMirrorTheServer(t, e) })
	t.Run("policies: the lifecycle policy and the tokens that break it", func(t *testing.T) { testPolicies(t, e) })
	t.Run("webhooks: endpoints, deliveries and redeliver", func(t *testing.T) { testWebhooks(t, e) })
	t.Run("bulk revoke: dry run and typed confirmation", func(t *testing.T) { testBulkRevoke(t, e) })
	t.Run("persona external ID, metadata and rate limits", func(t *testing.T) { testPersonaPolicy(t, e) })

	t.Run("a viewer who may not create sees no create button", func(t *testing.T) {
		reader := e.createToken(t, map[string]any{
			"name": "Read tokens only", "type": "CUSTOM",
			"permissions": []map[string]string{{"contentType": "api-token", "action": "read"}},
		})
		e.do(t,
			chromedp.Navigate(e.url+"/admin/tokens"),
			click(".viewer .button"),
			chromedp.WaitVisible(chromedp.CSS("#signin-token")),
		)
		if n := run(t, e, chromedp.Evaluate[int](`sessionStorage.length`)); n != 0 {
			t.Fatalf("sign-out left %d items in sessionStorage", n)
		}
		e.do(t,
			chromedp.SendKeys(chromedp.CSS("#signin-token"), reader),
			click(".signin-card button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=viewer-name]")),
		)
		e.waitRows(t, "Alpha reader", "Bootstrap", "Old service", "Read tokens only", "Zulu full")
		hidden := run(t, e, chromedp.Evaluate[[]int](`["[data-testid=create-token]", "[data-row-menu]", ".mainnav a[href='/admin/roles']"].map(s => document.querySelectorAll(s).length)`))
		if slices.Max(hidden) != 0 {
			t.Fatalf("a read-only viewer sees controls it may not use: %v", hidden)
		}
		e.resize(t, 390, 844)
		e.screenshot(t, "tokens-page-narrow.png")
		e.resize(t, 1280, 800)
	})

	t.Run("a limited viewer is offered only what it may grant", func(t *testing.T) {
		expires := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
		limited := e.createToken(t, map[string]any{
			"name": "Limited maker", "type": "CUSTOM", "expiresAt": expires.Format(time.RFC3339),
			"permissions": []map[string]string{
				{"contentType": "api-token", "action": "read"}, {"contentType": "api-token", "action": "create"},
				{"contentType": "persona", "action": "read"}, {"contentType": "role", "action": "read"},
				{"contentType": "content-type", "action": "read"},
			},
		})
		e.signInAs(t, limited)
		e.do(t,
			chromedp.WaitVisible(chromedp.CSS("[data-testid=create-token]")),
			click("[data-testid=create-token]"),
			// It may not grant every read-only action, so the form starts at Custom.
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[data-cell="role:create"]`)),
		)
		type form struct {
			Type                 string
			Disabled             []string
			FullReason, ROReason string
			Duration             string
			Durations            []string
			DurationReason       string
			Cells                []bool
			Roles                []bool
		}
		f := run(t, e, chromedp.Evaluate[form](`(() => {
			const d = document.querySelector("dialog[open]");
			return {
				type: d.querySelector("input[name=type]:checked").value,
				disabled: [...d.querySelectorAll("input[name=type]:disabled")].map((i) => i.value),
				fullReason: d.querySelector("[data-refusal=FULL_ACCESS]")?.textContent ?? "",
				roReason: d.querySelector("[data-refusal=READ_ONLY]")?.textContent ?? "",
				duration: d.querySelector("select[name=duration]").value,
				durations: [...d.querySelectorAll("select[name=duration] option:disabled")].map((o) => o.value),
				durationReason: d.querySelector("[data-refusal=duration]")?.textContent ?? "",
				cells: ["api-token:read", "api-token:create", "role:create", "api-token:delete"].map((c) => d.querySelector('input[data-cell="' + c + '"]').disabled),
				roles: [...d.querySelectorAll("input[name=role]")].map((i) => i.disabled),
			};
		})()`))
		if f.Type != "CUSTOM" || !slices.Equal(f.Disabled, []string{"READ_ONLY", "FULL_ACCESS"}) ||
			!strings.Contains(f.FullReason, "Only a full-access token") || !strings.Contains(f.ROReason, "read-only action") {
			t.Fatalf("access levels: %+v", f)
		}
		if f.Duration != "DAYS_7" || !slices.Equal(f.Durations, []string{"DAYS_30", "DAYS_90", "UNLIMITED"}) || !strings.Contains(f.DurationReason, "expires") {
			t.Fatalf("durations: %+v; want 7 days chosen, 30, 90 and unlimited disabled with the reason", f)
		}
		if !slices.Equal(f.Cells, []bool{false, false, true, true}) {
			t.Fatalf("matrix cells api-token:read, api-token:create, role:create, api-token:delete disabled: %v", f.Cells)
		}
		if !slices.Contains(f.Roles, true) {
			t.Fatalf("no role is out of reach: %v (Auditor grants audit-event:read)", f.Roles)
		}
		e.axe(t, "the create dialog of a limited viewer")
		// A date is capped at the viewer's own expiry.
		e.do(t, fill("dialog[open] select[name=duration]", "DATE"), chromedp.WaitVisible(chromedp.CSS("dialog[open] input[name=expiresAt]")))
		if max := run(t, e, chromedp.Evaluate[string](`document.querySelector("dialog[open] input[name=expiresAt]").max`)); max == "" {
			t.Fatal("the date has no maximum")
		}
		// What the form starts with saves: Save does not fail on the ceiling.
		e.do(t,
			fill("dialog[open] select[name=duration]", "DAYS_7"),
			fill("dialog[open] input[name=name]", "Made within the ceiling"),
			click(`dialog[open] input[data-cell="api-token:read"]`),
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS("dialog[open] .secret-value")),
			click("dialog[open] input[name=stored]"),
			click("dialog[open] [data-close-secret]"),
			chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")),
		)
		if tok := e.tokenByName(t, "Made within the ceiling"); tok == nil || tok.Type != "CUSTOM" || !tok.may("api-token", "read") {
			t.Fatalf("the token made within the ceiling: %+v", tok)
		}
		e.do(t, click(".viewer .button"), chromedp.WaitVisible(chromedp.CSS("#signin-token")))
	})

	t.Run("playground", func(t *testing.T) {
		e.do(t,
			chromedp.Navigate(e.url+"/playground"),
			chromedp.WaitVisible(chromedp.CSS(".graphiql-container")),
			chromedp.WaitVisible(chromedp.CSS(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")),
			chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".graphiql-editor-tools button")].find((b) => b.textContent.trim() === "Headers").click()`),
		)
		if s := run(t, e, chromedp.Text(chromedp.CSS("[data-testid=playground-session]"))); !strings.Contains(s, "Paste an API token") {
			t.Fatalf("without the admin's sign-in, the playground says %q", s)
		}
		headers := run(t, e, chromedp.Evaluate[string](`document.querySelector(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").CodeMirror.getValue()`))
		if !strings.Contains(headers, `"Authorization": "Bearer "`) {
			t.Fatalf("headers editor holds %q", headers)
		}
		// The schema loads by anonymous introspection, before any token is given.
		e.do(t, click(`button[aria-label="Show Documentation Explorer"]`))
		e.waitJS(t, `document.querySelector(".graphiql-doc-explorer") && document.querySelector(".graphiql-doc-explorer").textContent.includes("Query")`, "the schema docs")
		e.do(t,
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").CodeMirror.setValue(%q)`, `{"Authorization": "Bearer `+e.boot+`"}`)),
			chromedp.Evaluate[chromedp.Void](`document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue("{ viewer { persona { name } } }")`),
			click(".graphiql-execute-button"),
		)
		e.waitJS(t, `document.querySelector(".graphiql-response") && document.querySelector(".graphiql-response").textContent.includes("Administrator")`, "the query result")
		// The run is in the query history, kept in this tab's sessionStorage…
		e.waitJS(t, `(sessionStorage.getItem("graphiql:queries") ?? "").includes("viewer")`, "the query history in sessionStorage")
		// …and nothing of it, least of all the token, in localStorage.
		leaks := run(t, e, chromedp.Evaluate[[]string](fmt.Sprintf(`Object.keys(localStorage).filter(k =>
			k.startsWith("graphiql") || /bearer/i.test(localStorage.getItem(k) ?? "") || (localStorage.getItem(k) ?? "").includes(%q))`, e.boot)))
		if len(leaks) > 0 {
			t.Fatalf("the playground left the token or its state in localStorage, under %q", leaks)
		}
	})

	t.Run("a token's page: usage chart, limits, conditions and events", func(t *testing.T) { testTokenDetailPolicy(t, e) })
	t.Run("the token form's limits and conditions, within the viewer's own", func(t *testing.T) { testTokenFormPolicy(t, e) })
	// Last: it leaves the tab signed in with a token of its own.
	t.Run("regenerate the signed-in token without a grace period", func(t *testing.T) {
		const own = "Own key"
		old := e.createToken(t, map[string]any{
			"name": own, "type": "CUSTOM",
			"permissions": []map[string]string{
				{"contentType": "api-token", "action": "read"},
				{"contentType": "api-token", "action": "regenerate"},
				{"contentType": "api-token", "action": "revoke"},
				{"contentType": "api-token", "action": "delete"},
				{"contentType": "persona", "action": "read"},
				{"contentType": "role", "action": "read"},
				{"contentType": "content-type", "action": "read"},
			},
		})
		e.signInAs(t, old)
		e.do(t, chromedp.WaitVisible(chromedp.CSS(`tr[data-token-name="`+own+`"]`)))
		viewer := run(t, e, chromedp.Text(chromedp.CSS("[data-testid=viewer-name]")))

		// Revoking or deleting one's own token says so and asks again.
		for _, act := range []struct{ action, title string }{{"revoke", "Revoke your own API token"}, {"delete", "Delete your own API token"}} {
			e.do(t, rowAction(own, act.action), chromedp.WaitVisible(chromedp.CSS("dialog[open] .own-token-warning")))
			got := run(t, e, chromedp.Evaluate[[]string](`[document.querySelector("dialog[open] h2").textContent,
				document.querySelector("dialog[open] .own-token-warning").textContent,
				String(document.querySelector("dialog[open] button.danger").disabled),
				String(document.activeElement.matches("[data-cancel]"))]`))
			if got[0] != act.title || !strings.Contains(got[1], "signed in with") || !strings.Contains(got[1], "signs you out") || got[2] != "true" || got[3] != "true" {
				t.Fatalf("%s of the own token: title %q, warning %q, confirm disabled %s, focus on Cancel %s", act.action, got[0], got[1], got[2], got[3])
			}
			e.do(t, click("dialog[open] input[name=acknowledge]"))
			if run(t, e, chromedp.Evaluate[bool](`document.querySelector("dialog[open] button.danger").disabled`)) {
				t.Fatalf("%s: the confirm button stays disabled once acknowledged", act.action)
			}
			e.do(t, click("dialog[open] [data-cancel]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
		}

		e.do(t,
			rowAction(own, "regenerate"),
			chromedp.WaitVisible(chromedp.CSS("dialog[open] select[name=grace]")),
		)
		if g := run(t, e, chromedp.Value(chromedp.CSS("dialog[open] select[name=grace]"))); g != "0" {
			t.Fatalf("grace period %q, want 0 (stop working at once)", g)
		}
		if !run(t, e, chromedp.Evaluate[bool](`document.querySelector("dialog[open] .own-token-warning")?.textContent.includes("signed in with") && document.querySelector("dialog[open] button[type=submit]").disabled`)) {
			t.Fatal("regenerating the own token does not warn, or does not ask again")
		}
		e.do(t,
			click("dialog[open] input[name=acknowledge]"),
			click("dialog[open] .dialog-actions button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS("dialog[open] .secret-value")),
		)
		fresh := run(t, e, chromedp.Value(chromedp.CSS("dialog[open] .secret-value")))
		if !strings.HasPrefix(fresh, "lk_") || fresh == old {
			t.Fatalf("regenerated secret %q", fresh)
		}
		if s := e.viewerStatus(t, old); s != http.StatusUnauthorized {
			t.Fatalf("the old secret gets HTTP %d, want 401", s)
		}
		// The list reloads behind the dialog; once the table shows the new
		// hint, the dialog must still be up with the same secret and the
		// tab still signed in, now with the new secret.
		e.waitJS(t, fmt.Sprintf(`(async () => {
			const ok = () => document.querySelector("dialog[open] .secret-value")?.value === %q &&
				!!document.querySelector("[data-testid=viewer-name]") && !document.querySelector("#signin-token");
			if (!ok()) return false;
			const hint = document.querySelector('tr[data-token-name=%q] td[data-col=hint]')?.textContent ?? "";
			if (!hint || !%q.startsWith(hint.replace(/…$/, ""))) return false;
			for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
			return ok();
		})()`, fresh, own, fresh), "the show-once dialog to stay up while the list reloads")
		if got := run(t, e, chromedp.Evaluate[string](`sessionStorage.getItem("latchkey.token")`)); got != fresh {
			t.Fatal("the session token is not the regenerated secret")
		}
		e.do(t, click("dialog[open] input[name=stored]"), click("dialog[open] [data-close-secret]"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
		if got := run(t, e, chromedp.Text(chromedp.CSS("[data-testid=viewer-name]"))); got != viewer {
			t.Fatalf("after closing the dialog the header shows %q, want %q", got, viewer)
		}
		// A fresh load signs in from sessionStorage with the new secret.
		e.do(t,
			chromedp.Navigate(e.url+"/admin/tokens"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-token-name="`+own+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=viewer-name]")),
		)
		if n := run(t, e, chromedp.Evaluate[int](`document.querySelectorAll("#signin-token").length`)); n != 0 {
			t.Fatal("the tab was signed out")
		}
		if got := run(t, e, chromedp.Evaluate[string](`sessionStorage.getItem("latchkey.token")`)); got != fresh {
			t.Fatal("after reloading, the session token is not the regenerated secret")
		}
	})
}
