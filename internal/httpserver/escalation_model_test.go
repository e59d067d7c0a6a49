package httpserver_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// The escalation model: sequences of random mutations by random callers,
// checked after every step against the no-escalation rules of the spec.
//
//	go test ./internal/httpserver -run TestEscalationModel
//	go test ./internal/httpserver -run TestEscalationModel -model.seqs 20 -model.steps 80 -model.seed 100
//	go test ./internal/httpserver -run '^$' -fuzz FuzzEscalationModel
//
// LATCHKEY_MODEL_SEQS, LATCHKEY_MODEL_STEPS and LATCHKEY_MODEL_SEED do what the flags do.
var (
	modelSeqs  = flag.Int("model.seqs", 0, "escalation model: sequences per dialect (default 8 on SQLite, 3 on MySQL)")
	modelSteps = flag.Int("model.steps", 0, "escalation model: steps per sequence (default 40 on SQLite, 30 on MySQL)")
	modelSeed  = flag.Int("model.seed", 0, "escalation model: seed of the first sequence (default 1)")
)

func knob(v int, env string, def int) int {
	if v > 0 {
		return v
	}
	if n, err := strconv.Atoi(os.Getenv(env)); err == nil && n > 0 {
		return n
	}
	return def
}

func TestEscalationModel(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		seqs, steps := knob(*modelSeqs, "LATCHKEY_MODEL_SEQS", 8), knob(*modelSteps, "LATCHKEY_MODEL_STEPS", 40)
		if dialect == "mysql" {
			seqs, steps = knob(*modelSeqs, "LATCHKEY_MODEL_SEQS", 3), knob(*modelSteps, "LATCHKEY_MODEL_STEPS", 30)
		}
		first := knob(*modelSeed, "LATCHKEY_MODEL_SEED", 1)
		for seed := first; seed < first+seqs; seed++ {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				s := testserver.New(t, dialect, testserver.Quiet())
				m := newModel(t, s, rand.New(rand.NewPCG(uint64(seed), 0x1a7c4e7)),
					fmt.Sprintf("-model.seed %d (%s)", seed, dialect))
				m.run(steps)
				m.report()
			})
		}
	})
}

// FuzzEscalationModel runs the same generator with the fuzzer's bytes as
// its source of randomness, on SQLite, a fresh server per input.
func FuzzEscalationModel(f *testing.F) {
	for _, seed := range []string{"", "\x01", "latchkey", "\xff\x00\xff\x00\x10\x20\x30\x40", "read-only flags and detach"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := testserver.New(t, "sqlite", testserver.Quiet())
		m := newModel(t, s, rand.New(newByteSource(data)), fmt.Sprintf("fuzz input %q", data))
		m.run(12)
		m.report()
	})
}

// caller is a secret the model may present: a token's current secret, or
// the old one of a token regenerated with a grace period.
type caller struct {
	label   string
	secret  string
	tokenID string
	grace   bool
}

// op is one mutation field of a step's document.
type op struct {
	field  string // the mutation
	call   string // field(arguments) { selection }
	target string // the id it acts on, if any
	name   string // createAPIToken: the new token's name
	grace  bool   // regenerateAPIToken with a grace period
}

type violation struct {
	step       int
	rule, text string
}

type model struct {
	t    testing.TB
	s    *testserver.Server
	rng  *rand.Rand
	name string
	now  time.Time

	cur     *snapshot
	callers []*caller
	// ids in the order the model first saw them, which depends on the seed
	// only (ids themselves are random): choices index into these.
	tokens, personas, roles, cts []string
	uids                         []string            // every custom content type uid ever seen
	actionNames                  map[string][]string // uid: every action name it ever had
	// history: persona id → token id → what the token held while acting as it.
	history   map[string]map[string]power
	bootstrap string
	labels    map[string]string

	step       int
	trace      []string
	violations []violation
}

