package httpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

// notices counts a token's expiry events: "30", "7", "1" and "expired",
// each with the expiry it was about.
func notices(t *testing.T, s *testserver.Server, id string) map[string][]string {
	t.Helper()
	r := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { events(first: 100) { type payload } } } }`, map[string]any{"id": id})
	out := map[string][]string{}
	for _, e := range r.Get("node.events").([]any) {
		ev := e.(map[string]any)
		var p struct {
			Data struct {
				DaysBefore int    `json:"daysBefore"`
				ExpiresAt  string `json:"expiresAt"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(ev["payload"].(string)), &p); err != nil {
			t.Fatal(err)
		}
		switch ev["type"] {
		case "api-token.expiring":
			k := fmt.Sprint(p.Data.DaysBefore)
			out[k] = append(out[k], p.Data.ExpiresAt)
		case "api-token.expired":
			out["expired"] = append(out["expired"], p.Data.ExpiresAt)
		}
	}
	return out
}

// The expiry sweep under a fake clock: 30, 7 and 1 days before, then at
// expiry, each once per token and expiry, however often and on however many
// instances it runs at once; a new expiry is noticed afresh.
func TestExpirySweepNoticesOnce(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		// Events are kept longer than the clock moves, to be counted.
		s := testserver.New(t, dialect, testserver.Config(fastWebhooks), testserver.Config(func(c *config.Config) { c.WebhookRetention = 365 * 24 * time.Hour }))
		other := s.Another(t)
		rcv := webhooktest.New(t)
		endpoint(t, s, rcv, "api-token.expiring", "api-token.expired")
		start := s.Clock.Now()
		at := func(d time.Duration) string { return start.Add(d).Format(time.RFC3339) }
		_, long := mint(t, s, map[string]any{"name": "Forty days", "type": "READ_ONLY", "expiresAt": at(40 * 24 * time.Hour)})
		_, week := mint(t, s, map[string]any{"name": "A week", "type": "READ_ONLY", "lifespan": "DAYS_7"})
		_, moved := mint(t, s, map[string]any{"name": "Moved", "type": "READ_ONLY", "expiresAt": at(10 * 24 * time.Hour)})
		_, never := mint(t, s, map[string]any{"name": "Forever", "type": "READ_ONLY"})

		// Sweeps on both instances, several at once, besides the background ones.
		sweep := func() {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for i := 0; i < 6; i++ {
				app := s.App
				if i%2 == 1 {
					app = other.App
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- app.Webhooks.SweepExpiry(context.Background())
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		// Deliveries finish before the clock jumps days ahead; otherwise
		// they would be given up as more than 3 days old.
		advance := func(d time.Duration) {
			t.Helper()
			drain(t, s)
			s.Clock.Advance(d)
		}
		check := func(when, id string, want map[string]int) {
			t.Helper()
			sweep()
			got := notices(t, s, id)
			for _, k := range []string{"30", "7", "1", "expired"} {
				if len(got[k]) != want[k] {
					t.Errorf("%s, %s: %s-notices %d, want %d (%v)", when, id, k, len(got[k]), want[k], got)
				}
			}
		}
		check("at the start", long, map[string]int{})
		check("at the start", week, map[string]int{"7": 1})
		check("at the start", moved, map[string]int{"30": 1})

		// A new expiry is noticed afresh, however it moved.
		s.MustDo(t, s.Admin, updateToken, map[string]any{"id": moved, "input": map[string]any{"expiresAt": at(20 * 24 * time.Hour)}})
		check("after moving the expiry", moved, map[string]int{"30": 2})

		advance(10*24*time.Hour + time.Minute) // 30 days minus a minute left
		check("30 days before", long, map[string]int{"30": 1})
		advance(23 * 24 * time.Hour) // 7 days minus a minute left
		check("7 days before", long, map[string]int{"30": 1, "7": 1})
		// The clock jumped past the 1-day notice: only the latest due is sent.
		check("7 days before", week, map[string]int{"7": 1, "expired": 1})
		advance(6 * 24 * time.Hour) // 1 day minus a minute left
		check("1 day before", long, map[string]int{"30": 1, "7": 1, "1": 1})
		advance(2 * 24 * time.Hour)
		check("after expiry", long, map[string]int{"30": 1, "7": 1, "1": 1, "expired": 1})
		// Expired more than 7 days before any sweep saw it: not announced.
		check("after expiry", moved, map[string]int{"30": 2})
		check("after expiry", never, map[string]int{})
		advance(30 * 24 * time.Hour)
		check("long after", long, map[string]int{"30": 1, "7": 1, "1": 1, "expired": 1})

		// Every one reached the endpoint.
		rcv.Wait(t, waitFor, "the notices", func(ds []webhooktest.Delivery) bool {
			return len(webhooktest.OfType(ds, "api-token.expiring")) >= 6 && len(webhooktest.OfType(ds, "api-token.expired")) >= 2
		})
	})
}

// drain waits until no webhook delivery is pending.
func drain(t *testing.T, s *testserver.Server) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for s.Count(t, "webhook_deliveries WHERE status = 'PENDING'") > 0 {
		if time.Now().After(deadline) {
			t.Fatal("deliveries still pending")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
