// Package gqlerr defines the error codes clients see and the one presenter
// that turns every error into a GraphQL error carrying extensions.code.
package gqlerr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// Code is the value of extensions.code.
type Code string

const (
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	BadUserInput    Code = "BAD_USER_INPUT"
	NotFound        Code = "NOT_FOUND"
	Conflict        Code = "CONFLICT"
	RateLimited     Code = "RATE_LIMITED"
	// UsageExceeded: the token has no usage credits left (HTTP 429).
	UsageExceeded Code = "USAGE_EXCEEDED"
	Internal      Code = "INTERNAL_SERVER_ERROR"
	// Unavailable: the database could not serve the request (HTTP 503
	// with Retry-After); the same request may succeed later.
	Unavailable Code = "UNAVAILABLE"
)

// Error is an error meant for the client: its message is safe to show.
type Error struct {
	Code    Code
	Field   string // the input field at fault, if any
	Message string
	// Policy names the lifecycle policy an input breaks (extensions.policy).
	Policy string
	// Reason refines a FORBIDDEN (IP_NOT_ALLOWED, NOT_YET_VALID): extensions.reason.
	Reason string
}

func (e *Error) Error() string { return e.Message }

// New returns a client error with a code and a message.
func New(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an error about one input field.
func Field(code Code, field, format string, args ...any) error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// BadInput is a BAD_USER_INPUT error naming field.
func BadInput(field, format string, args ...any) error {
	return Field(BadUserInput, field, format, args...)
}

// CodeOf returns the code an error is presented with.
func CodeOf(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case ent.IsValidationError(err):
		return BadUserInput
	case ent.IsConstraintError(err):
		return Conflict
	case ent.IsNotFound(err):
		return NotFound
	case SerializationFailure(err), IsUnavailable(err):
		return Unavailable
	}
	return Internal
}

// Presenter maps err to a GraphQL error with extensions.code. Anything not
// meant for the client is logged with the request's logger and hidden.
func Presenter(ctx context.Context, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	if gerr.Extensions == nil {
		gerr.Extensions = map[string]any{}
	}
	// Errors of parsing, validating or costing the document itself.
	if c, ok := gerr.Extensions["code"].(string); ok && (c == errcode.ValidationFailed || c == errcode.ParseFailed || c == complexityLimitExceeded) {
		gerr.Extensions["code"] = string(BadUserInput)
		return gerr
	}
	var (
		e  *Error
		ve *ent.ValidationError
	)
	switch {
	case errors.As(err, &e):
		// Our own errors keep their code wherever they arise, including
		// in argument resolvers (a rate-limited secret filter).
		gerr.Message = e.Message
		gerr.Extensions["code"] = string(e.Code)
		if e.Field != "" {
			gerr.Extensions["field"] = e.Field
		}
		if e.Policy != "" {
			gerr.Extensions["policy"] = e.Policy
		}
		if e.Reason != "" {
			gerr.Extensions["reason"] = e.Reason
		}
	case SerializationFailure(err):
		// The operation runs again (internal/txretry); only the last
		// attempt's answer is seen, and it is 503 like an outage.
		NoteConflict(ctx)
		zerolog.Ctx(ctx).Debug().Err(err).Msg("mutation lost a conflict with a concurrent transaction")
		gerr.Message = ConflictMessage
		gerr.Extensions["code"] = string(Unavailable)
	case UnavailableCause(err) != "":
		// The request's HTTP status becomes 503 (internal/httpserver).
		NoteOutage(ctx)
		cause := UnavailableCause(err)
		logthrottle.Event(ctx, zerolog.ErrorLevel, "database unavailable: "+cause).Str("cause", cause).Err(err).Msg("database unavailable")
		gerr.Message = UnavailableMessage
		gerr.Extensions["code"] = string(Unavailable)
	case inputError(ctx, err, gerr):
		gerr.Extensions["code"] = string(BadUserInput)
	case errors.As(err, &ve):
		gerr.Message = "invalid value for " + graphQLName(ve.Name)
		gerr.Extensions["code"] = string(BadUserInput)
		gerr.Extensions["field"] = graphQLName(ve.Name)
	case ent.IsConstraintError(err):
		gerr.Message = "the change conflicts with an existing record"
		gerr.Extensions["code"] = string(Conflict)
	case ent.IsNotFound(err):
		gerr.Message = "not found"
		gerr.Extensions["code"] = string(NotFound)
	default:
		logthrottle.Event(ctx, zerolog.ErrorLevel, "internal error: "+logthrottle.Shape(err)).Err(err).Str("path", gerr.Path.String()).Msg("internal error")
		gerr.Message = "internal server error"
		gerr.Extensions["code"] = string(Internal)
	}
	return gerr
}

// complexityLimitExceeded is gqlgen's code for a query over the cost limit.
const complexityLimitExceeded = "COMPLEXITY_LIMIT_EXCEEDED"

// inputError tells errors about the request's arguments: gqlgen reports an
// argument it cannot read (a bad cursor, a bad time) on a path below the
// field's own, and entgql rejects bad page sizes with a message of its own
// (a GraphQL error wrapping nothing).
func inputError(ctx context.Context, err error, gerr *gqlerror.Error) bool {
	var bare *gqlerror.Error
	if errors.As(err, &bare) && bare.Err == nil && bare.Extensions["code"] != string(Internal) {
		return true
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil && len(gerr.Path) > len(fc.Path()) {
		return true
	}
	return false
}

// graphQLName turns an ent field name (avatar_url) into its GraphQL name (avatarURL).
func graphQLName(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		switch p := parts[i]; p {
		case "id", "ip", "url", "uid":
			parts[i] = strings.ToUpper(p)
		default:
			if p != "" {
				parts[i] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
	}
	return strings.Join(parts, "")
}
