package httpserver

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// codeEveryError makes sure every error leaving /graphql carries
// extensions.code. A few errors bypass the presenter (entgql's transaction
// handling reports failures to begin or commit that way, with the driver's
// message): those are logged and shown as INTERNAL_SERVER_ERROR.
type codeEveryError struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = codeEveryError{}

func (codeEveryError) ExtensionName() string                   { return "CodeEveryError" }
func (codeEveryError) Validate(graphql.ExecutableSchema) error { return nil }
func (codeEveryError) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	for _, e := range resp.Errors {
		if _, ok := e.Extensions["code"]; ok {
			continue
		}
		zerolog.Ctx(ctx).Error().Str("error", e.Message).Msg("internal error outside a resolver")
		e.Message = "internal server error"
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		e.Extensions["code"] = string(gqlerr.Internal)
	}
	return resp
}
