package httpserver

import (
	"net/http"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/header"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// verify is forward authentication for gateways (nginx auth_request,
// Traefik ForwardAuth, Envoy ext_authz): 200 with the caller's identity in
// headers when the bearer token may do the action on the content type, 401
// when there is no valid token, 403 when the token may not. A request that
// does not name a content type and an action the catalog knows is a
// gateway's misconfiguration: 400, never a pass.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query() // parsed once: a gateway sends this on every request
	contentType := firstOf(q.Get("contentType"), r.Header.Get("X-Latchkey-Content-Type"))
	action := firstOf(q.Get("action"), r.Header.Get("X-Latchkey-Action"))
	w.Header().Set("Cache-Control", "no-store")
	if contentType == "" || action == "" {
		s.verifyRefuse(w, http.StatusBadRequest, "name the content type and the action: contentType and action query parameters, or X-Latchkey-Content-Type and X-Latchkey-Action headers")
		return
	}
	// Only the query string: a gateway passes the client's own headers on
	// to the auth request, and the client must not choose what it spends.
	cost, ok := parseCost(q.Get("cost"))
	if !ok {
		s.verifyRefuse(w, http.StatusBadRequest, "cost must be a whole number from 0 to "+strconv.Itoa(policy.MaxCost))
		return
	}
	// The credits left are sent only when the auth URL asks: an answer's
	// ninth header costs every verification a larger header map in net/http
	// (docs/PERFORMANCE.md), and most gateways never pass it on.
	withCredits, ok := parseFlag(q.Get("credits"))
	if !ok {
		s.verifyRefuse(w, http.StatusBadRequest, "credits must be 1 or true to add X-Latchkey-Credits-Remaining, 0 or false (the default) not to")
		return
	}
	o := s.auth.Authenticate(r)
	if o.Status == http.StatusBadRequest {
		s.verifyRefuse(w, o.Status, o.Message)
		return
	}
	if o.Status == http.StatusServiceUnavailable {
		w.Header().Set("X-Latchkey-Error", o.Message)
	}
	if o.Status != 0 {
		s.metrics.verify.WithLabelValues(statusLabel(o.Status)).Inc()
		o.WriteRefusal(w, false)
		return
	}
	p := o.Principal
	if p == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey"`)
		s.verifyAnswer(w, http.StatusUnauthorized)
		return
	}
	// Only a caller with a valid token learns whether a permission exists.
	known, err := s.catalog.Has(r.Context(), contentType, action)
	if err != nil {
		logthrottle.Event(r.Context(), zerolog.ErrorLevel, "loading the permission catalog: "+firstOf(gqlerr.UnavailableCause(err), logthrottle.Shape(err))).Err(err).Msg("loading the permission catalog")
		w.Header().Set("Retry-After", strconv.Itoa(int(gqlerr.RetryAfter.Seconds())))
		s.verifyRefuse(w, http.StatusServiceUnavailable, "the permission catalog is unavailable")
		return
	}
	if !known {
		s.verifyRefuse(w, http.StatusBadRequest, "unknown permission "+strconv.Quote(contentType+":"+action)+": no such content type or action")
		return
	}
	// The one decision every path shares: the permission, the token's
	// conditions, its rate limits (cost units) and its credits.
	refused, d := s.auth.Decide(r, p, auth.Request{Permissions: auth.Single(contentType, action), Cost: cost})
	if refused.Status != 0 {
		if d.Code == policy.Forbidden {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope"`)
		}
		if refused.Status == http.StatusServiceUnavailable {
			w.Header().Set("X-Latchkey-Error", refused.Message)
		} else {
			auth.CountDecision(s.Usage, p, d)
		}
		s.metrics.verify.WithLabelValues(statusLabel(refused.Status)).Inc()
		refused.WriteRefusal(w, false)
		return
	}
	if p.Used != nil {
		p.Used(r.Context())
	}
	auth.CountDecision(s.Usage, p, d)
	var b header.Batch
	d.AddRateLimitFields(&b)
	if withCredits && d.HasCredits {
		b.Int(headerCreditsRemaining, d.Credits)
	}
	b.Str(headerTokenID, p.Token.ID)
	b.Str(headerPersonaID, p.Persona.ID)
	b.Str(headerPersona, p.Persona.Name)
	identityHeaders(&b, p)
	b.Write(w.Header())
	s.verifyAnswer(w, http.StatusOK)
}

// The identity fields of an allowed answer, in canonical form.
const (
	headerCreditsRemaining = "X-Latchkey-Credits-Remaining"
	headerTokenID          = "X-Latchkey-Token-Id"
	headerPersonaID        = "X-Latchkey-Persona-Id"
	headerPersona          = "X-Latchkey-Persona"
)

func (s *Server) verifyAnswer(w http.ResponseWriter, status int) {
	s.metrics.verify.WithLabelValues(statusLabel(status)).Inc()
	w.WriteHeader(status)
}

// verifyRefuse answers a request Latchkey cannot decide, with the reason
// in X-Latchkey-Error and the body, for whoever reads the gateway's logs.
func (s *Server) verifyRefuse(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("X-Latchkey-Error", reason)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	s.verifyAnswer(w, status)
	_, _ = w.Write([]byte(reason + "\n"))
}

// parseCost reads the optional cost of a verification: 1 when absent.
func parseCost(v string) (int64, bool) {
	if v == "" {
		return 1, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0 && n <= policy.MaxCost
}

// parseFlag reads an optional boolean query parameter: false when absent.
func parseFlag(v string) (on, ok bool) {
	switch v {
	case "", "0", "false":
		return false, true
	case "1", "true":
		return true, true
	}
	return false, false
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
