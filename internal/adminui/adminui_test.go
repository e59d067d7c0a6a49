package adminui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/adminui"
	"github.com/latchkeyhq/latchkey/internal/webassets/webassetstest"
)

func TestHandler(t *testing.T) {
	h := adminui.Handler()
	if index := webassetstest.Served(t, h, "/admin/"); !strings.Contains(index, `<div id="app">`) {
		t.Fatalf("index.html has no app root:\n%s", index)
	}
	// The app routes itself: any page below /admin/ is index.html.
	if res, body := webassetstest.Get(t, h, "/admin/tokens/x"); res.StatusCode != http.StatusOK || !strings.Contains(body, `<div id="app">`) {
		t.Fatalf("/admin/tokens/x: status %d, not index.html", res.StatusCode)
	}
	// Avatars are https URLs: no plain http image may load.
	res, _ := webassetstest.Get(t, h, "/admin/")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' https: data:;") {
		t.Fatalf("Content-Security-Policy %q: img-src must allow https images only", csp)
	}
}
