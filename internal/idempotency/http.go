package idempotency

import (
	"context"
	"net/http"
)

// Middleware lets the extensions choose the HTTP status of a keyed request
// (400 for a malformed key, 409 while it is in use, 422 for a key reused with
// another request) and mark a replay with Idempotent-Replayed: true.
// Requests without the header pass untouched.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header[Header]; !ok {
			next.ServeHTTP(w, r)
			return
		}
		rw := &replyWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), replyKey{}, rw)))
	})
}

type replyKey struct{}

// replyWriter writes the status an extension chose in place of gqlgen's 200.
type replyWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *replyWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if code == http.StatusOK && w.status != 0 {
			code = w.status
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *replyWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *replyWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func setStatus(ctx context.Context, status int, replayed bool) {
	w, _ := ctx.Value(replyKey{}).(*replyWriter)
	if w == nil {
		return
	}
	w.status = status
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		w.Header().Del("Idempotent-Replayed")
	}
}
