package httpserver_test

import (
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A secret rotated away stays retired after its token is deleted: it cannot
// be chosen for a new token, so whoever holds the old secret gets nothing.
// (Found by an attack review: the retired hashes used to go with their token.)
func TestRetiredSecretOutlivesItsToken(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		chosen := "review-chosen-secret-0123456789-abcdefghij"
		r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "svc", "type": "READ_ONLY", "allowSelfRotation": true, "secret": chosen}})
		id := r.Str("createAPIToken.apiToken.id")
		rotateOK(t, s, chosen, 0)
		s.Clock.Advance(time.Second)
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": id})
		if c := s.Do(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "svc", "type": "READ_ONLY", "secret": chosen}}).Code(); c != "CONFLICT" {
			t.Fatalf("a secret rotated away was chosen again after its token was deleted: %q", c)
		}
		for path, present := range presentPaths {
			if present(t, s, chosen) {
				t.Errorf("%s: a retired secret of a deleted token authenticates", path)
			}
		}
	})
}

// A token that may update tokens but not regenerate them cannot allow
// itself to rotate its own secret (and then do so in the same request).
func TestSelfRotationCannotBeSelfGranted(t *testing.T) {
	s := testserver.New(t, "sqlite")
	upd, uid := mint(t, s, map[string]any{"name": "upd", "type": "CUSTOM", "permissions": cells("api-token:update", "api-token:read", "persona:read", "role:read", "content-type:read")})
	r := s.Do(t, upd, `mutation($id: ID!) { a: updateAPIToken(id: $id, input: {allowSelfRotation: true}) { id } b: rotateViewerToken { secret } }`, map[string]any{"id": uid})
	if r.Code() != "FORBIDDEN" {
		t.Fatalf("update-self then rotate: %s", r.Raw)
	}
	if retired(t, s, uid) != 0 {
		t.Fatal("the token rotated itself")
	}
	// With api-token:regenerate as well, it may (it could roll the secret anyway).
	both, bid := mint(t, s, map[string]any{"name": "both", "type": "CUSTOM", "permissions": cells("api-token:update", "api-token:regenerate", "api-token:read", "persona:read", "role:read", "content-type:read")})
	if r := s.Do(t, both, `mutation($id: ID!) { updateAPIToken(id: $id, input: {allowSelfRotation: true}) { id } }`, map[string]any{"id": bid}); r.Code() != "" {
		t.Fatalf("a token that may regenerate could not allow self-rotation: %s", r.Raw)
	}
}
