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
	"github.com/latchkeyhq/latchkey/internal/policy"
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
	// Policy decides rate limits, credits and conditions (decide.go).
	Policy *Policy
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
	// Decision is the policy decision that refused the request, if one did:
	// its reason and rate limit go into the answer.
	Decision *Decision
}

// Refusal is the answer to a decision that is not VALID: 401 for a token
// that authenticates nothing; 403 FORBIDDEN for a permission it lacks, a
// client outside its networks or a time before notBefore (with the reason
// in extensions.reason); 429 for a rate limit (RATE_LIMITED, naming it) and
// for used-up credits (USAGE_EXCEEDED: a quota, like a rate limit, that
// refills or is raised rather than a permission), with Retry-After when
// waiting helps.
func Refusal(d *Decision) Outcome {
	o := Outcome{Message: d.Message, Decision: d, RetryAfter: d.RetryAfter}
	switch d.Code {
	case policy.Invalid:
		o.Status, o.Code = http.StatusUnauthorized, gqlerr.Unauthenticated
	case policy.RateLimited:
		o.Status, o.Code = http.StatusTooManyRequests, gqlerr.RateLimited
	case policy.UsageExceeded:
		o.Status, o.Code = http.StatusTooManyRequests, gqlerr.UsageExceeded
	default:
		o.Status, o.Code, o.RetryAfter = http.StatusForbidden, gqlerr.Forbidden, 0
	}
	return o
}

// Unavailable is the answer when a decision could not be made because the
// database failed.
func unavailable(r *http.Request, err error) Outcome {
	cause := gqlerr.UnavailableCause(err)
	if cause == "" {
		logthrottle.Event(r.Context(), zerolog.ErrorLevel, "deciding a token's policy: "+logthrottle.Shape(err)).Err(err).Msg("deciding a token's policy")
		return Outcome{Status: http.StatusInternalServerError, Code: gqlerr.Internal, Message: "internal server error"}
	}
	logthrottle.Event(r.Context(), zerolog.ErrorLevel, "deciding a token's policy: database unavailable: "+cause).Str("cause", cause).Err(err).Msg("deciding a token's policy: database unavailable")
	return Outcome{Status: http.StatusServiceUnavailable, Code: gqlerr.Unavailable, Message: gqlerr.UnavailableMessage, RetryAfter: gqlerr.RetryAfter}
}

// Decide applies the policy to an authenticated request: the outcome to
// answer with when it is refused (Status set), and the decision.
func (a *Authenticator) Decide(r *http.Request, p *authz.Principal, req Request) (Outcome, Decision) {
	req.ClientIP = request.From(r.Context()).ClientIP
	d, err := a.Policy.Decide(r.Context(), p, req)
	if err != nil {
		return unavailable(r, err), d
	}
	if !d.Valid() {
		refused := d // only a refusal's decision moves to the heap
		return Refusal(&refused), d
	}
	return Outcome{Principal: p}, d
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
	scheme, token, ok := strings.Cut(h, " ")
	bearer := ok && strings.EqualFold(scheme, "Bearer")
	return a.AuthenticateSecret(r, strings.TrimSpace(token), bearer)
}

// AuthenticateSecret verifies a presented secret (a well-formed bearer
// token when bearer is set) under the failed-attempt limit of the client
// IP: too many failures from one IP are refused with 429 before anything
// is looked up, a secret that authenticates nothing with 401 (and counts
// as a failure), and one that cannot be checked with 503.
func (a *Authenticator) AuthenticateSecret(r *http.Request, token string, bearer bool) Outcome {
	ip := request.From(r.Context()).ClientIP
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
		if o.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(Seconds(o.RetryAfter)))
		}
	}
	ext := map[string]any{"code": o.Code}
	if d := o.Decision; d != nil {
		d.SetRateLimitHeaders(w.Header())
		w.Header().Set("X-Latchkey-Reason", string(d.Code))
		switch d.Code {
		case policy.RateLimited:
			ext["limit"] = d.Limit.Name
		case policy.IPNotAllowed, policy.NotYetValid:
			ext["reason"] = string(d.Code)
		}
	}
	if !graphQL {
		w.WriteHeader(o.Status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(o.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": o.Message, "extensions": ext}},
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
		// Every authenticated request spends one unit of its limits.
		refused, d := a.Decide(r, p, Request{Cost: 1})
		if refused.Status != 0 {
			if refused.Status != http.StatusServiceUnavailable {
				CountDecision(a.Usage, p, d)
			}
			refused.WriteRefusal(w, true)
			return
		}
		d.SetRateLimitHeaders(w.Header())
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
