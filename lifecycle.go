package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/httpserver"
	"github.com/latchkeyhq/latchkey/internal/startup"
	"github.com/latchkeyhq/latchkey/internal/store"
)

// logged is an error the process has already logged as its reason to exit
// with status 1.
type logged struct{ error }

func (l logged) Unwrap() error { return l.error }

// startUp waits for the database (retrying while it is unreachable or does
// not answer, up to LATCHKEY_STARTUP_TIMEOUT), then migrates and seeds it.
// /readyz says what it is doing meanwhile, through the gate.
func startUp(ctx context.Context, cfg *config.Config, st *store.Store, srv *httpserver.Server, gate *httpserver.Gate, log zerolog.Logger) error {
	var boot *store.Bootstrap
	err := startup.Retry(ctx, cfg.StartupTimeout, log, gate.NotReady, gqlerr.IsUnavailable, func(ctx context.Context, attempt int) error {
		ping, cancel := context.WithTimeout(ctx, startup.AttemptTimeout)
		err := st.Ping(ping)
		cancel()
		if err != nil {
			return err
		}
		gate.NotReady("database: migrating the schema")
		if err := st.Migrate(ctx); err != nil {
			return err
		}
		gate.NotReady("database: seeding")
		boot, err = store.Seed(ctx, st.Client, srv.Admin, cfg.BootstrapToken)
		return err
	})
	if err != nil {
		return err
	}
	if boot != nil {
		log.Info().Str("token_id", boot.Token.ID).Msg("first start: created the Bootstrap token")
		if boot.Secret != "" {
			printBanner(os.Stderr, boot.Secret, cfg.Addr)
		}
	}
	return nil
}

// shutDown stops a serving process within LATCHKEY_SHUTDOWN_TIMEOUT:
// /readyz answers 503 for LATCHKEY_SHUTDOWN_DELAY while requests are still
// served, then the listener closes and requests in flight finish, then
// finish (stopping background work and flushing what is kept in memory)
// runs with what is left of the time. Requests still running when the
// drain's share of the time is up are cut off, with a warning.
func shutDown(ctx context.Context, cfg *config.Config, log zerolog.Logger, srv *http.Server, gate *httpserver.Gate, finish func(context.Context)) {
	deadline := time.Now().Add(cfg.ShutdownTimeout)
	gate.Drain()
	log.Info().Dur("delay", cfg.ShutdownDelay).Dur("timeout", cfg.ShutdownTimeout).Msg("shutting down: /readyz answers 503")
	time.Sleep(cfg.ShutdownDelay)

	// The last flush keeps a share of the time for itself.
	reserve := min(cfg.ShutdownTimeout/4, 2*time.Second)
	drain, cancel := context.WithDeadline(ctx, deadline.Add(-reserve))
	defer cancel()
	if err := srv.Shutdown(drain); err != nil {
		log.Warn().Int64("in_flight", gate.InFlight()).Msg("shutting down: requests still in flight at the timeout were cut off")
		_ = srv.Close()
	}
	last, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	finish(last)
	log.Info().Msg("stopped")
}