func newModel(t testing.TB, s *testserver.Server, rng *rand.Rand, name string) *model {
	t.Helper()
	m := &model{t: t, s: s, rng: rng, name: name, now: s.Clock.Now(), actionNames: map[string][]string{},
		history: map[string]map[string]power{}, labels: map[string]string{}}
	m.bootstrap = s.MustDo(t, s.Admin, `{ viewer { apiToken { id } } }`, nil).Str("viewer.apiToken.id")

	// The catalog: custom content types with a read-only read and other actions.
	for _, ct := range []struct {
		uid     string
		actions []action
	}{
		{"article", []action{{"read", true}, {"create", false}, {"update", false}, {"publish", false}}},
		{"comment", []action{{"read", true}, {"create", false}, {"delete", false}, {"moderate", false}}},
		{"invoice", []action{{"read", true}, {"pay", false}, {"refund", false}}},
	} {
		m.admin(`mutation { createContentType(input: ` + lit(obj{{"uid", ct.uid}, {"displayName", ct.uid}, {"actions", actionList(ct.actions)}}) + `) { id } }`)
	}
	m.absorb(takeSnapshot(t, s))
	for _, name := range []string{"Editors", "Moderators", "Clerks"} {
		m.admin(`mutation { createRole(input: ` + lit(obj{{"name", name}, {"permissions", cellList(m.someCells(m.cur.all, 0.3))}}) + `) { id } }`)
	}
	m.absorb(takeSnapshot(t, s))

	// The callers: every kind of token, some with an expiry, and two secrets
	// in their grace period (one of a FULL_ACCESS token).
	mint := func(name, typ string, extra obj, grace bool) {
		in := append(obj{{"name", name}, {"type", enum(typ)}}, extra...)
		r := m.admin(`mutation { createAPIToken(input: ` + lit(in) + `) { secret apiToken { id } } }`)
		c := &caller{label: name, secret: r.Str("createAPIToken.secret"), tokenID: r.Str("createAPIToken.apiToken.id")}
		m.callers = append(m.callers, c)
		if grace {
			r := m.admin(`mutation { regenerateAPIToken(id: ` + lit(c.tokenID) + `, gracePeriodSeconds: 86400) { secret } }`)
			c.grace, c.label = true, name+" (grace secret)"
			m.callers = append(m.callers, &caller{label: name + " (new secret)", secret: r.Str("regenerateAPIToken.secret"), tokenID: c.tokenID})
		}
	}
	custom := func(p float64) obj {
		var roles []string
		for _, id := range m.roles {
			if m.chance(0.25) {
				roles = append(roles, id)
			}
		}
		var cells []string
		for _, c := range m.cur.all {
			system := !slices.Contains([]string{"article", "comment", "invoice"}, strings.Split(c, ":")[0])
			if (system && m.chance(p)) || (!system && m.chance(p*0.7)) {
				cells = append(cells, c)
			}
		}
		out := obj{{"permissions", cellList(cells)}}
		if len(roles) > 0 {
			out = append(out, kv{"roleIDs", roles})
		}
		if m.chance(0.5) {
			out = append(out, kv{"lifespan", enum("DAYS_30")})
		}
		return out
	}
	mint("full", "FULL_ACCESS", nil, false)
	mint("read-only", "READ_ONLY", obj{{"lifespan", enum("DAYS_90")}}, false)
	for i := 1; i <= 4; i++ {
		mint(fmt.Sprintf("custom %d", i), "CUSTOM", custom(0.55), false)
	}
	mint("graceful", "CUSTOM", custom(0.75), true)
	mint("graceful full", "FULL_ACCESS", obj{{"lifespan", enum("DAYS_30")}}, true)
	m.absorb(takeSnapshot(t, s))
	return m
}

func (m *model) admin(doc string) *testserver.Response {
	m.t.Helper()
	return m.s.MustDo(m.t, m.s.Admin, doc, nil)
}

func (m *model) chance(p float64) bool { return m.rng.Float64() < p }

func (m *model) pick(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[m.rng.IntN(len(list))]
}

func (m *model) someCells(from []string, p float64) []string {
	var out []string
	for _, c := range from {
		if m.chance(p) {
			out = append(out, c)
		}
	}
	return out
}

// callerPower is what the caller's token holds now.
func (m *model) callerPower(c *caller) power {
	if t := m.cur.tokens[c.tokenID]; t != nil {
		return t.Power
	}
	return power{}
}

// cellsFor is a random grant, mostly within the caller (so that steps get
// through and change things) and sometimes beyond it (so that they try).
func (m *model) cellsFor(c *caller) []string {
	p := m.callerPower(c)
	held := sortedKeys(p.cells)
	if p.full {
		held = m.cur.all
	}
	set := map[string]bool{}
	for _, x := range m.someCells(held, 0.35) {
		set[x] = true
	}
	if m.chance(0.25) {
		set[m.pick(m.cur.all)] = true
	}
	return sortedKeys(set)
}

func (m *model) alive(ids []string, live func(string) bool) []string {
	var out []string
	for _, id := range ids {
		if live(id) {
			out = append(out, id)
		}
	}
	return out
}

// targetToken is the caller's own token with probability own, else any
// token ever seen (deleted ones included) but the observer's.
func (m *model) targetToken(c *caller, own float64) string {
	if m.chance(own) {
		return c.tokenID
	}
	return m.pick(withoutString(m.tokens, m.bootstrap))
}

