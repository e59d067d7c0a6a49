// Package request carries facts about the HTTP request being served (its id,
// the client's address, its user agent) to code far from the handler.
package request

import "context"

// Info describes one HTTP request.
type Info struct {
	ID        string
	ClientIP  string
	UserAgent string
	// Caller is filled in once the bearer token is known, for the access log.
	Caller *Caller
}

// Caller names the token a request authenticated as; never its secret.
type Caller struct {
	TokenID string
	Persona string
}

type ctxKey struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the request's Info, empty outside a request.
func From(ctx context.Context) Info {
	info, _ := ctx.Value(ctxKey{}).(Info)
	return info
}
