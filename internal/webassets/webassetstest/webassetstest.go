// Package webassetstest checks that an app's embedded build is served: the
// behaviour of the handler itself is tested in package webassets, so an app
// need only check that its own build and options work.
package webassetstest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// Get answers one GET from h.
func Get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var (
	assetRef    = regexp.MustCompile(`(?:src|href)="([^"]*/assets/[^"]+)"`)
	otherOrigin = regexp.MustCompile(`(?:src|href)="(?:https?:)?//`)
)

// Served checks that h serves, at page, an index.html with a
// Content-Security-Policy that keeps to the same origin, that every asset the
// page names loads (a script and a stylesheet at least), and that the page
// loads nothing from another origin. It returns the page.
func Served(t *testing.T, h http.Handler, page string) string {
	t.Helper()
	res, index := Get(t, h, page)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%s: status %d, Content-Type %q", page, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("%s: Content-Security-Policy %q", page, csp)
	}
	if otherOrigin.MatchString(index) {
		t.Errorf("%s loads from another origin:\n%s", page, index)
	}
	kinds := map[string]bool{}
	for _, m := range assetRef.FindAllStringSubmatch(index, -1) {
		res, body := Get(t, h, m[1])
		if res.StatusCode != http.StatusOK || body == "" {
			t.Errorf("%s: status %d, %d bytes", m[1], res.StatusCode, len(body))
		}
		kinds[res.Header.Get("Content-Type")] = true
	}
	if !kinds["text/javascript; charset=utf-8"] || !kinds["text/css; charset=utf-8"] {
		t.Errorf("%s names no script or stylesheet that loads:\n%s", page, index)
	}
	return index
}
