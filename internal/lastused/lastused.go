// Package lastused keeps when and from where each token was last used, in
// the token_usage table (one row per token, ent.TokenUsage) rather than on
// the api_tokens row: last use is written all the time (internal/auth's
// recorder flushes it in batches), and the token row is what mutations lock
// FOR UPDATE, edit, and on Galera certify. The GraphQL API still shows it
// on APIToken (lastUsedAt, lastUsedIP, the LAST_USED_AT order and the
// lastUsedAt*/lastUsedIP* filters): this package answers those from the
// table, and graph/lastused.go wires them.
package lastused

import (
	"context"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/predicate"
	"github.com/latchkeyhq/latchkey/ent/tokenusage"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

// Record notes that token id was used at from ip, unless a later use is
// already recorded: one UPDATE of the token's usage row, or an INSERT for a
// token used for the first time. A token deleted meanwhile is skipped.
func Record(ctx context.Context, client *ent.Client, id string, at time.Time, ip string) error {
	if len(ip) > 64 {
		ip = ip[:64]
	}
	n, err := client.TokenUsage.Update().
		Where(tokenusage.ID(id), tokenusage.Or(tokenusage.LastUsedAtIsNil(), tokenusage.LastUsedAtLT(at))).
		SetLastUsedAt(at).SetLastUsedIP(ip).SetLastUsedSort(tokenstatus.LastUsedSortKey(&at)).
		Save(ctx)
	if err != nil || n > 0 {
		return err
	}
	if exists, err := client.TokenUsage.Query().Where(tokenusage.ID(id)).Exist(ctx); err != nil || exists {
		return err // the row holds a later use
	}
	if exists, err := client.APIToken.Query().Where(apitoken.ID(id)).Exist(ctx); err != nil || !exists {
		return err
	}
	err = client.TokenUsage.Create().SetID(id).SetLastUsedAt(at).SetLastUsedIP(ip).
		SetLastUsedSort(tokenstatus.LastUsedSortKey(&at)).Exec(ctx)
	if ent.IsConstraintError(err) {
		// Another instance inserted it first: record over it if later.
		return Record(ctx, client, id, at, ip)
	}
	return err
}

// Forget deletes the usage of a deleted token, in the deleting transaction.
func Forget(ctx context.Context, client *ent.Client, id string) error {
	_, err := client.TokenUsage.Delete().Where(tokenusage.ID(id)).Exec(ctx)
	return err
}

// Where matches the tokens whose usage row satisfies every predicate. As
// with a column of their own, a token never used matches no comparison.
func Where(ps ...predicate.TokenUsage) predicate.APIToken {
	return func(s *sql.Selector) {
		t := sql.Table(tokenusage.Table)
		sub := sql.Dialect(s.Dialect()).Select(t.C(tokenusage.FieldID)).From(t).
			Where(sql.ColumnsEQ(t.C(tokenusage.FieldID), s.C(apitoken.FieldID)))
		for _, p := range ps {
			p(sub)
		}
		s.Where(sql.Exists(sub))
	}
}

// Never matches the tokens with no recorded use, of the field's value
// (last_used_at or last_used_ip): the IsNil filters.
func Never(field string) predicate.APIToken {
	return apitoken.Not(Where(func(s *sql.Selector) { s.Where(sql.NotNull(s.C(field))) }))
}

// SortKey is the SQL expression tokens are ordered by for LAST_USED_AT:
// the usage row's sort key, or for a token never used the key that sorts
// first (tokenstatus.LastUsedSortKey(nil)).
func SortKey(s *sql.Selector) (string, []any) {
	t := sql.Table(tokenusage.Table)
	sub := sql.Dialect(s.Dialect()).Select(t.C(tokenusage.FieldLastUsedSort)).From(t).
		Where(sql.ColumnsEQ(t.C(tokenusage.FieldID), s.C(apitoken.FieldID)))
	q, args := sub.Query()
	never, nargs := Time(s, tokenstatus.LastUsedSortKey(nil)).Query()
	return "COALESCE((" + q + "), " + never + ")", append(args, nargs...)
}

// Time is a time parameter compared with the sort key. MySQL must be told
// it is a DATETIME(6): inside COALESCE an untyped parameter turns the key
// into a string, which compares ".000000" fractions wrongly. SQLite stores
// times as text in one format, so the plain parameter compares right.
func Time(s *sql.Selector, v any) sql.Querier {
	if s.Dialect() == dialect.MySQL {
		return sql.Expr("CAST(? AS DATETIME(6))", v)
	}
	return sql.Expr("?", v)
}

// Key is the order key of a token whose usage is u (nil: never used).
func Key(u *ent.TokenUsage) time.Time {
	if u == nil {
		return tokenstatus.LastUsedSortKey(nil)
	}
	return u.LastUsedSort
}

// Loader reads the usage of every token one GraphQL request shows in one
// query: the first token asked about loads the usage of every token the
// request has read from the database so far (Track notes them).
type Loader struct {
	mu      sync.Mutex
	pending map[string]bool
	usage   map[string]*ent.TokenUsage // nil: never used
}

type loaderKey struct{}

// WithLoader returns ctx with a new Loader for one request.
func WithLoader(ctx context.Context) context.Context {
	return context.WithValue(ctx, loaderKey{}, &Loader{pending: map[string]bool{}, usage: map[string]*ent.TokenUsage{}})
}

// Track makes client note, in the request's Loader, every token it reads.
func Track(client *ent.Client) {
	client.APIToken.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			l, _ := ctx.Value(loaderKey{}).(*Loader)
			if ts, ok := v.([]*ent.APIToken); ok && l != nil {
				l.mu.Lock()
				for _, t := range ts {
					if _, known := l.usage[t.ID]; !known {
						l.pending[t.ID] = true
					}
				}
				l.mu.Unlock()
			}
			return v, err
		})
	}))
}

// Of returns the usage of token id (nil if it was never used), read with
// client and, within a request, together with that of the other tokens the
// request has read.
func Of(ctx context.Context, client *ent.Client, id string) (*ent.TokenUsage, error) {
	l, _ := ctx.Value(loaderKey{}).(*Loader)
	if l == nil {
		u, err := client.TokenUsage.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, nil
		}
		return u, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if u, known := l.usage[id]; known {
		return u, nil
	}
	l.pending[id] = true
	ids := make([]string, 0, len(l.pending))
	for p := range l.pending {
		ids = append(ids, p)
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		rows, err := client.TokenUsage.Query().Where(tokenusage.IDIn(chunk...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range chunk {
			l.usage[p] = nil
			delete(l.pending, p)
		}
		for _, u := range rows {
			l.usage[u.ID] = u
		}
	}
	return l.usage[id], nil
}