// someRoles is no role, one, or (rarely) several, deleted ones included.
func (m *model) someRoles() []string {
	switch r := m.rng.IntN(10); {
	case r < 4:
		return nil
	case r < 9:
		return []string{m.pick(m.roles)}
	}
	return m.someCells(m.roles, 0.3)
}

// strongPersonas are personas that a token the caller does not cover has
// acted as: the ones the rules keep out of its reach.
func (m *model) strongPersonas(c *caller) []string {
	cp := m.callerPower(c)
	var out []string
	for _, id := range m.personas {
		if m.cur.personas[id] != nil && !m.personaHistory(id, c.tokenID).within(cp) {
			out = append(out, id)
		}
	}
	return out
}

// personaHistory is what the tokens but except have held while acting as
// persona, limited to cells that exist now: a deleted content type's cells
// keep nobody out.
func (m *model) personaHistory(persona, except string) power {
	h := power{cells: map[string]bool{}}
	for tok, p := range m.history[persona] {
		if tok != except {
			h = h.union(p)
		}
	}
	if h.full {
		return h
	}
	for c := range h.cells {
		if _, ok := slices.BinarySearch(m.cur.all, c); !ok {
			delete(h.cells, c)
		}
	}
	return h
}

func (m *model) personaName(tag string) string {
	if m.chance(0.35) {
		var names []string
		for _, id := range m.personas {
			if p := m.cur.personas[id]; p != nil {
				names = append(names, p.Name)
			}
		}
		if n := m.pick(names); n != "" {
			return swapCase(n)
		}
	}
	return fmt.Sprintf("Persona %d%s", m.step, tag)
}

func (m *model) personaInput(c *caller, tag string, in obj) obj {
	switch r := m.rng.IntN(10); {
	case r < 4:
		id := m.pick(m.strongPersonas(c))
		if id == "" || m.chance(0.4) {
			id = m.pick(m.personas)
		}
		return append(in, kv{"personaID", id})
	case r < 7:
		return append(in, kv{"persona", obj{{"name", m.personaName(tag)}}})
	}
	return in
}

func (m *model) expiryInput(in obj) obj {
	switch r := m.rng.IntN(20); {
	case r < 5:
		return append(in, kv{"lifespan", enum([]string{"DAYS_7", "DAYS_30", "DAYS_90", "UNLIMITED"}[m.rng.IntN(4)])})
	case r < 8:
		days := 1 + m.rng.IntN(400)
		at := m.now.Add(time.Duration(days) * 24 * time.Hour)
		m.labels[at.UTC().Format(time.RFC3339)] = fmt.Sprintf("now+%dd", days) // the trace reads the same on every run
		return append(in, kv{"expiresAt", at})
	}
	return in
}

func (m *model) tokenType() string {
	switch r := m.rng.IntN(10); {
	case r < 2:
		return "READ_ONLY"
	case r < 4:
		return "FULL_ACCESS"
	}
	return "CUSTOM"
}

func (m *model) customCTs(system float64) []string {
	return m.alive(m.cts, func(id string) bool {
		ct := m.cur.cts[id]
		return ct != nil && (!ct.System || m.chance(system))
	})
}

// mutateActions changes an action list the ways that matter: removals,
// read-only flips, new actions, and actions the type once had coming back.
func (m *model) mutateActions(uid string, actions []action, tag string) []action {
	var out []action
	for _, a := range actions {
		switch r := m.rng.IntN(10); {
		case r < 2:
			continue
		case r < 4:
			a.ReadOnly = !a.ReadOnly
		}
		out = append(out, a)
	}
	has := func(n string) bool {
		return slices.ContainsFunc(out, func(a action) bool { return a.Name == n })
	}
	if n := m.pick(m.actionNames[uid]); n != "" && !has(n) && m.chance(0.4) {
		out = append(out, action{n, m.chance(0.6)})
	}
	if m.chance(0.3) {
		out = append(out, action{fmt.Sprintf("x%d%s", m.step, tag), m.chance(0.5)})
	}
	if len(out) == 0 {
		out = append(out, action{"read", true})
	}
	return out
}

func (m *model) newActions(tag string) []action {
	out := []action{{"read", m.chance(0.8)}}
	for _, n := range []string{"create", "update", "publish", "archive", "x" + strconv.Itoa(m.step) + tag} {
		if m.chance(0.4) {
			out = append(out, action{n, m.chance(0.3)})
		}
	}
	return out
}

