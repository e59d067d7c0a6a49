package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/limits"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/request"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// writes counts the statements that wrote table.
func (s *statements) writes(table string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.list {
		if strings.Contains(l, table) && (strings.Contains(l, "query=INSERT") || strings.Contains(l, "query=UPDATE")) {
			n++
		}
	}
	return n
}

// Deciding rate limits, credits and networks writes nothing on the request
// path but a credit lease now and then (a block per lease, growing with
// use); syncing and flushing costs at most one write per token (and per
// persona) per interval: counts of the used ones, leases of the idle ones.
func TestPolicyWritesPerInterval(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialectName string) {
		s := testserver.New(t, dialectName)
		p := s.MustDo(t, s.Admin, `mutation { createPersona(input: {name: "team", rateLimits: [{name: "team", limit: 100000, periodSeconds: 3600}]}) { id } }`, nil).Str("createPersona.id")
		var secrets []string
		for _, name := range []string{"a", "b", "c"} {
			r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{
				"name": name, "type": "READ_ONLY", "personaID": p,
				"rateLimits":      []map[string]any{{"name": "minute", "limit": 500, "periodSeconds": 60}, {"name": "hour", "limit": 5000, "periodSeconds": 3600}},
				"credits":         map[string]any{"remaining": 10000},
				"allowedNetworks": []string{"10.0.0.0/8", "2001:db8::/32"},
			}})
			secrets = append(secrets, r.Str("createAPIToken.secret"))
		}
		st := &statements{}
		client := countingClient(s, st)
		pol := &auth.Policy{
			Limits:  limits.New(client, "instance-a", zerolog.Nop()),
			Credits: credits.New(client, dialectName == "mysql", "instance-a", nil, time.Second),
			Now:     s.Clock.Now,
		}
		v := auth.NewVerifier(client, hasherOf(s), 100, time.Minute, nil, s.Clock.Now)
		ctx := request.With(context.Background(), request.Info{ClientIP: "10.0.0.1"})
		spend := func(rounds int) {
			for range rounds {
				for _, sec := range secrets {
					pr, err := v.Verify(ctx, sec)
					if err != nil {
						t.Fatal(err)
					}
					d, err := pol.Decide(ctx, pr, auth.Request{ClientIP: "10.0.0.1", Cost: 1})
					if err != nil || d.Code != policy.Valid {
						t.Fatalf("%v %v", d.Code, err)
					}
				}
			}
		}
		spend(100)
		if n := st.writes("limit_counts"); n != 0 {
			t.Fatalf("deciding wrote rate-limit counts %d times", n)
		}
		leases := st.writes("api_tokens")
		if int64(leases) != pol.Credits.Leases.Load() || leases > 3*3 {
			t.Fatalf("300 uses of 3 tokens took %d lease writes (%d leases); want at most 3 per token", leases, pol.Credits.Leases.Load())
		}
		interval := func() (counts, returns int) {
			c0, r0 := st.writes("limit_counts"), st.writes("api_tokens")
			if err := pol.Limits.Sync(ctx, s.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			if err := pol.Credits.Flush(ctx, false); err != nil {
				t.Fatal(err)
			}
			return st.writes("limit_counts") - c0, st.writes("api_tokens") - r0
		}
		// Used this interval: one count row per token and one for the persona.
		if counts, returns := interval(); counts != 4 || returns != 0 {
			t.Fatalf("after use: %d count writes, %d returns; want 4 (3 tokens + 1 persona) and 0", counts, returns)
		}
		// Idle for an interval: each token's lease goes back, one UPDATE each.
		if counts, returns := interval(); counts != 0 || returns != 3 {
			t.Fatalf("idle: %d count writes, %d returns; want 0 and 3", counts, returns)
		}
		if counts, returns := interval(); counts != 0 || returns != 0 {
			t.Fatalf("idle again: %d count writes, %d returns", counts, returns)
		}
	})
}
