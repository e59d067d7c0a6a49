// Package idempotency makes mutations safe to retry, in the manner of
// Stripe: a mutation sent with an Idempotency-Key header records its answer
// in its own transaction, and a retry with the same key gets that answer
// back instead of making a second change. A secret in the answer is neither
// stored nor repeated.
//
// Two gqlgen extensions do the work, on either side of entgql's
// Transactioner: Replay (outside the transaction) answers a retry from the
// stored outcome; Record (inside it) claims the key before the mutation runs
// and stores the answer after it succeeds, so the key commits or rolls back
// with the change.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/idempotencykey"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// Header names the key of a request.
const Header = "Idempotency-Key"

// MaxKeyLen is the longest key accepted, as at Stripe.
const MaxKeyLen = 255

// TTL is how long an outcome is kept: a retry after that runs again.
const TTL = 24 * time.Hour

// Expired rows are deleted after a recorded mutation, at most sweepBatch at
// a time and, unless the last sweep found a full batch, once per sweepEvery.
const (
	sweepEvery = time.Minute
	sweepBatch = 500
)

// Values of extensions.reason on the errors this package answers with.
const (
	ReasonInvalid    = "IDEMPOTENCY_KEY_INVALID"
	ReasonReused     = "IDEMPOTENCY_KEY_REUSED"
	ReasonInProgress = "IDEMPOTENCY_KEY_IN_PROGRESS"
	// ReasonCallerChanged: the first request succeeded, but the caller's
	// rights changed since; its answer is not shown again.
	ReasonCallerChanged = "IDEMPOTENCY_CALLER_CHANGED"
)

// Keys remembers the outcomes of mutations sent with an Idempotency-Key.
type Keys struct {
	// Client reads and sweeps outside any mutation's transaction.
	Client *ent.Client
	Now    func() time.Time

	lastSweep atomic.Int64 // unix seconds
}

// Replay is the extension to register before entgql.Transactioner.
func (k *Keys) Replay() graphql.HandlerExtension { return replay{k} }

// Record is the extension to register after entgql.Transactioner, so it
// runs inside the mutation's transaction.
func (k *Keys) Record() graphql.HandlerExtension { return record{k} }

// attempt is one keyed mutation on its way through both extensions.
type attempt struct {
	tokenID, key, keyHash, requestHash string
	// callerHash fingerprints the caller's rights (see callerHash).
	callerHash string
	// taken: another request holds or held the key when Record claimed it.
	taken bool
	// recorded: Record stored this request's answer.
	recorded bool
}

type attemptKey struct{}

type replay struct{ k *Keys }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = replay{}

func (replay) ExtensionName() string                   { return "IdempotencyReplay" }
func (replay) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse answers a keyed mutation from its stored outcome, or
// lets it run with the key claimed by Record.
func (r replay) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation || len(graphql.GetErrors(ctx)) > 0 {
		// Not a mutation, or one refused before it ran (validation, cost).
		return next(ctx)
	}
	values := oc.Headers.Values(Header)
	p := authz.FromContext(ctx)
	if len(values) == 0 || p == nil {
		// Without a token nothing may mutate: the usual error follows.
		return next(ctx)
	}
	// An earlier attempt of this operation (internal/txretry runs it again
	// after a conflict) may have chosen a status; this one chooses afresh.
	setStatus(ctx, 0, false)
	key, msg := parseKey(values)
	if msg != "" {
		return refuse(ctx, http.StatusBadRequest, gqlerr.BadUserInput, ReasonInvalid, msg)
	}
	a := &attempt{tokenID: p.Token.ID, key: key, keyHash: digest([]byte(key)), requestHash: requestHash(oc), callerHash: callerHash(p)}
	if rsp := r.k.stored(ctx, a); rsp != nil {
		return rsp
	}
	rsp := next(context.WithValue(ctx, attemptKey{}, a))
	if a.taken {
		// Record found the key claimed and the mutation rolled back. The
		// other request has finished by now unless it is still running.
		if stored := r.k.stored(ctx, a); stored != nil {
			return stored
		}
		setStatus(ctx, http.StatusConflict, false)
		return rsp
	}
	if a.recorded {
		r.k.sweep(ctx)
	}
	return rsp
}