// opGens are the single mutations, with their weights.
var opGens = []struct {
	weight int
	gen    func(m *model, c *caller, tag string) op
}{
	{14, func(m *model, c *caller, tag string) op {
		name := fmt.Sprintf("tok %d%s", m.step, tag)
		typ := m.tokenType()
		in := obj{{"name", name}, {"type", enum(typ)}}
		if typ == "CUSTOM" || m.chance(0.05) {
			in = append(in, kv{"permissions", cellList(m.cellsFor(c))})
			if r := m.someRoles(); len(r) > 0 {
				in = append(in, kv{"roleIDs", r})
			}
		}
		in = m.expiryInput(m.personaInput(c, tag, in))
		return op{field: "createAPIToken", call: `createAPIToken(input: ` + lit(in) + `) { secret }`, name: name}
	}},
	{14, func(m *model, c *caller, tag string) op {
		id := m.targetToken(c, 0.3)
		in := obj{}
		typ := ""
		if t := m.cur.tokens[id]; t != nil {
			typ = t.Type
		}
		if m.chance(0.25) {
			typ = m.tokenType()
			in = append(in, kv{"type", enum(typ)})
		}
		// Roles and permissions of a token that is not CUSTOM are bad input:
		// mostly leave them out, so that the step does something.
		custom := typ == "CUSTOM" || m.chance(0.05)
		if custom && m.chance(0.35) {
			in = append(in, kv{"permissions", cellList(m.cellsFor(c))})
		}
		if custom && m.chance(0.25) {
			in = append(in, kv{"roleIDs", m.someRoles()})
		}
		if m.chance(0.3) {
			in = m.personaInput(c, tag, in)
		}
		if m.chance(0.35) {
			in = m.expiryInput(in)
		}
		if len(in) == 0 {
			in = obj{{"description", "step " + strconv.Itoa(m.step)}}
		}
		return op{field: "updateAPIToken", call: `updateAPIToken(id: ` + lit(id) + `, input: ` + lit(in) + `) { __typename }`, target: id}
	}},
	{6, func(m *model, c *caller, tag string) op {
		id := m.targetToken(c, 0.5)
		o := op{field: "regenerateAPIToken", target: id, grace: m.chance(0.5)}
		if o.grace {
			o.call = `regenerateAPIToken(id: ` + lit(id) + `, gracePeriodSeconds: 3600) { secret }`
		} else {
			o.call = `regenerateAPIToken(id: ` + lit(id) + `) { secret }`
		}
		return o
	}},
	{3, func(m *model, c *caller, tag string) op {
		id := m.targetToken(c, 0.1)
		return op{field: "revokeAPIToken", call: `revokeAPIToken(id: ` + lit(id) + `) { __typename }`, target: id}
	}},
	{4, func(m *model, c *caller, tag string) op {
		id := m.targetToken(c, 0.3)
		return op{field: "restoreAPIToken", call: `restoreAPIToken(id: ` + lit(id) + `) { __typename }`, target: id}
	}},
	{6, func(m *model, c *caller, tag string) op {
		id := m.targetToken(c, 0.2)
		return op{field: "deleteAPIToken", call: `deleteAPIToken(id: ` + lit(id) + `)`, target: id}
	}},
	{5, func(m *model, c *caller, tag string) op {
		name := fmt.Sprintf("role %d%s", m.step, tag)
		return op{field: "createRole", call: `createRole(input: ` + lit(obj{{"name", name}, {"permissions", cellList(m.cellsFor(c))}}) + `) { __typename }`}
	}},
	{6, func(m *model, c *caller, tag string) op {
		id := m.pick(m.roles)
		in := obj{{"permissions", cellList(m.cellsFor(c))}}
		if m.chance(0.3) {
			in = obj{{"name", fmt.Sprintf("renamed %d%s", m.step, tag)}}
		}
		return op{field: "updateRole", call: `updateRole(id: ` + lit(id) + `, input: ` + lit(in) + `) { __typename }`, target: id}
	}},
	{6, func(m *model, c *caller, tag string) op {
		id := m.pick(m.roles)
		return op{field: "deleteRole", call: `deleteRole(id: ` + lit(id) + `, detach: ` + lit(m.chance(0.6)) + `)`, target: id}
	}},
	{3, func(m *model, c *caller, tag string) op {
		return op{field: "createPersona", call: `createPersona(input: ` + lit(obj{{"name", m.personaName(tag)}}) + `) { __typename }`}
	}},
	{5, func(m *model, c *caller, tag string) op {
		id := m.pick(m.strongPersonas(c))
		if id == "" || m.chance(0.5) {
			id = m.pick(m.personas)
		}
		in := obj{{"name", m.personaName(tag)}}
		if m.chance(0.3) {
			in = obj{{"avatarURL", fmt.Sprintf("https://example.com/%d%s.png", m.step, tag)}}
		}
		return op{field: "updatePersona", call: `updatePersona(id: ` + lit(id) + `, input: ` + lit(in) + `) { __typename }`, target: id}
	}},
	{2, func(m *model, c *caller, tag string) op {
		id := m.pick(m.personas)
		return op{field: "deletePersona", call: `deletePersona(id: ` + lit(id) + `)`, target: id}
	}},
	{6, func(m *model, c *caller, tag string) op {
		uid := fmt.Sprintf("ct%d%s", m.step, tag)
		var gone []string
		for _, u := range m.uids {
			if !m.cur.hasUID(u) {
				gone = append(gone, u)
			}
		}
		if u := m.pick(gone); u != "" && m.chance(0.5) {
			uid = u
		}
		in := obj{{"uid", uid}, {"displayName", uid}, {"actions", actionList(m.newActions(tag))}}
		return op{field: "createContentType", call: `createContentType(input: ` + lit(in) + `) { __typename }`}
	}},
	{12, func(m *model, c *caller, tag string) op {
		id := m.pick(m.customCTs(0.05))
		var actions []action
		uid := ""
		if ct := m.cur.cts[id]; ct != nil {
			actions, uid = ct.Actions, ct.UID
		}
		in := obj{{"actions", actionList(m.mutateActions(uid, actions, tag))}}
		return op{field: "updateContentType", call: `updateContentType(id: ` + lit(id) + `, input: ` + lit(in) + `, detach: ` + lit(m.chance(0.5)) + `) { __typename }`, target: id}
	}},
	{6, func(m *model, c *caller, tag string) op {
		id := m.pick(m.customCTs(0.05))
		return op{field: "deleteContentType", call: `deleteContentType(id: ` + lit(id) + `, detach: ` + lit(m.chance(0.5)) + `)`, target: id}
	}},
}

