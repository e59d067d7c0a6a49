package httpserver

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

func TestCodeEveryError(t *testing.T) {
	resp := codeEveryError{}.InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{
			{Message: "cannot create transaction: something odd"},
			{Message: "not found", Extensions: map[string]any{"code": "NOT_FOUND"}},
			{Message: "cannot commit transaction: Error 1213: Deadlock found when trying to get lock"},
		}}
	})
	if e := resp.Errors[0]; e.Message != "internal server error" || e.Extensions["code"] != "INTERNAL_SERVER_ERROR" {
		t.Errorf("uncoded error: %+v", e)
	}
	// A commit that lost a conflict: retried (internal/txretry), and
	// UNAVAILABLE when the retries run out.
	if e := resp.Errors[2]; e.Message != gqlerr.ConflictMessage || e.Extensions["code"] != "UNAVAILABLE" {
		t.Errorf("lost conflict at commit: %+v", e)
	}
	if e := resp.Errors[1]; e.Message != "not found" || e.Extensions["code"] != "NOT_FOUND" {
		t.Errorf("coded error changed: %+v", e)
	}
}
