// Package lifecycle runs what changes tokens without a caller: the sweep
// that revokes tokens left unused longer than the policy allows, and the
// revocation of a token whose rotated-away secret is presented again
// (reuse detection). Each opens its own transaction, as a mutation would,
// and acts as the system actor.
package lifecycle

import (
	"context"
	"time"

	"entgo.io/ent/dialect"
	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
	"github.com/latchkeyhq/latchkey/internal/store"
)

// Lifecycle is one instance's side of the lifecycle rules.
type Lifecycle struct {
	Store *store.Store
	Admin *admin.Service
	// Flush writes this instance's pending last-used times before a sweep,
	// so a token used moments ago is not taken for unused. May be nil.
	Flush func(ctx context.Context) error
	Log   zerolog.Logger
}

// sweepBatch is how many tokens one sweep transaction revokes at most;
// maxBatches bounds one sweep (the next one continues).
const (
	sweepBatch = 500
	maxBatches = 100
	// reuseTimeout bounds the revocation that reuse detection starts.
	reuseTimeout = 5 * time.Second
)

// inTx runs fn in a change transaction, committing when it succeeds.
func (l *Lifecycle) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	tx, err := dbtx.Begin(ctx, l.Store.Client, l.Store.Dialect == dialect.MySQL)
	if err != nil {
		return err
	}
	// No caller: the audit events name the system actor.
	txCtx := ent.NewContext(ent.NewTxContext(authz.WithPrincipal(ctx, nil), tx), tx.Client())
	if err := fn(txCtx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Sweep revokes the tokens unused longer than the policy allows, in
// batches of one transaction each, and returns how many it revoked.
func (l *Lifecycle) Sweep(ctx context.Context) (int, error) {
	if l.Flush != nil {
		if err := l.Flush(ctx); err != nil {
			return 0, err
		}
	}
	total := 0
	for range maxBatches {
		var n int
		var more bool
		err := l.inTx(ctx, func(ctx context.Context) (err error) {
			n, more, err = l.Admin.RevokeUnused(ctx, sweepBatch)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if !more {
			break
		}
	}
	return total, nil
}

// Run sweeps every interval until ctx ends. A failed sweep is logged and
// tried again at the next tick.
func (l *Lifecycle) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sweepCtx, cancel := context.WithTimeout(ctx, max(interval, time.Minute))
		n, err := l.Sweep(sweepCtx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			l.Log.Error().Err(err).Msg("revoking unused API tokens")
		case n > 0:
			l.Log.Info().Int("revoked", n).Msg("revoked API tokens unused longer than the policy allows")
		}
	}
}

// Reused is told of every well-formed secret that authenticated nothing
// (internal/auth): when it is a secret its token rotated away and its grace
// period is over, the token's family is revoked. The check is one indexed
// read; only a reuse opens a transaction. The revocation runs to its end
// even if the presenting client goes away.
func (l *Lifecycle) Reused(ctx context.Context, hash string) (retired bool, err error) {
	t, retired, err := admin.ReusedToken(ctx, l.Store.Client, hash, l.Admin.Now().UTC())
	if err != nil || t == nil {
		return retired, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reuseTimeout)
	defer cancel()
	var n int
	err = l.inTx(ctx, func(ctx context.Context) (err error) {
		n, err = l.Admin.RevokeReused(ctx, hash)
		return err
	})
	if err != nil {
		return true, err
	}
	if n > 0 {
		zerolog.Ctx(ctx).Warn().Str("revoked_token_id", t.ID).Int("revoked", n).Msg("a secret rotated away was presented again: its token is revoked")
	}
	return true, nil
}
