package policy

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/perm"
)

func holder(cells ...string) perm.Set {
	s := perm.Set{}
	for _, c := range cells {
		ct, a, _ := strings.Cut(c, ":")
		s.Add(perm.Permission{ContentType: ct, Action: a})
	}
	return s
}

func TestParseQuery(t *testing.T) {
	cases := []struct {
		q      string
		canon  string // "" when it must not parse
		holds  []string
		result bool
	}{
		{"", "", nil, true},
		{"   ", "", nil, true},
		{"article:read", "article:read", []string{"article:read"}, true},
		{"article:read", "article:read", nil, false},
		{"a:x AND b:y", "(a:x AND b:y)", []string{"a:x"}, false},
		{"a:x and b:y", "(a:x AND b:y)", []string{"a:x", "b:y"}, true},
		{"a:x OR b:y", "(a:x OR b:y)", []string{"b:y"}, true},
		// AND binds tighter than OR, on either side.
		{"a:x OR b:y AND c:z", "(a:x OR (b:y AND c:z))", []string{"a:x"}, true},
		{"a:x OR b:y AND c:z", "(a:x OR (b:y AND c:z))", []string{"b:y"}, false},
		{"a:x AND b:y OR c:z", "((a:x AND b:y) OR c:z)", []string{"c:z"}, true},
		{"a:x AND b:y OR c:z", "((a:x AND b:y) OR c:z)", []string{"a:x"}, false},
		// Parentheses override it.
		{"(a:x OR b:y) AND c:z", "((a:x OR b:y) AND c:z)", []string{"a:x"}, false},
		{"(a:x OR b:y) AND c:z", "((a:x OR b:y) AND c:z)", []string{"b:y", "c:z"}, true},
		{"article:read AND (article:publish OR article:update)", "(article:read AND (article:publish OR article:update))", []string{"article:read", "article:update"}, true},
		{"((a:x))", "a:x", []string{"a:x"}, true},
		{"a:x OR b:y OR c:z", "(a:x OR b:y OR c:z)", []string{"c:z"}, true},
		{"api-token:read", "api-token:read", []string{"api-token:read"}, true},
	}
	for _, c := range cases {
		q, err := ParseQuery(c.q)
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		if got := q.String(); got != c.canon {
			t.Errorf("%q parsed as %q, want %q", c.q, got, c.canon)
		}
		if got := q.Eval(holder(c.holds...)); got != c.result {
			t.Errorf("%q with %v = %v, want %v", c.q, c.holds, got, c.result)
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	for _, q := range []string{
		"AND", "a:x AND", "OR a:x", "a:x b:y", "(a:x", "a:x)", "()", "a", "a:", ":x", "A:x", "a:X", "a:x:y",
		"a--b:x", "-a:x", "a:x AND AND b:y", "a:x NOT b:y", "a:x && b:y", "a:x,b:y",
		strings.Repeat("(", MaxQueryDepth+1) + "a:x" + strings.Repeat(")", MaxQueryDepth+1),
		strings.TrimSuffix(strings.Repeat("a:x OR ", MaxQueryTerms+1), " OR "),
		strings.Repeat(" ", MaxQueryLen+1),
	} {
		if _, err := ParseQuery(q); !errors.Is(err, ErrQuery) {
			t.Errorf("%.60q: err = %v, want ErrQuery", q, err)
		}
	}
	deep := strings.Repeat("(", MaxQueryDepth) + "a:x" + strings.Repeat(")", MaxQueryDepth)
	if _, err := ParseQuery(deep); err != nil {
		t.Errorf("depth %d refused: %v", MaxQueryDepth, err)
	}
}

// reference evaluates a query by rewriting it: AND before OR, as Go's &&
// and || would, over a token stream (an independent implementation).
func reference(q string, has perm.Set) bool {
	toks, err := lex(q)
	if err != nil || len(toks) == 0 {
		return true
	}
	pos := 0
	var or func() bool
	term := func() bool {
		t := toks[pos]
		pos++
		if t.kind == '(' {
			v := or()
			pos++ // ')'
			return v
		}
		return has.Has(t.perm)
	}
	and := func() bool {
		v := term()
		for pos < len(toks) && toks[pos].kind == '&' {
			pos++
			w := term() // always consume both sides
			v = v && w
		}
		return v
	}
	or = func() bool {
		v := and()
		for pos < len(toks) && toks[pos].kind == '|' {
			pos++
			w := and()
			v = v || w
		}
		return v
	}
	return or()
}

var fuzzCells = []string{"a:x", "b:y", "c:z", "article:read"}

func checkQuery(t *testing.T, s string, rng *rand.Rand) {
	q, err := ParseQuery(s)
	if err != nil {
		if !errors.Is(err, ErrQuery) {
			t.Fatalf("%q: error %v does not wrap ErrQuery", s, err)
		}
		return
	}
	again, err := ParseQuery(q.String())
	if err != nil && !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("%q: its canonical form %q does not parse: %v", s, q.String(), err)
	}
	for range 8 {
		var held []string
		for _, c := range fuzzCells {
			if rng.IntN(2) == 0 {
				held = append(held, c)
			}
		}
		for _, p := range q.Permissions() {
			if rng.IntN(2) == 0 {
				held = append(held, p.String())
			}
		}
		h := holder(held...)
		got := q.Eval(h)
		if want := reference(s, h); got != want {
			t.Fatalf("%q with %v = %v, reference says %v", s, held, got, want)
		}
		if err == nil && again.Eval(h) != got {
			t.Fatalf("%q and its canonical form %q disagree with %v", s, q.String(), held)
		}
	}
}

// TestQueryGenerated checks random well-formed and broken queries against
// the reference evaluator (fixed seed; go test -fuzz FuzzParseQuery goes on).
func TestQueryGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	words := []string{"a:x", "b:y", "c:z", "article:read", "AND", "OR", "and", "(", ")", "(", ")"}
	for range 3000 {
		n := 1 + rng.IntN(12)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = words[rng.IntN(len(words))]
		}
		checkQuery(t, strings.Join(parts, " "), rng)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "a:x", "a:x AND b:y OR c:z", "(a:x OR b:y) AND c:z", "((a:x)", "a:x AND", "article:read AND (article:publish OR article:update)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkQuery(t, s, rand.New(rand.NewPCG(uint64(len(s)), 1)))
	})
}
