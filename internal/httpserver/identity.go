package httpserver

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/metadata"
)

// identityHeaders tells the upstream who the caller is in the adopter's own
// terms: the persona's external id as it is (visible ASCII only, so safe in
// a header), and the token's metadata as base64url JSON, or a note that it
// was left out for its size (internal/metadata). Both were encoded when the
// token was verified, so a cached verification pays only for the map writes.
func identityHeaders(h http.Header, p *authz.Principal) {
	if id := p.Persona.ExternalID; id != nil {
		h[metadata.HeaderExternalID] = []string{*id}
	}
	switch {
	case p.MetadataHeader != "":
		h[metadata.HeaderMetadata] = []string{p.MetadataHeader}
	case p.MetadataOmitted:
		h[metadata.HeaderMetadataOmitted] = []string{"too-large"}
	}
}