// stored answers a from the outcome recorded under its key, or returns nil
// when there is none.
func (k *Keys) stored(ctx context.Context, a *attempt) *graphql.Response {
	row, err := k.Client.IdempotencyKey.Query().
		Where(idempotencykey.TokenID(a.tokenID), idempotencykey.KeyHash(a.keyHash), idempotencykey.ExpiresAtGT(k.Now())).
		Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil
	case err != nil:
		return internal(ctx, err)
	case row.RequestHash != a.requestHash:
		return refuse(ctx, http.StatusUnprocessableEntity, gqlerr.BadUserInput, ReasonReused,
			"this Idempotency-Key was used with a different request (query, operation name or variables); use a new key for a new request")
	case row.Status == 0:
		return inProgress(ctx)
	case row.CallerHash != a.callerHash:
		// The stored answer was read under rights the caller no longer has
		// (or a grace-period secret asks): showing it could reveal what the
		// caller may not read now. The change is not made again either.
		return refuse(ctx, http.StatusConflict, gqlerr.Conflict, ReasonCallerChanged,
			"the first request with this Idempotency-Key succeeded, but what this token may do has changed since, so its answer is not shown again; nothing was changed again. Query the record to see its state")
	}
	zerolog.Ctx(ctx).Debug().Str("idempotency_key_id", row.ID).Msg("idempotent replay")
	setStatus(ctx, row.Status, true)
	ext := map[string]any{
		"key":       a.key,
		"createdAt": row.CreatedAt.UTC().Format(time.RFC3339Nano),
		"expiresAt": row.ExpiresAt.UTC().Format(time.RFC3339Nano),
		"message":   "this repeats the answer to the first request with this Idempotency-Key; nothing was changed again",
	}
	if len(row.Withheld) > 0 {
		ext["secretsWithheld"] = row.Withheld
		ext["message"] = fmt.Sprintf("this repeats the answer to the first request with this Idempotency-Key; nothing was changed again. "+
			"That answer held a secret, which is shown only once and never stored, so %v is null here: "+
			"if the first answer was lost, regenerate the token (regenerateAPIToken) to get a new secret", row.Withheld)
	}
	return &graphql.Response{
		Data:       json.RawMessage(row.Response),
		Extensions: map[string]any{"idempotentReplay": true, "idempotency": ext},
	}
}

type record struct{ k *Keys }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = record{}

func (record) ExtensionName() string                   { return "IdempotencyRecord" }
func (record) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse claims the key in the mutation's transaction before the
// mutation runs (on MySQL a concurrent claim of the same key waits on it),
// and stores the answer, secrets withheld, once the mutation has succeeded.
// An error anywhere rolls the claim back with the mutation.
func (r record) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	if a == nil {
		return next(ctx)
	}
	// Whoever retries the transaction (a deadlock) retries this too.
	a.taken, a.recorded = false, false
	tx := ent.FromContext(ctx)
	now := r.k.Now()
	// An expired outcome answers nothing any more, but would block the claim.
	if _, err := tx.IdempotencyKey.Delete().
		Where(idempotencykey.TokenID(a.tokenID), idempotencykey.KeyHash(a.keyHash), idempotencykey.ExpiresAtLTE(now)).
		Exec(ctx); err != nil {
		return internal(ctx, err)
	}
	row, err := tx.IdempotencyKey.Create().
		SetTokenID(a.tokenID).
		SetKeyHash(a.keyHash).
		SetRequestHash(a.requestHash).
		SetCallerHash(a.callerHash).
		SetResponse("").
		SetWithheld([]string{}).
		SetCreatedAt(now).
		SetExpiresAt(now.Add(TTL)).
		Save(ctx)
	if ent.IsConstraintError(err) || lockConflict(err) {
		if lockConflict(err) {
			// Waiters on a key whose holder rolled back may deadlock each
			// other: the whole operation runs again (internal/txretry).
			gqlerr.NoteConflict(ctx)
		}
		a.taken = true
		return inProgress(ctx)
	}
	if err != nil {
		return internal(ctx, err)
	}
	rsp := next(ctx)
	if rsp == nil || len(rsp.Errors) > 0 {
		return rsp
	}
	data, withheld, err := redact(rsp.Data, graphql.GetOperationContext(ctx).Operation.SelectionSet)
	if err == nil {
		err = tx.IdempotencyKey.UpdateOne(row).
			SetStatus(http.StatusOK).
			SetResponse(string(data)).
			SetWithheld(withheld).
			Exec(ctx)
	}
	if err != nil {
		return internal(ctx, err)
	}
	a.recorded = true
	return rsp
}

