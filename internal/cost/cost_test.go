package cost_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/graph"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/cost"
)

var schema = graph.NewExecutableSchema(graph.Config{}).Schema()

func defaults(t *testing.T) *config.Config {
	t.Helper()
	cfg, _, err := config.Parse("serve", nil, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// price validates query against Latchkey's schema, measures it and costs it.
func price(t *testing.T, query string, vars map[string]any) int {
	t.Helper()
	if err := cost.Measure(query); err != nil {
		t.Fatalf("refused before validation: %v", err)
	}
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		t.Fatalf("invalid document: %v", errs)
	}
	return cost.NewModel(schema, graph.DefaultPage).Cost(doc.Operations[0], vars, 1<<30)
}

// GraphiQL's introspection query fits the anonymous budget, with room for
// a schema that grows.
func TestIntrospectionQueryFitsAnonymousBudget(t *testing.T) {
	raw, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	c := price(t, string(raw), nil)
	budget := defaults(t).AnonymousComplexityLimit
	t.Logf("GraphiQL introspection costs %d; anonymous budget %d", c, budget)
	if c > budget*4/5 {
		t.Errorf("GraphiQL's introspection query costs %d, too close to the anonymous budget %d", c, budget)
	}
	if c < 1000 {
		t.Errorf("introspection costs only %d: __schema is not priced by the schema's size", c)
	}
}

// Every query the admin UI sends passes at the page sizes it asks for.
func TestAdminUIQueriesFitTheBudget(t *testing.T) {
	raw, err := os.ReadFile("../adminui/web/src/api.ts")
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	// The fragments the documents are built from: const name = `…`,
	// substituted wherever ${name} appears, fragments within fragments too.
	fragments := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)\nconst (\\w+) = `(.*?)`").FindAllStringSubmatch(src, -1) {
		fragments[m[1]] = m[2]
	}
	for _, want := range []string{"tokenFields", "readableVars", "auditFields"} {
		if _, ok := fragments[want]; !ok {
			t.Fatalf("%s not found in api.ts", want)
		}
	}
	expand := func(q string) string {
		for range 5 {
			for name, body := range fragments {
				q = strings.ReplaceAll(q, "${"+name+"}", body)
			}
		}
		if strings.Contains(q, "${") {
			t.Fatalf("a fragment of this document is not a const of api.ts: %s", q)
		}
		return q
	}
	budget := defaults(t).ComplexityLimit
	pages := map[string]int{"tokens": 20, "auditEvents": 50} // tokens.tsx, audit.tsx pageSize
	docs := regexp.MustCompile("(?s)\n  (\\w+): `(.*?)`,").FindAllStringSubmatch(src, -1)
	if len(docs) < 20 {
		t.Fatalf("found only %d documents in api.ts", len(docs))
	}
	for _, d := range docs {
		name, q := d[1], expand(d[2])
		vars := map[string]any{"withPersona": true, "withRoles": true}
		if n, ok := pages[name]; ok {
			vars["first"] = int64(n)
		}
		c := price(t, q, vars)
		t.Logf("%s costs %d", name, c)
		if c > budget*3/4 {
			t.Errorf("the admin UI's %s costs %d, too close to the budget %d", name, c, budget)
		}
	}
}

func TestCostRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		// Root field: a query (2); the connection object (1); the edges:
		// 10 × (edge 1 + node 1).
		{"a page", `{ apiTokens(first: 10) { edges { node { id name } } } }`, nil, 2 + 1 + 10*2},
		{"page from a variable", `query($n: Int) { apiTokens(first: $n) { edges { node { id } } } }`, map[string]any{"n": int64(7)}, 2 + 1 + 7*2},
		{"default page", `{ apiTokens { edges { node { id } } } }`, nil, 2 + 1 + 100*2},
		{"last", `{ apiTokens(last: 5) { edges { node { id } } } }`, nil, 2 + 1 + 5*2},
		// totalCount is a COUNT query: 2.
		{"total count only", `{ apiTokens { totalCount } }`, nil, 2 + 1 + 2},
		// Per-row database fields: persona 2 + object 1; effectivePermissions
		// 2 + 20 permission objects.
		{"per-row resolvers", `{ apiTokens(first: 10) { edges { node { persona { name } effectivePermissions { action } } } } }`, nil,
			2 + 1 + 10*(2+3+22)},
		// A connection inside a connection multiplies.
		{"nested connection", `{ personas(first: 10) { edges { node { tokens(first: 5) { edges { node { id } } } } } } }`, nil,
			2 + 1 + 10*(2+(2+1+5*2))},
		{"fragments count where spread", `{ apiTokens(first: 10) { ...P } } fragment P on APITokenConnection { edges { node { id } } }`, nil, 2 + 1 + 10*2},
		{"scalars are free", `{ viewer { apiToken { id name code } } }`, nil, 2 + 1 + 1},
		{"mutation", `mutation { revokeAPIToken(id: "x") { id } }`, nil, 10 + 1},
		{"typename is free", `{ __typename }`, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := price(t, tc.query, tc.vars); got != tc.want {
				t.Errorf("cost %d, want %d", got, tc.want)
			}
		})
	}
}

