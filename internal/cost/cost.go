package cost

import (
	"context"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// Limit refuses an operation whose cost exceeds the caller's budget, after
// validation and before anything is resolved.
type Limit struct {
	// Budget is the most an operation may cost the caller in ctx.
	Budget func(ctx context.Context) int
	// DefaultPage is the page size of a connection given neither first nor last.
	DefaultPage int
	// Cache, when set, forgets the documents refused.
	Cache *QueryCache

	model *Model
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &Limit{}

func (*Limit) ExtensionName() string { return "QueryCost" }

func (l *Limit) Validate(es graphql.ExecutableSchema) error {
	l.model = NewModel(es.Schema(), l.DefaultPage)
	return nil
}

func (l *Limit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	budget := l.Budget(ctx)
	c := l.model.Cost(oc.Operation, oc.Variables, budget)
	if c <= budget {
		return nil
	}
	if l.Cache != nil {
		l.Cache.Forget(oc.RawQuery)
	}
	return Refusal(gqlerror.Errorf("the query costs %d, more than the %d allowed; ask for smaller pages or fewer fields", c, budget), c, budget)
}

// Refusal marks err as the client's fault, with what it cost and the limit.
func Refusal(err *gqlerror.Error, cost, limit int) *gqlerror.Error {
	err.Extensions = map[string]any{"code": string(gqlerr.BadUserInput), "cost": cost, "limit": limit}
	return err
}

// Model prices operations against one schema.
type Model struct {
	schema      *ast.Schema
	defaultPage float64
	intro       sizes // introspection lists over all types (averages)
	introMax    sizes // introspection lists of one type (largest)
}

// sizes are the lengths of the introspection lists.
type sizes struct {
	types, directives, fields, args, inputFields, enumValues, interfaces, possibleTypes, directiveArgs float64
}

// NewModel measures the schema once: introspection costs follow its real sizes.
func NewModel(s *ast.Schema, defaultPage int) *Model {
	m := &Model{schema: s, defaultPage: float64(defaultPage)}
	var sum sizes
	var nFields float64
	for _, t := range s.Types {
		sum.types++
		var fields, inputs float64
		for _, f := range t.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if t.Kind == ast.InputObject {
				inputs++
			} else {
				fields++
				sum.args += float64(len(f.Arguments))
				m.introMax.args = max(m.introMax.args, float64(len(f.Arguments)))
			}
		}
		nFields += fields
		sum.fields += fields
		sum.inputFields += inputs
		sum.enumValues += float64(len(t.EnumValues))
		sum.interfaces += float64(len(t.Interfaces))
		possible := float64(len(s.PossibleTypes[t.Name]))
		if t.Kind == ast.Object {
			possible = 0
		}
		sum.possibleTypes += possible
		m.introMax.fields = max(m.introMax.fields, fields)
		m.introMax.inputFields = max(m.introMax.inputFields, inputs)
		m.introMax.enumValues = max(m.introMax.enumValues, float64(len(t.EnumValues)))
		m.introMax.interfaces = max(m.introMax.interfaces, float64(len(t.Interfaces)))
		m.introMax.possibleTypes = max(m.introMax.possibleTypes, possible)
	}
	for _, d := range s.Directives {
		sum.directives++
		sum.directiveArgs += float64(len(d.Arguments))
		m.introMax.directiveArgs = max(m.introMax.directiveArgs, float64(len(d.Arguments)))
	}
	per := func(total, n float64) float64 {
		if n == 0 {
			return 0
		}
		return total / n
	}
	m.intro = sizes{
		types:         sum.types,
		directives:    sum.directives,
		fields:        per(sum.fields, sum.types),
		args:          per(sum.args, nFields),
		inputFields:   per(sum.inputFields, sum.types),
		enumValues:    per(sum.enumValues, sum.types),
		interfaces:    per(sum.interfaces, sum.types),
		possibleTypes: per(sum.possibleTypes, sum.types),
		directiveArgs: per(sum.directiveArgs, sum.directives),
	}
	m.introMax.types, m.introMax.directives = m.intro.types, m.intro.directives
	return m
}

// walk is one costing of one operation.
type walk struct {
	m     *Model
	vars  map[string]any
	total float64
	stop  float64 // give up once total passes this: the answer is already "too much"
}

// Cost is what op costs with these variables. Costing stops once it passes
// budget, so a huge document costs little to refuse; the result is then
// the cost counted so far (more than budget).
func (m *Model) Cost(op *ast.OperationDefinition, vars map[string]any, budget int) int {
	if op == nil {
		return 0
	}
	w := &walk{m: m, vars: vars, stop: float64(budget)}
	root := "Query"
	switch op.Operation {
	case ast.Mutation:
		root = "Mutation"
	case ast.Subscription:
		root = "Subscription"
	}
	w.set(op.SelectionSet, 1, root, 0, nil)
	if w.total > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(math.Ceil(w.total))
}

// set costs a selection set resolved mult times. page is the page size when
// the set is a connection's; intro is the introspection sizes in force.
func (w *walk) set(ss ast.SelectionSet, mult float64, root string, page float64, intro *sizes) {
	for _, sel := range ss {
		if w.total > w.stop {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			w.field(s, mult, root, page, intro)
		case *ast.InlineFragment:
			w.set(s.SelectionSet, mult, root, page, intro)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				w.set(s.Definition.SelectionSet, mult, root, page, intro)
			}
		}
	}
}