func (m *model) randomOp(c *caller, tag string) op {
	total := 0
	for _, g := range opGens {
		total += g.weight
	}
	n := m.rng.IntN(total)
	for _, g := range opGens {
		if n < g.weight {
			return g.gen(m, c, tag)
		}
		n -= g.weight
	}
	panic("unreachable")
}

// flipPair removes an action and adds it back read-only in one document.
func (m *model) flipPair() []op {
	id := m.pick(m.customCTs(0))
	ct := m.cur.cts[id]
	if ct == nil {
		return nil
	}
	a := ct.Actions[m.rng.IntN(len(ct.Actions))]
	var without, back []action
	for _, x := range ct.Actions {
		if x.Name != a.Name {
			without = append(without, x)
			back = append(back, x)
		}
	}
	if len(without) == 0 {
		without = []action{{"placeholder", false}}
	}
	back = append(back, action{a.Name, true})
	return []op{
		{field: "updateContentType", target: id, call: `updateContentType(id: ` + lit(id) + `, input: ` + lit(obj{{"actions", actionList(without)}}) + `, detach: true) { __typename }`},
		{field: "updateContentType", target: id, call: `updateContentType(id: ` + lit(id) + `, input: ` + lit(obj{{"actions", actionList(back)}}) + `, detach: true) { __typename }`},
	}
}

// recreatePair deletes a content type with detach and re-creates it, its
// actions now read-only, in one document.
func (m *model) recreatePair() []op {
	id := m.pick(m.customCTs(0))
	ct := m.cur.cts[id]
	if ct == nil {
		return nil
	}
	var actions []action
	for _, a := range ct.Actions {
		actions = append(actions, action{a.Name, a.ReadOnly || m.chance(0.6)})
	}
	in := obj{{"uid", ct.UID}, {"displayName", ct.UID}, {"actions", actionList(actions)}}
	return []op{
		{field: "deleteContentType", target: id, call: `deleteContentType(id: ` + lit(id) + `, detach: true)`},
		{field: "createContentType", call: `createContentType(input: ` + lit(in) + `) { __typename }`},
	}
}

func (sn *snapshot) hasUID(uid string) bool {
	for _, ct := range sn.cts {
		if ct.UID == uid {
			return true
		}
	}
	return false
}

// kind is how a caller is drawn: its token's type, or GRACE.
func (m *model) kind(c *caller) string {
	t := m.cur.tokens[c.tokenID]
	switch {
	case t == nil:
		return ""
	case c.grace:
		return "GRACE"
	}
	return t.Type
}

func (m *model) pickCaller() *caller {
	weights := []struct {
		kind string
		w    int
	}{{"CUSTOM", 45}, {"GRACE", 20}, {"FULL_ACCESS", 25}, {"READ_ONLY", 10}}
	n := m.rng.IntN(100)
	for _, k := range weights {
		if n < k.w {
			var of []*caller
			for _, c := range m.callers {
				if m.kind(c) == k.kind {
					of = append(of, c)
				}
			}
			if len(of) > 0 {
				return of[m.rng.IntN(len(of))]
			}
			break
		}
		n -= k.w
	}
	var live []*caller
	for _, c := range m.callers {
		if m.kind(c) != "" {
			live = append(live, c)
		}
	}
	return live[m.rng.IntN(len(live))]
}

