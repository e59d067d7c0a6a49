package flush

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// writer keeps n entries and writes them when the database is up.
type writer struct {
	mu      sync.Mutex
	n       int
	up      bool
	flushes int
}

func (w *writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushes++
	if !w.up {
		<-ctx.Done() // a hung database: the flush lasts until its deadline
		return ctx.Err()
	}
	w.n = 0
	return nil
}

func (w *writer) Pending() int { w.mu.Lock(); defer w.mu.Unlock(); return w.n }

func TestFinal(t *testing.T) {
	var logs bytes.Buffer
	log := zerolog.New(&logs)
	ok, hung := &writer{n: 3, up: true}, &writer{n: 5}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	lost := Final(ctx, log, Job{Name: "good", Writer: ok, Every: time.Hour}, Job{Name: "last-used times", Writer: hung, Every: time.Hour})
	if len(lost) != 1 || lost["last-used times"] != 5 || ok.Pending() != 0 {
		t.Fatalf("lost %v", lost)
	}
	if lines := strings.Split(strings.TrimSpace(logs.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"dropped":5`) {
		t.Errorf("want one line about the 5 dropped, got %q", logs.String())
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	w := &writer{n: 1, up: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, Job{Name: "x", Writer: w, Every: time.Millisecond}); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.Pending() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("no periodic flush")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
}