func (w *walk) field(f *ast.Field, mult float64, root string, page float64, intro *sizes) {
	if f.Definition == nil || f.Name == "__typename" {
		return
	}
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name
	}
	key := parent + "." + f.Name
	named := w.m.schema.Types[f.Definition.Type.Name()]
	composite := named != nil && (named.Kind == ast.Object || named.Kind == ast.Interface || named.Kind == ast.Union)

	// Introspection answers from memory, by the schema's real sizes.
	switch {
	case f.Name == "__schema":
		intro = &w.m.intro
	case f.Name == "__type":
		intro = &w.m.introMax
	case parent == "__Schema" && f.Name != "types" && f.Name != "directives":
		intro = &w.m.introMax
	}

	// What the field costs once per parent object.
	var own float64
	switch {
	case intro != nil || strings.HasPrefix(parent, "__"):
	case parent == root && root == "Mutation":
		own = Mutation
	case parent == root, databaseFields[key], f.Name == "totalCount" && isConnection(f.ObjectDefinition):
		own = Database
	}
	w.total += mult * own

	// How many objects it answers per parent object.
	n := 1.0
	switch {
	case page > 0 && (f.Name == "edges" || f.Name == "nodes"):
		n = page
	case f.Definition.Type.Elem != nil:
		n = w.listSize(key, intro)
		// A list bounded by a first argument (topAPITokens) holds at most that many.
		if first, ok := w.firstOf(f); ok && first < n {
			n = first
		}
		// A list of records asked for by id (nodes) holds at most one per id.
		if ids := f.Arguments.ForName("ids"); ids != nil && ids.Value != nil {
			if v, err := ids.Value.Value(w.vars); err == nil {
				if l, ok := v.([]any); ok {
					n = float64(len(l))
				}
			}
		}
	}
	if composite {
		w.total += mult * n * Object
	}
	if len(f.SelectionSet) == 0 {
		return
	}
	childPage := 0.0
	if isConnection(named) {
		childPage = w.pageOf(f)
	}
	w.set(f.SelectionSet, mult*n, root, childPage, intro)
}

// firstOf is the value of a plain list's first argument, given or default.
func (w *walk) firstOf(f *ast.Field) (float64, bool) {
	def := f.Definition.Arguments.ForName("first")
	if def == nil {
		return 0, false
	}
	v := def.DefaultValue
	if a := f.Arguments.ForName("first"); a != nil {
		v = a.Value
	}
	if v == nil {
		return 0, false
	}
	x, err := v.Value(w.vars)
	if err != nil {
		return 0, false
	}
	n, ok := toFloat(x)
	return n, ok && n >= 0
}

// pageOf is the page size a connection field asks for.
func (w *walk) pageOf(f *ast.Field) float64 {
	var size float64
	found := false
	for _, name := range []string{"first", "last"} {
		a := f.Arguments.ForName(name)
		if a == nil || a.Value == nil {
			continue
		}
		v, err := a.Value.Value(w.vars)
		if err != nil || v == nil {
			continue
		}
		if n, ok := toFloat(v); ok && n >= 0 {
			size, found = max(size, n), true
		}
	}
	if !found {
		return w.m.defaultPage
	}
	return size
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// listSize is how many elements a list field is assumed to hold.
func (w *walk) listSize(key string, intro *sizes) float64 {
	if intro != nil {
		switch key {
		case "__Schema.types":
			return intro.types
		case "__Schema.directives":
			return intro.directives
		case "__Type.fields":
			return intro.fields
		case "__Type.inputFields":
			return intro.inputFields
		case "__Type.enumValues":
			return intro.enumValues
		case "__Type.interfaces":
			return intro.interfaces
		case "__Type.possibleTypes":
			return intro.possibleTypes
		case "__Field.args":
			return intro.args
		case "__Directive.args":
			return intro.directiveArgs
		}
	}
	if n, ok := listSizes[key]; ok {
		return float64(n)
	}
	return DefaultListSize
}

// isConnection tells a Relay connection type: its edges are paged.
func isConnection(t *ast.Definition) bool {
	return t != nil && t.Kind == ast.Object && strings.HasSuffix(t.Name, "Connection") && t.Fields.ForName("edges") != nil
}
