// Package adminui serves Latchkey's admin web app under /admin/. The app is
// built from web/ into dist/ (see README.md) and embedded in the binary, so
// the admin needs nothing from the internet.
package adminui

import (
	"embed"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/webassets"
)

//go:embed all:dist
var dist embed.FS

// Prefix is where the app is mounted.
const Prefix = "/admin/"

// The app talks only to its own origin; avatars may be any http(s) image.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Handler serves the admin app for every path under /admin/: the files of
// /admin/assets/ (content-hashed, cached for a year), and index.html for
// any other path so that the app's own router can read it.
func Handler() http.Handler {
	return webassets.MustNew(dist, "dist", webassets.Options{Prefix: "/admin", CSP: contentSecurityPolicy, SPA: true})
}
