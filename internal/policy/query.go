package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/perm"
)

// The permission query language of POST /v1/verify (after Unkey's
// permission queries):
//
//	query  = or
//	or     = and { "OR" and }
//	and    = term { "AND" term }
//	term   = permission | "(" or ")"
//	permission = content-type ":" action      (both slugs: a-z, 0-9, '-')
//
// AND binds tighter than OR: "a:x OR b:y AND c:z" is "a:x OR (b:y AND c:z)".
// Keywords are case-insensitive. A query is at most MaxQueryLen bytes,
// MaxQueryTerms permissions and MaxQueryDepth nested parentheses.
const (
	MaxQueryLen   = 2000
	MaxQueryTerms = 100
	MaxQueryDepth = 16
)

// Query is a parsed permission query; the zero Query (an empty string)
// asks for no permission.
type Query struct{ root *qnode }

type qnode struct {
	op   byte // 'p' permission, '&' all of kids, '|' any of kids
	perm perm.Permission
	kids []*qnode
}

// ErrQuery is wrapped by every syntax error.
var ErrQuery = errors.New("invalid permission query")

// ParseQuery parses s; blank means no permission is asked for.
func ParseQuery(s string) (Query, error) {
	if len(s) > MaxQueryLen {
		return Query{}, fmt.Errorf("%w: longer than %d bytes", ErrQuery, MaxQueryLen)
	}
	toks, err := lex(s)
	if err != nil {
		return Query{}, err
	}
	if len(toks) == 0 {
		return Query{}, nil
	}
	p := &parser{toks: toks}
	root, err := p.or(0)
	if err != nil {
		return Query{}, err
	}
	if p.pos < len(p.toks) {
		return Query{}, fmt.Errorf("%w: unexpected %q", ErrQuery, p.toks[p.pos].text)
	}
	return Query{root: root}, nil
}

type token struct {
	kind byte // '(' ')' 'p' (permission) '&' '|'
	text string
	perm perm.Permission
}

func lex(s string) ([]token, error) {
	var out []token
	terms := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			out = append(out, token{kind: c, text: s[i : i+1]})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()", rune(s[j])) {
				j++
			}
			w := s[i:j]
			i = j
			switch {
			case strings.EqualFold(w, "AND"):
				out = append(out, token{kind: '&', text: w})
			case strings.EqualFold(w, "OR"):
				out = append(out, token{kind: '|', text: w})
			default:
				ct, action, ok := strings.Cut(w, ":")
				if !ok || !isSlug(ct) || !isSlug(action) {
					return nil, fmt.Errorf("%w: %q is not contentType:action, AND or OR", ErrQuery, w)
				}
				if terms++; terms > MaxQueryTerms {
					return nil, fmt.Errorf("%w: more than %d permissions", ErrQuery, MaxQueryTerms)
				}
				out = append(out, token{kind: 'p', text: w, perm: perm.Permission{ContentType: ct, Action: action}})
			}
		}
	}
	return out, nil
}

// isSlug: lower-case letters and digits joined by single hyphens, ≤ 64.
func isSlug(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() byte {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return 0
}

func (p *parser) or(depth int) (*qnode, error) {
	return p.list(depth, '|', p.and)
}

func (p *parser) and(depth int) (*qnode, error) {
	return p.list(depth, '&', p.term)
}

// list parses operands joined by op into one node (a single operand is
// returned as it is).
func (p *parser) list(depth int, op byte, operand func(int) (*qnode, error)) (*qnode, error) {
	first, err := operand(depth)
	if err != nil {
		return nil, err
	}
	n := first
	for p.peek() == op {
		p.pos++
		next, err := operand(depth)
		if err != nil {
			return nil, err
		}
		if n == first {
			n = &qnode{op: op, kids: []*qnode{first}}
		}
		n.kids = append(n.kids, next)
	}
	return n, nil
}

func (p *parser) term(depth int) (*qnode, error) {
	switch p.peek() {
	case 'p':
		t := p.toks[p.pos]
		p.pos++
		return &qnode{op: 'p', perm: t.perm}, nil
	case '(':
		if depth >= MaxQueryDepth {
			return nil, fmt.Errorf("%w: nested deeper than %d", ErrQuery, MaxQueryDepth)
		}
		p.pos++
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, fmt.Errorf("%w: missing )", ErrQuery)
		}
		p.pos++
		return n, nil
	case 0:
		return nil, fmt.Errorf("%w: unexpected end; expected a permission or (", ErrQuery)
	}
	return nil, fmt.Errorf("%w: unexpected %q; expected a permission or (", ErrQuery, p.toks[p.pos].text)
}

// Empty reports whether the query asks for nothing.
func (q Query) Empty() bool { return q.root == nil }

// Holder is what a query is evaluated against (a perm.Set).
type Holder interface{ Has(perm.Permission) bool }

// Eval reports whether h satisfies the query; an empty query is satisfied
// by anyone.
func (q Query) Eval(h Holder) bool {
	return q.root == nil || q.root.eval(h)
}

func (n *qnode) eval(has Holder) bool {
	switch n.op {
	case 'p':
		return has.Has(n.perm)
	case '&':
		for _, k := range n.kids {
			if !k.eval(has) {
				return false
			}
		}
		return true
	}
	for _, k := range n.kids {
		if k.eval(has) {
			return true
		}
	}
	return false
}

// Permissions lists every permission the query names, once each.
func (q Query) Permissions() []perm.Permission {
	s := perm.Set{}
	var walk func(*qnode)
	walk = func(n *qnode) {
		if n == nil {
			return
		}
		if n.op == 'p' {
			s.Add(n.perm)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(q.root)
	return s.List()
}

// Single is the query asking for one permission.
func Single(p perm.Permission) Query { return Query{root: &qnode{op: 'p', perm: p}} }

// String writes the query with every AND and OR group in parentheses, so
// that its structure shows and it parses back to the same query.
func (q Query) String() string {
	var b strings.Builder
	var write func(*qnode)
	write = func(n *qnode) {
		if n.op == 'p' {
			b.WriteString(n.perm.String())
			return
		}
		b.WriteByte('(')
		for i, k := range n.kids {
			if i > 0 {
				if n.op == '&' {
					b.WriteString(" AND ")
				} else {
					b.WriteString(" OR ")
				}
			}
			write(k)
		}
		b.WriteByte(')')
	}
	if q.root != nil {
		write(q.root)
	}
	return b.String()
}
