package httpserver

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// SyncPolicy shares this instance's rate-limit counts with the others and
// returns the credit leases it has not touched since the last call (all of
// them when final is set).
func (s *Server) SyncPolicy(ctx context.Context, final bool) error {
	return errors.Join(s.Policy.Limits.Sync(ctx, s.now()), s.Policy.Credits.Flush(ctx, final))
}

// RunPolicy syncs every LATCHKEY_LIMITS_SYNC_INTERVAL until ctx ends, then
// returns every lease it holds, so that a clean shutdown spends nothing.
func (s *Server) RunPolicy(ctx context.Context) {
	every := s.cfg.LimitsSyncInterval
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			each, cancel := context.WithTimeout(ctx, every)
			s.logSync(ctx, s.SyncPolicy(each, false))
			cancel()
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			s.logSync(ctx, s.SyncPolicy(final, true))
			cancel()
			return
		}
	}
}

func (s *Server) logSync(ctx context.Context, err error) {
	if err == nil {
		return
	}
	cause := gqlerr.UnavailableCause(err)
	if cause == "" {
		cause = logthrottle.Shape(err)
	}
	ctx = logthrottle.With(s.log.WithContext(ctx), s.throttle)
	logthrottle.Event(ctx, zerolog.ErrorLevel, "syncing rate limits and credits: "+cause).Err(err).Msg("syncing rate limits and credits")
}
