// Package namesearch answers the token list's name search (nameContainsFold)
// on large tables, exactly and the same way on every database.
//
// What matches: the folded search text is a substring of the token's
// name_fold, byte for byte (Contains), whatever the column's collation:
// the same rule on SQLite and MySQL, and the one a brute-force filter in Go
// (strings.Contains) applies.
//
// How it stays fast:
//   - Narrow searches use token_name_grams, every distinct trigram (three
//     runes) of every token's name_fold. The tokens holding all trigrams of
//     the search text are a superset of the matches; when there are at most
//     maxCandidates of them, the filter becomes their id list (and Contains).
//   - Broad searches (short text, or only common trigrams) scan, in the
//     list's order: with Late, a page in the NAME order first reads its ids
//     from the (name_fold, id) index alone, then only those rows.
//
// The table is written by Hook in the same transaction as every write that
// creates, deletes or renames a token, and filled for older tokens by
// Migrate. It may hold trigrams a token no longer has (they only widen the
// candidates), never lack one it has: new trigrams are written before the
// token row, old ones deleted after. ent does not model it because its key
// is the pair (trigram, token id), which ent cannot make a primary key, and
// an extra id column would double its size.
package namesearch

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/hook"
	"github.com/latchkeyhq/latchkey/ent/predicate"
)

// Table holds (gram, token_id) for every distinct trigram of every token's
// name_fold, and one marker row once Migrate has filled it for the tokens
// that existed before it.
const Table = "token_name_grams"

// marker is the gram of the marker row (token id ""): a byte no UTF-8
// text holds, so no trigram.
var marker = []byte{0xff}

// maxCandidates is the most tokens holding a search's trigrams that the
// search checks one by one; a search with more scans instead.
const maxCandidates = 250

// maxSearchGrams bounds the trigrams of a search text that are
// intersected (and so the tables the optimizer orders).
const maxSearchGrams = 16

// maxFoldBytes is the longest name_fold (ent/schema/apitoken.go).
const maxFoldBytes = 400

// gramRunes is the length of a gram.
const gramRunes = 3

// Grams returns the distinct trigrams of s, in order of first appearance.
// Names and search texts are valid UTF-8 (folded, from JSON), where a byte
// substring starts and ends on rune boundaries: so a name containing a
// text holds every trigram of it.
func Grams(s string) [][]byte {
	runes := []rune(s)
	if len(runes) < gramRunes {
		return nil
	}
	seen := make(map[string]bool, len(runes))
	var out [][]byte
	for i := 0; i+gramRunes <= len(runes); i++ {
		g := string(runes[i : i+gramRunes])
		if !seen[g] {
			seen[g] = true
			out = append(out, []byte(g))
		}
	}
	return out
}

// Contains is the exact rule: the folded text f is a substring of
// name_fold, compared as bytes (no collation, no LIKE escapes).
func Contains(f string) predicate.APIToken {
	return func(s *entsql.Selector) {
		col := s.C(apitoken.FieldNameFold)
		s.Where(entsql.P(func(b *entsql.Builder) {
			if b.Dialect() == dialect.MySQL {
				// Characters compared by code point (utf8mb4_bin), the text
				// converted from whatever the connection's character set
				// is: byte-exact on UTF-8, and right under latin1 too.
				b.WriteString("INSTR(" + col + " COLLATE utf8mb4_bin, CONVERT(").Arg(f).WriteString(" USING utf8mb4) COLLATE utf8mb4_bin) > 0")
				return
			}
			b.WriteString("instr(" + col + ", ").Arg(f).WriteString(") > 0")
		}))
	}
}

// Filter is the predicate of a name search for the folded text f, read
// with client (a transaction's, inside one) from a database of the given
// dialect. scan reports that it is Contains alone, which the database
// answers by reading the name index.
func Filter(ctx context.Context, client *ent.Client, dialectName, f string) (p predicate.APIToken, scan bool, err error) {
	if len(f) > maxFoldBytes {
		// No name is that long: nothing matches, and a long text's grams
		// would cost memory for nothing.
		return func(s *entsql.Selector) { s.Where(entsql.False()) }, false, nil
	}
	ids, ok, err := candidates(ctx, client, dialectName, Grams(f))
	if err != nil || !ok {
		return Contains(f), true, err
	}
	// Contains still decides: the candidates only hold the trigrams.
	return apitoken.And(apitoken.IDIn(ids...), Contains(f)), false, nil
}

