package adminui_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/adminui"
)

func TestHandler(t *testing.T) {
	ts := httptest.NewServer(adminui.Handler())
	t.Cleanup(ts.Close)
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	get := func(t *testing.T, method, path string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			if r, err = gzip.NewReader(res.Body); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := io.ReadAll(r)
		return res, string(b)
	}

	_, index := get(t, "GET", "/admin/", nil)
	script := regexp.MustCompile(`src="(/admin/assets/[^"]+\.js)"`).FindStringSubmatch(index)
	style := regexp.MustCompile(`href="(/admin/assets/[^"]+\.css)"`).FindStringSubmatch(index)
	if script == nil || style == nil {
		t.Fatalf("index.html names no script or stylesheet:\n%s", index)
	}

	tests := []struct {
		name, method, path string
		hdr                map[string]string
		status             int
		ctype, cache       string
		bodyHas            string
	}{
		{"index", "GET", "/admin/", nil, 200, "text/html; charset=utf-8", "no-cache", `<div id="app">`},
		{"client-side route", "GET", "/admin/roles", nil, 200, "text/html; charset=utf-8", "no-cache", `<div id="app">`},
		{"deep client-side route", "GET", "/admin/tokens/x/y", nil, 200, "text/html; charset=utf-8", "no-cache", `<div id="app">`},
		{"script", "GET", script[1], nil, 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", ""},
		{"stylesheet", "GET", style[1], nil, 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", ""},
		{"gzipped script", "GET", script[1], map[string]string{"Accept-Encoding": "gzip"}, 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", ""},
		{"missing asset", "GET", "/admin/assets/nope.js", nil, 404, "", "", ""},
		{"no trailing slash", "GET", "/admin", nil, 301, "", "", ""},
		{"head", "HEAD", "/admin/", nil, 200, "text/html; charset=utf-8", "no-cache", ""},
		{"post", "POST", "/admin/", nil, 405, "", "", ""},
		{"outside the prefix", "GET", "/other", nil, 404, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, tc.method, tc.path, tc.hdr)
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
				t.Errorf("body lacks %q", tc.bodyHas)
			}
			if tc.status == 200 && res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
		})
	}

	t.Run("etag revalidation", func(t *testing.T) {
		res, _ := get(t, "GET", script[1], nil)
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		res, _ = get(t, "GET", script[1], map[string]string{"If-None-Match": etag})
		if res.StatusCode != http.StatusNotModified {
			t.Fatalf("status %d, want 304", res.StatusCode)
		}
	})
	t.Run("index has a content security policy", func(t *testing.T) {
		res, _ := get(t, "GET", "/admin/", nil)
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("Content-Security-Policy %q", csp)
		}
	})
	t.Run("index loads nothing from another origin", func(t *testing.T) {
		if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(index) {
			t.Fatalf("index.html loads from elsewhere:\n%s", index)
		}
	})
}
