package usage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// MaxPoints bounds a series, and the number of buckets a ranking adds up:
// a day of minutes, 60 days of hours, about four years of days.
const MaxPoints = 1440

// MaxTop bounds a ranking.
const MaxTop = 100

// Series is a token's or persona's counts in consecutive buckets: the
// GraphQL type UsageSeries.
type Series struct {
	Points []*Point
	Total  Counts
}

// Point is one bucket: the GraphQL type UsagePoint.
type Point struct {
	At     time.Time
	Counts Counts
}

// TokenTotal is one token's counts over a period.
type TokenTotal struct {
	TokenID string
	Counts  Counts
}

// buckets checks a range and returns the start of its first bucket (the
// one holding from) and how many buckets it covers (up to to, exclusive).
func buckets(from, to time.Time, iv Interval) (int64, int, error) {
	if !from.Before(to) {
		return 0, 0, gqlerr.BadInput("to", "to must be later than from")
	}
	first, d := iv.start(from), int64(iv.Duration()/time.Second)
	end := to.Unix()
	if to.Nanosecond() > 0 {
		end++ // a bucket starting within the last second is in range
	}
	n := (end - first + d - 1) / d
	if n > MaxPoints {
		return 0, 0, gqlerr.BadInput("to", "the range covers %d buckets of this interval; at most %d may be asked for at once", n, MaxPoints)
	}
	return first, int(n), nil
}

var sums = func() string {
	parts := make([]string, len(counters))
	for i, c := range counters {
		parts[i] = "SUM(" + c + ")"
	}
	return strings.Join(parts, ", ")
}()

// TokenSeries is what was counted for a token, zero-filled: one point per
// bucket of iv from the one holding from up to to (exclusive). Buckets
// older than iv's retention read as zero; counts not yet flushed (at most
// one flush interval, on every instance) are not in it.
func (r *Recorder) TokenSeries(ctx context.Context, tokenID string, from, to time.Time, iv Interval) (*Series, error) {
	return r.series(ctx, "token_id", tokenID, from, to, iv)
}

// PersonaSeries is TokenSeries over every token that acted as the persona
// (when it was counted).
func (r *Recorder) PersonaSeries(ctx context.Context, personaID string, from, to time.Time, iv Interval) (*Series, error) {
	return r.series(ctx, "persona_id", personaID, from, to, iv)
}

func (r *Recorder) series(ctx context.Context, column, id string, from, to time.Time, iv Interval) (*Series, error) {
	first, n, err := buckets(from, to, iv)
	if err != nil {
		return nil, err
	}
	d := int64(iv.Duration() / time.Second)
	s := &Series{Points: make([]*Point, n)}
	for i := range s.Points {
		s.Points[i] = &Point{At: time.Unix(first+int64(i)*d, 0).UTC()}
	}
	rows, err := r.db.QueryContext(ctx, fmt.Sprintf(
		"SELECT start, %s FROM usage_counts WHERE %s = ? AND resolution = ? AND start >= ? AND start < ? GROUP BY start", sums, column),
		id, iv.code(), first, first+int64(n)*d)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var start int64
		var c Counts
		if err := rows.Scan(&start, &c.Allowed, &c.Forbidden, &c.RateLimited, &c.UsageExceeded, &c.IPRefused, &c.NotYetValid); err != nil {
			return nil, err
		}
		if i := (start - first) / d; i >= 0 && i < int64(n) {
			s.Points[i].Counts.add(c)
			s.Total.add(c)
		}
	}
	return s, rows.Err()
}

// Top ranks the tokens that still exist by how many verifications were
// counted for them in the buckets of iv from the one holding from up to to
// (exclusive), most first (ties by id); at most first of them.
func (r *Recorder) Top(ctx context.Context, from, to time.Time, iv Interval, first int) ([]TokenTotal, error) {
	if first < 1 || first > MaxTop {
		return nil, gqlerr.BadInput("first", "first must be between 1 and %d", MaxTop)
	}
	start, n, err := buckets(from, to, iv)
	if err != nil {
		return nil, err
	}
	d := int64(iv.Duration() / time.Second)
	rows, err := r.db.QueryContext(ctx, fmt.Sprintf(`SELECT u.token_id, %s, SUM(%s) AS requests
		FROM usage_counts u JOIN api_tokens t ON t.id = u.token_id
		WHERE u.resolution = ? AND u.start >= ? AND u.start < ?
		GROUP BY u.token_id ORDER BY requests DESC, u.token_id LIMIT ?`, sums, strings.Join(counters, " + ")),
		iv.code(), start, start+int64(n)*d, first)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TokenTotal
	for rows.Next() {
		var t TokenTotal
		var requests int64
		c := &t.Counts
		if err := rows.Scan(&t.TokenID, &c.Allowed, &c.Forbidden, &c.RateLimited, &c.UsageExceeded, &c.IPRefused, &c.NotYetValid, &requests); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
