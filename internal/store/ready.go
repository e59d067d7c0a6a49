package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/go-sql-driver/mysql"
)

// ErrNotReady is wrapped by Ready's errors that name a Galera node state.
var ErrNotReady = errors.New("database node not ready")

// Ready reports whether the database can serve this instance. On a Galera
// node (wsrep_on) it must also be ready for applications and Synced:
// a node without quorum still answers pings but refuses queries (1047), and
// a donor or joiner may serve stale data. Elsewhere a ping is the test.
func (s *Store) Ready(ctx context.Context) error {
	if s.Dialect != dialect.MySQL {
		return s.Ping(ctx)
	}
	var name, on string
	err := s.DB.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'").Scan(&name, &on)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil // MySQL without wsrep
	case err != nil:
		return notReady(err)
	case on != "ON":
		return nil // plain MariaDB
	}
	rows, err := s.DB.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state', 'wsrep_local_state_comment', 'wsrep_cluster_status')")
	if err != nil {
		return notReady(err)
	}
	defer rows.Close()
	st := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		st[k] = v
	}
	if err := rows.Err(); err != nil {
		return notReady(err)
	}
	if st["wsrep_ready"] != "ON" {
		return fmt.Errorf("%w: Galera wsrep_ready is %s (cluster status %s)", ErrNotReady, st["wsrep_ready"], st["wsrep_cluster_status"])
	}
	if st["wsrep_local_state"] != "4" {
		return fmt.Errorf("%w: Galera node is %s, not Synced", ErrNotReady, st["wsrep_local_state_comment"])
	}
	// A query, not only SHOW: a node that lost quorum refuses it with 1047.
	var one int
	if err := s.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return notReady(err)
	}
	return nil
}

func notReady(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1047 {
		return fmt.Errorf("%w: Galera node has no quorum (%v)", ErrNotReady, err)
	}
	return err
}
