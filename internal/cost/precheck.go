package cost

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Precheck measures a document before gqlgen validates it, because
// validation is what grows quadratically (OverlappingFieldsCanBeMerged on
// fields of the same name): a document over MaxTokens, MaxSelections,
// MaxAliases or MaxDepth is refused after one linear parse. A document the
// query cache already holds passed validation before and is not measured
// again, so the hot path stays a map lookup.
type Precheck struct {
	// Cache is the handler's query cache.
	Cache graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = Precheck{}

func (Precheck) ExtensionName() string                   { return "QueryPrecheck" }
func (Precheck) Validate(graphql.ExecutableSchema) error { return nil }

func (p Precheck) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if p.Cache != nil {
		if _, ok := p.Cache.Get(ctx, params.Query); ok {
			return nil
		}
	}
	return Measure(params.Query)
}

// Measure refuses a document over MaxQueryBytes, then parses it with the
// token limit and refuses it when it has too many selections or aliases or
// nests too deep. A document that does not
// parse is left for the executor to report.
func Measure(query string) *gqlerror.Error {
	if len(query) > MaxQueryBytes {
		return Refusal(gqlerror.Errorf("the document is longer than %d bytes", MaxQueryBytes), len(query), MaxQueryBytes)
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, MaxTokens)
	if err != nil {
		if m, ok := err.(*gqlerror.Error); ok && isTokenLimit(m) {
			return Refusal(gqlerror.Errorf("the document has more than %d tokens", MaxTokens), MaxTokens+1, MaxTokens)
		}
		return nil
	}
	c := &counter{fragments: map[string]*ast.FragmentDefinition{}, spreading: map[string]bool{}}
	for _, f := range doc.Fragments {
		c.fragments[f.Name] = f
	}
	for _, op := range doc.Operations {
		c.set(op.SelectionSet, 1)
		if c.refusal != nil {
			return c.refusal
		}
	}
	return nil
}

// isTokenLimit tells the parser's refusal of a document over the token limit.
func isTokenLimit(e *gqlerror.Error) bool {
	return strings.HasPrefix(e.Message, "exceeded token limit")
}

type counter struct {
	fragments  map[string]*ast.FragmentDefinition
	spreading  map[string]bool // fragments being expanded: a cycle is validation's to report
	selections int
	aliases    int
	refusal    *gqlerror.Error
}

func (c *counter) set(ss ast.SelectionSet, depth int) {
	for _, sel := range ss {
		if c.refusal != nil {
			return
		}
		c.selections++
		if c.selections > MaxSelections {
			c.refusal = Refusal(gqlerror.Errorf("the document selects more than %d fields", MaxSelections), c.selections, MaxSelections)
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				c.aliases++
				if c.aliases > MaxAliases {
					c.refusal = Refusal(gqlerror.Errorf("the document has more than %d aliases", MaxAliases), c.aliases, MaxAliases)
					return
				}
			}
			if depth > MaxDepth {
				c.refusal = Refusal(gqlerror.Errorf("the document nests fields deeper than %d", MaxDepth), depth, MaxDepth)
				return
			}
			c.set(s.SelectionSet, depth+1)
		case *ast.InlineFragment:
			c.set(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			f := c.fragments[s.Name]
			if f == nil || c.spreading[s.Name] {
				continue
			}
			c.spreading[s.Name] = true
			c.set(f.SelectionSet, depth)
			c.spreading[s.Name] = false
		}
	}
}
