package gqlerr

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// One table of what counts as the database failing a request (503,
// UNAVAILABLE) and what does not.
func TestUnavailableCause(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		err         error
		unavailable bool
	}{
		{context.DeadlineExceeded, true},
		{fmt.Errorf("ent: querying: %w", context.DeadlineExceeded), true},
		{driver.ErrBadConn, true},
		{mysql.ErrInvalidConn, true},
		{refused, true},
		{fmt.Errorf("wrapped: %w", refused), true},
		{&mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}, true},
		{&mysql.MySQLError{Number: 1040, Message: "Too many connections"}, true},
		{errors.New("cannot create transaction: dial tcp 127.0.0.1:3306: connect: connection refused"), true},
		{errors.New("database is locked (5) (SQLITE_BUSY)"), true},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry"}, false},
		{&mysql.MySQLError{Number: 1213, Message: "Deadlock found"}, false},
		{context.Canceled, false},
		{errors.New("sql: no rows in result set"), false},
		{nil, false},
	} {
		if got := IsUnavailable(c.err); got != c.unavailable {
			t.Errorf("IsUnavailable(%v) = %v, want %v", c.err, got, c.unavailable)
		}
	}
}

func TestPresenterMarksOutage(t *testing.T) {
	ctx, o := WithOutage(context.Background())
	gerr := Presenter(ctx, fmt.Errorf("ent: %w", driver.ErrBadConn))
	if gerr.Extensions["code"] != string(Unavailable) || gerr.Message != UnavailableMessage {
		t.Fatalf("presented as %v %q", gerr.Extensions, gerr.Message)
	}
	if !o.Hit() {
		t.Fatal("the request was not marked as failed by the database")
	}
	ctx2, o2 := WithOutage(context.Background())
	Presenter(ctx2, errors.New("boom"))
	if o2.Hit() {
		t.Fatal("an internal error marked the request as an outage")
	}
}
