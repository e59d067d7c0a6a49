package logthrottle

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestOneLinePerCausePerInterval(t *testing.T) {
	now := time.Unix(1000, 0)
	th := New(time.Second)
	th.now = func() time.Time { return now }
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	ctx := With(log.WithContext(context.Background()), th)

	for i := 0; i < 1000; i++ {
		Event(ctx, zerolog.ErrorLevel, "database unavailable").Msg("database unavailable")
		Event(ctx, zerolog.ErrorLevel, "other").Msg("other")
	}
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("%d lines in one interval, want one per cause:\n%s", n, buf.String())
	}
	buf.Reset()
	now = now.Add(time.Second)
	Event(ctx, zerolog.ErrorLevel, "database unavailable").Msg("database unavailable")
	if !strings.Contains(buf.String(), `"suppressed":999`) {
		t.Fatalf("the next line should count the 999 held back: %s", buf.String())
	}
	buf.Reset()
	now = now.Add(time.Second)
	Event(ctx, zerolog.ErrorLevel, "database unavailable").Msg("database unavailable")
	if strings.Contains(buf.String(), "suppressed") {
		t.Fatalf("nothing was held back: %s", buf.String())
	}
}

func TestDisabledLevelSpendsNothing(t *testing.T) {
	th := New(time.Second)
	ctx := With(zerolog.New(&bytes.Buffer{}).Level(zerolog.ErrorLevel).WithContext(context.Background()), th)
	if e := Event(ctx, zerolog.DebugLevel, "x"); e != nil {
		t.Fatal("a disabled level must not log")
	}
	if ok, _ := th.Allow("x"); !ok {
		t.Fatal("a disabled level must not use up the cause's line")
	}
}

func TestCausesBounded(t *testing.T) {
	th := New(time.Second)
	for i := 0; i < 3*maxCauses; i++ {
		th.Allow(strings.Repeat("k", i%50) + string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if len(th.causes) > maxCauses {
		t.Fatalf("%d causes kept", len(th.causes))
	}
}

func TestShapeBlanksWhatVaries(t *testing.T) {
	a := Shape(errors.New(`read tcp 127.0.0.1:35820->127.0.0.1:3306: token "tok_abc" not found after 12 tries`))
	b := Shape(errors.New(`read tcp 127.0.0.1:40001->127.0.0.1:3306: token "tok_xyz" not found after 3 tries`))
	if a != b {
		t.Fatalf("one cause, two shapes:\n%s\n%s", a, b)
	}
}
