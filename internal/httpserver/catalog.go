package httpserver

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

// catalog is the permissions that exist (content type × action), kept in
// memory so that /auth/verify can refuse an unknown one without a query. It
// is reloaded after ttl, like the verification cache, and at once after a
// change on this instance.
type catalog struct {
	client *ent.Client
	ttl    time.Duration
	now    func() time.Time

	mu   sync.Mutex // one reload at a time
	gen  atomic.Uint64
	snap atomic.Pointer[catalogSnapshot]
}

type catalogSnapshot struct {
	all    perm.Set
	loaded time.Time
	gen    uint64
}

func newCatalog(client *ent.Client, ttl time.Duration, now func() time.Time) *catalog {
	return &catalog{client: client, ttl: ttl, now: now}
}

// Invalidate drops the catalog; the next lookup reloads it.
func (c *catalog) Invalidate() { c.gen.Add(1) }

// Has reports whether action exists on the content type. When the database
// cannot be read it answers from the last catalog it had, if any.
func (c *catalog) Has(ctx context.Context, contentType, action string) (bool, error) {
	snap := c.snap.Load()
	if !c.fresh(snap) {
		loaded, err := c.reload(ctx)
		if err != nil && snap == nil {
			return false, err
		}
		if err == nil {
			snap = loaded
		}
	}
	return snap.all.Allows(contentType, action), nil
}

func (c *catalog) fresh(s *catalogSnapshot) bool {
	return s != nil && s.gen == c.gen.Load() && c.now().Sub(s.loaded) < c.ttl
}

func (c *catalog) reload(ctx context.Context) (*catalogSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.snap.Load(); c.fresh(s) {
		return s, nil
	}
	// The generation is read before the query: a change committed while it
	// runs leaves this snapshot stale, and the next lookup loads again.
	gen := c.gen.Load()
	all, _, err := authz.Catalog(ctx, c.client)
	if err != nil {
		return nil, err
	}
	s := &catalogSnapshot{all: all, loaded: c.now(), gen: gen}
	c.snap.Store(s)
	return s, nil
}
