package cost

import (
	"context"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// QueryCache is the handler's cache of parsed, validated documents, which
// forgets a document that Limit refuses: gqlgen caches a document once it
// validates, before its cost is known, and a stream of distinct refused
// documents would otherwise fill the cache (hundreds of MB of syntax
// trees) and push out the documents of legitimate clients.
type QueryCache struct {
	lru *lru.Cache[string, *ast.QueryDocument]
}

// NewQueryCache holds up to size documents.
func NewQueryCache(size int) *QueryCache {
	c, err := lru.New[string, *ast.QueryDocument](size)
	if err != nil {
		panic(err) // only for size ≤ 0
	}
	return &QueryCache{lru: c}
}

func (c *QueryCache) Get(_ context.Context, query string) (*ast.QueryDocument, bool) {
	return c.lru.Get(query)
}

func (c *QueryCache) Add(_ context.Context, query string, doc *ast.QueryDocument) {
	c.lru.Add(query, doc)
}

// Forget drops a document.
func (c *QueryCache) Forget(query string) { c.lru.Remove(query) }

// Len is the number of documents held.
func (c *QueryCache) Len() int { return c.lru.Len() }
