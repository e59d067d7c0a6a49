package httpserver

import (
	"sync/atomic"

	"github.com/latchkeyhq/latchkey/internal/base62"
)

// requestIDs names requests that arrive without an X-Request-Id of their
// own: a random prefix per instance (8 base62 digits) and a counter (12),
// 20 characters in all; each start of a process draws a new prefix. A request id must be unique, not secret, so the
// counter spares every request a draw from crypto/rand.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs { return &requestIDs{prefix: base62.Random(8)} }

func (r *requestIDs) next() string {
	var b [20]byte
	copy(b[:8], r.prefix)
	base62.Put(b[8:], r.n.Add(1))
	return string(b[:])
}
