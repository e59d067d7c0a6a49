package httpserver_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

// Three instances on one database, each running its delivery worker, and a
// receiver that answers 200: every event is delivered, with exactly one
// successful delivery. The instances keep real time, as deployed ones do:
// an attempt that fails on the way (a database error while recording it)
// is tried again when its lease or backoff passes, which a stopped test
// clock would never let happen.
func TestWebhooksThreeInstancesDeliverEachEventOnce(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		url := "sqlite://" + filepath.Join(t.TempDir(), "shared.db")
		if dialect == "mysql" {
			url = testserver.MySQLDatabase(t)
		}
		pepper, boot := "pepper-"+base62.Random(16), "lk-test-bootstrap-"+base62.Random(24)
		var apps []*testserver.Server
		for i := 0; i < 3; i++ {
			s, err := testserver.OnDatabase(t, url, pepper, boot, testserver.Config(fastWebhooks), testserver.RealClock())
			if err != nil {
				t.Fatal(err)
			}
			apps = append(apps, s)
		}
		rcv := webhooktest.New(t)
		endpoint(t, apps[0], rcv, "*")
		const n = 30
		for i := 0; i < n; i++ {
			s := apps[i%3]
			s.MustDo(t, s.Admin, `mutation($n: String!) { createAPIToken(input: {name: $n, type: READ_ONLY}) { secret } }`, map[string]any{"n": fmt.Sprintf("token %d", i)})
		}
		// Wait until no delivery is pending any more: none can be tried again.
		deadline := time.Now().Add(waitFor)
		for {
			var pending int
			if err := apps[0].Store.DB.QueryRow("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'DELIVERED'").Scan(&pending); err != nil {
				t.Fatal(err)
			}
			if pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				rows, _ := apps[0].Store.DB.Query("SELECT id, status, attempts, COALESCE(last_error, ''), COALESCE(leased_by, '') FROM webhook_deliveries WHERE status <> 'DELIVERED'")
				for rows != nil && rows.Next() {
					var id, status, lastErr, leasedBy string
					var attempts int
					_ = rows.Scan(&id, &status, &attempts, &lastErr, &leasedBy)
					t.Logf("not delivered: %s %s after %d attempts, leased by %q, last error %q", id, status, attempts, leasedBy, lastErr)
				}
				t.Fatalf("%d deliveries still not delivered", pending)
			}
			time.Sleep(5 * time.Millisecond)
		}
		perEvent := map[string]int{}
		for _, d := range rcv.Got() {
			if !d.Valid || d.Status != 200 {
				t.Errorf("delivery %s: valid %v, status %d", d.EventID, d.Valid, d.Status)
			}
			perEvent[d.EventID]++
		}
		if len(perEvent) != n {
			t.Fatalf("%d events delivered, want %d", len(perEvent), n)
		}
		for id, c := range perEvent {
			if c != 1 {
				t.Errorf("event %s delivered %d times", id, c)
			}
		}
		var attempts int
		if err := apps[0].Store.DB.QueryRow("SELECT SUM(attempts) FROM webhook_deliveries").Scan(&attempts); err != nil || attempts < n {
			t.Fatalf("attempts %d (%v), want at least %d", attempts, err, n)
		}
		t.Logf("%d events, %d attempts", n, attempts)
	})
}
