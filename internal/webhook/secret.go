// Package webhook delivers the outbox (internal/events) to endpoints:
// signing, the delivery worker with its leases, retries and retention, and
// the sweep that emits expiry events.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/latchkeyhq/latchkey/internal/secret"
)

// Secrets derives endpoints' signing secrets. A secret is never stored: it
// is an HMAC, under a key derived from the token pepper, of a random salt
// stored with the endpoint. So Latchkey can sign with it again, and the
// database alone does not reveal it. Changing the pepper changes every
// endpoint's secret (as it invalidates every token).
type Secrets struct{ key []byte }

// NewSecrets derives the signing key from the pepper's hasher.
func NewSecrets(h secret.Hasher) Secrets {
	return Secrets{key: []byte(h.Hash("latchkey webhook signing key v1"))}
}

// SecretPrefix starts every endpoint signing secret.
const SecretPrefix = "whsec_"

// For returns the signing secret of the endpoint with this salt.
func (s Secrets) For(salt string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(salt))
	return SecretPrefix + hex.EncodeToString(m.Sum(nil))
}

// NewSalt returns a new random salt (64 hex characters).
func NewSalt() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Signature is the Latchkey-Signature header of body sent at t with
// secret: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
func Signature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}
