package httpserver_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A stateful property test of self-rotation and reuse detection: random
// sequences of rotate, rotate-with-the-grace-secret, regenerate, present a
// secret (current, grace, rotated away, regenerated away) on a random path,
// revoke, restore and the passing of time, against a model of what each
// secret is. After every step the model and the server must agree on
// every token's status and on the number of reuse revocations. The
// invariants:
//   - a secret rotated away and past its grace period never authenticates;
//   - presenting it (while it is among its token's last 20) always revokes
//     the token, with exactly one api-token.reuse-revoke event when the
//     token was not revoked already;
//   - nothing else revokes a token (a regenerated-away secret, a forgotten
//     one, one rotated away before an admin's regenerate, a grace secret
//     within its grace period).

type rotToken struct {
	name, id   string
	current    string
	grace      string // the secret replaced last, while its grace period lasts
	graceUntil time.Time
	armed      []string // rotated away by self-rotation, remembered (oldest first)
	unarmed    []string // regenerated away, or forgotten from armed
	revoked    bool
	expiresAt  time.Time // zero: never
}

type rotModel struct {
	t     testing.TB
	s     *testserver.Server
	rng   *rand.Rand
	name  string
	toks  []*rotToken
	reuse int // api-token.reuse-revoke events expected
	step  int
	trace []string
}

const rotKeep = 20

