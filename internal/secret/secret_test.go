package secret

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := Generate()
		if len(s) != GeneratedLen || !strings.HasPrefix(s, Prefix) {
			t.Fatalf("bad shape %q", s)
		}
		if err := Check(s); err != nil {
			t.Fatalf("generated %q fails its own check: %v", s, err)
		}
		if seen[s] {
			t.Fatalf("duplicate secret %q", s)
		}
		seen[s] = true
	}
}

func TestCheck(t *testing.T) {
	good := Generate()
	flipped := []byte(good)
	// Change one character of the random part: the checksum must catch it.
	if flipped[10] == 'a' {
		flipped[10] = 'b'
	} else {
		flipped[10] = 'a'
	}
	badSum := good[:len(good)-1] + string(rune(good[len(good)-1]^1))
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"generated", good, nil},
		{"one character changed", string(flipped), ErrMalformed},
		{"checksum changed", badSum, ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"extended", good + "a", ErrMalformed},
		{"non-base62 body", "lk_" + strings.Repeat("-", 40) + good[43:], ErrMalformed},
		{"prefix only", "lk_", ErrMalformed},
		{"empty", "", ErrTooShort},
		{"31 characters", strings.Repeat("a", 31), ErrTooShort},
		{"32 characters", strings.Repeat("a", 32), nil},
		{"256 characters", strings.Repeat("a", 256), nil},
		{"257 characters", strings.Repeat("a", 257), ErrTooLong},
		{"space inside", strings.Repeat("a", 20) + " " + strings.Repeat("b", 20), ErrNotPrintable},
		{"tab", strings.Repeat("a", 40) + "\t", ErrNotPrintable},
		{"non-ASCII", strings.Repeat("é", 20), ErrNotPrintable},
		{"symbols", `!"#$%&'()*+,-./:;<=>?@[\]^_{|}~` + "`aa", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Check(tc.in); got != tc.want {
				t.Fatalf("Check(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestHint(t *testing.T) {
	g := Generate()
	cases := []struct{ in, want string }{
		{g, g[:9] + "…"},
		{"my-own-secret-that-is-long-enough", "my-o…"},
		{"ab", "ab…"},
	}
	for _, tc := range cases {
		if got := Hint(tc.in); got != tc.want {
			t.Errorf("Hint(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHash(t *testing.T) {
	a, b := NewHasher([]byte("pepper-a")), NewHasher([]byte("pepper-b"))
	s := Generate()
	// Twice, so a pooled HMAC state is reused.
	if first, second := a.Hash(s), a.Hash(s); first != second {
		t.Fatal("hash is not deterministic")
	}
	if a.Hash(s) == b.Hash(s) {
		t.Fatal("the pepper does not change the hash")
	}
	if a.Hash(s) == a.Hash(Generate()) {
		t.Fatal("different secrets share a hash")
	}
	if h := a.Hash(s); len(h) != 64 || strings.Contains(h, s) {
		t.Fatalf("unexpected hash %q", h)
	}
	// A known vector pins the algorithm: HMAC-SHA256, hex encoded.
	if got := NewHasher([]byte("key")).Hash("The quick brown fox jumps over the lazy dog"); got != "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Fatalf("HMAC-SHA256 vector: %s", got)
	}
}

// FuzzCheck: Check never panics, accepts generated secrets, and whatever it
// accepts is either a checksummed lk_ secret or 32–256 printable characters.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{Generate(), "lk_", "lk_" + strings.Repeat("A", 46), strings.Repeat("x", 32), "", "\x00\xff", "Bearer lk_abc"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Check(s)
		if err != nil {
			return
		}
		if strings.HasPrefix(s, Prefix) {
			body := s[len(Prefix) : len(Prefix)+randomLen]
			if len(s) != GeneratedLen || checksum(body) != s[len(Prefix)+randomLen:] {
				t.Fatalf("accepted malformed lk_ value %q", s)
			}
			return
		}
		if len(s) < MinCustomLen || len(s) > MaxCustomLen || !utf8.ValidString(s) || strings.ContainsAny(s, " \t\n") {
			t.Fatalf("accepted %q", s)
		}
	})
}
