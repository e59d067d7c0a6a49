package httpserver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// Issue 9, item 6: verifications counted by outcome per token and persona,
// in buckets, flushed in batches, read back as series.

const countFields = `allowed forbidden rateLimited usageExceeded ipRefused notYetValid requests`

const seriesDoc = `query($id: ID!, $from: Time!, $to: Time!, $iv: UsageInterval!) { node(id: $id) {
	... on APIToken { usage(from: $from, to: $to, interval: $iv) { points { at counts { ` + countFields + ` } } total { ` + countFields + ` } } }
	... on Persona { usage(from: $from, to: $to, interval: $iv) { points { at counts { ` + countFields + ` } } total { ` + countFields + ` } } } } }`

// tally is a test's own count of what a token's verifications came to.
type tally struct{ allowed, forbidden int }

// point is one bucket of a series as the API answers it.
type point struct {
	at                 time.Time
	allowed, forbidden int
	others             int // rate-limited, usage-exceeded, IP-refused, not-yet-valid
}

func flush(t testing.TB, s *testserver.Server) {
	t.Helper()
	if err := s.App.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func series(t *testing.T, s *testserver.Server, id string, from, to time.Time, iv string) ([]point, point) {
	t.Helper()
	r := s.MustDo(t, s.Admin, seriesDoc, map[string]any{"id": id, "from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "iv": iv})
	read := func(m map[string]any) point {
		n := func(k string) int { return int(m[k].(float64)) }
		p := point{allowed: n("allowed"), forbidden: n("forbidden"), others: n("rateLimited") + n("usageExceeded") + n("ipRefused") + n("notYetValid")}
		if n("requests") != p.allowed+p.forbidden+p.others {
			t.Errorf("requests %d is not the sum of the outcomes in %v", n("requests"), m)
		}
		return p
	}
	var out []point
	for _, e := range r.Get("node.usage.points").([]any) {
		pm := e.(map[string]any)
		p := read(pm["counts"].(map[string]any))
		p.at, _ = time.Parse(time.RFC3339, pm["at"].(string))
		out = append(out, p)
	}
	return out, read(r.Get("node.usage.total").(map[string]any))
}

// expect builds the series a model of per-minute counts should read as.
func expect(model map[int64]tally, from, to time.Time, iv time.Duration) ([]point, point) {
	first := from.Truncate(iv)
	var out []point
	var total point
	for at := first; at.Before(to); at = at.Add(iv) {
		p := point{at: at.UTC()}
		for minute, c := range model {
			if m := time.Unix(minute, 0); !m.Before(at) && m.Before(at.Add(iv)) {
				p.allowed += c.allowed
				p.forbidden += c.forbidden
			}
		}
		total.allowed += p.allowed
		total.forbidden += p.forbidden
		out = append(out, p)
	}
	return out, total
}

func sameSeries(t *testing.T, what string, got []point, gotTotal point, want []point, wantTotal point) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d points, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if !got[i].at.Equal(want[i].at) || got[i].allowed != want[i].allowed || got[i].forbidden != want[i].forbidden || got[i].others != 0 {
			t.Errorf("%s: point %d is %+v, want %+v", what, i, got[i], want[i])
		}
	}
	if gotTotal.allowed != wantTotal.allowed || gotTotal.forbidden != wantTotal.forbidden || gotTotal.others != 0 {
		t.Errorf("%s: total %+v, want %+v", what, gotTotal, wantTotal)
	}
}

// usageTokens creates tokens that share one persona: the first may read
// tokens and personas, the others are READ_ONLY.
func usageTokens(t testing.TB, s *testserver.Server, n int) (secrets, ids []string, personaID string) {
	for i := range n {
		in := map[string]any{"name": fmt.Sprintf("usage %d", i), "type": "READ_ONLY"}
		if i == 0 {
			in["type"] = "CUSTOM"
			in["permissions"] = cells("api-token:read", "persona:read")
			in["persona"] = map[string]any{"name": "Usage persona"}
		} else {
			in["personaID"] = personaID
		}
		r := s.MustDo(t, s.Admin, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { id persona { id } } } }`, map[string]any{"input": in})
		secrets = append(secrets, r.Str("createAPIToken.secret"))
		ids = append(ids, r.Str("createAPIToken.apiToken.id"))
		personaID = r.Str("createAPIToken.apiToken.persona.id")
	}
	return secrets, ids, personaID
}

func minuteOf(s *testserver.Server) int64 { return s.Clock.Now().Truncate(time.Minute).Unix() }

// Counts after a flush match the requests sent on every path, by outcome,
// across minute and hour boundaries, per token and per persona.
func TestUsageSeries(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		// Half a minute before an hour starts.
		now := s.Clock.Now()
		s.Clock.Advance(now.Truncate(time.Hour).Add(time.Hour - 30*time.Second).Sub(now))
		secrets, ids, personaID := usageTokens(t, s, 2)
		a, b := secrets[0], secrets[1]
		models := []map[int64]tally{{}, {}}
		note := func(i int, allowed bool) {
			c := models[i][minuteOf(s)]
			if allowed {
				c.allowed++
			} else {
				c.forbidden++
			}
			models[i][minuteOf(s)] = c
		}
		start := s.Clock.Now()
		for range 3 {
			verifyWith(t, s, a, "api-token:read")
			note(0, true)
		}
		for range 2 {
			verifyWith(t, s, a, "api-token:delete")
			note(0, false)
		}
		verifyWith(t, s, b, "persona:read")
		note(1, true)
		s.MustDo(t, a, `{ viewer { apiToken { id } } }`, nil)
		note(0, true)
		// Refused by a directive, by the read guard, and an authorize that says no.
		s.Do(t, a, `{ roles { totalCount } }`, nil)
		note(0, false)
		s.Do(t, a, `{ viewer { apiToken { roles { id } } } }`, nil)
		note(0, false)
		s.MustDo(t, a, `{ authorize(contentType: "role", action: "read") }`, nil)
		note(0, false)
		s.MustDo(t, a, `{ authorize(contentType: "persona", action: "read") }`, nil)
		note(0, true)
		// introspectToken counts for the token asked about (and the asker's request).
		s.MustDo(t, s.Admin, `query($s: String!) { introspectToken(secret: $s) { active } }`, map[string]any{"s": b})
		note(1, true)
		// Invalid tokens count in the totals only.
		invalid := s.App.Usage.Total(usage.Invalid)
		verifyWith(t, s, "lk_NotARealTokenNotARealTokenNotARealToken12345", "api-token:read")
		s.Do(t, "lk_NotARealTokenNotARealTokenNotARealToken12345", `{ viewer { persona { id } } }`, nil)

		s.Clock.Advance(time.Minute) // into the next minute and hour
		for range 2 {
			verifyWith(t, s, a, "persona:read")
			note(0, true)
		}
		verifyWith(t, s, b, "api-token:create")
		note(1, false)
		flush(t, s)
		end := s.Clock.Now()

		for _, iv := range []struct {
			name string
			d    time.Duration
		}{{"MINUTE", time.Minute}, {"HOUR", time.Hour}, {"DAY", 24 * time.Hour}} {
			for i, id := range ids {
				got, gotTotal := series(t, s, id, start, end, iv.name)
				want, wantTotal := expect(models[i], start, end, iv.d)
				sameSeries(t, fmt.Sprintf("token %d by %s", i, iv.name), got, gotTotal, want, wantTotal)
			}
			both := map[int64]tally{}
			for _, m := range models {
				for k, c := range m {
					both[k] = tally{both[k].allowed + c.allowed, both[k].forbidden + c.forbidden}
				}
			}
			got, gotTotal := series(t, s, personaID, start, end, iv.name)
			want, wantTotal := expect(both, start, end, iv.d)
			sameSeries(t, "persona by "+iv.name, got, gotTotal, want, wantTotal)
		}
		if got := s.App.Usage.Total(usage.Invalid) - invalid; got != 2 {
			t.Errorf("invalid total grew by %d, want 2", got)
		}
		var rows int
		if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM usage_counts WHERE token_id = ''").Scan(&rows); err != nil || rows != 0 {
			t.Errorf("rows without a token: %d (%v)", rows, err)
		}
		// Prometheus has one counter per outcome and no token label.
		res, body := send(t, s, http.MethodGet, "/metrics", "", "", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatal(res.Status)
		}
		for _, o := range usage.Outcomes() {
			line := regexp.MustCompile(`(?m)^latchkey_verifications_total\{outcome="` + o.String() + `"\} (\d+)$`).FindStringSubmatch(body)
			if line == nil {
				t.Errorf("no counter for %s", o)
				continue
			}
			if n, _ := strconv.ParseInt(line[1], 10, 64); n != s.App.Usage.Total(o) {
				t.Errorf("%s: exported %d, counted %d", o, n, s.App.Usage.Total(o))
			}
		}
		if strings.Contains(body, ids[0]) || strings.Contains(body, "token_id") {
			t.Error("metrics carry token ids")
		}
	})
}

// A flush writes each token's bucket once, however many verifications it
// counted, and adds to the row on the next flush instead of writing another.
func TestUsageFlushWrites(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		secrets, ids, _ := usageTokens(t, s, 2)
		flush(t, s) // the admin's own requests
		rec := s.App.Usage
		round := func(n int) int64 {
			before := rec.Writes.Load()
			for i := range n {
				verifyWith(t, s, secrets[i%2], "api-token:read")
			}
			flush(t, s)
			return rec.Writes.Load() - before
		}
		// Two tokens, one minute, hour and day each: six rows.
		if w := round(40); w != 6 {
			t.Errorf("first flush wrote %d rows, want 6", w)
		}
		if w := round(0); w != 0 {
			t.Errorf("an idle flush wrote %d rows", w)
		}
		if w := round(20); w != 6 {
			t.Errorf("second flush wrote %d rows, want 6", w)
		}
		var rows, allowed, forbidden int
		err := s.Store.DB.QueryRow("SELECT COUNT(*), SUM(allowed), SUM(forbidden) FROM usage_counts WHERE token_id IN (?, ?)", ids[0], ids[1]).Scan(&rows, &allowed, &forbidden)
		if err != nil {
			t.Fatal(err)
		}
		// Token 0 may read tokens; token 1 (READ_ONLY) may too.
		if rows != 6 || allowed != 60*3 || forbidden != 0 {
			t.Errorf("%d rows, %d allowed, %d forbidden; want 6 rows and 180 allowed (60 in each of 3 intervals)", rows, allowed, forbidden)
		}
	})
}

// Instances sharing a database add to the same rows: their counts sum.
func TestUsageAcrossInstances(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		other := s.Another(t)
		secrets, ids, _ := usageTokens(t, s, 1)
		from := s.Clock.Now()
		for i := range 7 {
			verifyWith(t, s, secrets[0], "api-token:read")
			if i < 5 {
				verifyWith(t, other, secrets[0], "role:delete")
			}
		}
		flush(t, other)
		flush(t, s)
		verifyWith(t, other, secrets[0], "api-token:read")
		flush(t, other)
		_, total := series(t, s, ids[0], from, from.Add(time.Minute), "MINUTE")
		if total.allowed != 8 || total.forbidden != 5 {
			t.Errorf("two instances: total %+v, want 8 allowed and 5 forbidden", total)
		}
		if n := s.Count(t, "usage_counts WHERE token_id = '"+ids[0]+"'"); n != 3 {
			t.Errorf("%d rows for one token in one minute", n)
		}
	})
}

// Buckets go once older than their interval's retention; reading an
// expired range gives zeros.
func TestUsageRetention(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		secrets, ids, _ := usageTokens(t, s, 1)
		start := s.Clock.Now()
		for range 3 {
			verifyWith(t, s, secrets[0], "api-token:read")
			s.Clock.Advance(time.Hour)
		}
		flush(t, s)
		count := func(res string) int {
			var n int
			if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM usage_counts WHERE token_id = ? AND resolution = ?", ids[0], res).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if count("m") != 3 || count("h") != 3 || count("d") < 1 {
			t.Fatalf("rows before any sweep: m %d, h %d, d %d", count("m"), count("h"), count("d"))
		}
		sweep := func() {
			if _, err := s.App.Usage.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		sweep()
		if count("m") != 3 {
			t.Errorf("a sweep within retention deleted minutes")
		}
		// A day after the second minute, only the third is left.
		s.Clock.Advance(24*time.Hour - 2*time.Hour + time.Minute)
		sweep()
		if count("m") != 1 || count("h") != 3 {
			t.Errorf("after a day: m %d, h %d; want 1, 3", count("m"), count("h"))
		}
		s.Clock.Advance(30 * 24 * time.Hour)
		sweep()
		if count("m") != 0 || count("h") != 0 || count("d") < 1 {
			t.Errorf("after 31 days: m %d, h %d, d %d", count("m"), count("h"), count("d"))
		}
		got, total := series(t, s, ids[0], start.Truncate(time.Hour), start.Truncate(time.Hour).Add(3*time.Hour), "HOUR")
		if len(got) != 3 || total.allowed != 0 {
			t.Errorf("an expired range: %+v total %+v", got, total)
		}
		if _, total := series(t, s, ids[0], start.Truncate(24*time.Hour), start.Add(48*time.Hour), "DAY"); total.allowed != 3 {
			t.Errorf("days are kept a year: total %+v", total)
		}
		s.Clock.Advance(335 * 24 * time.Hour)
		sweep()
		if count("d") != 0 {
			t.Errorf("after a year: d %d", count("d"))
		}
	})
}

// A sweep deletes in bounded batches; the next sweep goes on.
func TestUsageSweepIsBounded(t *testing.T) {
	s := testserver.New(t, "sqlite")
	secrets, _, _ := usageTokens(t, s, 1)
	for range 30 {
		verifyWith(t, s, secrets[0], "api-token:read")
		s.Clock.Advance(time.Minute)
	}
	flush(t, s)
	s.Clock.Advance(48 * time.Hour)
	s.App.Usage.SweepBatch = 2
	n, err := s.App.Usage.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// At most 10 batches of 2 per interval; only minutes have expired (plus
	// the admin's own minutes).
	if n != 20 {
		t.Errorf("one sweep deleted %d rows, want 20", n)
	}
	for n != 0 {
		if n, err = s.App.Usage.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if left := s.Count(t, "usage_counts WHERE resolution = 'm'"); left != 0 {
		t.Errorf("%d minute rows left", left)
	}
}

// Usage is guarded by the read permission of what it is the usage of, not
// by the audit log's.
func TestUsageGuard(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		_, ids, personaID := usageTokens(t, s, 1)
		mk := func(name string, perms ...string) string {
			return s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": name, "type": "CUSTOM", "permissions": cells(perms...)}}).Str("createAPIToken.secret")
		}
		auditor, tokens, personas := mk("auditor", "audit-event:read"), mk("tokens", "api-token:read"), mk("personas", "persona:read")
		both := mk("both", "persona:read", "api-token:read")
		from, to := s.Clock.Now().Add(-time.Hour).Format(time.RFC3339), s.Clock.Now().Format(time.RFC3339)
		vars := func(id string) map[string]any {
			return map[string]any{"id": id, "from": from, "to": to, "iv": "MINUTE"}
		}
		top := `query($from: Time!, $to: Time!) { topAPITokens(from: $from, to: $to) { requests apiToken { id } } }`
		personaTokens := `query($id: ID!, $from: Time!, $to: Time!) { node(id: $id) { ... on Persona { tokens { edges { node { usage(from: $from, to: $to, interval: HOUR) { total { allowed } } } } } } } }`
		cases := []struct {
			name, secret, doc string
			vars              map[string]any
			code              string
		}{
			{"token usage, audit-event:read", auditor, seriesDoc, vars(ids[0]), "FORBIDDEN"},
			{"token usage, api-token:read", tokens, seriesDoc, vars(ids[0]), ""},
			{"token usage, persona:read", personas, seriesDoc, vars(ids[0]), "FORBIDDEN"},
			// A persona's usage adds up its tokens': it needs both.
			{"persona usage, persona:read", personas, seriesDoc, vars(personaID), "FORBIDDEN"},
			{"persona usage, persona:read and api-token:read", both, seriesDoc, vars(personaID), ""},
			{"persona usage, api-token:read", tokens, seriesDoc, vars(personaID), "FORBIDDEN"},
			{"top tokens, audit-event:read", auditor, top, map[string]any{"from": from, "to": to}, "FORBIDDEN"},
			{"top tokens, persona:read", personas, top, map[string]any{"from": from, "to": to}, "FORBIDDEN"},
			{"top tokens, api-token:read", tokens, top, map[string]any{"from": from, "to": to}, ""},
			{"persona's tokens' usage, persona:read", personas, personaTokens, map[string]any{"id": personaID, "from": from, "to": to}, "FORBIDDEN"},
			{"own usage under viewer", auditor, `query($from: Time!, $to: Time!) { viewer { apiToken { usage(from: $from, to: $to, interval: MINUTE) { total { allowed } } } } }`, map[string]any{"from": from, "to": to}, ""},
		}
		for _, c := range cases {
			if r := s.Do(t, c.secret, c.doc, c.vars); r.Code() != c.code {
				t.Errorf("%s: got %q, want %q: %.300s", c.name, r.Code(), c.code, r.Raw)
			}
		}
	})
}

// Ranges and rankings are bounded; bad ones are the caller's fault.
func TestUsageBounds(t *testing.T) {
	s := testserver.New(t, "sqlite")
	_, ids, _ := usageTokens(t, s, 1)
	now := s.Clock.Now()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	top := `query($from: Time!, $to: Time!, $n: Int) { topAPITokens(from: $from, to: $to, interval: MINUTE, first: $n) { requests } }`
	cases := []struct {
		name  string
		doc   string
		vars  map[string]any
		field string
	}{
		{"from equals to", seriesDoc, map[string]any{"id": ids[0], "from": at(0), "to": at(0), "iv": "MINUTE"}, "to"},
		{"to before from", seriesDoc, map[string]any{"id": ids[0], "from": at(time.Hour), "to": at(0), "iv": "HOUR"}, "to"},
		{"1441 minutes", seriesDoc, map[string]any{"id": ids[0], "from": now.Truncate(time.Minute).Format(time.RFC3339), "to": now.Truncate(time.Minute).Add(1441 * time.Minute).Format(time.RFC3339), "iv": "MINUTE"}, "to"},
		{"61 days of hours", seriesDoc, map[string]any{"id": ids[0], "from": at(-61 * 24 * time.Hour), "to": at(0), "iv": "HOUR"}, "to"},
		{"first 0", top, map[string]any{"from": at(-time.Hour), "to": at(0), "n": 0}, "first"},
		{"first 101", top, map[string]any{"from": at(-time.Hour), "to": at(0), "n": 101}, "first"},
		{"ranking over two days of minutes", top, map[string]any{"from": at(-48 * time.Hour), "to": at(0), "n": 5}, "to"},
	}
	for _, c := range cases {
		if r := s.Do(t, s.Admin, c.doc, c.vars); r.Code() != "BAD_USER_INPUT" || r.Field() != c.field {
			t.Errorf("%s: %s / %q: %.300s", c.name, r.Code(), r.Field(), r.Raw)
		}
	}
	// Exactly 1440 minutes is fine, and zero-filled.
	from := now.Truncate(time.Minute)
	got, _ := series(t, s, ids[0], from, from.Add(1440*time.Minute), "MINUTE")
	if len(got) != 1440 || !got[0].at.Equal(from) || !got[1439].at.Equal(from.Add(1439*time.Minute)) {
		t.Errorf("1440 minutes: %d points from %v", len(got), got[0].at)
	}
}

// topAPITokens ranks by requests, leaves deleted tokens out, and counts
// only buckets in range.
func TestTopAPITokens(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		secrets, ids, _ := usageTokens(t, s, 4)
		flush(t, s)
		// Outside the range: an hour earlier.
		from := s.Clock.Now().Truncate(time.Hour).Add(time.Hour)
		verifyWith(t, s, secrets[3], "api-token:read")
		s.Clock.Advance(from.Sub(s.Clock.Now()))
		for i, n := range []int{20, 35, 10, 5} {
			for j := range n {
				perm := "api-token:read"
				if j%5 == 0 {
					perm = "role:delete" // forbidden: still a request
				}
				verifyWith(t, s, secrets[i], perm)
			}
		}
		// Token 0 keeps its usage after being renamed; token 2 is deleted.
		s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": ids[2]})
		flush(t, s)
		s.Clock.Advance(time.Minute) // the admin's own requests from now on are out of range
		r := s.MustDo(t, s.Admin, `query($from: Time!, $to: Time!) { topAPITokens(from: $from, to: $to, interval: MINUTE, first: 100) {
			requests counts { allowed forbidden } apiToken { id } } }`, map[string]any{"from": from.Format(time.RFC3339), "to": from.Add(time.Minute).Format(time.RFC3339)})
		var got []string
		for _, e := range r.Get("topAPITokens").([]any) {
			m := e.(map[string]any)
			id := m["apiToken"].(map[string]any)["id"].(string)
			for i, tid := range ids {
				if tid == id {
					got = append(got, fmt.Sprintf("%d:%v:%v/%v", i, m["requests"], m["counts"].(map[string]any)["allowed"], m["counts"].(map[string]any)["forbidden"]))
				}
			}
		}
		if want := []string{"1:35:28/7", "0:20:16/4", "3:5:4/1"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ranking %v, want %v: %s", got, want, r.Raw)
		}
		r = s.MustDo(t, s.Admin, `query($from: Time!, $to: Time!) { topAPITokens(from: $from, to: $to, interval: HOUR, first: 1) { requests apiToken { id } } }`,
			map[string]any{"from": from.Format(time.RFC3339), "to": from.Add(time.Hour).Format(time.RFC3339)})
		if list := r.Get("topAPITokens").([]any); len(list) != 1 || list[0].(map[string]any)["apiToken"].(map[string]any)["id"] != ids[1] {
			t.Errorf("first: 1 by HOUR: %s", r.Raw)
		}
	})
}

// The property: whatever the sequence of requests, clock moves and flushes,
// every token's and the persona's series at every interval equal an
// in-memory model of what was sent.
func TestUsageModel(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		seqs, steps := knob(0, "LATCHKEY_USAGE_MODEL_SEQS", 2), knob(0, "LATCHKEY_USAGE_MODEL_STEPS", 120)
		for seq := range seqs {
			rng := rand.New(rand.NewPCG(9, uint64(seq)))
			s := testserver.New(t, dialect, testserver.Quiet())
			secrets, ids, personaID := usageTokens(t, s, 3)
			flush(t, s)
			start := s.Clock.Now()
			models := make([]map[int64]tally, len(secrets))
			for i := range models {
				models[i] = map[int64]tally{}
			}
			invalid := s.App.Usage.Total(usage.Invalid)
			var invalidSent int64
			for range steps {
				i := rng.IntN(len(secrets))
				c := models[i][minuteOf(s)]
				switch op := rng.IntN(10); {
				case op < 3:
					verifyWith(t, s, secrets[i], "api-token:read") // every token may
					c.allowed++
				case op < 5:
					verifyWith(t, s, secrets[i], "role:delete") // none may
					c.forbidden++
				case op < 6:
					s.Do(t, secrets[i], `{ viewer { apiToken { id } } }`, nil)
					c.allowed++
				case op < 7:
					s.Do(t, secrets[i], `{ auditEvents { totalCount } }`, nil)
					if i == 0 { // CUSTOM without audit-event:read; READ_ONLY may
						c.forbidden++
					} else {
						c.allowed++
					}
				case op < 8:
					verifyWith(t, s, "lk_"+strings.Repeat("0", 46), "api-token:read")
					invalidSent++
				case op < 9:
					s.Clock.Advance(time.Duration(rng.IntN(150)) * time.Second)
					continue
				default:
					flush(t, s)
					continue
				}
				models[i][minuteOf(s)] = c
			}
			flush(t, s)
			end := s.Clock.Now().Add(time.Second)
			both := map[int64]tally{}
			for _, m := range models {
				for k, c := range m {
					both[k] = tally{both[k].allowed + c.allowed, both[k].forbidden + c.forbidden}
				}
			}
			for _, iv := range []struct {
				name string
				d    time.Duration
			}{{"MINUTE", time.Minute}, {"HOUR", time.Hour}, {"DAY", 24 * time.Hour}} {
				for i, id := range ids {
					got, gotTotal := series(t, s, id, start, end, iv.name)
					want, wantTotal := expect(models[i], start, end, iv.d)
					sameSeries(t, fmt.Sprintf("seq %d token %d by %s", seq, i, iv.name), got, gotTotal, want, wantTotal)
				}
				got, gotTotal := series(t, s, personaID, start, end, iv.name)
				want, wantTotal := expect(both, start, end, iv.d)
				sameSeries(t, fmt.Sprintf("seq %d persona by %s", seq, iv.name), got, gotTotal, want, wantTotal)
			}
			if got := s.App.Usage.Total(usage.Invalid) - invalid; got != invalidSent {
				t.Errorf("seq %d: %d invalid counted, %d sent", seq, got, invalidSent)
			}
		}
	})
}
