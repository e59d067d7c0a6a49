package limits_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/limits"
	"github.com/latchkeyhq/latchkey/internal/policy"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Found by an attack review: Take held the token subject's lock while it
// looked up the persona's (map lock), and Sync's forget took them the other
// way round. The real Sync: a token used now and then (its 1 s window ends between
// uses) is forgotten by Sync while a request takes it with its persona.
func TestRealSyncDeadlock(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Quiet())
	l := limits.New(s.Store.Client, "a", zerolog.Nop())
	lim := []policy.RateLimit{{Name: "s", Limit: 1 << 30, PeriodSeconds: 1}}
	ctx := context.Background()
	t0 := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			untilClosed(stop, func() {
				l.Take(ctx, "tok", lim, "per", lim, 1, t0, false)
				time.Sleep(50 * time.Microsecond)
			})
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Sync at a time when the requests' windows have ended.
		untilClosed(stop, func() { _ = l.Sync(ctx, t0.Add(time.Hour)) })
	}()
	done := make(chan struct{})
	go func() { time.Sleep(4 * time.Second); close(stop); wg.Wait(); close(done) }()
	select {
	case <-done:
		t.Log("no deadlock in 4s")
	case <-time.After(30 * time.Second):
		t.Fatal("deadlock with the real Sync")
	}
}

// untilClosed calls f again and again until stop is closed.
func untilClosed(stop <-chan struct{}, f func()) {
	for {
		select {
		case <-stop:
			return
		default:
			f()
		}
	}
}
