// Package base62 draws and encodes the base62 text used by token secrets and
// record ids.
package base62

import "crypto/rand"

// Alphabet is the 62 characters, in digit order.
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Random returns n characters drawn uniformly from crypto/rand.
func Random(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		for _, c := range buf {
			// 248 = 4*62: rejecting the top bytes keeps the draw unbiased.
			if c < 248 && len(out) < n {
				out = append(out, Alphabet[c%62])
			}
		}
	}
	return string(out)
}

// EncodeUint32 writes v as exactly width base62 digits, most significant first.
func EncodeUint32(v uint32, width int) string { return EncodeUint64(uint64(v), width) }

// EncodeUint64 writes v as exactly width base62 digits, most significant
// first, so that the strings sort like the numbers.
func EncodeUint64(v uint64, width int) string {
	out := make([]byte, width)
	Put(out, v)
	return string(out)
}

// Put writes v into dst as len(dst) base62 digits, most significant first.
func Put(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = Alphabet[v%62]
		v /= 62
	}
}

var isDigit = func() (t [256]bool) {
	for i := 0; i < len(Alphabet); i++ {
		t[Alphabet[i]] = true
	}
	return t
}()

// Valid reports whether s consists only of base62 characters.
func Valid(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit[s[i]] {
			return false
		}
	}
	return true
}
