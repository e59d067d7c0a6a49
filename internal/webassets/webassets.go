// Package webassets serves a web app built into a folder and embedded in
// the binary: index.html and content-hashed files under <prefix>/assets/,
// with ETags, gzip and strict security headers. The admin UI and the
// playground are both served by it, so neither needs the internet.
package webassets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// Options describe one app.
type Options struct {
	// Prefix is where the app is mounted, without a trailing slash: "/admin".
	Prefix string
	// CSP is the Content-Security-Policy of the page.
	CSP string
	// SPA serves index.html for every unknown path below Prefix, for an app
	// with its own router; the bare Prefix then redirects to Prefix + "/".
	SPA bool
}

type file struct {
	body  []byte
	etag  string
	ctype string

	gzipOnce sync.Once
	gzipped  []byte
}

type handler struct {
	opts   Options
	index  *file
	assets map[string]*file // by path below <root>/assets/
}

// New serves the app whose build is in root of fsys.
func New(fsys fs.FS, root string, opts Options) (http.Handler, error) {
	h := &handler{opts: opts, assets: map[string]*file{}}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := &file{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`, ctype: contentType(p)}
		switch rel := strings.TrimPrefix(p, root+"/"); {
		case rel == "index.html":
			h.index = f
		case strings.HasPrefix(rel, "assets/"):
			h.assets[strings.TrimPrefix(rel, "assets/")] = f
		}
		return nil
	})
	if err == nil && h.index == nil {
		err = fmt.Errorf("no index.html in %s", root)
	}
	if err != nil {
		return nil, fmt.Errorf("the embedded build of %s is missing or unreadable (run npm run build in its web/ folder): %w", opts.Prefix, err)
	}
	return h, nil
}

// MustNew is New for builds embedded at compile time, which cannot be missing
// unless the binary itself is broken.
func MustNew(fsys fs.FS, root string, opts Options) http.Handler {
	h, err := New(fsys, root, opts)
	if err != nil {
		panic(err)
	}
	return h
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, h.opts.Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	switch name, isAsset := strings.CutPrefix(rest, "/assets/"); {
	case rest == "" && h.opts.SPA:
		http.Redirect(w, r, h.opts.Prefix+"/", http.StatusMovedPermanently)
	case isAsset:
		f := h.assets[name]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		// Asset names carry a hash of their content: a new build has new names.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		serve(w, r, f)
	case rest == "" || rest == "/" || (h.opts.SPA && strings.HasPrefix(rest, "/")):
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", h.opts.CSP)
		hdr.Set("X-Frame-Options", "DENY")
		serve(w, r, h.index)
	default:
		http.NotFound(w, r)
	}
}

func serve(w http.ResponseWriter, r *http.Request, f *file) {
	hdr := w.Header()
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("ETag", f.etag)
	hdr.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if acceptsGzip(r) {
		if gz := f.gzipBody(); gz != nil {
			hdr.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// gzipBody compresses once, on first request; nil when it would not shrink.
func (f *file) gzipBody() []byte {
	f.gzipOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(f.body)
		_ = zw.Close()
		if b.Len() < len(f.body) {
			f.gzipped = b.Bytes()
		}
	})
	return f.gzipped
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				return false
			}
		}
		return true
	}
	return false
}
