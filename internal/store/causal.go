package store

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/go-sql-driver/mysql"
)

// causalConnector opens the connections of the causal pool (Store.Causal).
// On a Galera node each of them waits, before every read, until the node has
// applied what the whole cluster committed before the read began
// (wsrep_sync_wait=1): a token created through another node is found at
// once. Elsewhere the setting does nothing (MariaDB without wsrep) or does
// not exist (MySQL: error 1193, ignored).
type causalConnector struct{ driver.Connector }

func (c causalConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		return conn, nil
	}
	_, err = ex.ExecContext(ctx, "SET SESSION wsrep_sync_wait = 1", nil)
	var me *mysql.MySQLError
	if err != nil && !(errors.As(err, &me) && me.Number == 1193) { // ER_UNKNOWN_SYSTEM_VARIABLE
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}
