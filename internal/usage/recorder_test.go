package usage_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// A flush that fails keeps its rows for the next one, which writes each
// of them once with everything counted in between.
func TestFailedFlushIsKept(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		now := s.Clock.Now
		r := usage.NewRecorder(s.Store.Client, s.Store.DB, s.Store.Dialect, now, usage.DefaultRetention)
		r.Count("tok_a", "per_a", usage.Allowed, 3)
		r.Count("tok_a", "per_a", usage.RateLimited, 2)
		r.Count("tok_b", "per_b", usage.NotYetValid, 1)
		r.Count("", "", usage.Invalid, 4)
		r.Count("tok_a", "per_a", usage.Invalid, 1) // never stored, whatever the token
		r.Count("tok_a", "per_a", usage.Forbidden, 0)
		if n := r.Pending(); n != 2 {
			t.Errorf("%d pending, want 2 (a minute of each token)", n)
		}
		dead, cancel := context.WithCancel(context.Background())
		cancel()
		if err := r.Flush(dead); err == nil {
			t.Fatal("a flush on a cancelled context succeeded")
		}
		if n := s.Count(t, "usage_counts WHERE token_id IN ('tok_a', 'tok_b')"); n != 0 {
			t.Fatalf("%d rows after a failed flush", n)
		}
		r.Count("tok_a", "per_a", usage.Allowed, 1)
		s.Clock.Advance(time.Minute)
		r.Count("tok_a", "per_a", usage.IPRefused, 1)
		if n := r.Pending(); n != 2+6 {
			t.Errorf("%d pending after a failed flush, want 8 (its 6 rows and 2 new minutes)", n)
		}
		if err := r.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := r.Pending(); n != 0 {
			t.Errorf("%d pending after a flush", n)
		}
		// tok_a: two minutes, one or two hours and days; tok_b: one of each.
		var allowed, rateLimited, ipRefused, notYetValid, rows int64
		if err := s.Store.DB.QueryRow(`SELECT SUM(allowed), SUM(rate_limited), SUM(ip_refused), SUM(not_yet_valid), COUNT(*) FROM usage_counts
			WHERE token_id IN ('tok_a', 'tok_b') AND resolution = 'm'`).Scan(&allowed, &rateLimited, &ipRefused, &notYetValid, &rows); err != nil {
			t.Fatal(err)
		}
		if allowed != 4 || rateLimited != 2 || ipRefused != 1 || notYetValid != 1 || rows != 3 {
			t.Errorf("minutes: allowed %d, rate-limited %d, IP-refused %d, not-yet-valid %d in %d rows", allowed, rateLimited, ipRefused, notYetValid, rows)
		}
		if r.Total(usage.Invalid) != 5 || r.Total(usage.Allowed) != 4 || r.Total(usage.Forbidden) != 0 {
			t.Errorf("totals: invalid %d, allowed %d, forbidden %d", r.Total(usage.Invalid), r.Total(usage.Allowed), r.Total(usage.Forbidden))
		}
		series, err := r.TokenSeries(context.Background(), "tok_a", now().Truncate(time.Minute).Add(-time.Minute), now().Truncate(time.Minute).Add(time.Minute), usage.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(series.Points) != 2 || series.Total.Allowed != 4 || series.Total.RateLimited != 2 || series.Total.IPRefused != 1 || series.Total.Requests() != 7 {
			t.Errorf("series: %+v", series.Total)
		}
	})
}

// A nil Recorder counts nothing and does not panic: servers may run without one.
func TestNilRecorder(t *testing.T) {
	var r *usage.Recorder
	r.Count("tok", "per", usage.Allowed, 1)
	if r.Total(usage.Allowed) != 0 {
		t.Fatal("nil recorder counted")
	}
}

func TestOutcomeNames(t *testing.T) {
	want := []string{"allowed", "forbidden", "rate_limited", "usage_exceeded", "ip_refused", "not_yet_valid", "invalid"}
	got := usage.Outcomes()
	if len(got) != len(want) {
		t.Fatalf("%d outcomes", len(got))
	}
	for i, o := range got {
		if o.String() != want[i] {
			t.Errorf("outcome %d is %q, want %q", i, o, want[i])
		}
	}
}

// A request's outcome is its first refusal; without a tracker nothing happens.
func TestTracker(t *testing.T) {
	usage.Refused(context.Background()) // no tracker: no effect, no panic
	ctx, tr := usage.Track(context.Background())
	if tr.Outcome() != usage.Allowed {
		t.Fatal("a new request is not allowed")
	}
	usage.Note(ctx, usage.Allowed)
	usage.Note(ctx, usage.RateLimited)
	usage.Refused(ctx)
	if tr.Outcome() != usage.RateLimited {
		t.Errorf("outcome %s, want rate_limited (the first refusal)", tr.Outcome())
	}
}
