package httpserver

import (
	"net/http"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
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
	o := s.auth.Authenticate(r)
	if o.Status == http.StatusBadRequest {
		s.verifyRefuse(w, o.Status, o.Message)
		return
	}
	if o.Status == http.StatusServiceUnavailable {
		w.Header().Set("X-Latchkey-Error", o.Message)
	}
	if o.Status != 0 {
		s.metrics.verify.WithLabelValues(strconv.Itoa(o.Status)).Inc()
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
	if !p.Can(contentType, action) {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope"`)
		s.verifyAnswer(w, http.StatusForbidden)
		return
	}
	if p.Used != nil {
		p.Used(r.Context())
	}
	w.Header().Set("X-Latchkey-Token-Id", p.Token.ID)
	w.Header().Set("X-Latchkey-Persona-Id", p.Persona.ID)
	w.Header().Set("X-Latchkey-Persona", p.Persona.Name)
	s.verifyAnswer(w, http.StatusOK)
}

func (s *Server) verifyAnswer(w http.ResponseWriter, status int) {
	s.metrics.verify.WithLabelValues(strconv.Itoa(status)).Inc()
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

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
