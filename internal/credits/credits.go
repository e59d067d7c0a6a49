// Package credits spends usage credits like money: never more uses than
// credits, across any number of instances and after a crash, with no write
// per request.
//
// An instance spends from a lease: a block of credits it took out of the
// token's balance in one transaction (the row locked on MySQL). Requests
// spend the lease in memory. When it runs short, the next request takes a
// new lease (the only write on a request's way, once per block). A lease
// that an instance has not touched for a whole flush interval is returned
// to the balance in one UPDATE; at shutdown every lease is returned. A
// crash loses the leases it held: credits are under-spent, never
// over-spent, since a use is only ever allowed out of credits already
// taken from the balance.
//
// Refills are applied by the lease transaction when due (policy.Credits.
// Refilled): no background job and no clock on the database. A RESET moves
// the balance to a new epoch and is recorded in the change feed, so every
// instance drops its older leases within a second; leases are returned only
// into the epoch they were taken from.
package credits

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/authz"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// Ledger holds one instance's leases.
type Ledger struct {
	Client *ent.Client
	// Locking reads the token FOR UPDATE (MySQL); SQLite's write
	// transactions never overlap.
	Locking bool
	// Origin names this instance in the change feed; Changed is told of a
	// refill that reset a balance, once it committed.
	Origin  string
	Changed func(kind, ref string)
	// Retry is how long an instance that found no credits waits before it
	// asks the database again (other instances may return leases).
	Retry time.Duration

	mu     sync.RWMutex // the map only: lookups of known leases share it
	leases map[string]*lease
	// Leases counts lease transactions, Returns returned leases, Lost the
	// credits a failed return gave up: tests and logs.
	Leases  atomic.Int64
	Returns atomic.Int64
	Lost    atomic.Int64
}

// New returns an empty ledger.
func New(client *ent.Client, locking bool, origin string, changed func(kind, ref string), retry time.Duration) *Ledger {
	return &Ledger{Client: client, Locking: locking, Origin: origin, Changed: changed, Retry: retry, leases: map[string]*lease{}}
}

// lease is one token's credits held by this instance. mu guards every
// change but one: a request spending from credits already held takes them
// with a compare-and-swap on left (Take's fast path), so that the
// connections of one busy token do not queue on mu. Every other change of
// left is atomic too (a Swap when a lease is returned), so each credit is
// either spent or returned, never both.
type lease struct {
	mu    sync.Mutex
	epoch atomic.Int64 // written under mu
	left  atomic.Int64 // credits held by this instance
	// balance is the token's balance in the database after this
	// instance's last lease: with left, what the answers report. Written
	// under mu.
	balance atomic.Int64
	known   bool
	// retryAt: no credits were left; no lease is tried before then.
	retryAt time.Time
	next    time.Time    // the next refill, as the database said at the last lease
	used    atomic.Int64 // spent since the last flush
	last    int64        // spent in the interval before
	// dropped: Flush forgot this lease (idle and empty). A request that
	// found it before must look again, or what it leases would be held
	// where no flush returns it.
	dropped bool
}

// spend takes cost credits out of what is held when at least need are
// there, without the lock. It reports what is left after.
func (ls *lease) spend(cost, need int64) (int64, bool) {
	for {
		v := ls.left.Load()
		if v < need {
			return v, false
		}
		if ls.left.CompareAndSwap(v, v-cost) {
			ls.used.Add(cost)
			return v - cost, true
		}
	}
}

func (l *Ledger) lease(id string) *lease {
	l.mu.RLock()
	ls, ok := l.leases[id]
	l.mu.RUnlock()
	if ok {
		return ls
	}
	l.mu.Lock()
	ls, ok = l.leases[id]
	if !ok {
		ls = &lease{}
		ls.epoch.Store(-1)
		l.leases[id] = ls
	}
	l.mu.Unlock()
	return ls
}

// Outcome is what Take decided.
type Outcome struct {
	Allowed bool
	// Remaining is what this instance knows is left: its lease and the
	// balance it last saw.
	Remaining int64
	// RetryAt is the next refill when credits ran out (zero: none).
	RetryAt time.Time
}

