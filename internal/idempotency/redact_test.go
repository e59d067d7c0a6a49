package idempotency

import (
	"reflect"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestRedact(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Query { x: Int }
		type Minted { secret: String! id: ID! }
		type Mutation { mint(n: Int!): [Minted!]! one: Minted! }`})
	doc, errs := gqlparser.LoadQuery(schema, `mutation {
		mint(n: 2) { id ... on Minted { s: secret } }
		other: one { ...F }
	} fragment F on Minted { secret id }`)
	if errs != nil {
		t.Fatal(errs)
	}
	data := `{"mint":[{"id":"a","s":"lk_1"},{"id":"b","s":"lk_2"}],"other":{"secret":"lk_3","id":"c"}}`
	out, withheld, err := redact([]byte(data), doc.Operations[0].SelectionSet)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"mint":[{"id":"a","s":null},{"id":"b","s":null}],"other":{"secret":null,"id":"c"}}`; string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	if want := []string{"mint.0.s", "mint.1.s", "other.secret"}; !reflect.DeepEqual(withheld, want) {
		t.Fatalf("withheld %v", withheld)
	}
}

func TestParseKey(t *testing.T) {
	for _, c := range []struct {
		values []string
		ok     bool
	}{
		{[]string{"3f0c-uuid"}, true},
		{[]string{"with space ~"}, true},
		{[]string{""}, false},
		{[]string{"a", "b"}, false},
		{[]string{"ünïcode"}, false},
		{[]string{"a\x7fb"}, false},
		{[]string{string(make([]byte, MaxKeyLen+1))}, false},
	} {
		if _, msg := parseKey(c.values); (msg == "") != c.ok {
			t.Errorf("%q: %q", c.values, msg)
		}
	}
}
