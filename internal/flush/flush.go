// Package flush writes what an instance keeps in memory to spare the
// database (last-used times now; counters later) in periodic batches, and
// once more at shutdown within the shutdown's deadline, saying how much was
// lost when the database does not take it.
package flush

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// Writer is in-memory state written in batches. Flush writes what is
// pending and keeps what it could not write for the next call; Pending
// counts the entries not written yet.
type Writer interface {
	Flush(ctx context.Context) error
	Pending() int
}

// Job is one Writer and how often it is flushed.
type Job struct {
	Name   string // what is written, e.g. "last-used times"
	Writer Writer
	Every  time.Duration
}

// Run flushes every job every job.Every until ctx ends, and returns once
// every flush in progress has stopped (a flush in progress is cancelled
// with ctx; what it could not write stays pending for Final). A flush that
// hangs on a stuck database never outlasts its interval.
func Run(ctx context.Context, jobs ...Job) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(j.Every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				each, cancel := context.WithTimeout(ctx, j.Every)
				if err := j.Writer.Flush(each); err != nil && ctx.Err() == nil {
					logError(ctx, err, "flushing "+j.Name)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
}

// Final flushes every job once, concurrently, within ctx's deadline. What
// could not be written is lost with the process: for each job that lost
// something, one error line says how many entries. It returns the number
// lost per job name.
func Final(ctx context.Context, log zerolog.Logger, jobs ...Job) map[string]int {
	lost := make([]int, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := j.Writer.Flush(ctx)
			n := j.Writer.Pending()
			if n == 0 { // nothing was lost (a sweep that failed loses nothing)
				return
			}
			lost[i] = n
			e := log.Error().Int("dropped", n).Str("what", j.Name)
			if err != nil {
				e = e.Str("cause", firstOf(gqlerr.UnavailableCause(err), logthrottle.Shape(err))).Err(err)
			}
			e.Msgf("shutting down: dropped %d pending %s the database did not take", n, j.Name)
		}()
	}
	wg.Wait()
	out := map[string]int{}
	for i, j := range jobs {
		if lost[i] > 0 {
			out[j.Name] += lost[i]
		}
	}
	return out
}

// logError logs a failed periodic flush at most once a second per cause:
// during an outage every flush fails the same way.
func logError(ctx context.Context, err error, msg string) {
	cause := firstOf(gqlerr.UnavailableCause(err), logthrottle.Shape(err))
	logthrottle.Event(ctx, zerolog.ErrorLevel, msg+": "+cause).Str("cause", cause).Err(err).Msg(msg)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
