// Command latchkey serves API tokens with a role-based permission matrix
// over GraphQL.
//
//	latchkey [serve] [flags]   serve (the default)
//	latchkey migrate [flags]   migrate the database schema and exit
//	latchkey mint-token --name NAME [flags]
//	                           create a FULL_ACCESS recovery token directly
//	                           in the database and print its secret
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"entgo.io/ent/dialect"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
	"github.com/latchkeyhq/latchkey/internal/flush"
	"github.com/latchkeyhq/latchkey/internal/httpserver"
	"github.com/latchkeyhq/latchkey/internal/logbuf"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/txretry"
)

func main() {
	err := run(os.Args[1:])
	if logs != nil {
		logs.Close()
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		// A serving process logged why it stops; say it only once.
		if !errors.As(err, new(logged)) {
			fmt.Fprintln(os.Stderr, "latchkey:", err)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, nil)
	case "migrate":
		return migrate(args)
	case "mint-token":
		return mintToken(args)
	}
	return fmt.Errorf("unknown command %q; commands: serve, migrate, mint-token (see --help)", cmd)
}

// logs batches the process's log lines (internal/logbuf); main flushes it
// before exiting.
var logs *logbuf.Writer

func newLogger(cfg *config.Config) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil || cfg.LogLevel == "" {
		level = zerolog.InfoLevel
	}
	var out io.Writer = os.Stderr
	pretty := cfg.LogFormat == "pretty" || (cfg.LogFormat == "auto" && isatty.IsTerminal(os.Stderr.Fd()))
	if pretty {
		out = zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.Kitchen}
	} else {
		if logs == nil {
			logs = logbuf.New(os.Stderr)
		}
		out = logs
	}
	log := zerolog.New(out).Level(level).With().Timestamp().Logger()
	store.DriverLogs(log)
	return log
}

func open(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	st, err := store.Open(cfg.DatabaseURL, cfg.TokenPepper, store.MaxConns(cfg.DBMaxConns))
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrating the database: %w", err)
	}
	return st, nil
}

func migrate(args []string) error {
	cfg, _, err := config.FromEnv("migrate", args)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	st, err := open(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info().Str("dialect", st.Dialect).Msg("database schema is up to date")
	return nil
}

func mintToken(args []string) error {
	fs := flag.NewFlagSet("latchkey mint-token", flag.ContinueOnError)
	name := fs.String("name", "", "name of the new FULL_ACCESS token (required)")
	// The remaining flags are the usual settings.
	cfgArgs := []string{}
	for i := 0; i < len(args); i++ {
		if a := args[i]; strings.HasPrefix(a, "--name") || strings.HasPrefix(a, "-name") {
			if !strings.Contains(a, "=") && i+1 < len(args) {
				a += "=" + args[i+1]
				i++
			}
			if err := fs.Parse([]string{a}); err != nil {
				return err
			}
			continue
		}
		cfgArgs = append(cfgArgs, args[i])
	}
	cfg, _, err := config.FromEnv("mint-token", cfgArgs)
	if err != nil {
		return err
	}
	if *name == "" {
		return errors.New("mint-token needs --name")
	}
	ctx := context.Background()
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := admin.New(secret.NewHasher(st.Pepper), nil)
	svc.Locking = st.Dialect == dialect.MySQL
	// Like a mutation, the change runs again if it loses a conflict (Galera).
	var created *admin.TokenWithSecret
	err = (&txretry.Policy{}).Do(ctx, func(ctx context.Context) error {
		tx, err := dbtx.Begin(ctx, st.Client, svc.Locking)
		if err != nil {
			return err
		}
		txCtx := admin.AsSystem(ent.NewContext(ctx, tx.Client()))
		created, err = svc.CreateToken(txCtx, admin.CreateTokenInput{Name: *name, Type: apitoken.TypeFULL_ACCESS})
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "Created FULL_ACCESS token %q (%s). Its secret, shown only now:\n", created.APIToken.Name, created.APIToken.ID)
	fmt.Println(created.Secret)
	return nil
}

// serve runs the server until SIGINT or SIGTERM; listening, if not nil, is
// told the address once the listener is up (the database may not answer
// yet: poll /readyz).
func serve(args []string, listening func(addr string)) error {
	cfg, _, err := config.FromEnv("serve", args)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx = log.WithContext(ctx)
	// Requests and background work keep the logger but not the signal: on
	// SIGTERM they finish within the shutdown timeout instead of being
	// cancelled.
	base := context.WithoutCancel(ctx)

	st, err := store.Open(cfg.DatabaseURL, cfg.TokenPepper, store.MaxConns(cfg.DBMaxConns))
	if err != nil {
		return err
	}
	defer st.Close()

	// The listener comes first: while the database does not answer,
	// /healthz says the process lives and /readyz why it is not ready.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	gate := httpserver.NewGate()
	httpSrv := &http.Server{
		Handler:           gate,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	if listening != nil {
		listening(ln.Addr().String())
	}

	srv := httpserver.New(cfg, st, log)
	if err := srv.Err(); err != nil {
		_ = httpSrv.Close()
		return err
	}
	if err := startUp(ctx, cfg, st, srv, gate, log); err != nil {
		_ = httpSrv.Close()
		if ctx.Err() != nil {
			log.Info().Msg("stopped before the database answered")
			return nil
		}
		log.Error().Err(err).Msg("start-up failed; exiting")
		return logged{err}
	}
	gate.Open(srv)

	// Background work stops only after the last request is done, so the
	// final flush includes every use.
	bgCtx, stopBackground := context.WithCancel(base)
	var bg sync.WaitGroup
	bg.Add(5)
	go func() { defer bg.Done(); flush.Run(bgCtx, srv.Flushes()...) }()
	// Changes made by any instance reach this one's caches through the feed.
	go func() { defer bg.Done(); srv.Follow(bgCtx) }()
	go func() { defer bg.Done(); srv.RunSweeps(bgCtx) }()
	// Rate-limit counts are shared and idle credit leases returned; when
	// background work stops, every lease goes back.
	go func() { defer bg.Done(); srv.RunPolicy(bgCtx) }()
	// Webhook deliveries: an attempt cut short gives its lease back.
	go func() { defer bg.Done(); srv.RunWebhooks(bgCtx) }()
	log.Info().Str("addr", ln.Addr().String()).Str("dialect", st.Dialect).Msg("latchkey is serving")

	select {
	case err := <-errc:
		stopBackground()
		bg.Wait()
		final, cancel := context.WithTimeout(base, cfg.ShutdownTimeout)
		defer cancel()
		flush.Final(final, log, srv.Flushes()...)
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once
	shutDown(base, cfg, log, httpSrv, gate, func(ctx context.Context) {
		stopBackground()
		bg.Wait()
		flush.Final(ctx, log, srv.Flushes()...)
	})
	return nil
}

// printBanner shows the generated Bootstrap secret once, on stderr and not as
// a log record, so log shippers never carry it.
func printBanner(w io.Writer, secretValue, addr string) {
	host := addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	fmt.Fprintf(w, `
================================================================================
 Latchkey created the FULL_ACCESS "Bootstrap" token. Its secret is shown ONCE:

     %s

 Use it as:   Authorization: Bearer <secret>
 GraphQL:     http://%s/graphql
 Make your own admin tokens with it, then revoke it.
================================================================================

`, secretValue, host)
}
