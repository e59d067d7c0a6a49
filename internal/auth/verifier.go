// Package auth turns a bearer token into a principal: the verification path
// (format and checksum, HMAC, bounded cache, database), the last-used
// recorder that keeps writes off that path, and failed-attempt rate limiting.
package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/request"
	"github.com/latchkeyhq/latchkey/internal/secret"
)

// ErrInvalidToken covers malformed, unknown, expired, revoked and deleted
// tokens alike: callers learn nothing about which.
var ErrInvalidToken = errors.New("invalid token")

// Verifier checks presented secrets.
type Verifier struct {
	client   *ent.Client
	hasher   secret.Hasher
	now      func() time.Time
	cache    *expirable.LRU[string, cached] // nil when caching is off
	mu       sync.Mutex                     // orders cache fills against Invalidate
	gen      atomic.Uint64                  // bumped by Forget
	trusted  atomic.Int64                   // unix nanoseconds; see TrustUntil
	recorder *Recorder
	ttl      time.Duration
	// unknown is the negative cache (negative.go); nil when off.
	unknown *expirable.LRU[string, struct{}]
	// Lookups counts database lookups, Hits answers from the cache and
	// NegativeHits secrets refused from the negative cache; tests and
	// metrics read them.
	Lookups      atomic.Int64
	Hits         atomic.Int64
	NegativeHits atomic.Int64
	// Reuse, when set, is told of every well-formed secret that
	// authenticated nothing, before it is refused (and remembered as
	// unknown): a secret rotated away and presented again revokes its token
	// (internal/lifecycle). It runs only on that miss path, never on a
	// cache hit.
	Reuse interface {
		// retired: the hash is a rotated-away secret (a reuse or not yet).
		Reused(ctx context.Context, hash string) (retired bool, err error)
	}
}

// cached is a verified principal, trusted until validUntil or eviction.
type cached struct {
	p          *authz.Principal
	validUntil time.Time
}

// NewVerifier returns a Verifier caching up to size results for ttl.
func NewVerifier(client *ent.Client, h secret.Hasher, size int, ttl time.Duration, rec *Recorder, now func() time.Time) *Verifier {
	v := &Verifier{client: client, hasher: h, now: now, recorder: rec, ttl: ttl}
	if size > 0 && ttl > 0 {
		v.cache = expirable.NewLRU[string, cached](size, nil, ttl)
	}
	return v
}

// Invalidate drops every cached verification.
func (v *Verifier) Invalidate() { v.Forget(changes.All, "") }

// Forget drops the cached verifications a change affects: those of one
// token, or of the tokens acting as one persona; a change to a role or a
// content type can change any token, so it drops them all. It runs at once
// after this instance commits a change, and for every instance's changes
// when the change feed is read (internal/changes).
func (v *Verifier) Forget(kind, ref string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen.Add(1)
	v.forgetUnknown()
	if v.cache == nil {
		return
	}
	var match func(p *authz.Principal) bool
	switch kind {
	case changes.Token:
		match = func(p *authz.Principal) bool { return p.Token.ID == ref }
	case changes.Persona:
		match = func(p *authz.Principal) bool { return p.Persona.ID == ref }
	default:
		v.cache.Purge()
		return
	}
	for _, k := range v.cache.Keys() {
		if c, ok := v.cache.Peek(k); ok && match(c.p) {
			v.cache.Remove(k)
		}
	}
}

// TrustUntil is told by the change feed's reader until when the cache may
// be trusted: after that, with no fresh read of the feed, every
// verification goes to the database. Until it is first called (no reader),
// entries are trusted for their TTL alone.
func (v *Verifier) TrustUntil(t time.Time) { v.trusted.Store(t.UnixNano()) }

// Verify returns the principal a presented secret authenticates, or
// ErrInvalidToken. The principal is shared: callers must not modify it.
func (v *Verifier) Verify(ctx context.Context, presented string) (*authz.Principal, error) {
	if secret.Check(presented) != nil {
		return nil, ErrInvalidToken
	}
	hash, now := v.hasher.Hash(presented), v.now()
	if p := v.fromCache(hash, now); p != nil {
		return p, nil
	}
	if v.knownUnknown(hash) {
		return nil, ErrInvalidToken
	}
	return v.lookup(ctx, hash, now)
}

// Cached returns the principal of a secret verified recently, from the
// cache alone, or nil.
func (v *Verifier) Cached(presented string) *authz.Principal {
	if v.cache == nil || secret.Check(presented) != nil {
		return nil
	}
	return v.fromCache(v.hasher.Hash(presented), v.now())
}

func (v *Verifier) fromCache(hash string, now time.Time) *authz.Principal {
	if v.cache == nil {
		return nil
	}
	if until := v.trusted.Load(); until != 0 && time.Now().UnixNano() > until {
		return nil
	}
	if c, ok := v.cache.Get(hash); ok && now.Before(c.validUntil) {
		v.Hits.Add(1)
		return c.p
	}
	return nil
}

// Lookup verifies a secret against the database, never the cache, for
// introspection: nil, nil when the secret authenticates nothing.
func (v *Verifier) Lookup(ctx context.Context, presented string) (*authz.Principal, error) {
	if secret.Check(presented) != nil {
		return nil, nil
	}
	p, err := v.lookup(ctx, v.hasher.Hash(presented), v.now())
	if errors.Is(err, ErrInvalidToken) {
		return nil, nil
	}
	return p, err
}

func (v *Verifier) lookup(ctx context.Context, hash string, now time.Time) (*authz.Principal, error) {
	gen := v.gen.Load()
	v.Lookups.Add(1)
	p, err := authz.Authenticate(ctx, v.client, hash, now)
	if err != nil {
		return nil, err
	}
	if p == nil {
		retired := false
		if v.Reuse != nil {
			if retired, err = v.Reuse.Reused(ctx, hash); err != nil {
				return nil, err
			}
		}
		// A rotated-away secret is not "unknown": presented again after
		// its grace period it must reach the reuse check.
		if !retired {
			v.rememberUnknown(hash, gen)
		}
		return nil, ErrInvalidToken
	}
	t := p.Token
	if v.recorder != nil {
		id := t.ID
		p.Used = func(ctx context.Context) { v.recorder.Touch(id, request.From(ctx).ClientIP) }
	}
	// The TTL bounds how long a change made by another instance can go
	// unseen here; this instance's own changes invalidate at once.
	validUntil := now.Add(v.ttl)
	if t.ExpiresAt != nil && t.ExpiresAt.Before(validUntil) {
		validUntil = *t.ExpiresAt
	}
	if t.SecretHash != hash && t.PreviousSecretExpiresAt != nil && t.PreviousSecretExpiresAt.Before(validUntil) {
		validUntil = *t.PreviousSecretExpiresAt
	}
	// A change committed while we read may have been missed: don't cache then.
	if v.cache != nil {
		v.mu.Lock()
		if v.gen.Load() == gen {
			v.cache.Add(hash, cached{p: p, validUntil: validUntil})
		}
		v.mu.Unlock()
	}
	return p, nil
}
