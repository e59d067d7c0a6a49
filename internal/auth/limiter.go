package auth

import (
	"math"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Limiter rate-limits failed authentications per client IP with a token
// bucket. Only failures spend tokens; an IP whose bucket is empty is refused
// before its token is even looked at.
type Limiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
}

// NewLimiter allows perSecond failures per IP with bursts of burst; it
// remembers the 100k most recent IPs.
func NewLimiter(perSecond float64, burst int) *Limiter {
	buckets, _ := lru.New[string, *rate.Limiter](100_000)
	return &Limiter{limit: rate.Limit(perSecond), burst: burst, buckets: buckets}
}

func (l *Limiter) bucket(ip string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(ip)
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets.Add(ip, b)
	}
	return b
}

// Blocked reports whether ip has used up its failures, and when to retry.
func (l *Limiter) Blocked(ip string) (bool, time.Duration) {
	if b, ok := l.peek(ip); ok {
		if tokens := b.Tokens(); tokens < 1 {
			wait := time.Duration(math.Ceil((1-tokens)/float64(l.limit))) * time.Second
			return true, max(wait, time.Second)
		}
	}
	return false, 0
}

func (l *Limiter) peek(ip string) (*rate.Limiter, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.Get(ip)
}

// Fail spends one failure of ip.
func (l *Limiter) Fail(ip string) { l.bucket(ip).Allow() }
