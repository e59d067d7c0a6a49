package deadline

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

type key struct{}

// pair is one lazy context and the context.WithDeadline it must behave
// like, each under a parent of its own built the same way.
type pair struct {
	lazy, real             context.Context
	cancelLazy, cancelReal context.CancelFunc
	parentCancels          [2]context.CancelFunc
}

func newPair(parentDeadline, at time.Time) *pair {
	var p pair
	parents := [2]context.Context{}
	for i := range parents {
		base := context.WithValue(context.Background(), key{}, "request")
		if !parentDeadline.IsZero() {
			parents[i], p.parentCancels[i] = context.WithDeadline(base, parentDeadline)
		} else {
			parents[i], p.parentCancels[i] = context.WithCancel(base)
		}
	}
	p.lazy, p.cancelLazy = At(parents[0], at)
	p.real, p.cancelReal = context.WithDeadline(parents[1], at)
	return &p
}

func closed(c context.Context) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

// check compares the two after op; peek says whether to look at Done
// (which arms the lazy one: the unarmed paths are checked without it).
func (p *pair) check(t testing.TB, step int, op string, peek bool) {
	t.Helper()
	if le, re := p.lazy.Err(), p.real.Err(); !errors.Is(le, re) || (le == nil) != (re == nil) {
		t.Fatalf("step %d (%s): Err %v, WithDeadline's %v", step, op, le, re)
	}
	ld, lok := p.lazy.Deadline()
	rd, rok := p.real.Deadline()
	if !ld.Equal(rd) || lok != rok {
		t.Fatalf("step %d (%s): Deadline %v %v, WithDeadline's %v %v", step, op, ld, lok, rd, rok)
	}
	if p.lazy.Value(key{}) != p.real.Value(key{}) {
		t.Fatalf("step %d (%s): Value differs", step, op)
	}
	if peek && closed(p.lazy) != closed(p.real) {
		t.Fatalf("step %d (%s): Done closed %v, WithDeadline's %v", step, op, closed(p.lazy), closed(p.real))
	}
	if le := p.lazy.Err(); le != nil && context.Cause(p.lazy) != context.Cause(p.real) {
		t.Fatalf("step %d (%s): Cause %v, WithDeadline's %v", step, op, context.Cause(p.lazy), context.Cause(p.real))
	}
}

// run plays ops against a pair: deadlines are far in the future or
// already past (never at the edge, so the two never race a clock).
func run(t testing.TB, ops []byte) {
	now := time.Now()
	times := []time.Time{{}, now.Add(time.Hour), now.Add(-time.Millisecond), now.Add(2 * time.Hour)}
	if len(ops) < 2 {
		return
	}
	parentDeadline, at := times[int(ops[0])%len(times)], times[1+int(ops[1])%(len(times)-1)]
	p := newPair(parentDeadline, at)
	defer p.cancelLazy()
	defer p.cancelReal()
	var children [][2]context.Context
	for i, op := range ops[2:] {
		switch op % 6 {
		case 0:
			p.check(t, i, "look", false)
		case 1:
			p.check(t, i, "wait", true)
		case 2:
			p.cancelLazy()
			p.cancelReal()
			p.check(t, i, "cancel", op%4 == 2)
		case 3:
			p.parentCancels[0]()
			p.parentCancels[1]()
			p.check(t, i, "parent cancel", op%4 == 3)
		case 4:
			lc, lcancel := context.WithCancel(p.lazy)
			rc, rcancel := context.WithCancel(p.real)
			defer lcancel()
			defer rcancel()
			children = append(children, [2]context.Context{lc, rc})
			p.check(t, i, "child", false)
		case 5:
			for j, c := range children {
				if le, re := c[0].Err(), c[1].Err(); !errors.Is(le, re) || (le == nil) != (re == nil) {
					t.Fatalf("step %d: child %d Err %v, WithDeadline's child %v", i, j, le, re)
				}
			}
		}
	}
	p.check(t, len(ops), "end", true)
}

// The invariant over random sequences of looks, waits, cancels, parent
// cancels and children, with a fixed seed.
func TestMatchesWithDeadline(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for range 3000 {
		ops := make([]byte, 2+rng.IntN(14))
		for i := range ops {
			ops[i] = byte(rng.IntN(256))
		}
		run(t, ops)
	}
}

func FuzzMatchesWithDeadline(f *testing.F) {
	f.Add([]byte{1, 0, 0, 1, 2, 0, 1})
	f.Add([]byte{0, 1, 4, 3, 5, 1})
	f.Add([]byte{2, 2, 0, 1, 4, 5})
	f.Fuzz(func(t *testing.T, ops []byte) { run(t, ops) })
}

// A deadline that passes while something waits ends the wait, with
// DeadlineExceeded, as WithTimeout's would.
func TestDeadlinePassesWhileWaiting(t *testing.T) {
	ctx, cancel := With(context.Background(), 30*time.Millisecond)
	defer cancel()
	if ctx.Err() != nil {
		t.Fatal("ended before its deadline")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the deadline passed and Done stayed open")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		t.Fatalf("Err %v, Cause %v", ctx.Err(), context.Cause(ctx))
	}
}

// Nobody waited, the deadline passed: Err says so without a timer.
func TestDeadlinePassedUnwatched(t *testing.T) {
	ctx, cancel := With(context.Background(), time.Millisecond)
	defer cancel()
	time.Sleep(5 * time.Millisecond)
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !closed(ctx) {
		t.Fatalf("Err %v, closed %v", ctx.Err(), closed(ctx))
	}
}

// Goroutines that wait, look and cancel at once (run with -race): every
// waiter wakes, and all see the same end.
func TestConcurrentWaitersAndCancel(t *testing.T) {
	for range 200 {
		ctx, cancel := With(context.Background(), time.Hour)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					<-ctx.Done()
				} else {
					_ = ctx.Err()
					<-ctx.Done()
				}
				if !errors.Is(ctx.Err(), context.Canceled) {
					t.Errorf("after cancel: %v", ctx.Err())
				}
			}()
		}
		cancel()
		wg.Wait()
	}
}

// What the hot path pays: nothing allocated beyond the context itself,
// and no timer, when nobody waits.
func BenchmarkUnwatched(b *testing.B) {
	parent := context.Background()
	b.Run("lazy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := With(parent, 10*time.Second)
			_ = ctx.Value(key{})
			_ = ctx.Err()
			cancel()
		}
	})
	b.Run("WithTimeout", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(parent, 10*time.Second)
			_ = ctx.Value(key{})
			_ = ctx.Err()
			cancel()
		}
	})
}
