package graph

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/predicate"
	"github.com/latchkeyhq/latchkey/graph/model"
	"github.com/latchkeyhq/latchkey/internal/lastused"
)

// A token's last use lives in the token_usage table (internal/lastused);
// these resolve the parts of the API that show it on APIToken.

// lastUse returns the recorded last use of t, or nil.
func lastUse(ctx context.Context, t *ent.APIToken) (*ent.TokenUsage, error) {
	return lastused.Of(ctx, ent.FromContext(ctx), t.ID)
}

// Filters on last use, as ent generates them for a column: a nil or empty
// value filters nothing, and a token never used matches no comparison.
func usedAt(w *ent.APITokenWhereInput, v *time.Time, p func(time.Time) predicate.TokenUsage) error {
	if v != nil {
		w.AddPredicates(lastused.Where(p(*v)))
	}
	return nil
}

func usedAtIn(w *ent.APITokenWhereInput, vs []*time.Time, p func(...time.Time) predicate.TokenUsage) error {
	if len(vs) > 0 {
		ts := make([]time.Time, 0, len(vs))
		for _, v := range vs {
			if v != nil {
				ts = append(ts, *v)
			}
		}
		w.AddPredicates(lastused.Where(p(ts...)))
	}
	return nil
}

func usedIP(w *ent.APITokenWhereInput, v *string, p func(string) predicate.TokenUsage) error {
	if v != nil {
		w.AddPredicates(lastused.Where(p(*v)))
	}
	return nil
}

func usedIPIn(w *ent.APITokenWhereInput, vs []string, p func(...string) predicate.TokenUsage) error {
	if len(vs) > 0 {
		w.AddPredicates(lastused.Where(p(vs...)))
	}
	return nil
}

func usedIf(w *ent.APITokenWhereInput, v *bool, p predicate.APIToken) error {
	if v != nil && *v {
		w.AddPredicates(p)
	}
	return nil
}

// entTokenOrder maps the order of the API to ent's, for every field but
// LAST_USED_AT.
var entTokenOrder = map[model.APITokenOrderField]*ent.APITokenOrderField{
	model.APITokenOrderFieldCreatedAt: ent.APITokenOrderFieldCreatedAt,
	model.APITokenOrderFieldUpdatedAt: ent.APITokenOrderFieldUpdatedAt,
	model.APITokenOrderFieldName:      ent.APITokenOrderFieldNameFold,
	model.APITokenOrderFieldCode:      ent.APITokenOrderFieldCode,
	model.APITokenOrderFieldType:      ent.APITokenOrderFieldType,
	model.APITokenOrderFieldExpiresAt: ent.APITokenOrderFieldExpiresSort,
}

// tokenPage is one page of q in the given order (nil: by id), after filter.
// LAST_USED_AT orders by a key read from token_usage (lastused.SortKey),
// which ent's paginator cannot: the page is then ordered and cut by that
// key here, and its cursors carry it, while the paginator does the rest
// (counts, page info, eager loading) ordered by id within equal keys.
func tokenPage(ctx context.Context, q *ent.APITokenQuery, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int,
	orderBy *model.APITokenOrder, filter func(*ent.APITokenQuery) (*ent.APITokenQuery, error)) (*ent.APITokenConnection, error) {
	if filter == nil {
		filter = func(q *ent.APITokenQuery) (*ent.APITokenQuery, error) { return q, nil }
	}
	if orderBy == nil || orderBy.Field != model.APITokenOrderFieldLastUsedAt {
		var order *ent.APITokenOrder
		if orderBy != nil {
			order = &ent.APITokenOrder{Field: entTokenOrder[orderBy.Field], Direction: orderBy.Direction}
		}
		return q.Paginate(ctx, after, first, before, last, ent.WithAPITokenOrder(order), ent.WithAPITokenFilter(filter))
	}
	dir := orderBy.Direction
	if err := dir.Validate(); err != nil {
		return nil, err
	}
	byKey := func(q *ent.APITokenQuery) (*ent.APITokenQuery, error) {
		q, err := filter(q)
		if err != nil {
			return nil, err
		}
		q = q.Where(beyond(after, dir, true), beyond(before, dir, false))
		read := dir
		if last != nil {
			read = dir.Reverse() // the paginator reads backwards from before
		}
		return q.Order(func(s *sql.Selector) {
			key, args := lastused.SortKey(s)
			s.OrderExpr(sql.Expr(key+" "+string(read), args...))
		}), nil
	}
	conn, err := q.Paginate(ctx, nil, first, nil, last,
		ent.WithAPITokenOrder(&ent.APITokenOrder{Field: ent.DefaultAPITokenOrder.Field, Direction: dir}),
		ent.WithAPITokenFilter(byKey))
	if err != nil {
		return nil, err
	}
	conn.PageInfo.HasPreviousPage = conn.PageInfo.HasPreviousPage || after != nil
	conn.PageInfo.HasNextPage = conn.PageInfo.HasNextPage || before != nil
	for _, e := range conn.Edges {
		u, err := lastUse(ctx, e.Node)
		if err != nil {
			return nil, err
		}
		e.Cursor = ent.Cursor{ID: e.Node.ID, Value: lastused.Key(u)}
	}
	return conn, nil
}

// beyond keeps the tokens after (forward) or before a cursor in the
// LAST_USED_AT order of direction dir: by key, then by id.
func beyond(c *entgql.Cursor[string], dir entgql.OrderDirection, forward bool) predicate.APIToken {
	return func(s *sql.Selector) {
		if c == nil {
			return
		}
		var v any = c.Value
		if t, ok := v.(time.Time); ok {
			v = t.UTC() // stored in UTC; SQLite compares text
		}
		op := sql.OpGT
		if (dir == entgql.OrderDirectionDesc) == forward {
			op = sql.OpLT
		}
		key, args := lastused.SortKey(s)
		id := s.C(apitoken.FieldID)
		value := lastused.Time(s, v)
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(").Join(sql.Expr(key, args...)).WriteOp(op).Join(value).
				WriteString(" OR (").Join(sql.Expr(key, args...)).WriteOp(sql.OpEQ).Join(value).
				WriteString(" AND ").WriteString(id).WriteOp(op).Arg(c.ID).WriteString("))")
		}))
	}
}