// sweep deletes a bounded batch of expired outcomes, at most once per
// sweepEvery on this instance unless the previous batch was full.
func (k *Keys) sweep(ctx context.Context) {
	now := k.Now()
	last := k.lastSweep.Load()
	if now.Unix()-last < int64(sweepEvery/time.Second) || !k.lastSweep.CompareAndSwap(last, now.Unix()) {
		return
	}
	ids, err := k.Client.IdempotencyKey.Query().Where(idempotencykey.ExpiresAtLTE(now)).Limit(sweepBatch).IDs(ctx)
	if err == nil && len(ids) > 0 {
		_, err = k.Client.IdempotencyKey.Delete().Where(idempotencykey.IDIn(ids...)).Exec(ctx)
	}
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("sweeping expired idempotency keys")
		return
	}
	if len(ids) == sweepBatch {
		k.lastSweep.Store(0)
	}
}

// parseKey returns the one key among values, or why it is refused.
func parseKey(values []string) (string, string) {
	if len(values) != 1 {
		return "", "send one Idempotency-Key header, not several"
	}
	key := values[0]
	if len(key) == 0 || len(key) > MaxKeyLen {
		return "", fmt.Sprintf("an Idempotency-Key has 1 to %d characters", MaxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", "an Idempotency-Key is made of printable ASCII characters"
		}
	}
	return key, ""
}

// requestHash identifies what a request asks for: the same key must come
// with the same query, operation name and variables.
func requestHash(oc *graphql.OperationContext) string {
	b, _ := json.Marshal(struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}{oc.RawQuery, oc.OperationName, oc.Variables})
	return digest(b)
}

// lockConflict tells MySQL's deadlock and lock wait timeout: when the request
// holding a key rolls back, requests waiting to claim it may deadlock each
// other on the key's index record.
func lockConflict(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && gqlerr.SerializationFailure(err)
}

// callerHash fingerprints what p may do: its type, its permissions and
// whether it presented a grace-period secret.
func callerHash(p *authz.Principal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s grace=%t", p.Token.Type, p.Grace)
	for _, c := range p.Permissions.List() {
		b.WriteString(" " + c.String())
	}
	return digest([]byte(b.String()))
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func inProgress(ctx context.Context) *graphql.Response {
	return refuse(ctx, http.StatusConflict, gqlerr.Conflict, ReasonInProgress,
		"a request with this Idempotency-Key is in progress; retry it in a moment")
}

// refuse answers with one error; it bypasses the presenter, so it carries
// its own code.
func refuse(ctx context.Context, status int, code gqlerr.Code, reason, msg string) *graphql.Response {
	setStatus(ctx, status, false)
	ext := map[string]any{"code": string(code), "reason": reason}
	if code == gqlerr.BadUserInput {
		ext["field"] = Header
	}
	return &graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: ext}}}
}

func internal(ctx context.Context, err error) *graphql.Response {
	zerolog.Ctx(ctx).Error().Err(err).Msg("idempotency key")
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    "internal server error",
		Extensions: map[string]any{"code": string(gqlerr.Internal)},
	}}}
}
