package httpserver

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/header"
	"github.com/latchkeyhq/latchkey/internal/metadata"
)

// header.Batch stores keys as given: every key the answers use must already
// be in the form http.Header.Set would store it under, or a client's
// Header.Get would miss it.
func TestAnswerHeaderKeysAreCanonical(t *testing.T) {
	for _, k := range []string{
		auth.HeaderRateLimitLimit, auth.HeaderRateLimitRemaining, auth.HeaderRateLimitReset,
		headerCreditsRemaining, headerTokenID, headerPersonaID, headerPersona,
		metadata.HeaderExternalID, metadata.HeaderMetadata, metadata.HeaderMetadataOmitted,
	} {
		if !header.Canonical(k) {
			t.Errorf("%q is not canonical", k)
		}
	}
}

// Generated request ids are 20 base62 characters, unique within an
// instance and, by their prefix, between instances.
func TestRequestIDs(t *testing.T) {
	a, b := newRequestIDs(), newRequestIDs()
	seen := map[string]bool{}
	for range 10000 {
		for _, g := range []*requestIDs{a, b} {
			id := g.next()
			if len(id) != 20 || !base62.Valid(id) {
				t.Fatalf("malformed id %q", id)
			}
			if seen[id] {
				t.Fatalf("id %q twice", id)
			}
			seen[id] = true
		}
	}
}
