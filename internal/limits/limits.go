// Package limits counts the rate limits of tokens and personas. Windows are
// fixed and aligned to the Unix epoch (policy.RateLimit.Window), so every
// instance agrees on them. Each instance counts its own uses in memory,
// exactly, and decides against its own count plus the other instances'
// counts as last read: no database write on the request path.
//
// Across instances, Sync (every LATCHKEY_LIMITS_SYNC_INTERVAL, S) writes
// this instance's counts of the subjects used since the last sync, one row
// per subject (token or persona) and instance in limit_counts, and reads the
// other instances' rows of every subject it holds. A subject seen for the
// first time is read at once (one read on the request path, once per
// subject). So an instance decides on the others' counts at most 2·S old
// (up to S until they write, up to S until it reads): in any window, the
// units admitted above a limit are at most what the other instances
// admitted in the last 2·S, and never more than (N−1)·limit with N
// instances. On one instance the count is exact.
package limits

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/limitcount"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// Limiter holds one instance's counts.
type Limiter struct {
	Client *ent.Client
	// Instance names this instance in limit_counts.
	Instance string
	Log      zerolog.Logger

	mu       sync.RWMutex // the map only: lookups of known subjects share it
	subjects map[string]*subject
	pruned   time.Time
	// Writes and Reads count the statements of Sync and Prime, for tests.
	Writes atomic.Int64
	Reads  atomic.Int64
}

// New returns a Limiter writing as instance.
func New(client *ent.Client, instance string, log zerolog.Logger) *Limiter {
	return &Limiter{Client: client, Instance: instance, Log: log, subjects: map[string]*subject{}}
}

// key names a counter: the period of the limits it counts. Every request
// spends one unit (its cost) of every limit of its subject, so all limits
// of one period count the same units: one counter serves them, and a limit
// renamed or resized keeps its window's count (a rename must not open a
// fresh window).
type key struct {
	period int64
}

func (k key) String() string { return strconv.FormatInt(k.period, 10) + "s" }

type counter struct {
	window int64
	end    time.Time
	local  int64 // this instance's units in window
	others int64 // the other instances' units in othersWindow, as last read
	// othersWindow is the window others counts; another window's are 0.
	othersWindow int64
}

func (c *counter) roll(l policy.RateLimit, now time.Time) {
	w, end := l.Window(now)
	if w != c.window {
		c.window, c.end, c.local = w, end, 0
	}
}

func (c *counter) used() int64 {
	if c.othersWindow == c.window {
		return c.local + c.others
	}
	return c.local
}

type subject struct {
	mu     sync.Mutex
	counts map[key]*counter
	// primed: the other instances' counts were read once. Set under mu,
	// read without it on every request.
	primed atomic.Bool
	// tried is when a failed first read was tried; it is not tried again
	// on the request path within a second (Sync keeps trying).
	tried  time.Time
	dirty  bool
	ownRow bool // this instance's row exists in limit_counts
	// forgotten: Sync dropped it from the map (set under mu); a request
	// that found it before must look it up again.
	forgotten bool
}

func (s *subject) counter(l policy.RateLimit, now time.Time) *counter {
	k := key{int64(l.PeriodSeconds)}
	c, ok := s.counts[k]
	if !ok {
		c = &counter{window: -1 << 62, othersWindow: -1 << 62}
		s.counts[k] = c
	}
	c.roll(l, now)
	return c
}

// Status is one limit as a response reports it.
type Status struct {
	Name      string
	Limit     int
	Remaining int64
	Reset     time.Time // when its window ends
}

// Result is what Take decided.
type Result struct {
	Allowed bool
	// Refused is the limit that refused (the one resetting last when
	// several did); Tightest, the limit with the fewest units left
	// relative to its size after this request, for the RateLimit headers.
	Refused  Status
	Tightest Status
	Any      bool // some limit applied
}

func (l *Limiter) subject(id string) *subject {
	l.mu.RLock()
	s, ok := l.subjects[id]
	l.mu.RUnlock()
	if ok {
		return s
	}
	l.mu.Lock()
	s, ok = l.subjects[id]
	if !ok {
		s = &subject{counts: map[key]*counter{}}
		l.subjects[id] = s
	}
	l.mu.Unlock()
	return s
}

// Take spends cost units of every limit of the token and of its persona,
// all or none: when one would go over, nothing is spent. dry only tells
// whether cost units are there. now is the request's time.
func (l *Limiter) Take(ctx context.Context, tokenID string, tokenLimits []policy.RateLimit, personaID string, personaLimits []policy.RateLimit, cost int64, now time.Time, dry bool) Result {
	if cost < 0 {
		// The handlers bound costs; a negative one would give units back.
		return Result{Any: len(tokenLimits)+len(personaLimits) > 0}
	}
	for {
		if r, again := l.take(ctx, tokenID, tokenLimits, personaID, personaLimits, cost, now, dry); !again {
			return r
		}
	}
}

