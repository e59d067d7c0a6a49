package cost

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// ResponseLimit replaces an answer larger than MaxBytes with an error: the
// last line of defence should the cost model underestimate a query.
type ResponseLimit struct {
	MaxBytes int
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = ResponseLimit{}

func (ResponseLimit) ExtensionName() string                   { return "ResponseLimit" }
func (ResponseLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l ResponseLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || l.MaxBytes <= 0 || len(resp.Data) <= l.MaxBytes {
		return resp
	}
	zerolog.Ctx(ctx).Warn().Int("bytes", len(resp.Data)).Int("limit", l.MaxBytes).Msg("answer over the response size limit")
	err := gqlerror.Errorf("the answer is larger than the %d bytes allowed; ask for smaller pages or fewer fields", l.MaxBytes)
	err.Extensions = map[string]any{"code": string(gqlerr.BadUserInput), "size": len(resp.Data), "limit": l.MaxBytes}
	return &graphql.Response{Errors: gqlerror.List{err}, Extensions: resp.Extensions}
}
