package namesearch

import "context"

// InsertHolders writes a row for every gram and id, as if tokens with those
// ids held those grams (the ids need not exist), with the package's own
// batched insert.
func InsertHolders(ctx context.Context, db execer, dialectName string, grams, ids []string) error {
	rows := make([]row, 0, len(grams)*len(ids))
	for _, id := range ids {
		for _, g := range grams {
			rows = append(rows, row{[]byte(g), id})
		}
	}
	return insertRows(ctx, db, dialectName, rows)
}
