package httpserver_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// maxDepth bounds the read paths walked: fields from the root, not counting
// a connection's edges and node.
const maxDepth = 3

// readPath is one way from a root field to a guarded type.
type readPath struct {
	steps  []pathStep
	target string // the guarded type reached
}

type pathStep struct {
	field *ast.FieldDefinition
	on    string // inline fragment on a concrete type (under an interface)
	plumb bool   // a connection's edges → node, walked without counting
}

func (p readPath) String() string {
	var b strings.Builder
	for i, s := range p.steps {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.field.Name)
		if s.on != "" {
			b.WriteString("[" + s.on + "]")
		}
	}
	return b.String()
}

// readPaths lists every path of at most maxDepth fields from a Query field
// or a Mutation payload to a guarded record or connection.
func readPaths(schema *ast.Schema, guarded map[string]string) []readPath {
	var out []readPath
	var walk func(typ string, steps []pathStep, depth int)
	walk = func(typ string, steps []pathStep, depth int) {
		def := schema.Types[typ]
		if _, ok := guarded[typ]; ok && len(steps) > 0 {
			out = append(out, readPath{steps: slices.Clone(steps), target: typ})
		}
		if rec, ok := strings.CutSuffix(typ, "Connection"); ok && guarded[typ] != "" {
			edges := def.Fields.ForName("edges")
			node := schema.Types[edges.Type.Name()].Fields.ForName("node")
			walk(rec, append(steps, pathStep{field: edges, plumb: true}, pathStep{field: node, plumb: true}), depth)
			return
		}
		if depth == maxDepth {
			return
		}
		for _, f := range def.Fields {
			ft := schema.Types[f.Type.Name()]
			if strings.HasPrefix(f.Name, "__") || ft == nil {
				continue
			}
			switch ft.Kind {
			case ast.Object:
				walk(ft.Name, append(steps, pathStep{field: f}), depth+1)
			case ast.Interface, ast.Union:
				for _, impl := range schema.GetPossibleTypes(ft) {
					walk(impl.Name, append(steps, pathStep{field: f, on: impl.Name}), depth+1)
				}
			}
		}
	}
	walk(schema.Query.Name, nil, 0)
	for _, f := range schema.Mutation.Fields {
		if ft := schema.Types[f.Type.Name()]; ft.Kind == ast.Object {
			walk(ft.Name, []pathStep{{field: f}}, 1)
		}
	}
	return out
}

// leaves selects every field of a type that leads to no guarded type: the
// values a caller must not see.
func leaves(schema *ast.Schema, guarded map[string]string, typ string) string {
	if _, ok := strings.CutSuffix(typ, "Connection"); ok {
		return "totalCount pageInfo { hasNextPage endCursor } edges { cursor }"
	}
	var sel []string
	for _, f := range schema.Types[typ].Fields {
		ft := schema.Types[f.Type.Name()]
		if strings.HasPrefix(f.Name, "__") || guarded[ft.Name] != "" || slices.ContainsFunc(f.Arguments, func(a *ast.ArgumentDefinition) bool { return a.Type.NonNull }) {
			continue
		}
		switch ft.Kind {
		case ast.Scalar, ast.Enum:
			sel = append(sel, f.Name)
		case ast.Object:
			sel = append(sel, f.Name+" { "+leaves(schema, guarded, ft.Name)+" }")
		}
	}
	return strings.Join(sel, " ")
}

// readFixtures are records every path can reach, and the values of the
// required arguments of root fields and mutations.
type readFixtures struct {
	s                                  *testserver.Server
	token, persona, role, ctype, event string
	endpoint, delivery                 string
	introspected                       string
	all                                string // CUSTOM with every system permission
	without                            map[string]string
	n                                  int
	// mint makes another token like all ("") or without[ct], that may
	// rotate itself: rotateViewerToken changes its caller's secret.
	mint func(ct string) string
}