// Take spends cost credits of token id, whose balance as last read is c,
// at now. dry only tells whether they are there. An error means the
// database could not lease: the request cannot be decided.
func (l *Ledger) Take(ctx context.Context, id string, c *policy.Credits, cost int64, now time.Time, dry bool) (Outcome, error) {
	if cost < 0 {
		// The handlers bound costs; a negative one would mint credits.
		return Outcome{}, nil
	}
	for {
		if o, again, err := l.take(ctx, id, l.lease(id), c, cost, now, dry); !again {
			return o, err
		}
	}
}

// take is Take on lease ls; again: ls was dropped meanwhile, look it up anew.
func (l *Ledger) take(ctx context.Context, id string, ls *lease, c *policy.Credits, cost int64, now time.Time, dry bool) (o Outcome, again bool, err error) {
	// A cost of 0 checks without spending, but still needs a credit left:
	// "may this token be used now?" is no at zero.
	need := max(cost, 1)
	if !dry && c.Epoch <= ls.epoch.Load() {
		if left, ok := ls.spend(cost, need); ok {
			return Outcome{Allowed: true, Remaining: left + ls.balance.Load()}, false, nil
		}
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.dropped {
		return Outcome{}, true, nil
	}
	if c.Epoch > ls.epoch.Load() {
		// The balance was set anew (or this instance never leased): what
		// was held belongs to an older balance.
		ls.epoch.Store(c.Epoch)
		ls.left.Store(0)
		ls.known, ls.retryAt = false, time.Time{}
	}
	if !ls.known {
		bal, _, _ := c.Refilled(now)
		ls.balance.Store(bal)
	}
	if !dry {
		if left, ok := ls.spend(cost, need); ok {
			return Outcome{Allowed: true, Remaining: left + ls.balance.Load()}, false, nil
		}
	} else if left := ls.left.Load(); left >= need {
		return Outcome{Allowed: true, Remaining: left + ls.balance.Load()}, false, nil
	}
	next, _ := c.NextRefill()
	if ls.known {
		next = ls.next
	}
	if dry {
		bal, _, _ := c.Refilled(now)
		if ls.known {
			bal = ls.balance.Load()
		}
		left := ls.left.Load()
		return Outcome{Allowed: left+bal >= need, Remaining: left + bal, RetryAt: next}, false, nil
	}
	if now.Before(ls.retryAt) {
		return Outcome{Remaining: ls.left.Load() + ls.balance.Load(), RetryAt: next}, false, nil
	}
	// Requests spending without the lock may take what a lease brought
	// before this one gets to it: lease again while the database has some.
	var left int64
	ok := false
	for range 3 {
		unlimited, err := l.refill(ctx, id, ls, need, now)
		if err != nil {
			return Outcome{}, false, err
		}
		if unlimited {
			return Outcome{Allowed: true, Remaining: -1}, false, nil
		}
		if left, ok = ls.spend(cost, need); ok || ls.left.Load()+ls.balance.Load() < need {
			break
		}
	}
	if !ok {
		ls.retryAt = now.Add(l.Retry)
		if !ls.next.IsZero() && ls.next.Before(ls.retryAt) {
			ls.retryAt = ls.next
		}
		return Outcome{Remaining: left + ls.balance.Load(), RetryAt: ls.next}, false, nil
	}
	return Outcome{Allowed: true, Remaining: left + ls.balance.Load()}, false, nil
}

// block is how many credits to lease: enough for about two intervals of
// this instance's recent use (at least 16), never more than a quarter of
// the balance (so that other instances find some), never less than need.
func block(ls *lease, balance, need int64) int64 {
	b := max(16, 2*max(ls.used.Load(), ls.last))
	b = min(b, (balance+3)/4)
	return min(max(b, need), balance)
}

// refill takes a lease for ls in one transaction, applying refills due at
// now. It reports unlimited when the token no longer has credits.
func (l *Ledger) refill(ctx context.Context, id string, ls *lease, cost int64, now time.Time) (unlimited bool, err error) {
	l.Leases.Add(1)
	tx, err := dbtx.Begin(ctx, l.Client, l.Locking)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	q := tx.APIToken.Query().Where(apitoken.ID(id))
	if l.Locking {
		q = q.ForUpdate()
	}
	t, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return false, tx.Rollback() // deleted: nothing to lease, refused
	}
	if err != nil {
		return false, err
	}
	c := authz.CreditsOf(t)
	if c == nil {
		return true, tx.Rollback()
	}
	bal, last, due := c.Refilled(now)
	after := *c
	after.LastRefillAt = last
	ls.next, _ = after.NextRefill()
	upd := tx.APIToken.UpdateOneID(id)
	write, reset := false, false
	if due > 0 {
		upd.SetCreditsLastRefillAt(last)
		write = true
		if c.RefillMode != policy.Add {
			upd.SetCreditsEpoch(c.Epoch + 1)
			c.Epoch++
			reset = true
		}
	}
	if c.Epoch > ls.epoch.Load() {
		ls.epoch.Store(c.Epoch)
		ls.left.Store(0)
	}
	need := cost - ls.left.Load()
	take := int64(0)
	if bal >= need {
		take = block(ls, bal, need)
		write = true
	}
	if !write {
		ls.balance.Store(bal)
		ls.known = true
		return false, tx.Rollback()
	}
	upd.SetCreditsRemaining(bal - take)
	if err = upd.Exec(ctx); err != nil {
		return false, err
	}
	if reset {
		if err = feed.Record(ctx, tx.Client(), l.Origin, feed.Token, id, now); err != nil {
			return false, err
		}
	}
	if err = tx.Commit(); err != nil {
		return false, err
	}
	if reset && l.Changed != nil {
		l.Changed(feed.Token, id)
	}
	ls.left.Add(take)
	ls.balance.Store(bal - take)
	ls.known = true
	return false, nil
}

