// Package playground serves GraphiQL at /playground, bundled from web/ into
// dist/ (see ../adminui/README.md for the build) and embedded in the binary,
// so it works offline: no CDN, nothing from the internet.
package playground

import (
	"embed"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/webassets"
)

//go:embed all:dist
var dist embed.FS

// Path is the page; its assets are under Path + "/assets/".
const Path = "/playground"

// GraphiQL sets some styles inline and its fonts are data: URLs; it talks
// only to /graphql on its own origin.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Handler serves the page at /playground and /playground/, and its
// content-hashed files, cached for a year, under /playground/assets/.
func Handler() http.Handler {
	return webassets.MustNew(dist, "dist", webassets.Options{Prefix: Path, CSP: contentSecurityPolicy})
}
