package webassets_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/latchkeyhq/latchkey/internal/webassets"
)

const csp = "default-src 'self'"

// A script long and repetitive enough that gzip shrinks it, and a file too
// short to shrink.
var script = strings.Repeat("console.log('latchkey');\n", 100)

var build = fstest.MapFS{
	"dist/index.html":            {Data: []byte(`<!doctype html><div id="app"></div>`)},
	"dist/assets/main-ABC.js":    {Data: []byte(script)},
	"dist/assets/main-ABC.css":   {Data: []byte("body{margin:0}")},
	"dist/assets/logo-ABC.svg":   {Data: []byte("<svg/>")},
	"dist/assets/font-ABC.woff2": {Data: []byte{0, 1, 2}},
	"dist/other.txt":             {Data: []byte("not served")},
}

func handler(t *testing.T, spa bool) http.Handler {
	t.Helper()
	h, err := webassets.New(build, "dist", webassets.Options{Prefix: "/app", CSP: csp, SPA: spa})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// do sends one request; the body it returns is decoded when gzipped.
func do(t *testing.T, h http.Handler, method, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	var r io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

const (
	html      = "text/html; charset=utf-8"
	immutable = "public, max-age=31536000, immutable"
	index     = `<div id="app">`
)

func TestRouting(t *testing.T) {
	tests := []struct {
		name, method, path string
		spa                bool
		status             int
		ctype, cache       string
		bodyHas            string
	}{
		{"index", "GET", "/app/", true, 200, html, "no-cache", index},
		{"index without SPA", "GET", "/app/", false, 200, html, "no-cache", index},
		{"bare prefix without SPA", "GET", "/app", false, 200, html, "no-cache", index},
		{"bare prefix with SPA redirects", "GET", "/app", true, 301, "", "", ""},
		{"client-side route", "GET", "/app/roles", true, 200, html, "no-cache", index},
		{"deep client-side route", "GET", "/app/tokens/x/y", true, 200, html, "no-cache", index},
		{"unknown path without SPA", "GET", "/app/nope", false, 404, "", "", ""},
		{"file outside assets", "GET", "/app/other.txt", false, 404, "", "", ""},
		{"longer name", "GET", "/appx", true, 404, "", "", ""},
		{"longer name without SPA", "GET", "/appx", false, 404, "", "", ""},
		{"outside the prefix", "GET", "/other", true, 404, "", "", ""},
		{"script", "GET", "/app/assets/main-ABC.js", true, 200, "text/javascript; charset=utf-8", immutable, "latchkey"},
		{"stylesheet", "GET", "/app/assets/main-ABC.css", false, 200, "text/css; charset=utf-8", immutable, "margin"},
		{"image", "GET", "/app/assets/logo-ABC.svg", true, 200, "image/svg+xml", immutable, "<svg/>"},
		{"missing asset", "GET", "/app/assets/nope.js", true, 404, "", "", ""},
		{"missing asset without SPA", "GET", "/app/assets/nope.js", false, 404, "", "", ""},
		{"head", "HEAD", "/app/", true, 200, html, "no-cache", ""},
		{"post", "POST", "/app/", true, 405, "", "", ""},
		{"post to an asset", "POST", "/app/assets/main-ABC.js", false, 405, "", "", ""},
		{"delete", "DELETE", "/app/", false, 405, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, handler(t, tc.spa), tc.method, tc.path, nil)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.ctype != "" && res.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tc.ctype)
			}
			if tc.cache != "" && res.Header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control %q, want %q", res.Header.Get("Cache-Control"), tc.cache)
			}
			if !strings.Contains(body, tc.bodyHas) {
				t.Errorf("body lacks %q:\n%s", tc.bodyHas, body)
			}
			if tc.status == 200 && res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			if tc.status == 200 && res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Error("no Referrer-Policy: no-referrer")
			}
			if tc.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want GET, HEAD", res.Header.Get("Allow"))
			}
			if tc.method == "HEAD" && body != "" {
				t.Errorf("HEAD answered with a body: %q", body)
			}
		})
	}
}

