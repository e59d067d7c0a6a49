// Package request carries facts about the HTTP request being served (its id,
// the client's address, its user agent) to code far from the handler.
package request

import "context"

// Info describes one HTTP request.
type Info struct {
	ID        string
	ClientIP  string
	UserAgent string
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
