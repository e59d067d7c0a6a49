package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/lastused"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// Recorder coalesces last-used times in memory and writes them in batches,
// so verifying a token never writes to the database: at most one UPDATE per
// token per flush.
type Recorder struct {
	client  *ent.Client
	now     func() time.Time
	mu      sync.Mutex
	pending map[string]use
}

type use struct {
	at time.Time
	ip string
}

// NewRecorder returns a Recorder writing through client, timing with now.
func NewRecorder(client *ent.Client, now func() time.Time) *Recorder {
	return &Recorder{client: client, now: now, pending: map[string]use{}}
}

// Touch notes that token id was used now from ip.
func (r *Recorder) Touch(id, ip string) {
	at := r.now().UTC().Truncate(time.Microsecond)
	r.mu.Lock()
	r.pending[id] = use{at: at, ip: ip}
	r.mu.Unlock()
}

// Flush writes what was noted since the last flush, one UPDATE per token.
// Tokens deleted in the meantime are skipped; uses that fail to be written
// are kept for the next flush unless a newer use has been noted since.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = make(map[string]use, len(batch))
	r.mu.Unlock()
	var errs []error
	for id, u := range batch {
		// token_usage, not the token's row: mutations lock and edit that one.
		err := lastused.Record(ctx, r.client, id, u.at, u.ip)
		if err != nil {
			errs = append(errs, err)
			r.mu.Lock()
			if _, newer := r.pending[id]; !newer {
				r.pending[id] = u
			}
			r.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// Run flushes every interval until ctx ends, then flushes once more.
func (r *Recorder) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			// A flush that hangs on a stuck database must not outlast the
			// next one; what it could not write is kept for that one.
			each, cancel := context.WithTimeout(ctx, interval)
			if err := r.Flush(each); err != nil {
				logFlushError(ctx, err, "flushing last-used times")
			}
			cancel()
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := r.Flush(final); err != nil {
				logFlushError(ctx, err, "flushing last-used times at shutdown")
			}
			cancel()
			return
		}
	}
}

// logFlushError logs a failed flush at most once a second per cause: during
// an outage every flush fails the same way.
func logFlushError(ctx context.Context, err error, msg string) {
	cause := gqlerr.UnavailableCause(err)
	if cause == "" {
		cause = logthrottle.Shape(err)
	}
	logthrottle.Event(ctx, zerolog.ErrorLevel, msg+": "+cause).Err(err).Msg(msg)
}
