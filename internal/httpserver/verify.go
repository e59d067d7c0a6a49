package httpserver

import (
	"net/http"
	"strconv"
)

// verify is forward authentication for gateways (nginx auth_request,
// Traefik ForwardAuth, Envoy ext_authz): 200 with the caller's identity in
// headers when the bearer token may do the action on the content type, 401
// when there is no valid token, 403 when the token may not.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	contentType := firstOf(r.URL.Query().Get("contentType"), r.Header.Get("X-Latchkey-Content-Type"))
	action := firstOf(r.URL.Query().Get("action"), r.Header.Get("X-Latchkey-Action"))
	w.Header().Set("Cache-Control", "no-store")
	if (contentType == "") != (action == "") {
		s.verifyAnswer(w, http.StatusBadRequest)
		return
	}
	o := s.auth.Authenticate(r)
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
	if contentType != "" && !p.Can(contentType, action) {
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

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
