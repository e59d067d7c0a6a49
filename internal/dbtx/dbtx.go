// Package dbtx opens the transactions that change data. It depends on
// nothing but ent, so that the request path (internal/auth and what it
// uses, like internal/credits) can open one without importing the store.
package dbtx

import (
	"context"
	"database/sql"

	"github.com/latchkeyhq/latchkey/ent"
)

// Begin opens the transaction of a change. On MySQL (mysql true) it reads
// committed data (READ COMMITTED), so that its plain reads agree with the
// rows its locking reads see.
func Begin(ctx context.Context, client *ent.Client, mysql bool) (*ent.Tx, error) {
	var opts *sql.TxOptions
	if mysql {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return client.BeginTx(ctx, opts)
}
