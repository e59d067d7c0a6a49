package usage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/usagecount"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// Recorder counts verifications in memory and adds them to the database in
// batches, like the last-used recorder: the request path only takes a lock
// and bumps a counter.
type Recorder struct {
	client    *ent.Client
	db        *sql.DB
	mysql     bool
	now       func() time.Time
	retention Retention

	// Each token's counts live in one of several shards (by the last
	// character of its random id), so that requests of different tokens
	// rarely wait on the same lock; a flush takes every shard's.
	shards [shardCount]shard
	mu     sync.Mutex
	// failed holds rows a flush could not write, added to the next one;
	// at most maxFailed rows, beyond which counts are dropped.
	failed map[rowKey][stored]int64

	// SweepBatch is how many rows one delete of a sweep removes; a sweep
	// makes at most sweepBatches of them per interval.
	SweepBatch int

	totals [numOutcomes]atomic.Int64
	// Writes counts the rows written (each an insert or an addition to an
	// existing row); Dropped the counts given up after failed flushes.
	Writes  atomic.Int64
	Dropped atomic.Int64
}

const shardCount = 16

type shard struct {
	mu      sync.Mutex
	pending map[minuteKey]*[stored]int64
	_       [48]byte // a cache line each
}

type minuteKey struct {
	token, persona string
	minute         int64
}

type rowKey struct {
	token, persona string
	iv             Interval
	start          int64
}

const (
	// rowsPerStatement bounds one upsert statement.
	rowsPerStatement = 200
	// maxFailed bounds what failed flushes keep for the next one.
	maxFailed = 100_000
	// sweepBatches bounds the deletes of one sweep per interval.
	sweepBatches = 10
)

// NewRecorder returns a Recorder over the store's client and database of
// the given dialect, timing with now.
func NewRecorder(client *ent.Client, db *sql.DB, dialectName string, now func() time.Time, r Retention) *Recorder {
	rec := &Recorder{client: client, db: db, mysql: dialectName == dialect.MySQL, now: now, retention: r, SweepBatch: 1000,
		failed: map[rowKey][stored]int64{}}
	for i := range rec.shards {
		rec.shards[i].pending = map[minuteKey]*[stored]int64{}
	}
	return rec
}

// Count notes n verifications of token (acting as persona) that came to o.
// Invalid ones, and any without a token, are counted in the totals only.
// A nil Recorder counts nothing.
func (r *Recorder) Count(tokenID, personaID string, o Outcome, n int) {
	if r == nil || n <= 0 || o >= numOutcomes {
		return
	}
	r.totals[o].Add(int64(n))
	if o == Invalid || tokenID == "" {
		return
	}
	k := minuteKey{token: tokenID, persona: personaID, minute: Minute.start(r.now())}
	sh := &r.shards[tokenID[len(tokenID)-1]%shardCount]
	sh.mu.Lock()
	c := sh.pending[k]
	if c == nil {
		c = new([stored]int64)
		sh.pending[k] = c
	}
	c[o] += int64(n)
	sh.mu.Unlock()
}

// Total is how many verifications came to o since the process started.
func (r *Recorder) Total(o Outcome) int64 {
	if r == nil || o >= numOutcomes {
		return 0
	}
	return r.totals[o].Load()
}

// Pending is how many counts (per token, persona and minute) and failed
// rows wait for the next flush.
func (r *Recorder) Pending() int {
	r.mu.Lock()
	n := len(r.failed)
	r.mu.Unlock()
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		n += len(sh.pending)
		sh.mu.Unlock()
	}
	return n
}

// Sweeper runs the retention sweep as a periodic job (Flush sweeps;
// nothing is ever pending).
type Sweeper struct{ R *Recorder }

func (s Sweeper) Flush(ctx context.Context) error { _, err := s.R.Sweep(ctx); return err }
func (Sweeper) Pending() int                      { return 0 }