func TestRedirect(t *testing.T) {
	res, _ := do(t, handler(t, true), "GET", "/app", nil)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/app/" {
		t.Fatalf("status %d to %q, want 301 to /app/", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := handler(t, true)
	res, _ := do(t, h, "GET", "/app/roles", nil)
	if got := res.Header.Get("Content-Security-Policy"); got != csp {
		t.Errorf("index: Content-Security-Policy %q, want %q", got, csp)
	}
	if got := res.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("index: X-Frame-Options %q, want DENY", got)
	}
	res, _ = do(t, h, "GET", "/app/assets/main-ABC.js", nil)
	if got := res.Header.Get("Content-Security-Policy"); got != "" {
		t.Errorf("asset: Content-Security-Policy %q, want none", got)
	}
}

func TestETag(t *testing.T) {
	h := handler(t, false)
	for _, path := range []string{"/app/", "/app/assets/main-ABC.js"} {
		t.Run(path, func(t *testing.T) {
			res, body := do(t, h, "GET", path, nil)
			etag := res.Header.Get("ETag")
			if etag == "" || !strings.HasPrefix(etag, `"`) {
				t.Fatalf("ETag %q", etag)
			}
			for _, match := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
				res, body304 := do(t, h, "GET", path, map[string]string{"If-None-Match": match})
				if res.StatusCode != http.StatusNotModified {
					t.Errorf("If-None-Match: %s: status %d, want 304", match, res.StatusCode)
				}
				if body304 != "" {
					t.Errorf("If-None-Match: %s: a body with the 304", match)
				}
			}
			res, again := do(t, h, "GET", path, map[string]string{"If-None-Match": `"other"`})
			if res.StatusCode != http.StatusOK || again != body {
				t.Errorf("another ETag: status %d, want 200 and the file", res.StatusCode)
			}
		})
	}
	a, _ := do(t, h, "GET", "/app/assets/main-ABC.js", nil)
	b, _ := do(t, h, "GET", "/app/assets/main-ABC.css", nil)
	if a.Header.Get("ETag") == b.Header.Get("ETag") {
		t.Error("two files share an ETag")
	}
}

func TestGzip(t *testing.T) {
	h := handler(t, false)
	tests := []struct {
		name, path, accept string
		gzipped            bool
	}{
		{"accepted", "/app/assets/main-ABC.js", "gzip", true},
		{"among others", "/app/assets/main-ABC.js", "br, gzip;q=0.8, deflate", true},
		{"any case", "/app/assets/main-ABC.js", "GZIP", true},
		{"refused", "/app/assets/main-ABC.js", "gzip;q=0", false},
		{"refused with spaces", "/app/assets/main-ABC.js", "gzip; q=0", false},
		{"not asked", "/app/assets/main-ABC.js", "", false},
		{"other encodings", "/app/assets/main-ABC.js", "br, deflate", false},
		{"would not shrink", "/app/assets/font-ABC.woff2", "gzip", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, h, "GET", tc.path, map[string]string{"Accept-Encoding": tc.accept})
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped %v, want %v", got, tc.gzipped)
			}
			if res.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", res.Header.Get("Vary"))
			}
			want := build[strings.Replace(tc.path, "/app/", "dist/", 1)]
			if body != string(want.Data) {
				t.Errorf("body differs from the file")
			}
		})
	}
	t.Run("content length is of what is sent", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/app/assets/main-ABC.js", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if n, _ := strconv.Atoi(rec.Header().Get("Content-Length")); n != rec.Body.Len() || n >= len(script) {
			t.Fatalf("Content-Length %d for %d bytes sent, %d unzipped", n, rec.Body.Len(), len(script))
		}
		zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(zr); string(b) != script {
			t.Fatal("the gzipped body does not decode to the file")
		}
	})
	t.Run("head", func(t *testing.T) {
		res, body := do(t, h, "HEAD", "/app/assets/main-ABC.js", nil)
		if body != "" || res.Header.Get("Content-Length") != strconv.Itoa(len(script)) {
			t.Fatalf("HEAD: Content-Length %q and %d bytes of body", res.Header.Get("Content-Length"), len(body))
		}
	})
}

func TestMissingBuild(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no folder":     {},
		"no index.html": {"dist/assets/main.js": {Data: []byte("x")}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := webassets.New(fsys, "dist", webassets.Options{Prefix: "/app"}); err == nil || !strings.Contains(err.Error(), "npm run build") {
				t.Fatalf("error %v, want one that says to run npm run build", err)
			}
		})
	}
	t.Run("MustNew panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		webassets.MustNew(fstest.MapFS{}, "dist", webassets.Options{Prefix: "/app"})
	})
}