func (m *model) describe(c *caller, sn *snapshot) string {
	t := sn.tokens[c.tokenID]
	if t == nil {
		return fmt.Sprintf("%q (deleted)", c.label)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q [%s", c.label, t.Type)
	if c.grace {
		b.WriteString(", grace secret")
	}
	if t.Status != "ACTIVE" {
		b.WriteString(", " + t.Status)
	}
	if t.ExpiresAt != nil {
		fmt.Fprintf(&b, ", expires now+%s", t.ExpiresAt.Sub(m.now).Round(time.Hour))
	}
	b.WriteString("]")
	return b.String()
}

func (m *model) run(steps int) {
	for range steps {
		m.runStep()
	}
}

func (m *model) runStep() {
	t := m.t
	t.Helper()
	m.step++
	c := m.pickCaller()
	var ops []op
	switch r := m.rng.IntN(100); {
	case r < 6:
		ops = m.flipPair()
	case r < 10:
		ops = m.recreatePair()
	case r < 22:
		ops = []op{m.randomOp(c, "a"), m.randomOp(c, "b")}
	}
	if ops == nil {
		ops = []op{m.randomOp(c, "")}
	}
	var doc strings.Builder
	doc.WriteString("mutation {")
	var calls []string
	for i, o := range ops {
		fmt.Fprintf(&doc, " %c: %s", 'a'+i, o.call)
		calls = append(calls, fmt.Sprintf("%c: %s", 'a'+i, o.call))
	}
	doc.WriteString(" }")
	before := m.cur
	r := m.s.Do(t, c.secret, doc.String(), nil)
	ok := r.Status == 200 && len(r.Errors) == 0
	outcome := "ok"
	if !ok {
		msg := ""
		if len(r.Errors) > 0 {
			msg = r.Errors[0].Message
			if len(msg) > 90 {
				msg = msg[:90] + "…"
			}
		}
		outcome = fmt.Sprintf("HTTP %d %s %q", r.Status, r.Code(), msg)
	}
	m.trace = append(m.trace, fmt.Sprintf("#%d by %s: %s ⇒ %s", m.step, m.describe(c, before), strings.Join(calls, " "), outcome))
	after := takeSnapshot(t, m.s)
	m.check(c, before, after, ops, ok)
	if ok {
		m.gotSecrets(ops, r, after)
	}
	m.absorb(after)
}

func (m *model) violate(rule, format string, args ...any) {
	m.violations = append(m.violations, violation{m.step, rule, fmt.Sprintf(format, args...)})
}

// check asserts the rules on one step: before and after are the admin's
// view, c the caller, ok whether the document succeeded.
func (m *model) check(c *caller, before, after *snapshot, ops []op, ok bool) {
	ct := before.tokens[c.tokenID]
	if ct == nil {
		return // the caller's token is gone: it authenticates nothing
	}
	cp := ct.Power
	who := fmt.Sprintf("caller %s holding %v", m.describe(c, before), cp)
	label := func(id string) string {
		if l := m.labels[id]; l != "" {
			return l
		}
		if t := after.tokens[id]; t != nil {
			return fmt.Sprintf("token %q (new)", t.Name)
		}
		return id
	}

	// Rule 2: a grace secret is for use only.
	if c.grace && ok {
		for _, o := range ops {
			switch {
			case o.field == "createAPIToken":
				m.violate("rule 2 (grace secret)", "%s created token %q", who, o.name)
			case o.target == c.tokenID && slices.Contains([]string{"updateAPIToken", "regenerateAPIToken", "restoreAPIToken", "deleteAPIToken"}, o.field):
				m.violate("rule 2 (grace secret)", "%s succeeded in %s on its own token", who, o.field)
			}
		}
	}

	// Rule 4: persona names are unique case-insensitively.
	seen := map[string]string{}
	for _, id := range sortedKeys(after.personas) {
		p := after.personas[id]
		key := strings.ToLower(p.Name)
		if other, dup := seen[key]; dup {
			b1, b2 := before.personas[id], before.personas[other]
			if b1 == nil || b2 == nil || strings.ToLower(b1.Name) != strings.ToLower(b2.Name) {
				names := []string{after.personas[other].Name, p.Name}
				sort.Strings(names)
				m.violate("rule 4 (persona names)", "%s: personas %q and %q now share a name case-insensitively", who, names[0], names[1])
			}
		}
		seen[key] = id
	}

	if ct.Type == "FULL_ACCESS" {
		return
	}

	// Invariant 1: every token's permissions ⊆ its own before ∪ the caller's.
	for _, id := range sortedKeys(after.tokens) {
		a, b := after.tokens[id], before.tokens[id]
		bp := power{}
		if b != nil {
			bp = b.Power
		}
		if gained := a.Power.minus(bp.union(cp)); len(gained) > 0 {
			m.violate("invariant 1 (gain)", "%s: %s gained %v (it held %v)", who, label(id), gained, bp)
		}
		if b != nil && b.Status == "REVOKED" && a.Status == "ACTIVE" && !b.Power.within(cp) {
			m.violate("invariant 1 (gain)", "%s: restored %s, which holds %v beyond the caller", who, label(id), b.Power.minus(cp))
		}
	}
	// Invariant 2: a token stronger than the caller loses nothing (revoke
	// changes no permissions, so it passes).
	for _, id := range sortedKeys(before.tokens) {
		b := before.tokens[id]
		if b.Power.within(cp) {
			continue
		}
		a := after.tokens[id]
		if a == nil {
			m.violate("invariant 2 (loss)", "%s: deleted %s, which held %v", who, label(id), b.Power)
			continue
		}
		if lost := b.Power.minus(a.Power); len(lost) > 0 {
			m.violate("invariant 2 (loss)", "%s: %s (stronger: it held %v) lost %v", who, label(id), b.Power, lost)
		}
	}

	// Rule 1: making an action read-only is creating a READ_ONLY token with it.
	var madeRO []string
	for _, cell := range sortedKeys(after.readOnly) {
		if !before.readOnly[cell] {
			madeRO = append(madeRO, cell)
		}
	}
	if len(madeRO) > 0 {
		if missing := (power{cells: after.readOnly}).minus(cp); len(missing) > 0 {
			m.violate("rule 1 (read-only flags)", "%s made %v read-only, but could not create a READ_ONLY token: it lacks %v", who, madeRO, missing)
		}
	}

	// Rule 4: personas that stronger tokens have acted as stay out of reach.
	for _, id := range sortedKeys(after.tokens) {
		a, b := after.tokens[id], before.tokens[id]
		if b != nil && b.Persona == a.Persona {
			continue
		}
		if h := m.personaHistory(a.Persona, c.tokenID); !h.within(cp) {
			m.violate("rule 4 (persona reach)", "%s: %s now acts as %s, which tokens holding %v have acted as", who, label(id), label(a.Persona), h.minus(cp))
		}
	}
	for _, id := range sortedKeys(before.personas) {
		b, a := before.personas[id], after.personas[id]
		if a == nil || (a.Name == b.Name && a.Avatar == b.Avatar) {
			continue
		}
		if h := m.personaHistory(id, c.tokenID); !h.within(cp) {
			m.violate("rule 4 (persona reach)", "%s changed %s (now %q), which tokens holding %v have acted as", who, label(id), a.Name, h.minus(cp))
		}
	}

	// Rule 5: a role the caller may not edit, it may not delete either.
	for _, id := range sortedKeys(before.roles) {
		b, a := before.roles[id], after.roles[id]
		if b.Cells.within(cp) {
			continue
		}
		edited := slices.ContainsFunc(ops, func(o op) bool { return o.field == "updateRole" && o.target == id })
		switch {
		case a == nil:
			m.violate("rule 5 (roles)", "%s deleted %s, which holds %v beyond the caller", who, label(id), b.Cells.minus(cp))
		case edited && (!a.Cells.within(b.Cells) || !b.Cells.within(a.Cells) || a.Name != b.Name):
			m.violate("rule 5 (roles)", "%s edited %s, which holds %v beyond the caller", who, label(id), b.Cells.minus(cp))
		}
	}

	// Rule 6: no expiry later than the caller's own.
	if ct.ExpiresAt != nil {
		for _, id := range sortedKeys(after.tokens) {
			a, b := after.tokens[id], before.tokens[id]
			if b != nil && ((b.ExpiresAt == nil && a.ExpiresAt == nil) || (b.ExpiresAt != nil && a.ExpiresAt != nil && b.ExpiresAt.Equal(*a.ExpiresAt))) {
				continue
			}
			switch {
			case a.ExpiresAt == nil:
				m.violate("rule 6 (expiry)", "%s: %s now never expires", who, label(id))
			case a.ExpiresAt.After(*ct.ExpiresAt):
				m.violate("rule 6 (expiry)", "%s: %s now expires at now+%s, after the caller", who, label(id), a.ExpiresAt.Sub(m.now).Round(time.Hour))
			}
		}
	}
}

// gotSecrets adds the secrets a successful step handed out to the callers.
func (m *model) gotSecrets(ops []op, r *testserver.Response, after *snapshot) {
	for i, o := range ops {
		alias := string(rune('a' + i))
		switch o.field {
		case "createAPIToken":
			for _, id := range sortedKeys(after.tokens) {
				if after.tokens[id].Name == o.name {
					m.callers = append(m.callers, &caller{label: o.name, secret: r.Str(alias + ".secret"), tokenID: id})
				}
			}
		case "regenerateAPIToken":
			var keep []*caller
			name := o.target
			if t := m.cur.tokens[o.target]; t != nil {
				name = t.Name
			}
			for _, c := range m.callers {
				switch {
				case c.tokenID != o.target:
				case o.grace && !c.grace:
					c.grace, c.label = true, c.label+" (grace)"
				default:
					continue // its secret stopped working
				}
				keep = append(keep, c)
			}
			m.callers = append(keep, &caller{label: fmt.Sprintf("%s, regenerated #%d", name, m.step), secret: r.Str(alias + ".secret"), tokenID: o.target})
		}
	}
}

// absorb makes after the current state: new records join the lists in the
// order of their names, and the personas' histories grow.
func (m *model) absorb(after *snapshot) {
	m.cur = after
	add := func(list *[]string, ids []string, name func(string) string, kind string) {
		known := map[string]bool{}
		for _, id := range *list {
			known[id] = true
		}
		var fresh []string
		for _, id := range ids {
			if !known[id] {
				fresh = append(fresh, id)
			}
		}
		sort.Slice(fresh, func(i, j int) bool { return name(fresh[i]) < name(fresh[j]) })
		for _, id := range fresh {
			m.labels[id] = fmt.Sprintf("%s %q", kind, name(id))
		}
		*list = append(*list, fresh...)
	}
	add(&m.tokens, sortedKeys(after.tokens), func(id string) string { return after.tokens[id].Name }, "token")
	add(&m.personas, sortedKeys(after.personas), func(id string) string { return after.personas[id].Name }, "persona")
	add(&m.roles, sortedKeys(after.roles), func(id string) string { return after.roles[id].Name }, "role")
	add(&m.cts, sortedKeys(after.cts), func(id string) string { return after.cts[id].UID }, "content type")
	for _, id := range m.cts { // in the model's order, not the random ids'
		ct := after.cts[id]
		if ct == nil || ct.System {
			continue
		}
		if !slices.Contains(m.uids, ct.UID) {
			m.uids = append(m.uids, ct.UID)
		}
		for _, a := range ct.Actions {
			if !slices.Contains(m.actionNames[ct.UID], a.Name) {
				m.actionNames[ct.UID] = append(m.actionNames[ct.UID], a.Name)
			}
		}
	}
	for _, id := range sortedKeys(after.tokens) {
		t := after.tokens[id]
		if m.history[t.Persona] == nil {
			m.history[t.Persona] = map[string]power{}
		}
		m.history[t.Persona][id] = m.history[t.Persona][id].union(t.Power)
	}
	var live []*caller
	for _, c := range m.callers {
		if after.tokens[c.tokenID] != nil {
			live = append(live, c)
		}
	}
	m.callers = live
}

// report fails the test with every violation and the steps that led there,
// ids replaced by the names of what they named.
func (m *model) report() {
	m.t.Helper()
	if len(m.violations) == 0 {
		return
	}
	var pairs []string
	for _, id := range sortedKeys(m.labels) {
		pairs = append(pairs, strconv.Quote(id), m.labels[id], `\"`+id+`\"`, m.labels[id])
	}
	names := strings.NewReplacer(pairs...)
	// Ids are random: order what one step found by what it says.
	for i := range m.violations {
		m.violations[i].text = names.Replace(m.violations[i].text)
	}
	sort.SliceStable(m.violations, func(i, j int) bool {
		a, b := m.violations[i], m.violations[j]
		if a.step != b.step {
			return a.step < b.step
		}
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		return a.text < b.text
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d violation(s)\n", m.name, len(m.violations))
	counts := map[string]int{}
	for _, v := range m.violations {
		counts[v.rule]++
	}
	for _, rule := range sortedKeys(counts) {
		fmt.Fprintf(&b, "  %-26s %d\n", rule, counts[rule])
	}
	for i, v := range m.violations {
		if i == 40 {
			fmt.Fprintf(&b, "  … and %d more\n", len(m.violations)-40)
			break
		}
		fmt.Fprintf(&b, "  step %d [%s] %s\n", v.step, v.rule, names.Replace(v.text))
	}
	last := m.violations[len(m.violations)-1].step
	b.WriteString("steps:\n")
	for _, line := range m.trace[:last] {
		b.WriteString("  " + names.Replace(line) + "\n")
	}
	m.t.Error(b.String())
}