// Introspection is priced by the schema's real sizes: all types, each
// with its fields.
func TestIntrospectionUsesSchemaSizes(t *testing.T) {
	types := len(schema.Types)
	fields := 0
	for _, d := range schema.Types {
		if d.Kind != ast.InputObject {
			for _, f := range d.Fields {
				if !strings.HasPrefix(f.Name, "__") {
					fields++
				}
			}
		}
	}
	got := price(t, `{ __schema { types { fields { name } } } }`, nil)
	want := 1 + types + fields // __schema, every type, every field
	if got < want || got > want+1 {
		t.Errorf("cost %d, want %d (%d types, %d fields)", got, want, types, fields)
	}
	one := price(t, `{ __type(name: "APITokenWhereInput") { inputFields { name } } }`, nil)
	if one < len(schema.Types["APITokenWhereInput"].Fields) {
		t.Errorf("__type is priced below the largest type: %d", one)
	}
}

// Costing stops at the budget, so a huge document is cheap to refuse.
func TestCostingStopsAtTheBudget(t *testing.T) {
	q := `{ a: apiTokens(first: 1000) { edges { node { id } } } b: apiTokens(first: 1000) { edges { node { id } } } }`
	doc, errs := gqlparser.LoadQuery(schema, q)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if c := cost.NewModel(schema, graph.DefaultPage).Cost(doc.Operations[0], nil, 100); c <= 100 || c > 3000 {
		t.Errorf("cost %d: want more than the budget and no more than the first alias", c)
	}
}

// Every field the model knows as a database resolver exists in the schema.
func TestDatabaseFieldsExist(t *testing.T) {
	for _, key := range cost.DatabaseFields() {
		typ, field, _ := strings.Cut(key, ".")
		if d := schema.Types[typ]; d == nil || d.Fields.ForName(field) == nil {
			t.Errorf("%s is not a field of the schema", key)
		}
	}
}

func TestMeasure(t *testing.T) {
	many := func(n int, s string) string { return strings.Repeat(s, n) }
	aliases := "{ "
	for i := range 51 {
		aliases += "a" + strings.Repeat("x", i) + ": __typename "
	}
	deep := "{ " + many(21, "__schema { queryType { ") + "name" + many(21, " } }") + " }"
	for _, tc := range []struct {
		name, query string
		ok          bool
	}{
		{"small", `{ __typename }`, true},
		{"too long", "{ " + many(cost.MaxQueryBytes/10, "__typename ") + "}", false},
		{"too many tokens", "{ " + many(cost.MaxTokens, "a ") + "}", false},
		{"too many selections", "{ " + many(cost.MaxSelections+1, "__typename ") + "}", false},
		{"fragments count where spread", `{ ...A ...A } fragment A on Query { ...B ...B } fragment B on Query { ...C ...C } fragment C on Query { ...D ...D } fragment D on Query { ...E ...E } fragment E on Query { ...F ...F } fragment F on Query { ...G ...G } fragment G on Query { ...H ...H } fragment H on Query { ...I ...I } fragment I on Query { __typename __typename }`, false},
		{"fragment cycle left to validation", `{ ...A } fragment A on Query { ...A }`, true},
		{"too many aliases", aliases + "}", false},
		{"too deep", deep, false},
		{"unparsable left to the executor", `{ __typename`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cost.Measure(tc.query)
			if (err == nil) != tc.ok {
				t.Fatalf("Measure: %v", err)
			}
			if err != nil && (err.Extensions["code"] != "BAD_USER_INPUT" || err.Extensions["limit"] == nil || err.Extensions["cost"] == nil) {
				t.Errorf("refusal extensions: %v", err.Extensions)
			}
		})
	}
}

// A refused document leaves the query cache: distinct refused documents
// must not fill it.
func TestRefusedDocumentsLeaveTheCache(t *testing.T) {
	cache := cost.NewQueryCache(10)
	l := &cost.Limit{Budget: func(context.Context) int { return 100 }, DefaultPage: graph.DefaultPage, Cache: cache}
	if err := l.Validate(graph.NewExecutableSchema(graph.Config{})); err != nil {
		t.Fatal(err)
	}
	for q, refused := range map[string]bool{
		`{ apiTokens(first: 1000) { edges { node { id } } } }`: true,
		`{ apiTokens(first: 10) { edges { node { id } } } }`:   false,
	} {
		doc, errs := gqlparser.LoadQuery(schema, q)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		cache.Add(context.Background(), q, doc) // as gqlgen does once a document validates
		err := l.MutateOperationContext(context.Background(), &graphql.OperationContext{RawQuery: q, Doc: doc, Operation: doc.Operations[0]})
		if (err != nil) != refused {
			t.Errorf("%s: %v", q, err)
		}
		if _, cached := cache.Get(context.Background(), q); cached == refused {
			t.Errorf("%s: cached %v after refused %v", q, cached, refused)
		}
	}
}
