package admin

import (
	"testing"
	"unicode/utf8"
)

// fold reaches a fixed point for every code point: two names that fold
// alike stay alike when folded again, so the unique key cannot be split
// (one pass of case folding swaps the cases of Cherokee letters).
func TestFoldIsIdempotent(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := "a" + string(r) + "b"
		if once := fold(s); fold(once) != once {
			t.Fatalf("%U: fold %q = %q, fold again = %q", r, s, once, fold(once))
		}
	}
	if fold("ᏣᎳᎩ") != fold("ꮳꮃꭹ") || fold("Adminiſtrator") != fold("ADMINISTRATOR") || fold("Ａdmin") != fold("admin") {
		t.Fatal("names that differ only by case or compatibility form fold apart")
	}
}
