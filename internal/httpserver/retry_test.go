package httpserver_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/httpserver"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/txretry"
)

// certificationFailure is what MariaDB Galera answers to the COMMIT of a
// transaction that lost certification to a concurrent one on another node.
var certificationFailure = &mysql.MySQLError{Number: 1213, SQLState: [5]byte{'4', '0', '0', '0', '1'}, Message: "Deadlock found when trying to get lock; try restarting transaction"}

// conflicts refuses the next n commits of mutations, as Galera refuses a
// transaction that lost certification.
type conflicts struct{ n atomic.Int32 }

func (c *conflicts) fail(context.Context) error {
	if c.n.Add(-1) >= 0 {
		return certificationFailure
	}
	c.n.Store(0)
	return nil
}

func retryServer(t *testing.T, dialect string) (*testserver.Server, *conflicts) {
	c := &conflicts{}
	s := testserver.New(t, dialect, testserver.App(httpserver.WithCommitFault(c.fail)))
	s.App.Retry.Backoff = time.Millisecond // the pauses are not what is tested
	return s, c
}

// A mutation whose commit loses a conflict runs again whole, in a fresh
// transaction: the client sees only the attempt that committed, the change
// and its audit event are there once, and its Idempotency-Key answers a
// retry of the client's own.
func TestMutationRetriedAfterConflict(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s, c := retryServer(t, dialect)
		audits, tokens := s.Count(t, "audit_events"), s.Count(t, "api_tokens")

		c.n.Store(txretry.DefaultAttempts - 1)
		r := keyed(t, s, s.Admin, createMin, tokenInput("Retried"), "retry-1")
		id, sec := r.Str("createAPIToken.apiToken.id"), r.Str("createAPIToken.secret")
		if r.Status != http.StatusOK || len(r.Errors) > 0 || !secretFormat.MatchString(sec) || replayExt(r) != nil {
			t.Fatalf("create after %d conflicts: HTTP %d %s", txretry.DefaultAttempts-1, r.Status, r.Raw)
		}
		if got := s.App.Retry.Retries.Load(); got != txretry.DefaultAttempts-1 {
			t.Fatalf("retries: %d", got)
		}
		if s.Count(t, "api_tokens") != tokens+1 || s.Count(t, "audit_events") != audits+1 || s.Count(t, "idempotency_keys") != 1 {
			t.Fatalf("after the retried create: %s", s.Snapshot(t))
		}
		s.MustDo(t, sec, viewerQuery, nil)
		again := keyed(t, s, s.Admin, createMin, tokenInput("Retried"), "retry-1")
		if replayExt(again) == nil || again.Str("createAPIToken.apiToken.id") != id {
			t.Fatalf("the key of a retried create: %s", again.Raw)
		}

		// An aliased pair runs again together: each persona once.
		personas := s.Count(t, "personas")
		c.n.Store(1)
		pair := s.Do(t, s.Admin, `mutation { a: createPersona(input: {name: "Ada"}) { id } b: createPersona(input: {name: "Bea"}) { id } }`, nil)
		if len(pair.Errors) > 0 || pair.Str("a.id") == "" || pair.Str("b.id") == "" || s.Count(t, "personas") != personas+2 {
			t.Fatalf("aliased pair: %s %s", pair.Raw, s.Snapshot(t))
		}

		// A business refusal is not a conflict: it runs once.
		before := s.App.Retry.Retries.Load()
		dup := s.Do(t, s.Admin, `mutation { createPersona(input: {name: "Ada"}) { id } }`, nil)
		if dup.Code() != "CONFLICT" && dup.Code() != "BAD_USER_INPUT" || s.App.Retry.Retries.Load() != before {
			t.Fatalf("a duplicate name: %s (retries %d → %d)", dup.Raw, before, s.App.Retry.Retries.Load())
		}
	})
}