// candidates returns the tokens that hold every one of (up to
// maxSearchGrams of) grams, when the table is complete and there are at
// most maxCandidates of them. rarest first counts each gram's tokens (each
// up to countCap): when every gram is that common, the search is broad and
// the caller scans the name index instead. Otherwise one statement: the
// marker row, then the intersection, a join on the table's primary key
// driven from the rarest trigram, in the order written (SQLite's CROSS
// JOIN, MySQL's STRAIGHT_JOIN), that stops after maxCandidates+1 rows. So
// the join reads fewer than countCap rows of its first gram whatever the
// text: without the count, MySQL's optimizer chose the driving gram by
// index dives, and a text of common trigrams no token holds together made
// it read every row of one (about 250 ms on 20 000 tokens).
func candidates(ctx context.Context, client *ent.Client, dialectName string, grams [][]byte) ([]string, bool, error) {
	if len(grams) == 0 {
		return nil, false, nil
	}
	if len(grams) > maxSearchGrams { // any subset gives a superset of the matches
		picked := make([][]byte, 0, maxSearchGrams)
		for i := range maxSearchGrams {
			picked = append(picked, grams[i*(len(grams)-1)/(maxSearchGrams-1)])
		}
		grams = picked
	}
	grams, ok, err := rarest(ctx, client, grams)
	if err != nil || !ok {
		return nil, false, err
	}
	join := " CROSS JOIN " // SQLite joins in the order written
	if dialectName == dialect.MySQL {
		join = " STRAIGHT_JOIN "
	}
	var q strings.Builder
	args := make([]any, 0, len(grams)+1)
	q.WriteString("SELECT token_id FROM " + Table + " WHERE gram = ? UNION ALL SELECT token_id FROM (SELECT g0.token_id FROM " + Table + " g0")
	args = append(args, marker)
	for i := 1; i < len(grams); i++ {
		fmt.Fprintf(&q, "%s%s g%d ON g%d.gram = ? AND g%d.token_id = g0.token_id", join, Table, i, i, i)
		args = append(args, grams[i])
	}
	fmt.Fprintf(&q, " WHERE g0.gram = ? LIMIT %d) c", maxCandidates+1)
	args = append(args, grams[0])
	rows, err := client.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	complete := false
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		if id == "" {
			complete = true
		} else {
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return ids, complete && len(ids) <= maxCandidates, nil
}

// countCap bounds how many tokens of each trigram rarest counts.
const countCap = 4 * maxCandidates

// rarest orders grams by how many tokens hold them, fewest first. Each is
// counted up to countCap; when even the rarest reaches it, the search is
// broad and ok is false.
func rarest(ctx context.Context, client *ent.Client, grams [][]byte) (_ [][]byte, ok bool, err error) {
	var q strings.Builder
	args := make([]any, 0, len(grams))
	for i, g := range grams {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		fmt.Fprintf(&q, "SELECT %d, COUNT(*) FROM (SELECT 1 AS one FROM %s WHERE gram = ? LIMIT %d) c%d", i, Table, countCap, i)
		args = append(args, g)
	}
	rows, err := client.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	counts := make([]int, len(grams))
	for rows.Next() {
		var i, n int
		if err := rows.Scan(&i, &n); err != nil {
			return nil, false, err
		}
		counts[i] = n
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	order := make([]int, len(grams))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return counts[order[a]] < counts[order[b]] })
	if counts[order[0]] >= countCap {
		return nil, false, nil
	}
	sorted := make([][]byte, len(grams))
	for i, j := range order {
		sorted[i] = grams[j]
	}
	return sorted, true, nil
}

type lateKey struct{}

// Late marks ctx so that the token page read under it (a query for all
// rows, with a limit) first reads the page's ids with the same filter,
// cursors, order and limit but no other column, then only those rows:
// with the NAME order and a name search, the first read never leaves the
// (name_fold, id) index, where scanning costs a fraction of reading rows.
func Late(ctx context.Context) context.Context {
	return context.WithValue(ctx, lateKey{}, true)
}

// LateRows is the interceptor that does what Late asks (Register).
var LateRows = ent.InterceptFunc(func(next ent.Querier) ent.Querier {
	return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
		tq, ok := q.(*ent.APITokenQuery)
		qc := entgo.QueryFromContext(ctx)
		if !ok || qc == nil || qc.Op != entgo.OpQueryAll || qc.Limit == nil || ctx.Value(lateKey{}) == nil {
			return next.Query(ctx, q)
		}
		// The probe selects ids only: without the page's columns (Fields),
		// and with its own query context (else it would be this All again).
		fields := qc.Fields
		qc.Fields = nil
		probe := tq.Clone()
		qc.Fields = fields
		ids, err := probe.IDs(entgo.NewQueryContext(ctx, nil))
		if err != nil {
			return nil, err
		}
		return next.Query(ctx, tq.Where(apitoken.IDIn(ids...)))
	})
})

// Register installs the hook and the interceptor on a client of a database
// of the given dialect: every process that writes tokens must.
func Register(client *ent.Client, dialectName string) {
	client.APIToken.Use(Hook(dialectName))
	client.APIToken.Intercept(LateRows)
}

