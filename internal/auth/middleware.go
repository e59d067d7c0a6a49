package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
	"github.com/latchkeyhq/latchkey/internal/request"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// Authenticator authenticates HTTP requests by their bearer token.
type Authenticator struct {
	Verifier *Verifier
	Limiter  *Limiter
	// Usage counts each authenticated /graphql request's outcome and every
	// invalid token (internal/usage). May be nil.
	Usage *usage.Recorder
	// Failures and Limited count refused requests, for metrics.
	Failures atomic.Int64
	Limited  atomic.Int64
}

// Outcome is what authenticating one request came to.
type Outcome struct {
	Principal  *authz.Principal // nil: anonymous or refused
	Status     int              // 0 when the request may go on
	Code       gqlerr.Code
	Message    string
	RetryAfter time.Duration
}

// Authenticate reads the Authorization header. No header means anonymous;
// a header that does not carry a valid bearer token is refused with 401,
// and too many of those from one IP with 429. Two headers are refused with
// 400: which one a proxy or Latchkey would honour is ambiguous. A token
// that cannot be checked because the database failed gets 503.
func (a *Authenticator) Authenticate(r *http.Request) Outcome {
	if len(r.Header.Values("Authorization")) > 1 {
		return Outcome{Status: http.StatusBadRequest, Code: gqlerr.BadUserInput, Message: "more than one Authorization header"}
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return Outcome{}
	}
	ip := request.From(r.Context()).ClientIP
	scheme, token, ok := strings.Cut(h, " ")
	bearer := ok && strings.EqualFold(scheme, "Bearer")
	token = strings.TrimSpace(token)
	if blocked, wait := a.Limiter.Blocked(ip); blocked {
		// Tokens verified moments ago still pass, so that clients sharing an
		// address with a guesser keep working; nothing new is looked up.
		if p := a.Verifier.Cached(token); bearer && p != nil {
			noteCaller(r, p)
			return Outcome{Principal: p}
		}
		a.Limited.Add(1)
		return Outcome{Status: http.StatusTooManyRequests, Code: gqlerr.RateLimited, Message: "too many failed authentications; retry later", RetryAfter: wait}
	}
	if bearer {
		p, err := a.Verifier.Verify(r.Context(), token)
		switch {
		case err == nil:
			noteCaller(r, p)
			return Outcome{Principal: p}
		case gqlerr.IsUnavailable(err):
			// Whether the token is good cannot be known: tell the client
			// to come back, not that it failed (nor that we did).
			cause := gqlerr.UnavailableCause(err)
			logthrottle.Event(r.Context(), zerolog.ErrorLevel, "verifying token: database unavailable: "+cause).Str("cause", cause).Err(err).Msg("verifying token: database unavailable")
			return Outcome{Status: http.StatusServiceUnavailable, Code: gqlerr.Unavailable, Message: gqlerr.UnavailableMessage, RetryAfter: gqlerr.RetryAfter}
		case !errors.Is(err, ErrInvalidToken):
			logthrottle.Event(r.Context(), zerolog.ErrorLevel, "verifying token: "+logthrottle.Shape(err)).Err(err).Msg("verifying token")
			return Outcome{Status: http.StatusInternalServerError, Code: gqlerr.Internal, Message: "internal server error"}
		}
	}
	a.Limiter.Fail(ip)
	a.Failures.Add(1)
	if bearer {
		a.Usage.Count("", "", usage.Invalid, 1)
	}
	return Outcome{Status: http.StatusUnauthorized, Code: gqlerr.Unauthenticated, Message: "the bearer token is invalid, expired or revoked"}
}

// noteCaller tells the access log who the request authenticated as.
func noteCaller(r *http.Request, p *authz.Principal) {
	if c := request.From(r.Context()).Caller; c != nil {
		c.TokenID, c.Persona = p.Token.ID, p.Persona.Name
	}
}

// WriteRefusal answers a refused request with the HTTP status, the RFC 6750
// challenge and, when graphQL is set, a GraphQL error body.
func (o Outcome) WriteRefusal(w http.ResponseWriter, graphQL bool) {
	switch o.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(int(o.RetryAfter.Seconds())))
	}
	if !graphQL {
		w.WriteHeader(o.Status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(o.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": o.Message, "extensions": map[string]any{"code": o.Code}}},
	})
}

// Middleware puts the caller in the request context, or refuses the request.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := a.Authenticate(r)
		if o.Status != 0 {
			o.WriteRefusal(w, true)
			return
		}
		ctx := r.Context()
		p := o.Principal
		if p == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx = authz.WithPrincipal(ctx, p)
		l := zerolog.Ctx(ctx).With().Str("token_id", p.Token.ID).Str("persona", p.Persona.Name).Logger()
		ctx = l.WithContext(ctx)
		// One verification per request: forbidden when any permission
		// check on the way refused, else allowed.
		ctx, tracked := usage.Track(ctx)
		next.ServeHTTP(w, r.WithContext(ctx))
		a.Usage.Count(p.Token.ID, p.Persona.ID, tracked.Outcome(), 1)
	})
}
