// Package changes is the change feed that keeps every instance's cached
// verifications exact: each mutation appends the ids it changed in its own
// transaction, and every instance polls the feed and drops exactly the
// cached entries those changes affect, within a second.
package changes

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/change"
)

// The kinds of record a change names.
const (
	Token       = "api-token"
	Persona     = "persona"
	Role        = "role"
	ContentType = "content-type"
	// All asks to forget everything: the feed moved faster than it was read.
	All = "*"
)

// Record appends a change to the feed through client, which for a
// mutation is its transaction: the entry commits or rolls back with it.
// origin names the instance making the change.
func Record(ctx context.Context, client *ent.Client, origin, kind, ref string, at time.Time) error {
	return client.Change.Create().SetOrigin(origin).SetKind(kind).SetRef(ref).SetCreatedAt(at).Exec(ctx)
}

// Keep is how long entries stay in the feed.
const Keep = time.Hour

// batch bounds one poll; a longer backlog is answered with All.
const batch = 5000

// Follower reads the feed. Entries are read in id order, but ids are given
// when a transaction writes, not when it commits: a change can appear behind
// one already read. So every poll re-reads everything after a horizon that
// trails the newest id seen by Lag, and skips the ids it has applied.
type Follower struct {
	Client *ent.Client
	// Apply drops what a change affects.
	Apply func(kind, ref string)
	// Origin is this instance's name in the feed: its own changes were
	// applied when they committed and are skipped.
	Origin string
	// Fresh is told, after every successful poll, until when the cache may
	// be trusted without another one. May be nil.
	Fresh func(until time.Time)
	// Bound is how long after a poll the cache stays trusted (1 s).
	Bound time.Duration
	// Lag is the longest a mutation's transaction may take to commit.
	Lag time.Duration
	// Now is the clock of created_at, for pruning the feed.
	Now func() time.Time
	Log zerolog.Logger

	// published is the horizon for Horizon, which must not wait for a poll.
	published atomic.Int64

	mu      sync.Mutex
	started bool
	horizon int
	seen    map[int]bool
	marks   []mark
	pruned  time.Time
}

type mark struct {
	at  time.Time
	max int
}

// Poll reads the feed once and applies what is new.
func (f *Follower) Poll(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.started {
		// A new instance has nothing cached: start after what exists.
		last, err := f.Client.Change.Query().Order(ent.Desc(change.FieldID)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		if last != nil {
			f.horizon = last.ID
		}
		f.seen, f.started = map[int]bool{}, true
	}
	rows, err := f.Client.Change.Query().Where(change.IDGT(f.horizon)).Order(ent.Asc(change.FieldID)).Limit(batch).All(ctx)
	if err != nil {
		return err
	}
	max := f.horizon
	for _, r := range rows {
		if r.ID > max {
			max = r.ID
		}
		if !f.seen[r.ID] && len(rows) < batch {
			f.seen[r.ID] = true
			if r.Origin != f.Origin || f.Origin == "" {
				f.Apply(r.Kind, r.Ref)
			}
		}
	}
	now := time.Now()
	if len(rows) == batch {
		f.Apply(All, "")
		f.horizon, f.seen, f.marks = max, map[int]bool{}, nil
	} else {
		f.marks = append(f.marks, mark{at: now, max: max})
		for len(f.marks) > 0 && now.Sub(f.marks[0].at) >= f.Lag {
			f.horizon = f.marks[0].max
			f.marks = f.marks[1:]
		}
		for id := range f.seen {
			if id <= f.horizon {
				delete(f.seen, id)
			}
		}
	}
	f.published.Store(int64(f.horizon))
	if f.Fresh != nil {
		f.Fresh(now.Add(f.Bound))
	}
	if now.Sub(f.pruned) > time.Minute {
		f.pruned = now
		if _, err := f.Client.Change.Delete().Where(change.CreatedAtLT(f.Now().Add(-Keep))).Exec(ctx); err != nil {
			f.Log.Warn().Err(err).Msg("pruning the change feed")
		}
	}
	return nil
}

// Horizon is the feed id at or below which every entry has committed or
// failed, as far as this reader knows (see Lag); 0 before its first poll.
func (f *Follower) Horizon() int { return int(f.published.Load()) }

// Run polls every interval until ctx ends. A failed poll is logged (once
// per failure streak) and retried at the next tick; meanwhile the cache
// stops being trusted once Bound has passed.
func (f *Follower) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		pollCtx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
		err := f.Poll(pollCtx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			f.Log.Error().Err(err).Msg("reading the change feed; cached verifications are not trusted until it answers")
		case err == nil && failing:
			failing = false
			f.Log.Info().Msg("reading the change feed again")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