// take is Take on the subjects as looked up now; again: Sync forgot one of
// them meanwhile, so what it spent would be counted nowhere: look again.
// Both subjects are looked up and primed before either is locked, so that
// no subject lock is held while the map's is taken (Sync's forget takes
// the map's, then a subject's).
func (l *Limiter) take(ctx context.Context, tokenID string, tokenLimits []policy.RateLimit, personaID string, personaLimits []policy.RateLimit, cost int64, now time.Time, dry bool) (Result, bool) {
	var ts, ps *subject
	if len(tokenLimits) > 0 {
		ts = l.subject(tokenID)
		l.prime(ctx, tokenID, ts, tokenLimits, now)
	}
	if len(personaLimits) > 0 {
		ps = l.subject(personaID)
		l.prime(ctx, personaID, ps, personaLimits, now)
	}
	// One defer for both (a defer inside the loop would be allocated on
	// every request).
	held := [2]*subject{ts, ps}
	for _, s := range held {
		if s != nil {
			s.mu.Lock()
		}
	}
	defer func() {
		for _, s := range held {
			if s != nil {
				s.mu.Unlock()
			}
		}
	}()
	for _, s := range held {
		if s != nil && s.forgotten {
			return Result{}, true
		}
	}
	r := Result{Allowed: true, Any: ts != nil || ps != nil}
	tight := 2.0
	// The counters checked are the ones spent: looked up (and rolled to
	// now's window) once, while the locks are held.
	var spent [8]*counter
	counters := spent[:0]
	check := func(s *subject, limits []policy.RateLimit) {
		for _, lim := range limits {
			c := s.counter(lim, now)
			if !slices.Contains(counters, c) { // limits of one period share it
				counters = append(counters, c)
			}
			left := int64(lim.Limit) - c.used() - cost
			// A cost of 0 checks without spending, but a full window
			// still refuses: it needs a unit left.
			if left < 0 || cost == 0 && left == 0 {
				if r.Allowed || c.end.After(r.Refused.Reset) {
					r.Refused = Status{Name: lim.Name, Limit: lim.Limit, Remaining: max(0, int64(lim.Limit)-c.used()), Reset: c.end}
				}
				r.Allowed = false
				continue
			}
			if f := float64(left) / float64(lim.Limit); f < tight {
				tight = f
				r.Tightest = Status{Name: lim.Name, Limit: lim.Limit, Remaining: left, Reset: c.end}
			}
		}
	}
	if ts != nil {
		check(ts, tokenLimits)
	}
	if ps != nil {
		check(ps, personaLimits)
	}
	if !r.Allowed {
		r.Tightest = r.Refused
		return r, false
	}
	if !dry {
		for _, c := range counters {
			c.local += cost
		}
		if ts != nil {
			ts.dirty = true
		}
		if ps != nil {
			ps.dirty = true
		}
	}
	return r, false
}

// Refund gives back what Take spent at now, when the request was refused
// afterwards (by its credits): a refused request spends no limit.
func (l *Limiter) Refund(tokenID string, tokenLimits []policy.RateLimit, personaID string, personaLimits []policy.RateLimit, cost int64, now time.Time) {
	for _, x := range []struct {
		id     string
		limits []policy.RateLimit
	}{{tokenID, tokenLimits}, {personaID, personaLimits}} {
		if len(x.limits) == 0 {
			continue
		}
		for {
			s := l.subject(x.id)
			s.mu.Lock()
			if s.forgotten {
				s.mu.Unlock()
				continue
			}
			var done [8]*counter
			refunded := done[:0]
			for _, lim := range x.limits {
				if c := s.counter(lim, now); !slices.Contains(refunded, c) {
					refunded = append(refunded, c)
					c.local = max(0, c.local-max(cost, 0))
				}
			}
			s.mu.Unlock()
			break
		}
	}
}

// Peek reports every limit of a token and its persona as they stand, for
// POST /v1/verify's answer.
func (l *Limiter) Peek(tokenID string, tokenLimits []policy.RateLimit, personaID string, personaLimits []policy.RateLimit, now time.Time) []Status {
	out := make([]Status, 0, len(tokenLimits)+len(personaLimits))
	for _, x := range []struct {
		id     string
		limits []policy.RateLimit
	}{{tokenID, tokenLimits}, {personaID, personaLimits}} {
		if len(x.limits) == 0 {
			continue
		}
		s := l.subject(x.id)
		s.mu.Lock()
		for _, lim := range x.limits {
			c := s.counter(lim, now)
			out = append(out, Status{Name: lim.Name, Limit: lim.Limit, Remaining: max(0, int64(lim.Limit)-c.used()), Reset: c.end})
		}
		s.mu.Unlock()
	}
	return out
}

// prime reads what every instance has counted of a subject this instance
// has not seen yet, once.
func (l *Limiter) prime(ctx context.Context, id string, s *subject, limits []policy.RateLimit, now time.Time) {
	if s.primed.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, lim := range limits {
		s.counter(lim, now)
	}
	if s.primed.Load() || now.Sub(s.tried) < time.Second && !s.tried.IsZero() {
		return
	}
	rows, err := l.Client.LimitCount.Query().Where(limitcount.Subject(id), limitcount.ExpiresAtGT(now)).All(ctx)
	l.Reads.Add(1)
	if err != nil {
		s.tried = now
		l.Log.Warn().Err(err).Msg("reading rate-limit counts; deciding on this instance's own until the next sync")
		return
	}
	s.primed.Store(true)
	s.apply(l.Instance, rows, now)
}

