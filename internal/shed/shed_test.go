package shed

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// A stateful model test over random sequences of arrivals, departures and
// abandoned waits (fixed seeds). The model: a request is admitted at once
// while fewer than max run; else it waits while fewer than queue wait;
// else it is refused at once. A departure hands its turn to a waiter if
// there is one. After every step the limiter agrees with the model, never
// runs more than max, never queues more than queue, and counts every
// refusal.
func TestLimiterModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		max, queue := 1+rng.IntN(4), rng.IntN(4)
		l := New(max, queue, time.Hour) // waits end by a departure or a cancel, never by time
		type waiter struct {
			cancel context.CancelFunc
			got    chan bool
		}
		var (
			running int
			waiting []*waiter // arrival order
			shed    int64
			wg      sync.WaitGroup
		)
		agree := func(step int, what string) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for l.InFlight() != running || l.Queued() != len(waiting) || l.Shed.Load() != shed {
				if time.Now().After(deadline) {
					t.Fatalf("seed %d step %d (%s): limiter in flight %d queued %d shed %d; model %d %d %d", seed, step, what, l.InFlight(), l.Queued(), l.Shed.Load(), running, len(waiting), shed)
				}
				time.Sleep(time.Millisecond)
			}
			if l.InFlight() > max || l.Queued() > queue {
				t.Fatalf("seed %d step %d: bounds broken: %d in flight (max %d), %d queued (max %d)", seed, step, l.InFlight(), max, l.Queued(), queue)
			}
		}
		for step := 0; step < 200; step++ {
			switch op := rng.IntN(3); {
			case op == 0: // arrival
				switch {
				case running < max && len(waiting) == 0:
					if !l.Acquire(context.Background()) {
						t.Fatalf("seed %d step %d: refused with %d of %d running", seed, step, running, max)
					}
					running++
				case len(waiting) < queue:
					ctx, cancel := context.WithCancel(context.Background())
					w := &waiter{cancel: cancel, got: make(chan bool, 1)}
					wg.Add(1)
					go func() { defer wg.Done(); w.got <- l.Acquire(ctx) }()
					waiting = append(waiting, w)
					agree(step, "queued")
				default:
					if l.Acquire(context.Background()) {
						t.Fatalf("seed %d step %d: admitted with %d running and %d waiting", seed, step, running, len(waiting))
					}
					shed++
				}
			case op == 1 && running > 0: // departure
				l.Release()
				if len(waiting) > 0 {
					// One waiter gets the turn; which one is the runtime's
					// business, so find it.
					got, deadline := -1, time.Now().Add(5*time.Second)
					for got < 0 {
						if time.Now().After(deadline) {
							t.Fatalf("seed %d step %d: no waiter got the freed turn", seed, step)
						}
						for i, w := range waiting {
							select {
							case ok := <-w.got:
								if !ok {
									t.Fatalf("seed %d step %d: a waiter was refused on a departure", seed, step)
								}
								got = i
							default:
							}
							if got >= 0 {
								break
							}
						}
						if got < 0 {
							time.Sleep(time.Millisecond)
						}
					}
					waiting = append(waiting[:got], waiting[got+1:]...)
				} else {
					running--
				}
			case op == 2 && len(waiting) > 0: // a waiter gives up (its request ended)
				i := rng.IntN(len(waiting))
				w := waiting[i]
				w.cancel()
				if ok := <-w.got; ok {
					t.Fatalf("seed %d step %d: a waiter got a turn nobody gave back", seed, step)
				}
				shed++
				waiting = append(waiting[:i], waiting[i+1:]...)
			}
			agree(step, "step")
		}
		for _, w := range waiting {
			w.cancel()
		}
		wg.Wait()
	}
}

// A zero maximum turns the limiter off.
func TestNoLimit(t *testing.T) {
	l := New(0, 10, time.Second)
	if l != nil || !l.Acquire(context.Background()) || l.InFlight() != 0 {
		t.Fatal("a limiter with no maximum refuses or counts")
	}
	l.Release()
}
