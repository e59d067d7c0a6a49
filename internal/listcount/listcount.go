// Package listcount keeps the totalCount of the token list for the filters
// the admin UI asks for on every page (none, and a name search), so that a
// page of a large table does not count every row again, while staying exact
// after any write on any instance.
//
// Exactness: every transaction that adds, removes or renames a token also
// appends a TokenSet entry to the change feed (Hook, on every ent client of
// the process, so no operation can forget it). A cached count remembers the
// feed's stamp when it was counted: the number and the largest id of the
// TokenSet entries after the feed reader's horizon (every entry at or below
// it has committed or failed, internal/changes). Before a cached count is
// used, the stamp is read again in one indexed query; any entry committed
// since then, however late its id, changes it, and the count is taken anew.
package listcount

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	entgo "entgo.io/ent"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/change"
	"github.com/latchkeyhq/latchkey/ent/hook"
	"github.com/latchkeyhq/latchkey/internal/changes"
)

// TokenSet is the change kind of a write that may change what a token count
// says: a token made, deleted or renamed. Its ref is empty.
const TokenSet = "api-token-set"

// MaxAge bounds how long a count is reused, so that the stamp only ever
// looks at a minute or two of the feed, far from what pruning removes.
const MaxAge = time.Minute

// DefaultMinRows is the smallest count worth keeping: below it, counting
// again costs the database no more than reading the stamp does.
const DefaultMinRows = 5000

// Cache holds the counts of one instance.
type Cache struct {
	db      *sql.DB
	horizon func() int
	// MinRows: smaller counts are taken anew every time (set before use).
	MinRows int
	now     func() time.Time
	lru     *lru.Cache[string, entry]
	// Hits and Misses count cached counts used and counts taken, for
	// tests and metrics.
	Hits, Misses atomic.Int64
}

type entry struct {
	// small: the last count was below MinRows; count again, without a stamp.
	small   bool
	horizon int
	stamp   stamp
	count   int
	at      time.Time
}

type stamp struct{ n, max int }

// New makes a cache of up to size counts whose stamps are read from db;
// horizon is the feed reader's horizon (changes.Follower.Horizon).
func New(db *sql.DB, horizon func() int, size int) *Cache {
	l, err := lru.New[string, entry](size)
	if err != nil {
		panic(err) // only for size ≤ 0
	}
	return &Cache{db: db, horizon: horizon, MinRows: DefaultMinRows, now: time.Now, lru: l}
}

type ctxKey struct{}

type marked struct {
	c   *Cache
	key string
	// scan: counting reads the whole table whatever it finds, so even a
	// small count is worth keeping.
	scan bool
}

// For marks ctx so that the token count taken under it is answered from c
// under key; key names the filter and must say everything the count
// depends on besides which tokens exist and what they are named.
func (c *Cache) For(ctx context.Context, key string) context.Context {
	if c == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, marked{c, key, false})
}

// ForScan is For for a filter the database can only count by reading every
// row (a name search that scans, internal/namesearch): its count is kept
// however small it is.
func (c *Cache) ForScan(ctx context.Context, key string) context.Context {
	if c == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, marked{c, key, true})
}

// Interceptor answers an APIToken count from the cache of its context, if
// it has one; register it on the client (Register).
var Interceptor = ent.InterceptFunc(func(next ent.Querier) ent.Querier {
	return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
		m, ok := ctx.Value(ctxKey{}).(marked)
		qc := entgo.QueryFromContext(ctx)
		if !ok || qc == nil || qc.Op != entgo.OpQueryCount || ent.TxFromContext(ctx) != nil {
			return next.Query(ctx, q)
		}
		return m.c.count(ctx, m, func() (ent.Value, error) { return next.Query(ctx, q) })
	})
})

