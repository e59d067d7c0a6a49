package logbuf

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

type recWrites struct {
	mu     sync.Mutex
	writes [][]byte
}

func (r *recWrites) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

// Each write(2) on a shared stderr must hold whole lines, or another writer
// of the same fd (net/http's ErrorLog, the standard log package, a
// fmt.Fprintln(os.Stderr) in main, the runtime) lands inside a line.
func TestLineSplitAcrossWrites(t *testing.T) {
	out := &recWrites{}
	w := New(out)
	defer w.Close()
	log := zerolog.New(w)
	for i := range 3000 {
		log.Info().Int("i", i).Str("pad", strings.Repeat("x", 100)).Msg("line")
	}
	w.Flush()
	out.mu.Lock()
	defer out.mu.Unlock()
	for i, p := range out.writes {
		if len(p) > 0 && p[len(p)-1] != '\n' {
			t.Fatalf("write %d of %d ends inside a line: ...%q", i, len(out.writes), p[len(p)-40:])
		}
	}
}

type failOnce struct {
	recWrites
	failed bool
}

func (f *failOnce) Write(p []byte) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, errors.New("write /dev/stderr: no space left on device")
	}
	return f.recWrites.Write(p)
}

// One failed write (a full disk, for a moment) and bufio's error sticks:
// every later line, warnings included, is lost for the life of the process.
func TestStickyError(t *testing.T) {
	out := &failOnce{}
	w := New(out)
	defer w.Close()
	log := zerolog.New(w)
	log.Warn().Msg("first")   // this write fails
	log.Error().Msg("second") // the disk has room again
	w.Flush()
	out.mu.Lock()
	defer out.mu.Unlock()
	if len(out.writes) == 0 {
		t.Fatal("after one failed write, nothing is ever written again")
	}
}