// When every attempt loses, the client gets 503 UNAVAILABLE with
// Retry-After, nothing changed, the key is free for the client's retry, and
// no cache was invalidated for a change that never happened.
func TestMutationConflictsExhausted(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s, c := retryServer(t, dialect)
		made := s.MustDo(t, s.Admin, createMin, tokenInput("Kept"))
		id, sec := made.Str("createAPIToken.apiToken.id"), made.Str("createAPIToken.secret")
		s.MustDo(t, sec, viewerQuery, nil) // cached now
		before := s.Snapshot(t)
		lookups := s.App.Verifier.Lookups.Load()

		c.n.Store(txretry.DefaultAttempts)
		revoke := `mutation($id: ID!) { revokeAPIToken(id: $id) { id status } }`
		r := keyed(t, s, s.Admin, revoke, map[string]any{"id": id}, "revoke-1")
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.Code() != string(gqlerr.Unavailable) || r.Get("revokeAPIToken") != nil {
			t.Fatalf("exhausted: HTTP %d %s", r.Status, r.Raw)
		}
		if got := s.App.Retry.Retries.Load(); got != txretry.DefaultAttempts-1 {
			t.Fatalf("retries: %d", got)
		}
		if after := s.Snapshot(t); after != before || s.Count(t, "idempotency_keys") != 0 {
			t.Fatalf("a mutation that never committed changed something:\n%s\n%s", before, after)
		}
		s.MustDo(t, sec, viewerQuery, nil)
		if s.App.Verifier.Lookups.Load() != lookups {
			t.Fatal("a change that lost every conflict invalidated the cache")
		}

		// The client retries with the same key; this time it commits, and
		// the revocation is seen at once.
		r = keyed(t, s, s.Admin, revoke, map[string]any{"id": id}, "revoke-1")
		if r.Str("revokeAPIToken.status") != "REVOKED" || replayExt(r) != nil {
			t.Fatalf("the client's retry: %s", r.Raw)
		}
		if v := s.Do(t, sec, viewerQuery, nil); v.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token after a retried revoke: HTTP %d", v.Status)
		}
	})
}

