package httpserver_test

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// remainingCredits is a token's balance as the admin API shows it.
func remainingCredits(t testing.TB, s *testserver.Server, id string) float64 {
	t.Helper()
	r := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { credits { remaining } } } }`, map[string]any{"id": id})
	v, ok := r.Get("node.credits.remaining").(float64)
	if !ok {
		t.Fatalf("no credits: %s", r.Raw)
	}
	return v
}

// Credits are never over-spent by instances spending at once: every use is
// paid from a lease, and leases come out of the balance in a transaction.
// After the leases are returned, uses and balance add up to the credits.
func TestCreditsAcrossInstances(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		a := testserver.New(t, dialect)
		instances := []*testserver.Server{a, a.Another(t), a.Another(t)}
		const credits = 150
		sec, id := policyToken(t, a, "metered", map[string]any{"credits": map[string]any{"remaining": credits}})
		var accepted, refused atomic.Int64
		var wg sync.WaitGroup
		for _, s := range instances {
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 30 {
						res := forwardAuth(t, s, sec, nil, nil)
						switch res.StatusCode {
						case http.StatusOK:
							accepted.Add(1)
						case http.StatusTooManyRequests:
							refused.Add(1)
						default:
							t.Errorf("status %d", res.StatusCode)
						}
					}
				}()
			}
		}
		wg.Wait()
		if n := accepted.Load(); n > credits || n+refused.Load() != 360 {
			t.Fatalf("%d uses accepted of %d credits (%d refused)", n, credits, refused.Load())
		}
		for _, s := range instances {
			if err := s.App.SyncPolicy(t.Context(), true); err != nil {
				t.Fatal(err)
			}
		}
		left := remainingCredits(t, a, id)
		if int(left)+int(accepted.Load()) != credits {
			t.Fatalf("%d accepted + %v left ≠ %d credits", accepted.Load(), left, credits)
		}
		// What was returned is spent by whoever asks next.
		a.Clock.Advance(2 * time.Second)
		more := 0
		for range credits {
			if forwardAuth(t, instances[1], sec, nil, nil).StatusCode == http.StatusOK {
				more++
			}
		}
		if more != int(left) {
			t.Fatalf("after the leases came back, %d more uses of %v left", more, left)
		}
	})
}

// Credits refill on schedule: RESET at 00:00 UTC sets the balance, ADD adds
// to it; both are applied by the next lease and shown by the admin API.
func TestCreditsRefill(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		now := s.Clock.Now()
		midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
		sec, id := policyToken(t, s, "daily", map[string]any{"credits": map[string]any{"remaining": 2, "refillAmount": 3, "refillInterval": "DAILY"}})
		for i := range 2 {
			if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 200 {
				t.Fatalf("use %d: %d", i+1, res.StatusCode)
			}
		}
		res := forwardAuth(t, s, sec, nil, nil)
		wait := int(midnight.Sub(now).Seconds())
		if res.StatusCode != 429 || res.Header.Get("X-Latchkey-Reason") != "USAGE_EXCEEDED" || res.Header.Get("Retry-After") != itoa(wait) {
			t.Fatalf("3rd use: %d %v (want Retry-After %d)", res.StatusCode, res.Header, wait)
		}
		r := graphQLWith(t, s, sec, `{ viewer { apiToken { id } } }`, nil)
		if r.Status != 429 || r.Code() != "USAGE_EXCEEDED" {
			t.Fatalf("/graphql without credits: %d %s", r.Status, r.Raw)
		}
		s.Clock.Advance(midnight.Sub(now) - time.Second)
		if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 429 {
			t.Fatalf("a second before the refill: %d", res.StatusCode)
		}
		s.Clock.Advance(time.Second)
		if got := remainingCredits(t, s, id); got != 3 {
			t.Fatalf("at midnight the admin API shows %v credits, want 3", got)
		}
		if res := forwardAuth(t, s, sec, url.Values{"credits": {"1"}}, nil); res.StatusCode != 200 || res.Header.Get("X-Latchkey-Credits-Remaining") != "2" {
			t.Fatalf("after the refill: %d %v", res.StatusCode, res.Header)
		}
		if err := s.App.SyncPolicy(t.Context(), true); err != nil {
			t.Fatal(err)
		}
		r = s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { credits { remaining lastRefillAt refillMode } } } }`, map[string]any{"id": id})
		if r.Get("node.credits.remaining") != float64(2) || r.Str("node.credits.lastRefillAt") != midnight.Format(time.RFC3339) || r.Str("node.credits.refillMode") != "RESET" {
			t.Fatalf("after one use of the refill: %s", r.Raw)
		}

		// ADD carries unused credits over, once per period missed.
		add, addID := policyToken(t, s, "monthly", map[string]any{"credits": map[string]any{"remaining": 1, "refillAmount": 2, "refillInterval": "MONTHLY", "refillMode": "ADD"}})
		n := s.Clock.Now()
		s.Clock.Advance(time.Date(n.Year(), n.Month()+2, 1, 0, 0, 0, 0, time.UTC).Sub(n))
		if got := remainingCredits(t, s, addID); got != 5 {
			t.Fatalf("two monthly refills of 2 added to 1: %v", got)
		}
		used := 0
		for range 8 {
			if forwardAuth(t, s, add, nil, nil).StatusCode == 200 {
				used++
			}
		}
		if used != 5 {
			t.Fatalf("%d uses of 5 credits", used)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// Across instances a rate limit is overshot by at most what the other
// instances admitted in the last two sync intervals (README, Rate limits):
// here k requests per instance per interval, N instances, so at most
// (N−1)·2k over the limit. Once every instance has synced, none admits more.
func TestRateLimitAcrossInstances(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		a := testserver.New(t, dialect)
		instances := []*testserver.Server{a, a.Another(t), a.Another(t)}
		const limit, k = 30, 2
		sec, _ := policyToken(t, a, "shared", map[string]any{"rateLimits": []map[string]any{{"name": "hourly", "limit": limit, "periodSeconds": 3600}}})
		sync := func() {
			for _, s := range instances {
				if err := s.App.SyncPolicy(t.Context(), false); err != nil {
					t.Fatal(err)
				}
			}
		}
		accepted := 0
		for round := 0; round < 40; round++ {
			admitted := 0
			for _, s := range instances {
				for range k {
					if forwardAuth(t, s, sec, nil, nil).StatusCode == http.StatusOK {
						admitted++
					}
				}
			}
			accepted += admitted
			sync()
			if admitted == 0 {
				break
			}
		}
		bound := limit + (len(instances)-1)*2*k
		t.Logf("%d instances, limit %d, %d requests per instance per sync: %d admitted (bound %d)", len(instances), limit, k, accepted, bound)
		if accepted < limit || accepted > bound {
			t.Fatalf("%d admitted; want between %d and %d", accepted, limit, bound)
		}
		sync()
		for _, s := range instances {
			if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("RateLimit-Remaining") != "0" {
				t.Fatalf("after a full sync an instance answered %d %v", res.StatusCode, res.Header)
			}
		}
		// A new instance learns the counts on its first request.
		late := a.Another(t)
		if res := forwardAuth(t, late, sec, nil, nil); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a new instance admitted a request over the limit: %d", res.StatusCode)
		}
	})
}
