// Package deadline bounds a request's time like context.WithTimeout, but
// arms the timer only when something waits on the context. Most requests
// on the hot path (a cached /auth/verify, a viewer query answered from the
// verification cache) never call Done: they end long before the deadline
// and never reach the database, so the runtime timer WithTimeout starts
// and stops on every request (about 1.6 µs of a cached verification's
// 31 µs, docs/PERFORMANCE.md) buys them nothing. Anything that does wait
// (database/sql, the driver, a child context) calls Done, which arms a
// real context.WithDeadline at the same instant, so the bound is exactly
// WithTimeout's.
//
// The invariant (TestMatchesWithDeadline, FuzzMatchesWithDeadline): at
// every moment, Deadline, Err, Value, context.Cause once ended, and
// whether Done is closed agree with a context.WithDeadline(parent, at)
// created at the same time and cancelled at the same time. One
// difference, by construction: when the deadline passes and then the
// parent ends before anything looked, Err gives the parent's reason (the
// real one would say DeadlineExceeded); both have ended either way, and
// context.Cause asked before Err may give the parent's cause.
package deadline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// With returns a context that ends when parent ends, d from now, or when
// the returned cancel function is called, whichever comes first. Call
// cancel when the work is done, as with context.WithTimeout.
func With(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return at(parent, time.Now().Add(d), d <= 0)
}

// At is With for an instant.
func At(parent context.Context, t time.Time) (context.Context, context.CancelFunc) {
	return at(parent, t, !time.Now().Before(t))
}

func at(parent context.Context, t time.Time, passed bool) (context.Context, context.CancelFunc) {
	c := &lazy{parent: parent, at: t}
	if passed {
		c.arm() // ended already: a real one, so that its reason is the deadline
	}
	return c, c.cancel
}

type lazy struct {
	parent   context.Context
	at       time.Time
	mu       sync.Mutex // arming and cancelling
	armed    atomic.Pointer[armed]
	canceled atomic.Bool // cancel was called; set under mu
}

type armed struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// arm creates the real deadline context once; a cancel that came first
// is applied to it at once.
func (c *lazy) arm() *armed {
	if a := c.armed.Load(); a != nil {
		return a
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.armed.Load(); a != nil {
		return a
	}
	ctx, cancel := context.WithDeadline(c.parent, c.at)
	if c.canceled.Load() {
		cancel()
	}
	a := &armed{ctx: ctx, cancel: cancel}
	c.armed.Store(a)
	return a
}

func (c *lazy) cancel() {
	if c.armed.Load() == nil && !time.Now().Before(c.at) {
		c.arm() // the deadline came first: it stays the reason
	}
	c.mu.Lock()
	c.canceled.Store(true)
	a := c.armed.Load()
	c.mu.Unlock()
	if a != nil {
		a.cancel()
	}
}

func (c *lazy) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.at) {
		return d, true
	}
	return c.at, true
}

func (c *lazy) Done() <-chan struct{} { return c.arm().ctx.Done() }

// Err is nil without arming while nothing has ended; once something has
// (a cancel, the parent, the deadline), it arms, so that Done, Err and
// context.Cause all answer from the real context from then on.
func (c *lazy) Err() error {
	if a := c.armed.Load(); a != nil {
		return a.ctx.Err()
	}
	if !c.canceled.Load() && c.parent.Err() == nil && time.Now().Before(c.at) {
		return nil
	}
	return c.arm().ctx.Err()
}

func (c *lazy) Value(key any) any {
	if a := c.armed.Load(); a != nil {
		return a.ctx.Value(key)
	}
	return c.parent.Value(key)
}

func (c *lazy) String() string { return "deadline.At(" + c.at.String() + ")" }
