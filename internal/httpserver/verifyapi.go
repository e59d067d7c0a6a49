package httpserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// verifyAPIRequest is the body of POST /v1/verify.
type verifyAPIRequest struct {
	Token string `json:"token"`
	// Permissions is a query over contentType:action with AND, OR and
	// parentheses (policy.ParseQuery); empty asks for none.
	Permissions string `json:"permissions"`
	Cost        *int64 `json:"cost"`
}

// verifyAPIAnswer is its answer. Every key is always present; what is not
// known (an invalid token's persona, credits of a token without any) is
// null.
type verifyAPIAnswer struct {
	Valid      bool             `json:"valid"`
	Code       policy.Code      `json:"code"`
	TokenID    *string          `json:"tokenId"`
	Persona    *verifyPersona   `json:"persona"`
	Metadata   json.RawMessage  `json:"metadata"`
	ExpiresAt  *time.Time       `json:"expiresAt"`
	Remaining  *int64           `json:"remaining"`
	RateLimits []verifyAPILimit `json:"rateLimits"`
}

type verifyPersona struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	ExternalID *string `json:"externalId"`
}

type verifyAPILimit struct {
	Name      string `json:"name"`
	Limit     int    `json:"limit"`
	Remaining int64  `json:"remaining"`
	// Reset is when the limit's window ends, in Unix milliseconds.
	Reset int64 `json:"reset"`
}

// maxVerifyBody bounds a POST /v1/verify body.
const maxVerifyBody = 16 << 10

// verifyAPI is POST /v1/verify, for services that are not behind a
// gateway: whether a token may do what a permission query asks, at a cost.
// It needs no admin token. The answer is HTTP 200 whenever the request is
// well-formed, with the decision in "code" (the same decision as every
// other path: auth.Policy.Decide); 400 when it is not (bad JSON, unknown
// fields, no token, a query that does not parse or names a permission the
// catalog does not know, a cost out of range). Secrets that authenticate
// nothing spend the client IP's failed-attempt budget, as bearer failures
// do; an IP that has none left gets 429 with Retry-After. The client IP is
// the one the trusted-proxy rule gives: a service verifying for its own
// clients sends X-Forwarded-For from an address in LATCHKEY_TRUSTED_PROXIES.
func (s *Server) verifyAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var in verifyAPIRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxVerifyBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		s.verifyAPIError(w, http.StatusBadRequest, gqlerr.BadUserInput, "the body must be a JSON object {token, permissions, cost} of at most 16 KiB")
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		s.verifyAPIError(w, http.StatusBadRequest, gqlerr.BadUserInput, "the body must hold one JSON object")
		return
	}
	if strings.TrimSpace(in.Token) == "" {
		s.verifyAPIError(w, http.StatusBadRequest, gqlerr.BadUserInput, "token is required")
		return
	}
	query, err := policy.ParseQuery(in.Permissions)
	if err != nil {
		s.verifyAPIError(w, http.StatusBadRequest, gqlerr.BadUserInput, err.Error())
		return
	}
	cost := int64(1)
	if in.Cost != nil {
		cost = *in.Cost
	}
	if cost < 0 || cost > policy.MaxCost {
		s.verifyAPIError(w, http.StatusBadRequest, gqlerr.BadUserInput, "cost must be a whole number from 0 to "+strconv.Itoa(policy.MaxCost))
		return
	}
	o := s.auth.AuthenticateSecret(r, strings.TrimSpace(in.Token), true)
	switch o.Status {
	case 0, http.StatusUnauthorized:
	default:
		if o.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(auth.Seconds(o.RetryAfter)))
		}
		s.verifyAPIError(w, o.Status, o.Code, o.Message)
		return
	}
	p := o.Principal
	if p != nil {
		// As /auth/verify: naming a permission that does not exist is a
		// mistake of the service's, told only to holders of a valid token.
		for _, want := range query.Permissions() {
			known, err := s.catalog.Has(r.Context(), want.ContentType, want.Action)
			if err != nil {
				logthrottle.Event(r.Context(), zerolog.ErrorLevel, "loading the permission catalog: "+firstOf(gqlerr.UnavailableCause(err), logthrottle.Shape(err))).Err(err).Msg("loading the permission catalog")
				w.Header().Set("Retry-After", strconv.Itoa(int(gqlerr.RetryAfter.Seconds())))
				s.verifyAPIError(w, http.StatusServiceUnavailable, gqlerr.Unavailable, "the permission catalog is unavailable")
				return
			}
			if !known {
				s.verifyAPIError(w, http.StatusBadRequest, gqlerr.BadUserInput, "unknown permission "+strconv.Quote(want.String())+": no such content type or action")
				return
			}
		}
	}
	refused, d := s.auth.Decide(r, p, auth.Request{Permissions: query, Cost: cost})
	if refused.Status == http.StatusServiceUnavailable || refused.Status == http.StatusInternalServerError {
		if refused.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(auth.Seconds(refused.RetryAfter)))
		}
		s.verifyAPIError(w, refused.Status, refused.Code, refused.Message)
		return
	}
	if d.Valid() && p.Used != nil {
		p.Used(r.Context())
	}
	if p != nil { // an invalid secret was counted when it was looked up
		auth.CountDecision(s.Usage, p, d)
	}
	s.metrics.verify.WithLabelValues("200").Inc()
	writeJSON(w, http.StatusOK, s.verifyAPIAnswer(p, &d))
}

func (s *Server) verifyAPIAnswer(p *authz.Principal, d *auth.Decision) verifyAPIAnswer {
	a := verifyAPIAnswer{Valid: d.Valid(), Code: d.Code, RateLimits: []verifyAPILimit{}}
	// A token refused by its conditions (the wrong network, too early)
	// tells nothing about itself: those conditions exist to withhold it
	// from whoever holds the secret there and then.
	if p == nil || d.Code == policy.IPNotAllowed || d.Code == policy.NotYetValid {
		return a
	}
	a.TokenID = &p.Token.ID
	a.Persona = &verifyPersona{ID: p.Persona.ID, Name: p.Persona.Name}
	a.Persona.ExternalID, a.Metadata = identity(p)
	a.ExpiresAt = p.Token.ExpiresAt
	if d.HasCredits {
		a.Remaining = &d.Credits
	} else if p.Policy != nil && p.Policy.Credits != nil {
		// Refused before its credits were looked at: the balance as read.
		left, _, _ := p.Policy.Credits.Refilled(d.Now)
		a.Remaining = &left
	}
	for _, l := range s.Policy.LimitStatuses(p, d.Now) {
		a.RateLimits = append(a.RateLimits, verifyAPILimit{Name: l.Name, Limit: l.Limit, Remaining: l.Remaining, Reset: l.Reset.UnixMilli()})
	}
	return a
}

// identity is who the token is in the adopter's own system: its persona's
// external id and its metadata (stored canonical JSON, null when none).
func identity(p *authz.Principal) (externalID *string, meta json.RawMessage) {
	if p.Token.Metadata != "" {
		meta = json.RawMessage(p.Token.Metadata)
	}
	return p.Persona.ExternalID, meta
}

func (s *Server) verifyAPIError(w http.ResponseWriter, status int, code gqlerr.Code, msg string) {
	s.metrics.verify.WithLabelValues(statusLabel(status)).Inc()
	writeJSON(w, status, map[string]any{"error": msg, "code": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
