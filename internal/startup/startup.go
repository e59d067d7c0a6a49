// Package startup brings an instance up against a database that may not
// answer yet: it retries with a jittered, doubling backoff, says why it is
// not ready after each attempt (for /readyz and the log), and gives up after
// a configured time.
package startup

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Backoff between attempts: the first wait is about First, each next one
// doubles, up to Max; every wait is jittered by ±50 %.
const (
	First = 250 * time.Millisecond
	Max   = 5 * time.Second
)

// AttemptTimeout bounds one attempt to reach the database, so that a hung
// server (one that accepts connections and never answers) is retried too.
const AttemptTimeout = 5 * time.Second

// ErrGaveUp is wrapped by Retry's error when the time ran out.
var ErrGaveUp = errors.New("gave up waiting for the database")

// Retry runs attempt until it succeeds, fails with an error retriable does
// not accept, ctx ends, or timeout passes. Before each attempt and after
// each failure status is told what the instance is doing, in the words
// /readyz answers with, e.g. "database: connecting (attempt 4): dial tcp
// 127.0.0.1:3306: connect: connection refused". Failed attempts are logged
// at warn level, at most one line a second (each line names its attempt).
func Retry(ctx context.Context, timeout time.Duration, log zerolog.Logger, status func(string), retriable func(error) bool, attempt func(ctx context.Context, n int) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	backoff := First
	var lastLog time.Time
	for n := 1; ; n++ {
		status(fmt.Sprintf("database: connecting (attempt %d)", n))
		err := attempt(ctx, n)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w within %v (%d attempts): %v", ErrGaveUp, timeout, n, Reason(err))
		}
		if ctx.Err() != nil {
			return ctx.Err() // the process was told to stop
		}
		if !retriable(err) {
			return err
		}
		status(fmt.Sprintf("database: connecting (attempt %d): %s", n, Reason(err)))
		if now := time.Now(); now.Sub(lastLog) >= time.Second {
			lastLog = now
			log.Warn().Int("attempt", n).Str("error", Reason(err)).Msg("the database does not answer yet; retrying")
		}
		wait := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w within %v (%d attempts): %v", ErrGaveUp, timeout, n, Reason(err))
			}
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(2*backoff, Max)
	}
}

// Reason is an error's first line, capped, for /readyz and the log line.
func Reason(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}
