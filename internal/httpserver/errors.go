package httpserver

import (
	"context"
	"database/sql/driver"
	"errors"
	"net/http"
	"strconv"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// codeEveryError makes sure every error leaving /graphql carries
// extensions.code. A few errors bypass the presenter (entgql's transaction
// handling reports failures to begin or commit that way, with the driver's
// message): those are logged and shown as UNAVAILABLE when the database
// failed the request, else as INTERNAL_SERVER_ERROR.
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
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		if gqlerr.SerializationFailure(errors.New(e.Message)) {
			// A COMMIT that lost a conflict (a Galera certification failure):
			// the operation runs again (internal/txretry).
			gqlerr.NoteConflict(ctx)
			zerolog.Ctx(ctx).Debug().Str("error", e.Message).Msg("mutation lost a conflict at commit")
			e.Message = gqlerr.ConflictMessage
			e.Extensions["code"] = string(gqlerr.Unavailable)
			continue
		}
		if cause := gqlerr.UnavailableCause(errors.New(e.Message)); cause != "" || gqlerr.OutageNoted(ctx) {
			gqlerr.NoteOutage(ctx)
			if cause == "" {
				cause = "transaction failed"
			}
			logthrottle.Event(ctx, zerolog.ErrorLevel, "database unavailable: "+cause).Str("cause", cause).Str("error", e.Message).Msg("database unavailable")
			e.Message = gqlerr.UnavailableMessage
			e.Extensions["code"] = string(gqlerr.Unavailable)
			continue
		}
		logthrottle.Event(ctx, zerolog.ErrorLevel, "internal error outside a resolver: "+logthrottle.Shape(errors.New(e.Message))).Str("error", e.Message).Msg("internal error outside a resolver")
		e.Message = "internal server error"
		e.Extensions["code"] = string(gqlerr.Internal)
	}
	return resp
}

// txOpener opens each mutation's transaction and notes, for the request's
// HTTP status, a database that fails to begin or commit it: entgql reports
// those failures by message only.
func txOpener(open entgql.TxOpenerFunc, fail func(context.Context) error) entgql.TxOpenerFunc {
	return func(ctx context.Context) (context.Context, driver.Tx, error) {
		txCtx, tx, err := open(ctx)
		if err != nil {
			if gqlerr.IsUnavailable(err) {
				gqlerr.NoteOutage(ctx)
			}
			return nil, nil, err
		}
		return txCtx, noteFailedCommit{Tx: tx, ctx: ctx, fail: fail}, nil
	}
}

type noteFailedCommit struct {
	driver.Tx
	ctx  context.Context
	fail func(context.Context) error // tests: see WithCommitFault
}

func (t noteFailedCommit) Commit() error {
	if etx, ok := t.Tx.(*ent.Tx); ok && t.fail != nil {
		// Registered last, so it runs innermost, where the database's
		// COMMIT would: the mutation's own commit hooks see its error.
		etx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				if err := t.fail(t.ctx); err != nil {
					_ = tx.Rollback()
					return err
				}
				return next.Commit(ctx, tx)
			})
		})
	}
	err := t.Tx.Commit()
	switch {
	case gqlerr.SerializationFailure(err):
		gqlerr.NoteConflict(t.ctx)
	case gqlerr.IsUnavailable(err):
		gqlerr.NoteOutage(t.ctx)
	}
	return err
}

// outageStatus answers /graphql with 503 and Retry-After instead of 200
// when the database failed the request (marked in the context by
// gqlerr.Presenter, codeEveryError or txOpener while it ran): gqlgen
// writes 200 whatever the errors, and a client or load balancer should
// retry an outage, not read it as an answer.
func outageStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, o := gqlerr.WithOutage(r.Context())
		next.ServeHTTP(&outageWriter{ResponseWriter: w, outage: o}, r.WithContext(ctx))
	})
}

type outageWriter struct {
	http.ResponseWriter
	outage *gqlerr.Outage
	wrote  bool
}

func (w *outageWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if code == http.StatusOK && w.outage.Hit() {
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", strconv.Itoa(int(gqlerr.RetryAfter.Seconds())))
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *outageWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *outageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *outageWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
