// Package secret is everything about token secrets: their format and
// checksum, the rules for user-supplied secrets, the display hint, and the
// peppered HMAC under which they are stored.
package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"strings"
	"sync"

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
	var sum [checksumLen]byte
	putChecksum(&sum, body)
	return string(sum[:])
}

func putChecksum(dst *[checksumLen]byte, body string) {
	var b [randomLen]byte
	copy(b[:], body)
	base62.Put(dst[:], uint64(crc32.ChecksumIEEE(b[:])))
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
		var want [checksumLen]byte
		putChecksum(&want, body)
		if !base62.Valid(body) || sum != string(want[:]) {
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

// Hasher computes the stored form of secrets. It keeps keyed HMAC states in
// a pool: keying costs more than hashing a short secret.
type Hasher struct{ pool *sync.Pool }

// NewHasher returns a Hasher keyed with pepper.
func NewHasher(pepper []byte) Hasher {
	key := append([]byte(nil), pepper...)
	return Hasher{pool: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// Hash returns the hex HMAC-SHA256 of s under the pepper.
func (h Hasher) Hash(s string) string {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	_, _ = io.WriteString(m, s)
	var sum [sha256.Size]byte
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], m.Sum(sum[:0]))
	h.pool.Put(m)
	return string(out[:])
}