// apply takes in the counts of rows: the other instances' as theirs, this
// instance's own (written before it forgot the subject) as a floor of its
// local count.
func (s *subject) apply(self string, rows []*ent.LimitCount, now time.Time) {
	others := map[string]map[int64]int64{}
	var own []policy.WindowCount
	for _, r := range rows {
		if r.Instance == self {
			s.ownRow = true
			own = r.Counts
			continue
		}
		for _, wc := range r.Counts {
			if others[wc.Limit] == nil {
				others[wc.Limit] = map[int64]int64{}
			}
			others[wc.Limit][wc.Window] += wc.Count
		}
	}
	for k, c := range s.counts {
		ks := k.String()
		// The window current at now, which the counter may not have
		// rolled into yet.
		w, _ := policy.RateLimit{PeriodSeconds: int(k.period)}.Window(now)
		c.others, c.othersWindow = others[ks][w], w
		for _, wc := range own {
			if wc.Limit == ks && wc.Window == c.window && wc.Count > c.local {
				c.local = wc.Count
			}
		}
	}
}

// batch bounds the subjects one read asks for.
const batch = 500

// Sync writes this instance's counts of the subjects used since the last
// sync (one statement per subject) and reads the other instances' counts
// of every subject this instance holds. Subjects whose windows have all
// ended are forgotten, and rows whose windows have all ended are pruned
// once a minute.
func (l *Limiter) Sync(ctx context.Context, now time.Time) error {
	l.mu.Lock()
	ids := make([]string, 0, len(l.subjects))
	subs := make([]*subject, 0, len(l.subjects))
	for id, s := range l.subjects {
		ids = append(ids, id)
		subs = append(subs, s)
	}
	l.mu.Unlock()
	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	live := make([]string, 0, len(ids))
	liveSubs := map[string]*subject{}
	for i, s := range subs {
		s.mu.Lock()
		var counts []policy.WindowCount
		var end time.Time
		for k, c := range s.counts {
			if c.end.After(now) {
				if c.local > 0 {
					counts = append(counts, policy.WindowCount{Limit: k.String(), Window: c.window, Count: c.local})
				}
				if c.end.After(end) {
					end = c.end
				}
			}
		}
		dirty, ownRow := s.dirty, s.ownRow
		s.dirty = false
		s.mu.Unlock()
		if end.IsZero() && !dirty {
			l.forget(ids[i], s)
			continue
		}
		live = append(live, ids[i])
		liveSubs[ids[i]] = s
		if !dirty || len(counts) == 0 {
			continue
		}
		if err := l.write(ctx, ids[i], counts, end, ownRow); err != nil {
			note(err)
			s.mu.Lock()
			s.dirty = true
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		s.ownRow = true
		s.mu.Unlock()
	}
	for start := 0; start < len(live); start += batch {
		chunk := live[start:min(start+batch, len(live))]
		rows, err := l.Client.LimitCount.Query().Where(limitcount.SubjectIn(chunk...), limitcount.ExpiresAtGT(now)).All(ctx)
		l.Reads.Add(1)
		if err != nil {
			note(err)
			continue
		}
		bySubject := map[string][]*ent.LimitCount{}
		for _, r := range rows {
			bySubject[r.Subject] = append(bySubject[r.Subject], r)
		}
		for _, id := range chunk {
			s := liveSubs[id]
			s.mu.Lock()
			s.apply(l.Instance, bySubject[id], now)
			s.primed.Store(true)
			s.mu.Unlock()
		}
	}
	if now.Sub(l.pruned) > time.Minute {
		l.pruned = now
		if _, err := l.Client.LimitCount.Delete().Where(limitcount.ExpiresAtLT(now.Add(-time.Minute))).Exec(ctx); err != nil {
			note(err)
		}
	}
	return firstErr
}

// write stores this instance's counts of one subject: one statement.
func (l *Limiter) write(ctx context.Context, id string, counts []policy.WindowCount, end time.Time, ownRow bool) error {
	l.Writes.Add(1)
	if ownRow {
		n, err := l.Client.LimitCount.Update().
			Where(limitcount.Subject(id), limitcount.Instance(l.Instance)).
			SetCounts(counts).SetExpiresAt(end).Save(ctx)
		if err != nil || n > 0 {
			return err
		}
		// Pruned meanwhile: insert it again.
	}
	return l.Client.LimitCount.Create().SetSubject(id).SetInstance(l.Instance).SetCounts(counts).SetExpiresAt(end).Exec(ctx)
}

// forget drops a subject whose windows have all ended, unless it was used
// again meanwhile.
func (l *Limiter) forget(id string, s *subject) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty && l.subjects[id] == s {
		delete(l.subjects, id)
		s.forgotten = true
	}
}
