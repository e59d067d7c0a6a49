package httpserver_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const createWithPolicy = `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { id
	rateLimits { name limit periodSeconds } credits { remaining refillAmount refillInterval refillMode } allowedNetworks
	persona { id rateLimits { name limit periodSeconds } } } } }`

// limitedCaller is a token that may create and update tokens and personas,
// limited to 600 per minute, 100000 credits and loopback.
func limitedCaller(t *testing.T, s *testserver.Server, extra map[string]any) (string, string) {
	in := map[string]any{
		"permissions": cells("api-token:create", "api-token:read", "api-token:update", "persona:read", "persona:update", "persona:create"),
	}
	for k, v := range extra {
		in[k] = v
	}
	return policyToken(t, s, "limited caller", in)
}

func lim(name string, n, period int) map[string]any {
	return map[string]any{"name": name, "limit": n, "periodSeconds": period}
}

// A caller that is itself limited may not give a token a looser limit,
// more credits or a wider network than its own.
func TestPolicyCeiling(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		caller, callerID := limitedCaller(t, s, map[string]any{
			"rateLimits":      []any{lim("minute", 600, 60)},
			"credits":         map[string]any{"remaining": 100000},
			"allowedNetworks": []string{"127.0.0.0/8", "::1"},
		})
		ok := map[string]any{"rateLimits": []any{lim("s", 10, 1)}, "credits": map[string]any{"remaining": 1000}, "allowedNetworks": []string{"127.0.0.0/16"}}
		with := func(change map[string]any) map[string]any {
			in := map[string]any{"type": "CUSTOM", "permissions": cells("api-token:read")}
			for k, v := range ok {
				in[k] = v
			}
			for k, v := range change {
				if v == nil {
					delete(in, k)
				} else {
					in[k] = v
				}
			}
			return in
		}
		cases := []struct {
			name, field string
			in          map[string]any
		}{
			{"within", "", with(nil)},
			{"no limits", "rateLimits", with(map[string]any{"rateLimits": nil})},
			{"looser limit", "rateLimits", with(map[string]any{"rateLimits": []any{lim("s", 11, 1)}})},
			{"longer window", "rateLimits", with(map[string]any{"rateLimits": []any{lim("h", 100, 3600)}})},
			{"a strict one among others", "", with(map[string]any{"rateLimits": []any{lim("h", 100000, 3600), lim("m", 600, 60)}})},
			{"persona's limit counts", "", with(map[string]any{"rateLimits": nil, "persona": map[string]any{"name": "limited persona", "rateLimits": []any{lim("p", 5, 1)}}})},
			{"no credits", "credits", with(map[string]any{"credits": nil})},
			{"more credits", "credits", with(map[string]any{"credits": map[string]any{"remaining": 200000}})},
			{"a refill the caller lacks", "credits", with(map[string]any{"credits": map[string]any{"remaining": 1, "refillAmount": 1, "refillInterval": "DAILY"}})},
			{"anywhere", "allowedNetworks", with(map[string]any{"allowedNetworks": nil})},
			{"wider network", "allowedNetworks", with(map[string]any{"allowedNetworks": []string{"0.0.0.0/0"}})},
			{"another network", "allowedNetworks", with(map[string]any{"allowedNetworks": []string{"127.0.0.0/16", "10.0.0.0/8"}})},
			{"notBefore is free", "", with(map[string]any{"notBefore": s.Clock.Now().Add(-1e9 * 3600).Format("2006-01-02T15:04:05Z07:00")})},
		}
		var madeID, personaID string
		for i, c := range cases {
			c.in["name"] = "t" + itoa(i)
			r := s.Do(t, caller, createWithPolicy, map[string]any{"input": c.in})
			if c.field == "" {
				if len(r.Errors) > 0 {
					t.Errorf("%s: refused: %s", c.name, r.Raw)
				}
				if c.name == "within" {
					madeID = r.Str("createAPIToken.apiToken.id")
				}
				if c.name == "persona's limit counts" {
					personaID = r.Str("createAPIToken.apiToken.persona.id")
				}
				continue
			}
			if r.Code() != "FORBIDDEN" || r.Field() != c.field {
				t.Errorf("%s: want FORBIDDEN on %s, got %s", c.name, c.field, r.Raw)
			}
		}
		upd := `mutation($id: ID!, $input: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $input) { id } }`
		for _, c := range []struct {
			name, id string
			in       map[string]any
		}{
			{"lift its own limits", callerID, map[string]any{"rateLimits": []any{}}},
			{"remove a token's credits", madeID, map[string]any{"credits": nil}},
			{"widen a token's networks", madeID, map[string]any{"allowedNetworks": []string{}}},
		} {
			if r := s.Do(t, caller, upd, map[string]any{"id": c.id, "input": c.in}); r.Code() != "FORBIDDEN" {
				t.Errorf("%s: %s", c.name, r.Raw)
			}
		}
		if r := s.Do(t, caller, upd, map[string]any{"id": madeID, "input": map[string]any{"rateLimits": []any{lim("s", 5, 1)}, "credits": map[string]any{"remaining": 10}}}); len(r.Errors) > 0 {
			t.Errorf("tightening a token: %s", r.Raw)
		}
		// A token the admin made without limits is stronger than the caller.
		_, free := policyToken(t, s, "unlimited", nil)
		if r := s.Do(t, caller, upd, map[string]any{"id": free, "input": map[string]any{"rateLimits": []any{lim("s", 1, 1)}}}); r.Code() != "FORBIDDEN" {
			t.Errorf("acting on an unlimited token: %s", r.Raw)
		}
		// Lifting a persona's limits loosens its tokens.
		if r := s.Do(t, caller, `mutation($id: ID!) { updatePersona(id: $id, input: {rateLimits: []}) { id } }`, map[string]any{"id": personaID}); r.Code() != "FORBIDDEN" {
			t.Errorf("lifting a persona's limits: %s", r.Raw)
		}
	})
}

