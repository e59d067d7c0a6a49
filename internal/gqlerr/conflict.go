package gqlerr

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// ConflictMessage is what a client sees when a mutation kept colliding with
// concurrent ones until its retries ran out.
const ConflictMessage = "the change collided with concurrent changes and was not made; retry it"

// serializationErrors are the MySQL/MariaDB errors after which the
// transaction has been rolled back and the same work may succeed if run
// again from the start.
var serializationErrors = map[uint16]bool{
	1020: true, // ER_CHECKREAD: record changed since last read (MariaDB snapshot isolation)
	1180: true, // ER_ERROR_DURING_COMMIT: Galera reports a commit aborted by a conflict this way (error 149, HA_ERR_LOCK_DEADLOCK)
	1205: true, // ER_LOCK_WAIT_TIMEOUT
	1213: true, // ER_LOCK_DEADLOCK: a deadlock, and on Galera a certification failure or a brute-force abort by a replicated write
	1614: true, // ER_XA_RBDEADLOCK
	3101: true, // ER_TRANSACTION_ROLLBACK_DURING_COMMIT: MySQL group replication's certification failure
}

// SerializationFailure tells whether err means the transaction lost a
// conflict with a concurrent one (a deadlock, a lock wait timeout, a Galera
// certification failure) and was rolled back: running it again from the
// start may succeed. This is the one place that decides what is retried.
func SerializationFailure(err error) bool {
	if err == nil {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return serializationErrors[me.Number] || string(me.SQLState[:]) == "40001"
	}
	// entgql reports a failed COMMIT by message only.
	msg := err.Error()
	for _, s := range []string{"Error 1213", "Error 1205", "Error 1180", "Error 1020", "Error 1614", "Error 3101", "(40001)", "try restarting transaction"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Attempt is one run of a mutation operation; it is marked when a
// serialization failure failed it, so that the whole operation runs again
// (internal/txretry).
type Attempt struct{ conflict atomic.Bool }

// Conflicted tells whether the attempt lost a conflict.
func (a *Attempt) Conflicted() bool { return a != nil && a.conflict.Load() }

type attemptKey struct{}

// WithAttempt returns a context carrying a new, unmarked Attempt.
func WithAttempt(ctx context.Context) (context.Context, *Attempt) {
	a := &Attempt{}
	return context.WithValue(ctx, attemptKey{}, a), a
}

// NoteConflict marks the attempt in ctx as failed by a serialization
// failure. Where nothing will retry it, the request is marked as failed by
// the database instead (503 with Retry-After): a retry may succeed.
func NoteConflict(ctx context.Context) {
	if a, ok := ctx.Value(attemptKey{}).(*Attempt); ok {
		a.conflict.Store(true)
		return
	}
	NoteOutage(ctx)
}
