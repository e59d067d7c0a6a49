package policy

import (
	"net/netip"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	l := RateLimit{Limit: 1, PeriodSeconds: 60}
	at := time.Date(2030, 1, 1, 10, 0, 59, 0, time.UTC)
	i, end := l.Window(at)
	j, _ := l.Window(at.Add(time.Second))
	if j != i+1 || !end.Equal(at.Add(time.Second)) {
		t.Fatalf("window %d ends %v; next second is window %d", i, end, j)
	}
}

func TestRefill(t *testing.T) {
	set := time.Date(2030, 1, 30, 15, 0, 0, 0, time.UTC)
	day := &Credits{Remaining: 2, RefillAmount: 10, RefillInterval: Daily, RefillMode: Reset, LastRefillAt: set}
	if next, _ := day.NextRefill(); !next.Equal(time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("next daily refill %v", next)
	}
	if r, _, due := day.Refilled(set.Add(8 * time.Hour)); due != 0 || r != 2 {
		t.Fatalf("before midnight: %d, %d due", r, due)
	}
	r, last, due := day.Refilled(time.Date(2030, 2, 2, 1, 0, 0, 0, time.UTC))
	if r != 10 || due != 3 || !last.Equal(time.Date(2030, 2, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("reset after three midnights: %d %v %d", r, last, due)
	}
	add := *day
	add.RefillMode = Add
	if r, _, _ := add.Refilled(time.Date(2030, 2, 2, 1, 0, 0, 0, time.UTC)); r != 32 {
		t.Fatalf("add after three midnights: %d", r)
	}
	month := &Credits{Remaining: 0, RefillAmount: 5, RefillInterval: Monthly, RefillMode: Add, LastRefillAt: set}
	r, last, due = month.Refilled(time.Date(2030, 4, 1, 0, 0, 0, 0, time.UTC))
	if r != 15 || due != 3 || !last.Equal(time.Date(2030, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("monthly: %d %v %d", r, last, due)
	}
	huge := &Credits{Remaining: MaxCredits - 1, RefillAmount: MaxCredits, RefillInterval: Daily, RefillMode: Add, LastRefillAt: set}
	if r, _, _ := huge.Refilled(set.AddDate(10, 0, 0)); r != MaxCredits {
		t.Fatalf("add is capped: %d", r)
	}
}

func TestAsStrict(t *testing.T) {
	l := func(n, p int) RateLimit { return RateLimit{Limit: n, PeriodSeconds: p} }
	cases := []struct {
		tok, caller RateLimit
		want        bool
	}{
		{l(10, 1), l(600, 60), true},
		{l(10, 1), l(599, 60), false},
		{l(100, 60), l(10, 1), false}, // longer windows are never as strict
		{l(5, 1), l(5, 1), true},
		{l(6, 1), l(5, 1), false},
		{l(1, 7), l(10, 60), true}, // 60/7 → at most 8+2 windows touched
		{l(1, 7), l(9, 60), false},
		{l(1000, 3600), l(20, 1), false},
	}
	for _, c := range cases {
		if got := AsStrict(c.tok, c.caller); got != c.want {
			t.Errorf("%v as strict as %v = %v", c.tok, c.caller, got)
		}
	}
}

func TestNetworks(t *testing.T) {
	ps, err := CheckNetworks("allowedNetworks", []string{"10.1.2.3/8", "2001:db8::1/32", "192.0.2.7", "::ffff:10.0.0.0/104", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	if got := NetworkStrings(ps); len(got) != 3 || got[0] != "10.0.0.0/8" || got[1] != "2001:db8::/32" || got[2] != "192.0.2.7/32" {
		t.Fatalf("canonical networks %v", got)
	}
	p := &Policy{Networks: ps}
	for addr, want := range map[string]bool{"10.9.9.9": true, "::ffff:10.9.9.9": true, "11.0.0.1": false, "2001:db8:5::1": true, "2001:db9::1": false, "192.0.2.7": true, "": false, "pipe": false} {
		if got := p.AllowsIP(addr); got != want {
			t.Errorf("AllowsIP(%q) = %v", addr, got)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "fe80::1%eth0", "::ffff:1.2.3.4/80"} {
		if _, err := CheckNetworks("allowedNetworks", []string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	caller := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	if NetworksWithin(caller, []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}) != "" {
		t.Error("a subnet is within")
	}
	for _, wider := range [][]netip.Prefix{nil, {netip.MustParsePrefix("0.0.0.0/0")}, {netip.MustParsePrefix("::/0")}, {netip.MustParsePrefix("10.0.0.0/7")}} {
		if NetworksWithin(caller, wider) == "" {
			t.Errorf("%v is within 10.0.0.0/8", wider)
		}
	}
}

func TestCreditsWithin(t *testing.T) {
	daily := func(n int64, mode RefillMode) *Credits {
		return &Credits{Remaining: 10, RefillAmount: n, RefillInterval: Daily, RefillMode: mode}
	}
	caller := daily(10, Reset)
	if CreditsWithin(caller, 10, nil) == "" || CreditsWithin(caller, 10, &Credits{Remaining: 11}) == "" {
		t.Error("unlimited or more credits accepted")
	}
	if CreditsWithin(caller, 10, &Credits{Remaining: 10}) != "" || CreditsWithin(caller, 10, daily(10, Reset)) != "" {
		t.Error("equal credits refused")
	}
	if CreditsWithin(caller, 10, daily(11, Reset)) == "" || CreditsWithin(caller, 10, daily(5, Add)) == "" {
		t.Error("a bigger or accumulating refill accepted")
	}
	if CreditsWithin(caller, 10, &Credits{Remaining: 1, RefillAmount: 281, RefillInterval: Monthly}) == "" {
		t.Error("a monthly refill above 28 days of the caller's accepted")
	}
	if CreditsWithin(&Credits{Remaining: 5}, 5, daily(1, Reset)) == "" {
		t.Error("a refill under a caller without one accepted")
	}
}
