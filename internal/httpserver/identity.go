package httpserver

import (
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/header"
	"github.com/latchkeyhq/latchkey/internal/metadata"
)

// identityHeaders tells the upstream who the caller is in the adopter's own
// terms: the persona's external id as it is (visible ASCII only, so safe in
// a header), and the token's metadata as base64url JSON, or a note that it
// was left out for its size (internal/metadata). Both were encoded when the
// token was verified, so a cached verification pays only for the map writes.
func identityHeaders(b *header.Batch, p *authz.Principal) {
	if id := p.Persona.ExternalID; id != nil {
		b.Str(metadata.HeaderExternalID, *id)
	}
	switch {
	case p.MetadataHeader != "":
		b.Str(metadata.HeaderMetadata, p.MetadataHeader)
	case p.MetadataOmitted:
		b.Str(metadata.HeaderMetadataOmitted, "too-large")
	}
}