// Property: whatever a limited caller asks for, no token it manages to
// create is looser than it, by definitions written here independently of
// internal/policy: for every caller limit L per P, the token (with its
// persona) has a limit that admits at most L in every caller window,
// counted window by window; credits no more than the caller's; every
// network inside one of the caller's, by its first and last address.
func TestPolicyCeilingGenerated(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		rng := rand.New(rand.NewPCG(7, 42))
		rounds := 24
		if dialect == "mysql" {
			rounds = 10
		}
		periods := []int{1, 7, 30, 60, 120, 3600}
		pool := []string{"127.0.0.0/8", "127.1.0.0/16", "127.0.0.1/32", "10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "::1/128", "::/0", "2001:db8::/32"}
		randLimits := func(n, max int) []any {
			var out []any
			for i := range rng.IntN(n + 1) {
				out = append(out, lim("l"+itoa(i), 1+rng.IntN(max), periods[rng.IntN(len(periods))]))
			}
			return out
		}
		accepted, refused := 0, 0
		for round := range rounds {
			callerIn := map[string]any{}
			var callerLimits []any
			if rng.IntN(4) > 0 {
				callerLimits = []any{lim("c", 100+rng.IntN(900), []int{60, 120, 3600}[rng.IntN(3)])}
				callerIn["rateLimits"] = callerLimits
			}
			callerCredits := -1
			if rng.IntN(2) == 0 {
				callerCredits = 100 + rng.IntN(900)
				callerIn["credits"] = map[string]any{"remaining": callerCredits}
			}
			var callerNets []string
			if rng.IntN(2) == 0 {
				callerNets = []string{"127.0.0.0/8", "::1/128"}
				if rng.IntN(2) == 0 {
					callerNets = append(callerNets, "10.0.0.0/8")
				}
				callerIn["allowedNetworks"] = callerNets
			}
			callerIn["name"] = "caller " + itoa(round)
			caller, _ := limitedCaller(t, s, callerIn)
			for try := range 4 {
				in := map[string]any{"name": "made " + itoa(round) + "-" + itoa(try), "type": "CUSTOM", "permissions": cells("api-token:read")}
				// Half the attempts stay near the caller's own policy, so that
				// both outcomes are common.
				near := rng.IntN(2) == 0
				if l := randLimits(2, 1200); len(l) > 0 && !near {
					in["rateLimits"] = l
				}
				if near && len(callerLimits) > 0 {
					c := callerLimits[0].(map[string]any)
					L, P := c["limit"].(int), c["periodSeconds"].(int)
					p := []int{1, 60, P}[rng.IntN(3)]
					in["rateLimits"] = []any{lim("near", 1+rng.IntN(max(1, L*p/P*11/10)), p)}
				}
				switch {
				case near && callerCredits >= 0:
					in["credits"] = map[string]any{"remaining": rng.IntN(callerCredits + 50)}
				case rng.IntN(3) > 0:
					in["credits"] = map[string]any{"remaining": rng.IntN(1200)}
				}
				if rng.IntN(3) > 0 || (near && len(callerNets) > 0) {
					var nets []string
					for range 1 + rng.IntN(2) {
						nets = append(nets, pool[rng.IntN(len(pool))])
					}
					if near {
						nets = []string{[]string{"127.0.0.1/32", "127.1.0.0/16", "::1/128", "10.1.0.0/16"}[rng.IntN(4)]}
					}
					in["allowedNetworks"] = nets
				}
				if rng.IntN(3) == 0 {
					in["persona"] = map[string]any{"name": "persona " + itoa(round) + "-" + itoa(try), "rateLimits": randLimits(1, 1200)}
				}
				r := s.Do(t, caller, createWithPolicy, map[string]any{"input": in})
				if len(r.Errors) > 0 {
					if r.Code() != "FORBIDDEN" {
						t.Fatalf("refused with %s: %s", r.Code(), r.Raw)
					}
					refused++
					continue
				}
				accepted++
				tok := r.Get("createAPIToken.apiToken").(map[string]any)
				if why := exceeds(callerLimits, callerCredits, callerNets, tok); why != "" {
					t.Fatalf("caller %v / %d credits / %v created a token that %s: %s", callerLimits, callerCredits, callerNets, why, r.Raw)
				}
			}
		}
		t.Logf("%d tokens created, %d refused", accepted, refused)
		if accepted == 0 || refused == 0 {
			t.Fatalf("the generator should produce both: %d accepted, %d refused", accepted, refused)
		}
	})
}

