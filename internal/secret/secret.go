// Package secret is everything about token secrets: their format and
// checksum, the rules for user-supplied secrets, the display hint, and the
// peppered HMAC under which they are stored.
package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/base62"
)

// Prefix starts every generated secret, so scanners can spot leaked ones.
const Prefix = "lk_"

const (
	randomLen   = 40
	checksumLen = 6
	// GeneratedLen is the length of a generated secret.
	GeneratedLen = len(Prefix) + randomLen + checksumLen
	// MinCustomLen and MaxCustomLen bound a user-supplied secret.
	MinCustomLen = 32
	MaxCustomLen = 256
)

var (
	// ErrMalformed: an lk_ value whose length, alphabet or checksum is wrong.
	ErrMalformed    = errors.New("not a well-formed lk_ token: its checksum or length is wrong")
	ErrTooShort     = errors.New("a secret must be at least 32 characters long")
	ErrTooLong      = errors.New("a secret must be at most 256 characters long")
	ErrNotPrintable = errors.New("a secret may only contain printable ASCII characters without spaces")
)

// Generate returns a new secret: lk_ + 40 random base62 + 6 base62 of CRC32.
func Generate() string {
	body := base62.Random(randomLen)
	return Prefix + body + checksum(body)
}

func checksum(body string) string {
	return base62.EncodeUint32(crc32.ChecksumIEEE([]byte(body)), checksumLen)
}

// Check tells, without touching the database, whether s can be a secret.
// Values starting with lk_ must be well-formed generated secrets with a
// correct checksum; anything else is a user-chosen secret and must be 32 to
// 256 printable ASCII characters without spaces. The same rule admits a
// presented bearer token and a secret a user supplies on create.
func Check(s string) error {
	if strings.HasPrefix(s, Prefix) {
		if len(s) != GeneratedLen {
			return ErrMalformed
		}
		body, sum := s[len(Prefix):len(Prefix)+randomLen], s[len(Prefix)+randomLen:]
		if !base62.Valid(body) || sum != checksum(body) {
			return ErrMalformed
		}
		return nil
	}
	if len(s) < MinCustomLen {
		return ErrTooShort
	}
	if len(s) > MaxCustomLen {
		return ErrTooLong
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return ErrNotPrintable
		}
	}
	return nil
}

// Hint is the part of a secret that may be shown: enough to recognise it,
// far too little to use it.
func Hint(s string) string {
	n := 4
	if strings.HasPrefix(s, Prefix) {
		n = len(Prefix) + 6
	}
	if len(s) < n {
		n = len(s)
	}
	return s[:n] + "…"
}

// Hasher computes the stored form of secrets.
type Hasher struct{ pepper []byte }

// NewHasher returns a Hasher keyed with pepper.
func NewHasher(pepper []byte) Hasher { return Hasher{pepper: pepper} }

// Hash returns the hex HMAC-SHA256 of s under the pepper.
func (h Hasher) Hash(s string) string {
	m := hmac.New(sha256.New, h.pepper)
	m.Write([]byte(s))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}
