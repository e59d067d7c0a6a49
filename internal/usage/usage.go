// Package usage counts verifications by outcome, per token and per persona,
// in time buckets: counted in memory on the request path, added to the
// database in batches (one row write per token, persona and bucket per
// flush), swept when older than their retention, and read back as series.
package usage

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// Outcome is what one verification of a token came to.
type Outcome uint8

// The outcomes. Invalid (no valid token) is counted only in the process
// totals (Prometheus): it has no token to count it against.
const (
	Allowed Outcome = iota
	Forbidden
	RateLimited
	UsageExceeded
	IPRefused
	NotYetValid
	Invalid

	numOutcomes
	// stored is how many outcomes a bucket keeps (all but Invalid).
	stored = int(Invalid)
)

var outcomeNames = [numOutcomes]string{"allowed", "forbidden", "rate_limited", "usage_exceeded", "ip_refused", "not_yet_valid", "invalid"}

func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Outcomes lists every outcome, Invalid included.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// Counts is how many verifications came to each stored outcome: the
// GraphQL type UsageCounts.
type Counts struct {
	Allowed       int64
	Forbidden     int64
	RateLimited   int64
	UsageExceeded int64
	IPRefused     int64
	NotYetValid   int64
}

// Requests is every verification counted, whatever its outcome.
func (c Counts) Requests() int64 {
	return c.Allowed + c.Forbidden + c.RateLimited + c.UsageExceeded + c.IPRefused + c.NotYetValid
}

func countsOf(a [stored]int64) Counts {
	return Counts{Allowed: a[Allowed], Forbidden: a[Forbidden], RateLimited: a[RateLimited],
		UsageExceeded: a[UsageExceeded], IPRefused: a[IPRefused], NotYetValid: a[NotYetValid]}
}

func (c *Counts) add(o Counts) {
	c.Allowed += o.Allowed
	c.Forbidden += o.Forbidden
	c.RateLimited += o.RateLimited
	c.UsageExceeded += o.UsageExceeded
	c.IPRefused += o.IPRefused
	c.NotYetValid += o.NotYetValid
}

// Interval is the length of a bucket.
type Interval uint8

// The intervals, each kept for its own retention.
const (
	Minute Interval = iota
	Hour
	Day
)

var intervals = [...]struct {
	code string
	d    time.Duration
}{Minute: {"m", time.Minute}, Hour: {"h", time.Hour}, Day: {"d", 24 * time.Hour}}

// Duration is the bucket's length.
func (iv Interval) Duration() time.Duration { return intervals[iv].d }

// code is how the bucket's length is stored.
func (iv Interval) code() string { return intervals[iv].code }

// start is the start of the bucket holding t, in Unix seconds. Days are
// UTC days.
func (iv Interval) start(t time.Time) int64 {
	s, d := t.Unix(), int64(iv.Duration()/time.Second)
	return s - mod(s, d)
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// Retention is how long buckets of each interval are kept.
type Retention struct {
	Minute, Hour, Day time.Duration
}

// DefaultRetention keeps minutes for a day, hours for 30 days and days for a year.
var DefaultRetention = Retention{Minute: 24 * time.Hour, Hour: 30 * 24 * time.Hour, Day: 365 * 24 * time.Hour}

func (r Retention) of(iv Interval) time.Duration {
	switch iv {
	case Minute:
		return r.Minute
	case Hour:
		return r.Hour
	}
	return r.Day
}

// Tracker collects the outcome of one /graphql request: allowed, unless
// something on the way refused it (Refused, Note); the first refusal wins.
type Tracker struct{ outcome atomic.Uint32 }

type trackerKey struct{}

// Track returns ctx carrying a new Tracker.
func Track(ctx context.Context) (context.Context, *Tracker) {
	t := &Tracker{}
	return context.WithValue(ctx, trackerKey{}, t), t
}

// Refused notes that a permission check of the request in ctx refused.
func Refused(ctx context.Context) { Note(ctx, Forbidden) }

// Note records that the request in ctx came to o, unless it was already
// refused for another reason.
func Note(ctx context.Context, o Outcome) {
	if t, _ := ctx.Value(trackerKey{}).(*Tracker); t != nil && o != Allowed {
		t.outcome.CompareAndSwap(uint32(Allowed), uint32(o))
	}
}

// Outcome is the request's outcome so far.
func (t *Tracker) Outcome() Outcome { return Outcome(t.outcome.Load()) }

// MarshalGQL writes the GraphQL enum UsageInterval.
func (iv Interval) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(iv.name()))
}

// UnmarshalGQL reads the GraphQL enum UsageInterval.
func (iv *Interval) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	for i := range intervals {
		if Interval(i).name() == s {
			*iv = Interval(i)
			return nil
		}
	}
	return fmt.Errorf("%q is not a UsageInterval: MINUTE, HOUR or DAY", s)
}

func (iv Interval) name() string {
	switch iv {
	case Minute:
		return "MINUTE"
	case Hour:
		return "HOUR"
	}
	return "DAY"
}