func newReadFixtures(t *testing.T, s *testserver.Server) *readFixtures {
	f := &readFixtures{s: s, without: map[string]string{}}
	var every []string
	for _, ct := range admin.SystemContentTypes() {
		for _, a := range ct.Actions {
			every = append(every, ct.UID+":"+a.Name)
		}
	}
	// An endpoint for every event, before anything happens: the fixtures'
	// events have deliveries (to a port nobody listens on).
	f.endpoint = s.MustDo(t, s.Admin, `mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/", events: ["*"]}) { endpoint { id } } }`, nil).Str("createWebhookEndpoint.endpoint.id")
	f.role = s.MustDo(t, s.Admin, `mutation { createRole(input: {name: "Revokers", permissions: [{contentType: "api-token", action: "revoke"}]}) { id } }`, nil).Str("createRole.id")
	f.persona = s.MustDo(t, s.Admin, `mutation { createPersona(input: {name: "Victim persona"}) { id } }`, nil).Str("createPersona.id")
	// The victim is made by a token with a role, made by Bootstrap: every
	// edge of a token (createdBy.createdBy, createdBy.roles) leads somewhere.
	// Their names sort first, into the first page of every list.
	creator := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "a creator", "type": "CUSTOM", "roleIDs": []string{f.role},
		"permissions": cells("api-token:read", "api-token:create", "api-token:revoke", "persona:read", "role:read")}}).Str("createAPIToken.secret")
	victim := map[string]any{"name": "a victim", "type": "CUSTOM", "personaID": f.persona, "roleIDs": []string{f.role}}
	f.token = s.MustDo(t, creator, createToken, map[string]any{"input": victim}).Str("createAPIToken.apiToken.id")
	f.introspected = s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "introspected", "type": "CUSTOM", "roleIDs": []string{f.role}}}).Str("createAPIToken.secret")
	f.ctype = s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Articles"}) { id } }`, nil).Str("createContentType.id")
	mint := func(name string, perms []string) string {
		return s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": name, "type": "CUSTOM", "roleIDs": []string{f.role}, "permissions": cells(perms...)}}).Str("createAPIToken.secret")
	}
	f.all = mint("all", every)
	for _, ct := range admin.SystemContentTypes() {
		uid := ct.UID
		f.without[uid] = mint("without "+uid+" read", slices.DeleteFunc(slices.Clone(every), func(c string) bool { return c == uid+":read" }))
	}
	f.mint = func(ct string) string {
		f.n++
		perms := slices.DeleteFunc(slices.Clone(every), func(c string) bool { return c == ct+":read" })
		return s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": fmt.Sprintf("rotating %d", f.n), "type": "CUSTOM",
			"roleIDs": []string{f.role}, "permissions": cells(perms...), "allowSelfRotation": true, "lifespan": "DAYS_7"}}).Str("createAPIToken.secret")
	}
	// A policy every fixture token breaks (none expires), so that
	// policyViolations lists them.
	s.MustDo(t, s.Admin, `mutation { updatePolicy(input: {maxLifetimeDays: 3650}) { maxLifetimeDays } }`, nil)
	edges := s.MustDo(t, s.Admin, `{ auditEvents(first: 1) { edges { node { id } } } }`, nil).Get("auditEvents.edges").([]any)
	f.event = edges[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	flush(t, s) // the tokens' usage so far, for topAPITokens
	edges = s.MustDo(t, s.Admin, `{ webhookDeliveries(first: 1) { edges { node { id } } } }`, nil).Get("webhookDeliveries.edges").([]any)
	f.delivery = edges[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	return f
}

// idOf is a fixture record of a type.
func (f *readFixtures) idOf(t *testing.T, typ string) string {
	switch typ {
	case "APIToken":
		return f.token
	case "Persona":
		return f.persona
	case "Role":
		return f.role
	case "ContentType":
		return f.ctype
	case "AuditEvent":
		return f.event
	case "WebhookEndpoint":
		return f.endpoint
	case "WebhookDelivery":
		return f.delivery
	}
	t.Fatalf("no fixture of type %s", typ)
	return ""
}

// args renders the required arguments of a root field, and runs what the
// call needs first (the victim active, or revoked to be restored).
func (f *readFixtures) args(t *testing.T, root *ast.FieldDefinition, on string) string {
	f.n++
	u := fmt.Sprintf("read path %d", f.n)
	active := func() {
		f.s.Do(t, f.s.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": f.token})
	}
	switch root.Name {
	case "node":
		return fmt.Sprintf(`(id: %q)`, f.idOf(t, on))
	case "nodes":
		return fmt.Sprintf(`(ids: [%q])`, f.idOf(t, on))
	case "introspectToken":
		return fmt.Sprintf(`(secret: %q)`, f.introspected)
	case "topAPITokens":
		now := f.s.Clock.Now()
		return fmt.Sprintf(`(from: %q, to: %q)`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	case "createAPIToken":
		return fmt.Sprintf(`(input: {name: %q, type: CUSTOM, personaID: %q, roleIDs: [%q], lifespan: DAYS_7})`, u, f.persona, f.role)
	case "revokeAPITokens":
		active()
		return fmt.Sprintf(`(where: {id: %q}, dryRun: true)`, f.token)
	case "updateAPIToken":
		active()
		return fmt.Sprintf(`(id: %q, input: {description: %q})`, f.token, u)
	case "regenerateAPIToken", "revokeAPIToken":
		active()
		return fmt.Sprintf(`(id: %q)`, f.token)
	case "restoreAPIToken":
		f.s.MustDo(t, f.s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": f.token})
		return fmt.Sprintf(`(id: %q)`, f.token)
	case "createRole":
		return fmt.Sprintf(`(input: {name: %q, permissions: [{contentType: "api-token", action: "revoke"}]})`, u)
	case "updateRole":
		return fmt.Sprintf(`(id: %q, input: {description: %q})`, f.role, u)
	case "createPersona":
		return fmt.Sprintf(`(input: {name: %q})`, u)
	case "updatePersona":
		return fmt.Sprintf(`(id: %q, input: {description: %q})`, f.persona, u)
	case "createContentType":
		// No read-only action: a new one is FULL_ACCESS's alone to make.
		return fmt.Sprintf(`(input: {uid: %q, displayName: %q, actions: [{name: "write", readOnly: false}]})`, fmt.Sprintf("type-%d", f.n), u)
	case "updateContentType":
		return fmt.Sprintf(`(id: %q, input: {description: %q})`, f.ctype, u)
	case "createWebhookEndpoint":
		return `(input: {url: "https://hooks.example.com/", events: ["*"], enabled: false})`
	case "updateWebhookEndpoint":
		return fmt.Sprintf(`(id: %q, input: {enabled: true})`, f.endpoint)
	case "redeliverWebhook":
		return fmt.Sprintf(`(deliveryID: %q)`, f.delivery)
	}
	for _, a := range root.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			t.Fatalf("%s has a required argument %s the read-path test cannot fill: add it to readFixtures.args", root.Name, a.Name)
		}
	}
	return ""
}

// document renders a path as a GraphQL document selecting sel at its end.
func (p readPath) document(args, sel string) string {
	var b strings.Builder
	if mutationRoots[p.steps[0].field.Name] {
		b.WriteString("mutation ")
	}
	b.WriteString("{ ")
	for i, s := range p.steps {
		b.WriteString(s.field.Name)
		switch {
		case i == 0 && args != "":
			b.WriteString(args)
		case s.field.Arguments.ForName("first") != nil:
			b.WriteString("(first: 3)") // nested connections stay under the complexity limit
		}
		b.WriteString(" { ")
		if s.on != "" {
			b.WriteString("... on " + s.on + " { ")
		}
	}
	b.WriteString(sel)
	for _, s := range p.steps {
		b.WriteString(" }")
		if s.on != "" {
			b.WriteString(" }")
		}
	}
	b.WriteString(" }")
	return b.String()
}

// mutationRoots names the Mutation fields, filled from the schema.
var mutationRoots = map[string]bool{}

// ends collects the objects at the end of a path in a response.
func (p readPath) ends(data map[string]any) []map[string]any {
	cur := []any{data}
	for _, s := range p.steps {
		var next []any
		for _, c := range cur {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			switch v := m[s.field.Name].(type) {
			case []any:
				next = append(next, v...)
			case map[string]any:
				next = append(next, v)
			}
		}
		cur = next
	}
	var out []map[string]any
	for _, c := range cur {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// revealed is what an object at the end of a path shows beyond its id.
func revealed(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		for k, v := range o {
			if k != "id" && k != "__typename" && v != nil {
				out = append(out, fmt.Sprintf("%s=%v", k, v))
			}
		}
	}
	return out
}

// rootReads reports whether the root field itself requires read on ct, so
// that it may refuse the whole path: by its directive, or by a filter on
// ct's records it is given (authz.Guard).
func rootReads(p readPath, ct string) bool {
	root := p.steps[0]
	for _, a := range root.field.Arguments {
		if rec, ok := strings.CutSuffix(a.Type.Name(), "WhereInput"); ok && a.Type.NonNull && authz.ContentTypeOf[rec] == ct {
			return true
		}
	}
	for _, d := range root.field.Directives {
		switch d.Name {
		case "hasPermission":
			if d.Arguments.ForName("contentType").Value.Raw == ct && d.Arguments.ForName("action").Value.Raw == "read" {
				return true
			}
		case "hasNodePermission":
			if authz.ContentTypeOf[root.on] == ct {
				return true
			}
		}
	}
	return false
}

// deadPaths cannot hold data whatever the fixtures: each is named, with why.
var deadPaths = map[string]string{
	"createPersona.tokens.edges.node":                      "a new persona has no tokens",
	"createPersona.tokens.edges.node.persona":              "a new persona has no tokens",
	"createPersona.tokens.edges.node.roles":                "a new persona has no tokens",
	"createPersona.tokens.edges.node.createdBy":            "a new persona has no tokens",
	"createPersona.tokens.edges.node.events":               "a new persona has no tokens",
	"createWebhookEndpoint.endpoint.deliveries.edges.node": "a new endpoint has no deliveries",
}

// Every path of the schema to a guarded type, walked by a caller holding
// every permission except that type's read: it gets FORBIDDEN, never data.
// The same path walked by a caller holding everything shows data, so no
// path passes for being empty.
func TestEveryReadPathIsGuarded(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, f := range schema.Mutation.Fields {
		mutationRoots[f.Name] = true
	}
	guarded := map[string]string{}
	for rec, ct := range authz.ContentTypeOf {
		for _, n := range []string{rec, rec + "Connection"} {
			if schema.Types[n] != nil {
				guarded[n] = ct
			}
		}
	}
	paths := readPaths(schema, guarded)
	if len(paths) < 60 {
		t.Fatalf("only %d read paths found: the walk is broken", len(paths))
	}
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		// Guards, not costs, are tested here: revokeAPITokens lists up to 100
		// tokens unpaged, so its deepest paths cost more than one budget.
		s := testserver.New(t, dialect, testserver.Config(func(c *config.Config) { c.ComplexityLimit = 100_000 }))
		fx := newReadFixtures(t, s)
		checked, dead := 0, 0
		for _, p := range paths {
			ct := guarded[p.target]
			sel := leaves(schema, guarded, p.target)
			name := p.String()

			all, caller := fx.all, fx.without[ct]
			if p.steps[0].field.Name == "rotateViewerToken" {
				all, caller = fx.mint(""), fx.mint(ct)
			}
			live := s.Do(t, all, p.document(fx.args(t, p.steps[0].field, p.steps[0].on), sel), nil)
			if reason, ok := deadPaths[name]; ok {
				if len(live.Errors) > 0 || len(revealed(p.ends(live.Data))) > 0 {
					t.Errorf("%s was listed as empty (%s) but answers %s: check it instead", name, reason, live.Raw)
				}
				dead++
				continue
			}
			if len(live.Errors) > 0 || len(revealed(p.ends(live.Data))) == 0 {
				t.Errorf("%s: no data even for a caller holding everything (fix the fixtures): %s", name, live.Raw)
				continue
			}
			r := s.Do(t, caller, p.document(fx.args(t, p.steps[0].field, p.steps[0].on), sel), nil)
			if name == "viewer.apiToken" || name == "viewer.persona" || name == "rotateViewerToken.apiToken" {
				// The caller's own token and persona.
				if len(r.Errors) > 0 || len(revealed(p.ends(r.Data))) == 0 {
					t.Errorf("%s: the caller cannot read itself: %s", name, r.Raw)
				}
				checked++
				continue
			}
			if leak := revealed(p.ends(r.Data)); len(leak) > 0 {
				t.Errorf("%s without %s:read reveals %v", name, ct, leak)
			}
			if len(r.Errors) == 0 {
				t.Errorf("%s without %s:read: no error: %s", name, ct, r.Raw)
				continue
			}
			for _, e := range r.Errors {
				if e.Extensions["code"] != "FORBIDDEN" {
					t.Errorf("%s without %s:read: %s", name, ct, r.Raw)
					break
				}
			}
			if len(r.Errors[0].Path) < 2 && !rootReads(p, ct) {
				t.Errorf("%s without %s:read was refused at its root, which it may call: %s", name, ct, r.Raw)
			}
			checked++
		}
		if checked+dead != len(paths) || dead != len(deadPaths) {
			t.Errorf("checked %d and skipped %d of %d read paths (%d listed as empty)", checked, dead, len(paths), len(deadPaths))
		}
		t.Logf("%d read paths checked, %d empty by nature", checked, dead)
	})
}

// Every filter that reveals another record is refused without that
// record's read, as a literal, a variable, or nested in and/or/not.
func TestEveryRevealingFilterIsGuarded(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	type filter struct{ root, arg, input, field, reveals, value string }
	var filters []filter
	for _, obj := range schema.Types {
		if obj.Kind != ast.Object {
			continue
		}
		for _, f := range obj.Fields {
			for _, a := range f.Arguments {
				rec, ok := strings.CutSuffix(a.Type.Name(), "WhereInput")
				if !ok {
					continue
				}
				if obj != schema.Query && (obj != schema.Mutation || filterMutations[f.Name] == "") {
					t.Errorf("%s.%s(%s:) is a filter below the root, which this test does not reach yet", obj.Name, f.Name, a.Name)
					continue
				}
				for _, in := range schema.Types[a.Type.Name()].Fields {
					edge := ""
					switch {
					case strings.HasPrefix(in.Name, "has"):
						edge = strings.TrimSuffix(strings.TrimPrefix(in.Name, "has"), "With")
						edge = strings.ToLower(edge[:1]) + edge[1:]
					case strings.HasSuffix(in.Name, "ID"):
						edge = strings.TrimSuffix(in.Name, "ID")
					default:
						continue
					}
					ef := schema.Types[rec].Fields.ForName(edge)
					if ef == nil {
						ef = schema.Types[rec].Fields.ForName(edge + "s")
					}
					if ef == nil || authz.ContentTypeOf[ef.Type.Name()] == "" {
						continue
					}
					filters = append(filters, filter{f.Name, a.Name, a.Type.Name(), in.Name, ef.Type.Name(), in.Type.Name()})
				}
			}
		}
	}
	if len(filters) < 6 {
		t.Fatalf("only %d revealing filters found: the walk is broken", len(filters))
	}
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		fx := newReadFixtures(t, s)
		for _, fl := range filters {
			var value any
			switch fl.value {
			case "Boolean":
				value = true
			case "ID":
				value = fx.idOf(t, fl.reveals)
			default:
				value = []any{map[string]any{"idNEQ": "x"}}
			}
			where := map[string]any{fl.field: value}
			q := fmt.Sprintf(`query($w: %s) { %s(%s: $w) { totalCount edges { node { id } } } }`, fl.input, fl.root, fl.arg)
			if m := filterMutations[fl.root]; m != "" {
				q = fmt.Sprintf(`mutation($w: %s!) { %s(%s: $w, %s }`, fl.input, fl.root, fl.arg, m)
			}
			caller := fx.without[authz.ContentTypeOf[fl.reveals]]
			for form, w := range map[string]any{
				"plain": where, "and": map[string]any{"and": []any{where}}, "or": map[string]any{"or": []any{map[string]any{"idNEQ": "x"}, where}}, "not": map[string]any{"not": where},
			} {
				name := fmt.Sprintf("%s(%s: %s %s)", fl.root, fl.arg, fl.field, form)
				if live := s.Do(t, fx.all, q, map[string]any{"w": w}); len(live.Errors) > 0 {
					t.Errorf("%s: refused even for a caller holding everything: %s", name, live.Raw)
					continue
				}
				r := s.Do(t, caller, q, map[string]any{"w": w})
				if r.Code() != "FORBIDDEN" || r.Get(fl.root) != nil {
					t.Errorf("%s without %s read: %s", name, fl.reveals, r.Raw)
				}
			}
			lit := fmt.Sprintf(`{ %s(%s: {and: [{%s: %s}]}) { totalCount } }`, fl.root, fl.arg, fl.field, literal(value))
			if m := filterMutations[fl.root]; m != "" {
				lit = fmt.Sprintf(`mutation { %s(%s: {and: [{%s: %s}]}, %s }`, fl.root, fl.arg, fl.field, literal(value), m)
			}
			if r := s.Do(t, caller, lit, nil); r.Code() != "FORBIDDEN" || r.Get(fl.root) != nil {
				t.Errorf("%s without %s read: %s", lit, fl.reveals, r.Raw)
			}
		}
		t.Logf("%d revealing filters checked", len(filters))
	})
}

// filterMutations are the mutations that take a filter, with the rest of
// their arguments, a closing parenthesis and a selection: harmless runs.
var filterMutations = map[string]string{
	"revokeAPITokens": "dryRun: true) { count }",
}

func literal(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case bool:
		return fmt.Sprint(v)
	default:
		return `[{idNEQ: "x"}]`
	}
}
