package gqlerr

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// RetryAfter is what a client is told to wait when the database fails it.
const RetryAfter = time.Second

// UnavailableMessage is what a client sees when the database fails it.
const UnavailableMessage = "the database is unavailable; retry later"

// UnavailableCause tells whether err means the database could not serve
// the request: unreachable, gone away, not answering in time, locked, or
// the request's own deadline passed. It names the cause in a few words
// (for logs, without ids), or returns "" for any other error. This is the
// one place that decides what is answered with 503 and UNAVAILABLE.
func UnavailableCause(err error) string {
	if err == nil {
		return ""
	}
	var (
		myErr *mysql.MySQLError
		sqErr *sqlite.Error
		nErr  net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn):
		return "lost connection"
	case errors.Is(err, sql.ErrConnDone):
		return "connection closed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.As(err, &nErr):
		if nErr.Timeout() {
			return "network timeout"
		}
		return "network error"
	case errors.As(err, &myErr):
		switch myErr.Number {
		case 1040: // ER_CON_COUNT_ERROR: too many connections
			return "too many connections"
		case 1047: // ER_UNKNOWN_COM_ERROR: a Galera node not in the primary component
			return "node not ready (WSREP)"
		case 1053: // ER_SERVER_SHUTDOWN
			return "server shutting down"
		}
		return ""
	case errors.As(err, &sqErr):
		switch sqErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return "database is locked"
		case sqlite3.SQLITE_INTERRUPT: // the request's context ended mid-statement
			return "interrupted"
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR:
			return "cannot open or read the database file"
		}
		return ""
	}
	// Errors that reach us as text only (transaction failures entgql
	// reports by message, drivers that do not wrap).
	msg := err.Error()
	for _, s := range []string{"connection refused", "database is locked", "invalid connection", "bad connection", "i/o timeout", "deadline exceeded", "broken pipe", "connection reset", "database is closed"} {
		if strings.Contains(msg, s) {
			return s
		}
	}
	return ""
}

// IsUnavailable tells whether err means the database could not serve the
// request (see UnavailableCause).
func IsUnavailable(err error) bool { return UnavailableCause(err) != "" }

// Outage marks one request as failed by the database, so that its HTTP
// answer can be 503 whichever layer noticed.
type Outage struct{ hit atomic.Bool }

// Hit tells whether the database failed the request.
func (o *Outage) Hit() bool { return o != nil && o.hit.Load() }

type outageKey struct{}

// WithOutage returns a context carrying a new, unmarked Outage.
func WithOutage(ctx context.Context) (context.Context, *Outage) {
	o := &Outage{}
	return context.WithValue(ctx, outageKey{}, o), o
}

// NoteOutage marks the request in ctx as failed by the database.
func NoteOutage(ctx context.Context) {
	if o, ok := ctx.Value(outageKey{}).(*Outage); ok {
		o.hit.Store(true)
	}
}

// OutageNoted tells whether the request in ctx was marked.
func OutageNoted(ctx context.Context) bool {
	o, _ := ctx.Value(outageKey{}).(*Outage)
	return o.Hit()
}
