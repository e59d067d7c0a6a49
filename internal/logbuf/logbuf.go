// Package logbuf batches log lines into few writes: every request's access
// line was a write(2) of its own, about a tenth of the CPU of a cached
// /auth/verify. Lines are kept in a bounded buffer (Size) and written when
// it fills, at least every Interval, at once for warnings and worse, and
// at Flush (the process calls it before it exits). A kill -9 loses at most
// the last Interval of info and debug lines; nothing waits on a full
// buffer longer than one write.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Size is the buffer; Interval the longest a line waits.
const (
	Size     = 64 << 10
	Interval = 100 * time.Millisecond
)

// Writer is a zerolog.LevelWriter over out.
type Writer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	once sync.Once
}

// New starts a Writer over out; Close stops its timer and flushes.
func New(out io.Writer) *Writer {
	w := &Writer{buf: bufio.NewWriterSize(out, Size), stop: make(chan struct{})}
	go w.tick()
	return w
}

func (w *Writer) tick() {
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.Flush()
		case <-w.stop:
			return
		}
	}
}

// Write buffers one line (zerolog writes a whole event per call).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// WriteLevel writes warnings and worse through at once.
func (w *Writer) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if err == nil && l >= zerolog.WarnLevel && l != zerolog.NoLevel {
		err = w.buf.Flush()
	}
	return n, err
}

// Flush writes what is buffered.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.buf.Flush()
}

// Close stops the timer and flushes; later lines are still written, at
// the next Flush or when the buffer fills.
func (w *Writer) Close() {
	w.once.Do(func() { close(w.stop) })
	w.Flush()
}
