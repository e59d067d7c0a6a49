// Package audit writes the append-only record of what was changed, by whom.
// Every mutation calls Record inside its own transaction, so an event exists
// exactly when the change does.
package audit

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/authz"
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
		SetChanges(nonNil(e.Changes))
	if !e.At.IsZero() {
		create.SetCreatedAt(e.At)
	}
	if p := authz.FromContext(ctx); p != nil {
		create.SetActorTokenID(p.Token.ID).SetActorTokenName(p.Token.Name)
		if p.Persona != nil {
			create.SetActorPersonaID(p.Persona.ID).SetActorPersonaName(p.Persona.Name)
		}
	} else {
		// No caller: Latchkey itself (seeding, mint-token, the sweeps,
		// reuse detection). The ids stay empty, which no token has.
		create.SetActorTokenName(SystemActor).SetActorPersonaName(SystemActor)
	}
	return create.Exec(ctx)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
