package startup

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

var errDown = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

func TestRetry(t *testing.T) {
	retriable := func(err error) bool { return errors.Is(err, errDown) }
	t.Run("succeeds once the database answers", func(t *testing.T) {
		var said []string
		err := Retry(context.Background(), time.Minute, zerolog.Nop(), func(s string) { said = append(said, s) }, retriable, func(_ context.Context, n int) error {
			if n < 3 {
				return errDown
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"database: connecting (attempt 1)", "database: connecting (attempt 1): " + errDown.Error(), "database: connecting (attempt 2)", "database: connecting (attempt 2): " + errDown.Error(), "database: connecting (attempt 3)"}
		if strings.Join(said, "|") != strings.Join(want, "|") {
			t.Errorf("status said %q; want %q", said, want)
		}
	})
	t.Run("an error waiting cannot fix ends it at once", func(t *testing.T) {
		bad := errors.New("Error 1045: access denied")
		n := 0
		err := Retry(context.Background(), time.Minute, zerolog.Nop(), func(string) {}, retriable, func(context.Context, int) error { n++; return bad })
		if !errors.Is(err, bad) || n != 1 {
			t.Errorf("got %v after %d attempts", err, n)
		}
	})
	t.Run("gives up after the timeout, logging at most a line a second", func(t *testing.T) {
		var logs bytes.Buffer
		n := 0
		err := Retry(context.Background(), 1500*time.Millisecond, zerolog.New(&logs), func(string) {}, retriable, func(context.Context, int) error { n++; return errDown })
		if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), "connection refused") || n < 2 {
			t.Errorf("got %v after %d attempts", err, n)
		}
		if lines := strings.Count(logs.String(), "\n"); lines < 1 || lines > 2 {
			t.Errorf("%d log lines in 1.5 s:\n%s", lines, logs.String())
		}
	})
	t.Run("stops when told to", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		err := Retry(ctx, time.Minute, zerolog.Nop(), func(string) {}, retriable, func(context.Context, int) error { cancel(); return errDown })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v", err)
		}
	})
}
