package auth

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// The negative cache remembers, by hash, well-formed secrets that
// authenticate nothing, so that a client repeating one (a misconfigured
// service, a guesser) costs no database lookup. Such a secret can start to
// authenticate only through a change (a create or regenerate with it, a
// restore, an expiry moved), and every change forgets every negative
// entry: on this instance when it commits, on the others when the change
// feed is read (within LATCHKEY_CHANGE_POLL_INTERVAL). Entries are trusted
// only while the feed is read, like positive ones, and are not added when
// a change arrived during their lookup. The failed-attempt budget is spent
// as before: a remembered miss is still a miss.

// NegativeCache turns the negative cache on: up to size secrets, each for
// ttl. Zero size or ttl leaves it off.
func (v *Verifier) NegativeCache(size int, ttl time.Duration) {
	if size > 0 && ttl > 0 {
		v.unknown = expirable.NewLRU[string, struct{}](size, nil, ttl)
	}
}

// knownUnknown tells whether hash was recently found to authenticate
// nothing, and no change has come since.
func (v *Verifier) knownUnknown(hash string) bool {
	if v.unknown == nil {
		return false
	}
	if until := v.trusted.Load(); until != 0 && time.Now().UnixNano() > until {
		return false
	}
	if _, ok := v.unknown.Get(hash); ok {
		v.NegativeHits.Add(1)
		return true
	}
	return false
}

// rememberUnknown notes that hash authenticated nothing in a lookup that
// began at generation gen, unless a change has come since.
func (v *Verifier) rememberUnknown(hash string, gen uint64) {
	if v.unknown == nil {
		return
	}
	v.mu.Lock()
	if v.gen.Load() == gen {
		v.unknown.Add(hash, struct{}{})
	}
	v.mu.Unlock()
}

// forgetUnknown drops every negative entry; Forget calls it, under v.mu,
// for every change.
func (v *Verifier) forgetUnknown() {
	if v.unknown != nil {
		v.unknown.Purge()
	}
}
