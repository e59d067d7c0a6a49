package httpserver_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A leaked secret's mutation of its own token that waits for the token's
// row behind an admin's regenerate or revoke must not overwrite or undo it
// (admin.stillOwn), nor may a rotated-away secret presented meanwhile
// revoke the replacement (admin.RevokeReused): whichever runs first, the
// admin's new secret is the one that works, and a revoked token stays
// revoked and present. MySQL
// only: SQLite's write transactions never overlap. Both mutations are held
// on a row lock the test takes, each step waiting until the server's
// process list shows the statement (no sleeps).
func TestOwnTokenMutationWaitingBehindAdminLoses(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		if dialect != "mysql" {
			t.Skip("needs row locks: SQLite serialises write transactions")
		}
		url := testserver.MySQLDatabase(t)
		s := testserver.New(t, dialect, testserver.RealClock(), testserver.DatabaseURL(url))
		ctx := context.Background()
		// The test's own connections, outside the server's bounded pool.
		own, err := store.Open(url, "unused")
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
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
		const (
			regenerate = `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret } }`
			revoke     = `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`
		)
		for i, c := range []struct {
			admin, leaked, secretAt string
			rotatedAway             bool // the leaked secret is one the token rotated away: presenting it is a reuse
		}{
			{regenerate, rotate, "rotateViewerToken.secret", false},
			{regenerate, regenerate, "regenerateAPIToken.secret", false},
			{regenerate, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, "", false},
			{regenerate, `mutation($id: ID!) { updateAPIToken(id: $id, input: {description: "mine now"}) { id } }`, "", false},
			{regenerate, revoke, "", false},
			{regenerate, `mutation($id: ID!) { revokeAPITokens(where: {id: $id}) { count } }`, "", false},
			{regenerate, viewerQuery, "", true},
			{revoke, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, "", false},
			{revoke, rotate, "rotateViewerToken.secret", false},
		} {
			leaked, id := mint(t, s, map[string]any{"name": fmt.Sprintf("leaked %d", i), "type": "FULL_ACCESS", "allowSelfRotation": true})
			if c.rotatedAway {
				rotateOK(t, s, leaked, 0)
			}
			tx, err := own.DB.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var x string
			if err := tx.QueryRowContext(ctx, "SELECT id FROM api_tokens WHERE id = ? FOR UPDATE", id).Scan(&x); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var adminNew, leakedNew, leakedRaw string
			wg.Add(1)
			go func() {
				defer wg.Done()
				adminNew = s.Do(t, s.Admin, c.admin, map[string]any{"id": id}).Str("regenerateAPIToken.secret")
			}()
			waiting(1) // the admin's statement waits on the row
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.Do(t, leaked, c.leaked, map[string]any{"id": id, "g": 0})
				leakedRaw = string(r.Raw)
				if c.secretAt != "" {
					leakedNew = r.Str(c.secretAt)
				}
			}()
			waiting(2) // so does the leaked secret's
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			t.Logf("case %d: the leaked secret's mutation answered %s", i, leakedRaw)
			expectUnauthenticated(t, s, leaked)
			if leakedNew != "" {
				expectUnauthenticated(t, s, leakedNew)
			}
			want := "REVOKED"
			if c.admin == regenerate {
				want = "ACTIVE"
				if r := s.Do(t, adminNew, viewerQuery, nil); r.Status != 200 {
					t.Fatalf("case %d: the admin's new secret: %d %s", i, r.Status, r.Raw)
				}
			}
			if st := tokenStatus(t, s, id); st != want {
				t.Fatalf("case %d: status %q, want %s", i, st, want)
			}
		}
	})
}