// Flush adds what was counted since the last flush to the database: one row
// write per token, persona and bucket (minute, hour and day), in statements
// of up to rowsPerStatement rows. Rows that fail are kept for the next
// flush.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	rows := r.failed
	r.failed = map[rowKey][stored]int64{}
	r.mu.Unlock()
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		batch := sh.pending
		sh.pending = make(map[minuteKey]*[stored]int64, len(batch))
		sh.mu.Unlock()
		for k, c := range batch {
			for _, iv := range []Interval{Minute, Hour, Day} {
				rk := rowKey{token: k.token, persona: k.persona, iv: iv, start: iv.start(time.Unix(k.minute, 0))}
				sum := rows[rk]
				for i := range sum {
					sum[i] += c[i]
				}
				rows[rk] = sum
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	// A fixed order, so that instances adding to the same rows lock them
	// in the same order.
	keys := make([]rowKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rowKey) int {
		return cmp.Or(strings.Compare(a.token, b.token), cmp.Compare(a.iv, b.iv), cmp.Compare(a.start, b.start), strings.Compare(a.persona, b.persona))
	})
	var errs []error
	for i := 0; i < len(keys); i += rowsPerStatement {
		chunk := keys[i:min(i+rowsPerStatement, len(keys))]
		if err := r.upsert(ctx, chunk, rows); err != nil {
			errs = append(errs, err)
			r.keep(chunk, rows)
			continue
		}
		r.Writes.Add(int64(len(chunk)))
	}
	return errors.Join(errs...)
}

// keep puts rows that failed back for the next flush, within maxFailed.
func (r *Recorder) keep(keys []rowKey, rows map[rowKey][stored]int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		c := rows[k]
		if old, ok := r.failed[k]; ok {
			for i := range c {
				c[i] += old[i]
			}
		} else if len(r.failed) >= maxFailed {
			var n int64
			for _, v := range c {
				n += v
			}
			r.Dropped.Add(n)
			continue
		}
		r.failed[k] = c
	}
}

const columns = "token_id, persona_id, resolution, start, allowed, forbidden, rate_limited, usage_exceeded, ip_refused, not_yet_valid"

var counters = []string{"allowed", "forbidden", "rate_limited", "usage_exceeded", "ip_refused", "not_yet_valid"}

func (r *Recorder) upsert(ctx context.Context, keys []rowKey, rows map[rowKey][stored]int64) error {
	var b strings.Builder
	b.WriteString("INSERT INTO usage_counts (" + columns + ") VALUES ")
	args := make([]any, 0, len(keys)*10)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?)")
		c := rows[k]
		args = append(args, k.token, k.persona, k.iv.code(), k.start, c[0], c[1], c[2], c[3], c[4], c[5])
	}
	if r.mysql {
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		for i, c := range counters {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s = %s + VALUES(%s)", c, c, c)
		}
	} else {
		b.WriteString(" ON CONFLICT (token_id, resolution, start, persona_id) DO UPDATE SET ")
		for i, c := range counters {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s = %s + excluded.%s", c, c, c)
		}
	}
	_, err := r.db.ExecContext(ctx, b.String(), args...)
	return err
}

// Sweep deletes buckets older than their retention, in bounded batches:
// at most sweepBatches of SweepBatch rows per interval and call (the next
// call goes on). It reports how many rows it deleted.
func (r *Recorder) Sweep(ctx context.Context) (int, error) {
	now := r.now()
	deleted := 0
	for _, iv := range []Interval{Minute, Hour, Day} {
		// A bucket goes once all of it is older than the retention.
		cutoff := now.Add(-r.retention.of(iv)).Unix() - int64(iv.Duration()/time.Second)
		for range sweepBatches {
			ids, err := r.client.UsageCount.Query().
				Where(usagecount.Resolution(iv.code()), usagecount.StartLTE(cutoff)).
				Limit(r.SweepBatch).IDs(ctx)
			if err != nil {
				return deleted, err
			}
			if len(ids) == 0 {
				break
			}
			n, err := r.client.UsageCount.Delete().Where(usagecount.IDIn(ids...)).Exec(ctx)
			deleted += n
			if err != nil {
				return deleted, err
			}
			if len(ids) < r.SweepBatch {
				break
			}
		}
	}
	return deleted, nil
}

// Run flushes and sweeps every interval until ctx ends, then flushes once
// more (the server stops it after the last request is done).
func (r *Recorder) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			each, cancel := context.WithTimeout(ctx, interval)
			if err := r.Flush(each); err != nil {
				logError(ctx, err, "flushing usage counts")
			}
			if _, err := r.Sweep(each); err != nil {
				logError(ctx, err, "sweeping old usage counts")
			}
			cancel()
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := r.Flush(final); err != nil {
				logError(ctx, err, "flushing usage counts at shutdown")
			}
			cancel()
			return
		}
	}
}

func logError(ctx context.Context, err error, msg string) {
	cause := gqlerr.UnavailableCause(err)
	if cause == "" {
		cause = logthrottle.Shape(err)
	}
	logthrottle.Event(ctx, zerolog.ErrorLevel, msg+": "+cause).Err(err).Msg(msg)
}
