package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// maxRequestBytes bounds a GraphQL request body.
const maxRequestBytes = 1 << 20

// graphQLBody refuses, with a GraphQL error body, a POST that gqlgen would
// answer badly: a body over maxRequestBytes (413), a body that is not JSON
// (415) and a batch, a JSON array of operations, which Latchkey does not
// take (400).
func graphQLBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeGraphQLError(w, http.StatusUnsupportedMediaType, gqlerr.BadUserInput, "POST /graphql takes a JSON body: Content-Type: application/json")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, gqlerr.BadUserInput, "the request body is larger than 1 MiB")
			return
		case err != nil:
			writeGraphQLError(w, http.StatusBadRequest, gqlerr.BadUserInput, "the request body could not be read")
			return
		}
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
			writeGraphQLError(w, http.StatusBadRequest, gqlerr.BadUserInput, "batched operations are not supported: send one operation per request")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// writeGraphQLError answers with one GraphQL error carrying code, for
// requests refused before they reach gqlgen.
func writeGraphQLError(w http.ResponseWriter, status int, code gqlerr.Code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