// Hook keeps Table in step with token writes, in the write's transaction.
func Hook(dialectName string) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return hook.APITokenFunc(func(ctx context.Context, m *ent.APITokenMutation) (ent.Value, error) {
			fold, renamed := m.NameFold()
			switch {
			case m.Op().Is(ent.OpCreate):
				id, ok := m.ID()
				if !ok {
					return nil, fmt.Errorf("namesearch: a token created without an id")
				}
				if err := insertGrams(ctx, m, dialectName, id, Grams(fold)); err != nil {
					return nil, err
				}
				return next.Mutate(ctx, m)
			case m.Op().Is(ent.OpDelete | ent.OpDeleteOne):
				olds, err := oldFolds(ctx, m)
				if err != nil {
					return nil, err
				}
				v, err := next.Mutate(ctx, m)
				if err != nil {
					return v, err
				}
				for id, old := range olds {
					if err := deleteGrams(ctx, m, id, Grams(old)); err != nil {
						return nil, err
					}
				}
				return v, nil
			case renamed:
				olds, err := oldFolds(ctx, m)
				if err != nil {
					return nil, err
				}
				added := Grams(fold)
				for id := range olds {
					if err := insertGrams(ctx, m, dialectName, id, added); err != nil {
						return nil, err
					}
				}
				v, err := next.Mutate(ctx, m)
				if err != nil {
					return v, err
				}
				for id, old := range olds {
					if err := deleteGrams(ctx, m, id, without(Grams(old), added)); err != nil {
						return nil, err
					}
				}
				return v, nil
			}
			return next.Mutate(ctx, m)
		})
	}
}

// oldFolds reads the name_fold of each token m is about to change.
func oldFolds(ctx context.Context, m *ent.APITokenMutation) (map[string]string, error) {
	ids, err := m.IDs(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	ts, err := m.Client().APIToken.Query().Where(apitoken.IDIn(ids...)).
		Select(apitoken.FieldID, apitoken.FieldNameFold).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		out[t.ID] = t.NameFold
	}
	return out, nil
}

func without(grams, drop [][]byte) [][]byte {
	skip := make(map[string]bool, len(drop))
	for _, g := range drop {
		skip[string(g)] = true
	}
	var out [][]byte
	for _, g := range grams {
		if !skip[string(g)] {
			out = append(out, g)
		}
	}
	return out
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertBatch bounds the rows of one statement.
const insertBatch = 500

type row struct {
	gram []byte
	id   string
}

// insertGrams adds (gram, id) rows, keeping any that exist.
func insertGrams(ctx context.Context, db execer, dialectName, id string, grams [][]byte) error {
	rows := make([]row, len(grams))
	for i, g := range grams {
		rows[i] = row{g, id}
	}
	return insertRows(ctx, db, dialectName, rows)
}

func insertRows(ctx context.Context, db execer, dialectName string, rows []row) error {
	for len(rows) > 0 {
		n := min(len(rows), insertBatch)
		var q strings.Builder
		q.WriteString("INSERT INTO " + Table + " (gram, token_id) VALUES (?, ?)" + strings.Repeat(", (?, ?)", n-1))
		if dialectName == dialect.MySQL {
			q.WriteString(" ON DUPLICATE KEY UPDATE token_id = token_id")
		} else {
			q.WriteString(" ON CONFLICT DO NOTHING")
		}
		args := make([]any, 0, 2*n)
		for _, r := range rows[:n] {
			args = append(args, r.gram, r.id)
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func deleteGrams(ctx context.Context, db execer, id string, grams [][]byte) error {
	for len(grams) > 0 {
		n := min(len(grams), insertBatch)
		args := make([]any, 0, n+1)
		args = append(args, id)
		for _, g := range grams[:n] {
			args = append(args, g)
		}
		q := "DELETE FROM " + Table + " WHERE token_id = ? AND gram IN (?" + strings.Repeat(", ?", n-1) + ")"
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		grams = grams[n:]
	}
	return nil
}

// Migrate creates Table and, until its marker row exists, fills it for
// every token (it is safe to run from many instances at once: rows that
// exist are kept). Tokens written meanwhile by Hook are in it already.
func Migrate(ctx context.Context, db *sql.DB, dialectName string) error {
	ddl := "CREATE TABLE IF NOT EXISTS " + Table + " (gram BLOB NOT NULL, token_id TEXT NOT NULL, PRIMARY KEY (gram, token_id)) WITHOUT ROWID"
	if dialectName == dialect.MySQL {
		ddl = "CREATE TABLE IF NOT EXISTS " + Table + " (gram VARBINARY(12) NOT NULL, " +
			"token_id VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, PRIMARY KEY (gram, token_id)) " +
			"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
	}
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return err
	}
	var done int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+Table+" WHERE gram = ?", marker).Scan(&done); err != nil || done > 0 {
		return err
	}
	after := ""
	for {
		rows, err := db.QueryContext(ctx, "SELECT "+apitoken.FieldID+", "+apitoken.FieldNameFold+" FROM "+apitoken.Table+
			" WHERE "+apitoken.FieldID+" > ? ORDER BY "+apitoken.FieldID+" LIMIT 200", after)
		if err != nil {
			return err
		}
		var batch []row
		n := 0
		for rows.Next() {
			var id, fold string
			if err := rows.Scan(&id, &fold); err != nil {
				rows.Close()
				return err
			}
			n, after = n+1, id
			for _, g := range Grams(fold) {
				batch = append(batch, row{g, id})
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		if err := insertRows(ctx, db, dialectName, batch); err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	return insertRows(ctx, db, dialectName, []row{{marker, ""}})
}
