package logbuf

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

type syncBuf struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Info lines are batched and arrive within the interval; a warning goes
// out at once with what was before it; lines stay whole and in order
// whatever the number of writers; Close writes the rest.
func TestWriter(t *testing.T) {
	out := &syncBuf{}
	w := New(out)
	log := zerolog.New(w)
	log.Info().Msg("one")
	if out.String() != "" {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	deadline := time.Now().Add(5 * Interval)
	for !strings.Contains(out.String(), "one") {
		if time.Now().After(deadline) {
			t.Fatal("an info line did not arrive within the interval")
		}
		time.Sleep(Interval / 10)
	}
	log.Info().Msg("two")
	log.Warn().Msg("three")
	if s := out.String(); !strings.Contains(s, `"two"`) || !strings.Contains(s, `"three"`) {
		t.Fatalf("a warning did not flush at once: %q", s)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				log.Info().Int("g", g).Int("i", i).Str("pad", strings.Repeat("x", 40)).Msg("line")
			}
		}()
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3+8*2000 {
		t.Fatalf("%d lines, want %d", len(lines), 3+8*2000)
	}
	last := map[float64]float64{}
	for _, l := range lines[3:] {
		var g, i float64
		if _, err := fmtSscan(l, &g, &i); err != nil {
			t.Fatalf("a line was torn: %q", l)
		}
		if p, ok := last[g]; ok && i != p+1 {
			t.Fatalf("writer %v: line %v after %v", g, i, p)
		}
		last[g] = i
	}
	if out.writes > 100 {
		t.Fatalf("%d writes for %d lines: not batched", out.writes, len(lines))
	}
}

func fmtSscan(line string, g, i *float64) (int, error) {
	var v struct {
		G, I float64
		Pad  string
	}
	err := json.Unmarshal([]byte(line), &v)
	if err == nil && len(v.Pad) != 40 {
		err = errTorn
	}
	*g, *i = v.G, v.I
	return 2, err
}

var errTorn = errors.New("torn line")