func (c *Cache) count(ctx context.Context, m marked, take func() (ent.Value, error)) (ent.Value, error) {
	key, minRows := m.key, c.MinRows
	if m.scan {
		minRows = 0
	}
	e, ok := c.lru.Get(key)
	if ok && e.small {
		v, err := take()
		if n, isInt := v.(int); err == nil && isInt && n >= minRows {
			c.lru.Remove(key) // grown: stamped from the next count on
		}
		return v, err
	}
	if ok && c.now().Sub(e.at) < MaxAge {
		s, err := c.stamp(ctx, e.horizon)
		if err != nil {
			return nil, err
		}
		if s == e.stamp {
			c.Hits.Add(1)
			return e.count, nil
		}
	}
	c.Misses.Add(1)
	// The stamp first: a write committed between the two reads leaves a
	// stamp older than the count, which the next use finds changed.
	h := c.horizon()
	s, err := c.stamp(ctx, h)
	if err != nil {
		return nil, err
	}
	v, err := take()
	if err != nil {
		return nil, err
	}
	if n, ok := v.(int); ok {
		c.lru.Add(key, entry{small: n < minRows, horizon: h, stamp: s, count: n, at: c.now()})
	}
	return v, nil
}

// stampQuery reads how many TokenSet entries follow a horizon, and the
// last: a range of the primary key, a minute or two of the feed.
var stampQuery = "SELECT COUNT(*), COALESCE(MAX(" + change.FieldID + "), 0) FROM " + change.Table +
	" WHERE " + change.FieldID + " > ? AND " + change.FieldKind + " = ?"

func (c *Cache) stamp(ctx context.Context, horizon int) (s stamp, err error) {
	err = c.db.QueryRowContext(ctx, stampQuery, horizon, TokenSet).Scan(&s.n, &s.max)
	return s, err
}

// Register installs the hook and the interceptor on a client: every
// process that writes tokens (server, seeding, mint-token) must.
func Register(client *ent.Client) {
	client.APIToken.Use(Hook)
	client.APIToken.Intercept(Interceptor)
}

// Hook appends a TokenSet entry to the feed with each write that adds,
// removes or renames tokens: inside a transaction, one entry written as the
// transaction commits; outside one (none of Latchkey's own operations), an
// entry after the write succeeded, so that a count taken in between is
// stamped before the entry and found stale (if the entry cannot be written
// the write reports the error, and counts may be stale for MaxAge).
func Hook(next ent.Mutator) ent.Mutator {
	return hook.APITokenFunc(func(ctx context.Context, m *ent.APITokenMutation) (ent.Value, error) {
		if !changesSet(m) {
			return next.Mutate(ctx, m)
		}
		tx, err := m.Tx()
		if err != nil { // not in a transaction
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			return v, record(ctx, m.Client())
		}
		tx.OnCommit(stampOnCommit)
		return next.Mutate(ctx, m)
	})
}

func changesSet(m *ent.APITokenMutation) bool {
	if m.Op().Is(ent.OpCreate) || m.Op().Is(ent.OpDelete) || m.Op().Is(ent.OpDeleteOne) {
		return true
	}
	_, name := m.Name()
	_, fold := m.NameFold()
	return name || fold
}

func record(ctx context.Context, client *ent.Client) error {
	return changes.Record(ctx, client, "", TokenSet, "", time.Now().UTC())
}

// committing holds the transactions whose commit has written its entry:
// every write registers stampOnCommit, and the first of them to run (the
// outermost) writes the one entry.
var committing sync.Map // *ent.Tx → struct{}

func stampOnCommit(next ent.Committer) ent.Committer {
	return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
		if _, done := committing.LoadOrStore(tx, struct{}{}); !done {
			defer committing.Delete(tx)
			if err := record(ctx, tx.Client()); err != nil {
				return err
			}
		}
		return next.Commit(ctx, tx)
	})
}

// Key is the cache key of a token list filter, and false when the filter
// is not one whose count this package keeps: none, or only a name search.
func Key(w *ent.APITokenWhereInput, fold func(string) string) (string, bool) {
	if w == nil {
		return "all", true
	}
	if w.NameContainsFold == nil {
		return "", false
	}
	only := *w
	only.NameContainsFold = nil
	if !isZero(&only) {
		return "", false
	}
	return "name:" + fold(*w.NameContainsFold), true
}

// isZero reports whether a where-input sets nothing: every field of its
// JSON form is omitted when empty, and predicates (from field resolvers)
// have none.
func isZero(w *ent.APITokenWhereInput) bool {
	b, err := json.Marshal(w)
	return err == nil && string(b) == "{}" && len(w.Predicates) == 0
}
