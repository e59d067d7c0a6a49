// Package logthrottle keeps an outage from flooding the log: at most one
// line per cause per interval, the next line saying how many were held back.
// A database that stops answering fails every request the same way; one
// line a second says so as well as fifty thousand.
package logthrottle

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// maxCauses bounds the memory a flood of distinct causes can take.
const maxCauses = 1024

// Throttle decides which log lines are written.
type Throttle struct {
	every  time.Duration
	now    func() time.Time
	mu     sync.Mutex
	causes map[string]*cause
}

type cause struct {
	last       time.Time
	suppressed int
}

// New returns a Throttle allowing one line per cause every interval.
func New(every time.Duration) *Throttle {
	return &Throttle{every: every, now: time.Now, causes: map[string]*cause{}}
}

// Default is used where no Throttle travels in the context.
var Default = New(time.Second)

// Allow reports whether a line about cause may be written now and, if so,
// how many lines about it were held back since the last one written.
func (t *Throttle) Allow(key string) (ok bool, suppressed int) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.causes[key]
	if c == nil {
		if len(t.causes) >= maxCauses {
			t.forget(now)
		}
		t.causes[key] = &cause{last: now}
		return true, 0
	}
	if now.Sub(c.last) < t.every {
		c.suppressed++
		return false, 0
	}
	n := c.suppressed
	c.last, c.suppressed = now, 0
	return true, n
}

// forget drops causes quiet for an interval, or all of them when none is.
// Their held-back counts are lost: the price of a bounded map.
func (t *Throttle) forget(now time.Time) {
	for k, c := range t.causes {
		if now.Sub(c.last) >= t.every {
			delete(t.causes, k)
		}
	}
	if len(t.causes) >= maxCauses {
		clear(t.causes)
	}
}

type ctxKey struct{}

// With carries t in ctx, so each server instance throttles its own lines.
func With(ctx context.Context, t *Throttle) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// From returns the Throttle in ctx, or Default.
func From(ctx context.Context) *Throttle {
	if t, ok := ctx.Value(ctxKey{}).(*Throttle); ok {
		return t
	}
	return Default
}

// Event returns a log event at level for the logger in ctx, or nil (which
// zerolog treats as disabled) when a line about key was written less than
// an interval ago. A line that follows held-back ones carries their count
// in "suppressed". key names the cause: a message and an error class, never
// ids or values that differ between requests.
func Event(ctx context.Context, level zerolog.Level, key string) *zerolog.Event {
	log := zerolog.Ctx(ctx)
	if log.GetLevel() > level {
		return nil
	}
	ok, n := From(ctx).Allow(key)
	if !ok {
		return nil
	}
	e := log.WithLevel(level)
	if n > 0 {
		e = e.Int("suppressed", n)
	}
	return e
}

// Shape is an error's message with what varies between occurrences (numbers,
// ids, quoted values) blanked and its length capped, to key a cause by.
func Shape(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	var b strings.Builder
	quote := rune(0)
	digits := false
	for _, r := range msg {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
				b.WriteRune(r)
			}
			continue
		case r == '"' || r == '\'' || r == '`':
			quote = r
			b.WriteString(string(r) + "…")
			continue
		case r >= '0' && r <= '9':
			if !digits {
				b.WriteByte('#')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(r)
	}
	return b.String()
}
