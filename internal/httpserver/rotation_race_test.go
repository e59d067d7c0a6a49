package httpserver_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A rotate by a (leaked) secret that waits for the token's row behind an
// admin's regenerate must not overwrite the admin's new secret: whichever
// runs first, the admin's secret is the one that works afterwards. MySQL
// only: SQLite's write transactions never overlap. Both are held on a row
// lock the test takes, each step waiting until the server's process list
// shows the statement (no sleeps).
func TestRotateWaitingBehindRegenerateLoses(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		if dialect != "mysql" {
			t.Skip("needs row locks: SQLite serialises write transactions")
		}
		url := testserver.MySQLDatabase(t)
		s := testserver.New(t, dialect, testserver.RealClock(), testserver.DatabaseURL(url))
		leaked, id := mint(t, s, map[string]any{"name": "rotating", "type": "READ_ONLY", "allowSelfRotation": true})
		ctx := context.Background()
		// The test's own connections, outside the server's bounded pool.
		own, err := store.Open(url, "unused")
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		tx, err := own.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var x string
		if err := tx.QueryRowContext(ctx, "SELECT id FROM api_tokens WHERE id = ? FOR UPDATE", id).Scan(&x); err != nil {
			t.Fatal(err)
		}
		waiting := func(n int) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				var w int
				if err := own.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%api_tokens%' AND INFO NOT LIKE '%PROCESSLIST%'").Scan(&w); err != nil {
					t.Fatal(err)
				}
				if w >= n {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d statements on api_tokens running, want %d", w, n)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		var wg sync.WaitGroup
		var adminNew, rotated, rotateCode string
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.Do(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`, map[string]any{"id": id})
			adminNew = r.Str("regenerateAPIToken.secret")
		}()
		waiting(1) // the regenerate's statement waits on the row
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.Do(t, leaked, rotate, map[string]any{"g": 0})
			rotated, rotateCode = r.Str("rotateViewerToken.secret"), r.Code()
		}()
		waiting(2) // so does the rotate's
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if adminNew == "" {
			t.Fatal("the regenerate failed")
		}
		// Whichever ran first, the admin's secret is the one that works.
		if r := s.Do(t, adminNew, viewerQuery, nil); r.Status != 200 {
			t.Fatalf("the admin's new secret: %d %s (the rotate: secret given %v, code %q)", r.Status, r.Raw, rotated != "", rotateCode)
		}
		if rotated != "" {
			expectUnauthenticated(t, s, rotated)
		}
		t.Logf("the rotate: secret given %v, code %q", rotated != "", rotateCode)
		expectUnauthenticated(t, s, leaked)
		if st := tokenStatus(t, s, id); st != "ACTIVE" {
			t.Fatalf("status %s", st)
		}
	})
}