// Model: random mutations, keyed or not, each meeting a random number of
// conflicts. Whatever the conflicts, a mutation either changes the database
// exactly once (with one audit event, and its key answering replays) or,
// when every attempt lost, not at all and answers 503.
func TestMutationRetryModel(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s, c := retryServer(t, dialect)
		rng := rand.New(rand.NewPCG(8, 1213))
		names := map[string]bool{} // personas the model holds
		ids := map[string]string{}
		var retries int64
		for step := range 60 {
			fails := rng.IntN(txretry.DefaultAttempts + 2)
			key := ""
			if rng.IntN(2) == 0 {
				key = fmt.Sprintf("k-%d", step)
			}
			name := fmt.Sprintf("P%d", rng.IntN(12))
			var doc string
			var vars map[string]any
			switch {
			case names[name] && rng.IntN(2) == 0:
				doc, vars = `mutation($id: ID!) { deletePersona(id: $id) }`, map[string]any{"id": ids[name]}
			case names[name]:
				doc, vars = `mutation($id: ID!, $d: String) { updatePersona(id: $id, input: {description: $d}) { id } }`, map[string]any{"id": ids[name], "d": fmt.Sprint(step)}
			default:
				doc, vars = `mutation($n: String!) { createPersona(input: {name: $n}) { id name } }`, map[string]any{"n": name}
			}
			audits, snap := s.Count(t, "audit_events"), s.Snapshot(t)
			c.n.Store(int32(fails))
			var r *testserver.Response
			if key != "" {
				r = keyed(t, s, s.Admin, doc, vars, key)
			} else {
				r = s.Do(t, s.Admin, doc, vars)
			}
			c.n.Store(0)
			retries += int64(min(fails, txretry.DefaultAttempts-1))
			if fails >= txretry.DefaultAttempts {
				if r.Status != http.StatusServiceUnavailable || r.Code() != string(gqlerr.Unavailable) || s.Snapshot(t) != snap {
					t.Fatalf("step %d: %d conflicts: HTTP %d %s", step, fails, r.Status, r.Raw)
				}
				continue
			}
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("step %d: %s after %d conflicts: HTTP %d %s", step, doc, fails, r.Status, r.Raw)
			}
			if s.Count(t, "audit_events") != audits+1 {
				t.Fatalf("step %d: %d audit events for one mutation", step, s.Count(t, "audit_events")-audits)
			}
			switch {
			case r.Get("createPersona") != nil:
				names[name], ids[name] = true, r.Str("createPersona.id")
			case r.Get("deletePersona") != nil:
				delete(names, name)
			}
			if key != "" {
				again := keyed(t, s, s.Admin, doc, vars, key)
				if replayExt(again) == nil || string(mustJSON(again.Data)) != string(mustJSON(r.Data)) {
					t.Fatalf("step %d: the key of a retried mutation: %s\nfirst: %s", step, again.Raw, r.Raw)
				}
			}
			var n int
			if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM personas WHERE name LIKE 'P%'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != len(names) {
				t.Fatalf("step %d: %d personas, the model has %d", step, n, len(names))
			}
		}
		if got := s.App.Retry.Retries.Load(); got != retries {
			t.Fatalf("retries: %d, expected %d", got, retries)
		}
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// On MySQL, a real deadlock in the middle of a keyed mutation: the mutation
// holds its Idempotency-Key's claim and waits for a token row that another
// transaction holds; that one then claims the same key. InnoDB rolls the
// lighter one, the mutation, back with error 1213 at the statement it was
// waiting on. The mutation runs again, whole; its first claim went with
// the rollback, so the key holds exactly the committed answer.
func TestMutationRetriedAfterDeadlock(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		if dialect != "mysql" {
			t.Skip("SQLite's write transactions never overlap: no deadlock")
		}
		ctx := context.Background()
		s := testserver.New(t, dialect)
		s.App.Retry.Backoff = time.Millisecond
		made := s.MustDo(t, s.Admin, createMin, tokenInput("Contended"))
		id := made.Str("createAPIToken.apiToken.id")
		admin := s.MustDo(t, s.Admin, viewerQuery, nil).Str("viewer.apiToken.id")
		if _, err := s.Store.DB.Exec("CREATE TABLE ballast (n INT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}

		// The other transaction: heavier (so InnoDB picks the mutation as the
		// victim), holding the token's row.
		conn, err := s.Store.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		other, err := conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		for n := range 50 {
			if _, err := other.Exec("INSERT INTO ballast VALUES (?)", n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := other.Exec("SELECT id FROM api_tokens WHERE id = ? FOR UPDATE", id); err != nil {
			t.Fatal(err)
		}

		done := make(chan *testserver.Response, 1)
		go func() {
			done <- keyed(t, s, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id status } }`, map[string]any{"id": id}, "deadlock-1")
		}()
		// Wait until the mutation has claimed its key and waits for the row.
		deadline := time.Now().Add(5 * time.Second)
		for {
			var waiting int
			if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%FROM `api_tokens` WHERE%FOR UPDATE'").Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				break
			}
			select {
			case r := <-done:
				t.Fatalf("the mutation did not wait: HTTP %d %s", r.Status, r.Raw)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("the mutation never waited for the token's row")
			}
			time.Sleep(5 * time.Millisecond)
		}
		sum := sha256.Sum256([]byte("deadlock-1"))
		if _, err := other.Exec("INSERT INTO idempotency_keys (id, token_id, key_hash, request_hash, caller_hash, status, response, withheld, created_at, expires_at) VALUES ('idk_other', ?, ?, 'x', '', 0, '', '[]', NOW(6), NOW(6) + INTERVAL 1 DAY)",
			admin, hex.EncodeToString(sum[:])); err != nil {
			t.Fatalf("the other transaction was chosen as the victim: %v", err)
		}
		if err := other.Rollback(); err != nil {
			t.Fatal(err)
		}

		r := <-done
		if r.Status != http.StatusOK || r.Str("revokeAPIToken.status") != "REVOKED" || replayExt(r) != nil {
			t.Fatalf("the deadlocked revoke: HTTP %d %s", r.Status, r.Raw)
		}
		if s.App.Retry.Retries.Load() < 1 {
			t.Fatal("no retry counted")
		}
		var keys, revokes int
		if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM idempotency_keys WHERE status = 200").Scan(&keys); err != nil || keys != 1 {
			t.Fatalf("stored answers: %d, %v", keys, err)
		}
		if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM audit_events WHERE action = 'api-token.revoke'").Scan(&revokes); err != nil || revokes != 1 {
			t.Fatalf("revoke audit events: %d, %v", revokes, err)
		}
		again := keyed(t, s, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id status } }`, map[string]any{"id": id}, "deadlock-1")
		if replayExt(again) == nil || again.Str("revokeAPIToken.status") != "REVOKED" {
			t.Fatalf("the key after a deadlock: %s", again.Raw)
		}
	})
}