// Flush returns the leases not touched since the last flush (all of them
// when all is set, at shutdown): one UPDATE per such token, and only into
// the epoch they were taken from.
func (l *Ledger) Flush(ctx context.Context, all bool) error {
	l.mu.Lock()
	ids := make([]string, 0, len(l.leases))
	lss := make([]*lease, 0, len(l.leases))
	for id, ls := range l.leases {
		ids = append(ids, id)
		lss = append(lss, ls)
	}
	l.mu.Unlock()
	var firstErr error
	for i, ls := range lss {
		ls.mu.Lock()
		ls.last = ls.used.Swap(0)
		idle := ls.last == 0
		epoch := ls.epoch.Load()
		if ls.left.Load() == 0 || (!idle && !all) {
			if ls.left.Load() == 0 && idle {
				l.drop(ids[i], ls)
			}
			ls.mu.Unlock()
			continue
		}
		// Swap: a request spending without the lock either got its
		// credits before this or finds none after.
		n := ls.left.Swap(0)
		ls.mu.Unlock()
		l.Returns.Add(1)
		_, err := l.Client.APIToken.Update().
			Where(apitoken.ID(ids[i]), apitoken.CreditsEpoch(epoch), apitoken.CreditsRemainingNotNil()).
			AddCreditsRemaining(n).Save(ctx)
		if err != nil {
			// The UPDATE may have been applied with only its answer lost
			// (a timeout, a dropped connection): holding the credits again
			// could count them twice. They are lost instead: under-spent,
			// as after a crash.
			if firstErr == nil {
				firstErr = err
			}
			l.Lost.Add(n)
			continue
		}
		ls.mu.Lock()
		if ls.epoch.Load() == epoch {
			ls.balance.Add(n)
		}
		ls.mu.Unlock()
	}
	return firstErr
}

// drop forgets an idle, empty lease; ls is locked by the caller.
func (l *Ledger) drop(id string, ls *lease) {
	l.mu.Lock()
	if l.leases[id] == ls && ls.retryAt.IsZero() {
		delete(l.leases, id)
		ls.dropped = true
	}
	l.mu.Unlock()
}

// Held is what this instance holds of token id's credits (tests).
func (l *Ledger) Held(id string) int64 {
	l.mu.Lock()
	ls, ok := l.leases[id]
	l.mu.Unlock()
	if !ok {
		return 0
	}
	return ls.left.Load()
}
