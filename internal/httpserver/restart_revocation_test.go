package httpserver_test

import (
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver/mariadbtest"
)

// The revocation bound (every instance within 1 s) holds through a restart
// of the database and of an instance: a token cached on instance b before
// mariadbd is killed and restarted is refused by b within 1 s of its
// revocation through a afterwards, and a newly started instance refuses it
// at once.
func TestRevocationBoundThroughRestarts(t *testing.T) {
	m := mariadbtest.Start(t)
	a := faultServer(t, m)
	b := a.Another(t)
	const viewer = `{ viewer { apiToken { id } } }`
	c := a.MustDo(t, a.Admin, `mutation { createAPIToken(input: {name: "survivor", type: READ_ONLY}) { secret apiToken { id } } }`, nil)
	sec, id := c.Str("createAPIToken.secret"), c.Str("createAPIToken.apiToken.id")
	b.MustDo(t, sec, viewer, nil) // cached on b
	b.MustDo(t, sec, viewer, nil)

	m.Kill()
	m.Restart()
	revoke := map[string]any{"id": id}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := a.Do(t, a.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, revoke)
		if r.Code() == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database did not come back: %s", r.Raw)
		}
	}
	revoked := time.Now()
	for b.Do(t, sec, viewer, nil).Status != 401 {
		if time.Since(revoked) > time.Second {
			t.Fatal("after a database restart, another instance accepts a revoked token 1 s after the revocation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("after a database restart, the revocation reached the other instance in %v", time.Since(revoked).Round(time.Millisecond))
	if r := a.Another(t).Do(t, sec, viewer, nil); r.Status != 401 {
		t.Fatalf("a newly started instance accepts the revoked token: %d %s", r.Status, r.Raw)
	}
}
