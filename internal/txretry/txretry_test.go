package txretry

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

var deadlock = &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}

func TestDo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int   // attempts that lose a conflict before one succeeds
		other    error // returned instead of success, if set
		runs     int
		wantErr  bool
	}{
		{"success", 0, nil, 1, false},
		{"retried", 3, nil, 4, false},
		{"exhausted", 100, nil, DefaultAttempts, true},
		{"business error is not retried", 0, errors.New("name taken"), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Policy{Backoff: time.Microsecond, Retries: &atomic.Int64{}}
			runs := 0
			err := p.Do(context.Background(), func(context.Context) error {
				runs++
				if runs <= tc.failures {
					return deadlock
				}
				return tc.other
			})
			if runs != tc.runs || (err != nil) != tc.wantErr || p.Retries.Load() != int64(runs-1) {
				t.Fatalf("runs %d, retries %d, err %v", runs, p.Retries.Load(), err)
			}
		})
	}
}

// No pause outlasts the caller's deadline: the last error is returned while
// the caller can still answer.
func TestDoStopsBeforeDeadline(t *testing.T) {
	p := &Policy{Backoff: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runs := 0
	err := p.Do(ctx, func(context.Context) error { runs++; return deadlock })
	if runs != 1 || !errors.Is(err, deadlock) {
		t.Fatalf("runs %d, err %v", runs, err)
	}
}