func newRotModel(t testing.TB, s *testserver.Server, rng *rand.Rand, name string) *rotModel {
	m := &rotModel{t: t, s: s, rng: rng, name: name}
	for i := range 3 {
		tok := &rotToken{name: fmt.Sprintf("m-%d", i)}
		r := s.MustDo(t, s.Admin, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { id } } }`,
			map[string]any{"input": map[string]any{"name": tok.name, "type": "READ_ONLY", "allowSelfRotation": true}})
		tok.id, tok.current = r.Str("createAPIToken.apiToken.id"), r.Str("createAPIToken.secret")
		m.toks = append(m.toks, tok)
	}
	return m
}

func (m *rotModel) fail(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s, step %d: %s\ntrace:\n  %s", m.name, m.step, fmt.Sprintf(format, args...), strings.Join(m.trace, "\n  "))
}

func (m *rotModel) now() time.Time { return m.s.Clock.Now() }

// inGrace reports whether secret is tok's grace secret and still in it.
func (m *rotModel) inGrace(tok *rotToken, secret string) bool {
	return secret != "" && secret == tok.grace && tok.graceUntil.After(m.now())
}

func (m *rotModel) expired(tok *rotToken) bool {
	return !tok.expiresAt.IsZero() && !tok.expiresAt.After(m.now())
}

func (m *rotModel) authenticates(tok *rotToken, secret string) bool {
	return !tok.revoked && !m.expired(tok) && (secret == tok.current || m.inGrace(tok, secret))
}

// presented applies what presenting a secret that did not authenticate does.
func (m *rotModel) presented(tok *rotToken, secret string) {
	if slices.Contains(tok.armed, secret) && !m.inGrace(tok, secret) && !tok.revoked {
		tok.revoked = true
		m.reuse++
	}
}

// replace makes next tok's secret; the current one becomes the grace
// secret (or none) and is armed when rotated away by the token itself.
func (m *rotModel) replace(tok *rotToken, next string, grace int, armed bool) {
	old := tok.current
	tok.current, tok.grace, tok.graceUntil = next, "", time.Time{}
	if grace > 0 {
		tok.grace, tok.graceUntil = old, m.now().Add(time.Duration(grace)*time.Second)
	}
	if !armed {
		// An admin's regenerate disarms the whole history.
		tok.unarmed = append(append(tok.unarmed, tok.armed...), old)
		tok.armed = nil
		return
	}
	tok.armed = append(tok.armed, old)
	if len(tok.armed) > rotKeep {
		tok.unarmed = append(tok.unarmed, tok.armed[0])
		tok.armed = tok.armed[1:]
	}
}

func (m *rotModel) pick(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[m.rng.IntN(len(list))]
}

func (m *rotModel) runStep() {
	m.t.Helper()
	m.step++
	tok := m.toks[m.rng.IntN(len(m.toks))]
	graces := []int{0, 0, 30, 90, 300}
	switch k := m.rng.IntN(100); {
	case k < 20: // rotate with the current secret
		grace := graces[m.rng.IntN(len(graces))]
		m.trace = append(m.trace, fmt.Sprintf("%s rotates (grace %d)", tok.name, grace))
		r := m.s.Do(m.t, tok.current, rotate, map[string]any{"g": grace})
		if tok.revoked || m.expired(tok) {
			if r.Status != 401 {
				m.fail("a revoked or expired token rotated: %s", r.Raw)
			}
			return
		}
		if len(r.Errors) > 0 {
			m.fail("rotation refused: %s", r.Raw)
		}
		m.replace(tok, r.Str("rotateViewerToken.secret"), grace, true)
	case k < 25: // rotate with an old secret: never allowed
		secret := m.pick(append(append([]string{tok.grace}, tok.armed...), tok.unarmed...))
		if secret == "" {
			return
		}
		m.trace = append(m.trace, fmt.Sprintf("%s rotates with an old secret (in grace: %v)", tok.name, m.inGrace(tok, secret)))
		r := m.s.Do(m.t, secret, rotate, map[string]any{"g": 0})
		if m.authenticates(tok, secret) {
			if r.Code() != "FORBIDDEN" {
				m.fail("a grace secret rotated: %s", r.Raw)
			}
			return
		}
		if r.Status != 401 {
			m.fail("an old secret past its grace period: %s", r.Raw)
		}
		m.presented(tok, secret)
	case k < 33: // the admin regenerates
		grace := graces[m.rng.IntN(len(graces))]
		m.trace = append(m.trace, fmt.Sprintf("admin regenerates %s (grace %d)", tok.name, grace))
		r := m.s.MustDo(m.t, m.s.Admin, `mutation($id: ID!, $g: Int) { regenerateAPIToken(id: $id, gracePeriodSeconds: $g) { secret } }`, map[string]any{"id": tok.id, "g": grace})
		m.replace(tok, r.Str("regenerateAPIToken.secret"), grace, false)
	case k < 68: // a secret is presented
		// The grace secret most often: its boundaries are the subtle part.
		secret, which := tok.current, "current"
		switch j := m.rng.IntN(6); {
		case j <= 1 && tok.grace != "":
			secret, which = tok.grace, "grace"
		case j == 2 && len(tok.armed) > 0:
			secret, which = m.pick(tok.armed), "rotated away"
		case j == 3 && len(tok.unarmed) > 0:
			secret, which = m.pick(tok.unarmed), "regenerated away or forgotten"
		}
		paths := []string{"graphql", "verify", "introspect"}
		path := paths[m.rng.IntN(len(paths))]
		want := m.authenticates(tok, secret)
		m.trace = append(m.trace, fmt.Sprintf("%s secret of %s presented on %s (want ok=%v)", which, tok.name, path, want))
		if got := presentPaths[path](m.t.(*testing.T), m.s, secret); got != want {
			m.fail("%s secret of %s on %s: authenticated=%v, want %v", which, tok.name, path, got, want)
		}
		if !want {
			m.presented(tok, secret)
		}
	case k < 78: // the admin gives the token an expiry, or takes it away
		in := map[string]any{"lifespan": "UNLIMITED"}
		var exp time.Time
		if m.rng.IntN(3) > 0 {
			exp = m.now().Add([]time.Duration{20 * time.Second, 60 * time.Second, 200 * time.Second}[m.rng.IntN(3)])
			in = map[string]any{"expiresAt": exp.Format(time.RFC3339)}
		}
		m.trace = append(m.trace, fmt.Sprintf("admin sets the expiry of %s to %v", tok.name, exp))
		m.s.MustDo(m.t, m.s.Admin, `mutation($id: ID!, $input: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $input) { id } }`, map[string]any{"id": tok.id, "input": in})
		tok.expiresAt = exp
	case k < 81:
		m.trace = append(m.trace, "admin revokes "+tok.name)
		m.s.MustDo(m.t, m.s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": tok.id})
		tok.revoked = true
	case k < 88:
		m.trace = append(m.trace, "admin restores "+tok.name)
		m.s.MustDo(m.t, m.s.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": tok.id})
		tok.revoked = false
	default:
		d := []time.Duration{5 * time.Second, 25 * time.Second, 40 * time.Second, 100 * time.Second}[m.rng.IntN(4)]
		m.trace = append(m.trace, fmt.Sprintf("%v pass", d))
		m.s.Clock.Advance(d)
	}
	m.check()
}

// check compares every token's status and the reuse events with the model.
func (m *rotModel) check() {
	m.t.Helper()
	r := m.s.MustDo(m.t, m.s.Admin, `{ apiTokens(where: {nameHasPrefix: "m-"}) { edges { node { name status } } }
		auditEvents(where: {action: "api-token.reuse-revoke"}) { totalCount } }`, nil)
	status := map[string]string{}
	for _, e := range r.Get("apiTokens.edges").([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		status[n["name"].(string)] = n["status"].(string)
	}
	for _, tok := range m.toks {
		want := "ACTIVE"
		switch {
		case tok.revoked:
			want = "REVOKED"
		case m.expired(tok):
			want = "EXPIRED"
		}
		if status[tok.name] != want {
			m.fail("%s is %s, the model says %s", tok.name, status[tok.name], want)
		}
	}
	if got := int(r.Get("auditEvents.totalCount").(float64)); got != m.reuse {
		m.fail("%d reuse revocations audited, the model says %d", got, m.reuse)
	}
}

// finish presents every remembered rotated-away secret once the grace
// periods are over: none authenticates and each token with one is revoked.
func (m *rotModel) finish() {
	m.t.Helper()
	m.s.Clock.Advance(time.Hour)
	m.step++
	for _, tok := range m.toks {
		for _, secret := range tok.armed {
			m.trace = append(m.trace, "finally, a rotated-away secret of "+tok.name)
			if presentPaths["graphql"](m.t.(*testing.T), m.s, secret) {
				m.fail("a rotated-away secret of %s authenticates", tok.name)
			}
			m.presented(tok, secret)
			if !tok.revoked {
				m.fail("model: reuse did not revoke")
			}
		}
	}
	m.check()
}

func TestRotationReuseModel(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		seqs, steps := 8, 80
		if dialect == "mysql" {
			seqs, steps = 2, 50
		}
		for seed := 1; seed <= seqs; seed++ {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				s := testserver.New(t, dialect, testserver.Quiet())
				m := newRotModel(t, s, rand.New(rand.NewPCG(uint64(seed), 0x5e1f)), fmt.Sprintf("rotation model seed %d (%s)", seed, dialect))
				for range steps {
					m.runStep()
				}
				m.finish()
			})
		}
	})
}

// FuzzRotationReuseModel runs the model with the fuzzer's bytes as its
// randomness, on SQLite, a fresh server per input.
func FuzzRotationReuseModel(f *testing.F) {
	for _, seed := range []string{"", "\x00", "rotate", "\xff\xfe\x10\x00\x00\x00\x00\x00\x07", "reuse after grace"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := testserver.New(t, "sqlite", testserver.Quiet())
		m := newRotModel(t, s, rand.New(newByteSource(data)), fmt.Sprintf("fuzz input %q", data))
		for range 15 {
			m.runStep()
		}
		m.finish()
	})
}