// exceeds is the independent check of TestPolicyCeilingGenerated.
func exceeds(callerLimits []any, callerCredits int, callerNets []string, tok map[string]any) string {
	var tl [][2]int
	for _, src := range []any{tok["rateLimits"], tok["persona"].(map[string]any)["rateLimits"]} {
		for _, l := range src.([]any) {
			m := l.(map[string]any)
			tl = append(tl, [2]int{int(m["limit"].(float64)), int(m["periodSeconds"].(float64))})
		}
	}
	for _, cl := range callerLimits {
		c := cl.(map[string]any)
		L, P := c["limit"].(int), c["periodSeconds"].(int)
		held := false
		for _, l := range tl {
			if worstWindow(l[0], l[1], P) <= L {
				held = true
			}
		}
		if !held {
			return "admits more than the caller's limit in some window"
		}
	}
	if callerCredits >= 0 {
		cr, _ := tok["credits"].(map[string]any)
		if cr == nil || int(cr["remaining"].(float64)) > callerCredits {
			return "has more credits"
		}
	}
	if len(callerNets) > 0 {
		nets := tok["allowedNetworks"].([]any)
		if len(nets) == 0 {
			return "may be used anywhere"
		}
		for _, n := range nets {
			p := netip.MustParsePrefix(n.(string))
			inside := false
			for _, cn := range callerNets {
				c := netip.MustParsePrefix(cn)
				inside = inside || (c.Contains(p.Addr()) && c.Contains(lastAddr(p)))
			}
			if !inside {
				return "has a wider network"
			}
		}
	}
	return ""
}

// worstWindow is the most a limit of l per p admits in one window of P
// seconds (windows of both aligned to 0), window by window.
func worstWindow(l, p, P int) int {
	if p > P {
		return 1 << 30 // a longer window admits its whole limit within one caller window
	}
	worst := 0
	for k := 0; k < p*P; k += P { // the alignment repeats every lcm(p, P) ≤ p·P seconds
		touched := 0
		for w := k / p; w*p < k+P; w++ {
			touched++
		}
		worst = max(worst, touched*l)
	}
	return worst
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
