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
	out  io.Writer
	buf  *bufio.Writer
	stop chan struct{}
	once sync.Once
}

// New starts a Writer over out; Close stops its timer and flushes.
func New(out io.Writer) *Writer {
	w := &Writer{out: out, buf: bufio.NewWriterSize(out, Size), stop: make(chan struct{})}
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
	return w.add(p, false)
}

// WriteLevel writes warnings and worse through at once.
func (w *Writer) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.add(p, l >= zerolog.WarnLevel && l != zerolog.NoLevel)
}

// add keeps every write(2) to whole lines, since others write to the same
// stderr (net/http's error log, the runtime): what is buffered goes first
// when p does not fit after it, and a line longer than the buffer goes
// alone. w.mu is held.
func (w *Writer) add(p []byte, now bool) (int, error) {
	if len(p) > w.buf.Available() && w.buf.Buffered() > 0 {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	if len(p) > w.buf.Available() {
		return w.out.Write(p)
	}
	n, _ := w.buf.Write(p) // fits: no write(2), no error
	if now {
		return n, w.flush()
	}
	return n, nil
}

// flush writes what is buffered. After a failed write the buffer is
// emptied and starts afresh (bufio would keep the error and drop every
// later line): the lines it held are lost, the next ones are written.
func (w *Writer) flush() error {
	err := w.buf.Flush()
	if err != nil {
		w.buf.Reset(w.out)
	}
	return err
}

// Flush writes what is buffered.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.flush()
}

// Close stops the timer and flushes; later lines are still written, at
// the next Flush or when the buffer fills.
func (w *Writer) Close() {
	w.once.Do(func() { close(w.stop) })
	w.Flush()
}
