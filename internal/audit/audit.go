// Package audit writes the append-only record of what was changed, by whom.
// Every mutation calls Record inside its own transaction, so an event exists
// exactly when the change does; Record also writes the webhook event the
// action emits (internal/events), in the same transaction.
package audit

import (
	"context"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/request"
)

// SystemActor is the actor name of events Latchkey records on its own
// behalf; their actor ids are empty.
const SystemActor = "system"

// Event is what a mutation reports about itself. Changes names the fields
// that changed; values are never recorded, so no secret can leak here.
type Event struct {
	Action     string // e.g. api-token.create
	TargetType string // content type uid of the target
	TargetID   string
	TargetName string
	Changes    []string
	At         time.Time // when the change happened; zero means now
	// Token is the token the change is about, as of the change (a deleted
	// one as it was before), for its webhook event; when nil, the event reads
	// the token TargetID names.
	Token *ent.APIToken
	// System names what acted when no token did (a sweep, a leak report);
	// the webhook event shows it as the actor.
	System string
	// Detail says what else the change was about (who reported a leak, and
	// where); never a secret.
	Detail string
	// Data is added to the webhook event's data; never a secret.
	Data map[string]any
}

// Record stores e with the actor and request of ctx, using the client in ctx
// (the mutation's transaction).
func Record(ctx context.Context, e Event) error {
	info := request.From(ctx)
	create := ent.FromContext(ctx).AuditEvent.Create().
		SetAction(e.Action).
		SetTargetType(e.TargetType).
		SetTargetID(e.TargetID).
		SetTargetName(truncate(e.TargetName, 100)).
		SetClientIP(truncate(info.ClientIP, 64)).
		SetUserAgent(truncate(info.UserAgent, 512)).
		SetRequestID(truncate(info.ID, 64)).
		SetDetail(truncate(e.Detail, 1000)).
		SetChanges(nonNil(e.Changes))
	if !e.At.IsZero() {
		create.SetCreatedAt(e.At)
	}
	actor := events.Actor{Type: "system", Name: e.System}
	if p := authz.FromContext(ctx); p != nil && e.System == "" {
		create.SetActorTokenID(p.Token.ID).SetActorTokenName(p.Token.Name)
		actor = events.Actor{Type: "api-token", APIToken: &events.Ref{ID: p.Token.ID, Name: p.Token.Name}}
		if p.Persona != nil {
			create.SetActorPersonaID(p.Persona.ID).SetActorPersonaName(p.Persona.Name)
			actor.Persona = &events.Ref{ID: p.Persona.ID, Name: p.Persona.Name}
		}
	} else {
		// No caller: Latchkey itself (seeding, mint-token, the sweeps,
		// reuse detection). The ids stay empty, which no token has.
		create.SetActorTokenName(SystemActor).SetActorPersonaName(SystemActor)
		if actor.Name == "" {
			actor.Name = SystemActor
		}
	}
	if err := create.Exec(ctx); err != nil {
		return err
	}
	typ, ok := events.ForAction(e.Action)
	if !ok {
		return nil
	}
	data := map[string]any{}
	for k, v := range e.Data {
		data[k] = v
	}
	if len(e.Changes) > 0 {
		data["changes"] = e.Changes // field names, as in the audit log
	}
	ev := events.Event{Type: typ, Token: e.Token, Actor: actor, Data: data, At: e.At}
	if e.Token == nil && e.TargetType == "api-token" {
		ev.TokenID = e.TargetID
	}
	_, err := events.Emit(ctx, ent.FromContext(ctx), ev)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func truncate(s string, n int) string {
	// Request headers may hold anything (a Latin-1 User-Agent): the
	// database takes UTF-8 only, and a refused copy would undo the change
	// it records (a reuse revocation among them).
	s = strings.ToValidUTF8(s, "\uFFFD")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
