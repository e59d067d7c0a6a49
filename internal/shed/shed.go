// Package shed bounds the work an instance takes on. A request runs when
// fewer than a maximum run; otherwise it waits for a turn, if few enough
// others wait, for a short time; otherwise it is refused at once. Overload
// is then answered with 503 and Retry-After in bounded time, instead of
// queues (goroutines, memory, database connections) growing without bound.
package shed

import (
	"context"
	"sync/atomic"
	"time"
)

// Limiter admits requests. A nil *Limiter admits everything.
type Limiter struct {
	slots     chan struct{}
	maxQueued int64
	wait      time.Duration
	queued    atomic.Int64
	// Shed counts refused requests.
	Shed atomic.Int64
}

// New returns a Limiter running at most maxInFlight at once, with at most
// maxQueued waiting up to wait for a turn; nil when maxInFlight is 0.
func New(maxInFlight, maxQueued int, wait time.Duration) *Limiter {
	if maxInFlight <= 0 {
		return nil
	}
	return &Limiter{slots: make(chan struct{}, maxInFlight), maxQueued: int64(maxQueued), wait: wait}
}

// Acquire takes a turn: at once when one is free, else after waiting in
// the queue (FIFO). It returns false, having counted the refusal, when the
// queue is full, the wait times out or ctx ends first. After true, the
// caller must call Release exactly once.
func (l *Limiter) Acquire(ctx context.Context) bool {
	if l == nil {
		return true
	}
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	if !l.enqueue() {
		l.Shed.Add(1)
		return false
	}
	defer l.queued.Add(-1)
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	l.Shed.Add(1)
	return false
}

// enqueue takes a place in the queue if one is free: the queue never
// holds more than maxQueued, even for a moment.
func (l *Limiter) enqueue() bool {
	for {
		q := l.queued.Load()
		if q >= l.maxQueued || l.wait <= 0 {
			return false
		}
		if l.queued.CompareAndSwap(q, q+1) {
			return true
		}
	}
}

// Release gives a turn back.
func (l *Limiter) Release() {
	if l != nil {
		<-l.slots
	}
}

// InFlight is the number of turns taken.
func (l *Limiter) InFlight() int {
	if l == nil {
		return 0
	}
	return len(l.slots)
}

// Queued is the number of requests waiting for a turn.
func (l *Limiter) Queued() int {
	if l == nil {
		return 0
	}
	return int(l.queued.Load())
}
