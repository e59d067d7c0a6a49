package gqlerr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestSerializationFailure(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1213}, true},
		{fmt.Errorf("wrapped: %w", &mysql.MySQLError{Number: 1205}), true},
		{&mysql.MySQLError{Number: 1180, Message: "Got error 149 during COMMIT"}, true},
		{&mysql.MySQLError{Number: 1020}, true},
		{&mysql.MySQLError{Number: 9999, SQLState: [5]byte{'4', '0', '0', '0', '1'}}, true},
		// entgql reports a failed COMMIT by message only.
		{errors.New("cannot commit transaction: Error 1213 (40001): Deadlock found when trying to get lock; try restarting transaction"), true},
		{&mysql.MySQLError{Number: 1062}, false}, // duplicate entry: a business conflict
		{&mysql.MySQLError{Number: 1047}, false}, // no quorum: an outage
		{errors.New("database is locked"), false},
		{nil, false},
	} {
		if got := SerializationFailure(tc.err); got != tc.want {
			t.Errorf("SerializationFailure(%v) = %t", tc.err, got)
		}
	}
}

// The presenter marks the attempt for a retry and answers UNAVAILABLE; with
// nothing to retry it, the request becomes an outage (503).
func TestPresenterConflict(t *testing.T) {
	ctx, outage := WithOutage(context.Background())
	actx, attempt := WithAttempt(ctx)
	gerr := Presenter(actx, &mysql.MySQLError{Number: 1213, Message: "Deadlock found"})
	if gerr.Extensions["code"] != string(Unavailable) || !attempt.Conflicted() || outage.Hit() || gerr.Message != ConflictMessage {
		t.Fatalf("in an attempt: %v %v conflicted=%t outage=%t", gerr.Message, gerr.Extensions, attempt.Conflicted(), outage.Hit())
	}
	Presenter(ctx, &mysql.MySQLError{Number: 1213})
	if !outage.Hit() {
		t.Fatal("a conflict outside any attempt is not an outage")
	}
}
