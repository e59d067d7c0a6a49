// Package events is the outbox of webhook events. An event row and one
// delivery row per subscribed, enabled endpoint are written through the
// client of the change that causes them (its transaction), so a committed
// change always has its event and a rolled-back one never does. Changes
// made through GraphQL reach it from audit.Record; which audit actions emit
// which event is decided by the one table below.
package events

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/persona"
	"github.com/latchkeyhq/latchkey/ent/webhookdelivery"
	"github.com/latchkeyhq/latchkey/ent/webhookendpoint"
	"github.com/latchkeyhq/latchkey/internal/ids"
)

// The event types an endpoint may subscribe to.
const (
	TokenCreated       = "api-token.created"
	TokenUpdated       = "api-token.updated"
	TokenRegenerated   = "api-token.regenerated"
	TokenRevoked       = "api-token.revoked"
	TokenRestored      = "api-token.restored"
	TokenDeleted       = "api-token.deleted"
	TokenExpiring      = "api-token.expiring"
	TokenExpired       = "api-token.expired"
	TokenLeaked        = "api-token.leaked"
	TokenAutoRevoked   = "api-token.auto-revoked"
	TokenReuseDetected = "api-token.reuse-detected"
	// TokenUsageLow is reserved for credits running low (not emitted yet).
	TokenUsageLow = "api-token.usage-low"
	PolicyUpdated = "policy.updated"
)

// All subscribes an endpoint to every type, present and future.
const All = "*"

// fromAudit says which audited action emits which event: the one place that
// decides it. Actions not listed emit nothing.
var fromAudit = map[string]string{
	"api-token.create":       TokenCreated,
	"api-token.update":       TokenUpdated,
	"api-token.regenerate":   TokenRegenerated,
	"api-token.rotate":       TokenRegenerated,
	"api-token.revoke":       TokenRevoked,
	"api-token.restore":      TokenRestored,
	"api-token.delete":       TokenDeleted,
	"api-token.auto-revoke":  TokenAutoRevoked,
	"api-token.reuse-revoke": TokenReuseDetected,
	"api-token.leak-revoke":  TokenLeaked,
	"policy.update":          PolicyUpdated,
}

// Types lists every event type, sorted.
func Types() []string {
	out := []string{TokenCreated, TokenUpdated, TokenRegenerated, TokenRevoked, TokenRestored, TokenDeleted,
		TokenExpiring, TokenExpired, TokenLeaked, TokenAutoRevoked, TokenReuseDetected, TokenUsageLow, PolicyUpdated}
	slices.Sort(out)
	return out
}

// Known reports whether t is an event type (or All).
func Known(t string) bool { return t == All || slices.Contains(Types(), t) }

// ForAction returns the event type an audited action emits, if any.
func ForAction(action string) (string, bool) {
	t, ok := fromAudit[action]
	return t, ok
}

// Ref names a record in a payload.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TokenRef is the token in a payload: never its secret, hash or hint.
type TokenRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Code string `json:"code"`
	Type string `json:"type"`
}

// Actor is who made the change: a token acting as a persona, or Latchkey
// itself ("system", with the name of what acted: a sweep, a leak report).
type Actor struct {
	Type     string `json:"type"` // "api-token" or "system"
	APIToken *Ref   `json:"apiToken,omitempty"`
	Persona  *Ref   `json:"persona,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Event is one event to emit.
type Event struct {
	Type string
	// Token is the token the event is about, as of the change (for a
	// deletion: as it was before). When nil, TokenID names it and it is read
	// through the client; both empty: the event is about no token.
	Token   *ent.APIToken
	TokenID string
	Actor   Actor
	// Data holds fields of data besides apiToken, persona and actor. Never
	// a secret or a hash.
	Data map[string]any
	At   time.Time
}

// Payload is the body every endpoint receives.
type Payload struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	CreatedAt string         `json:"createdAt"`
	Data      map[string]any `json:"data"`
}

// Emit writes e to the outbox through client, with a delivery for every
// enabled endpoint subscribed to its type.
func Emit(ctx context.Context, client *ent.Client, e Event) (*ent.WebhookEvent, error) {
	at := e.At.UTC().Truncate(time.Microsecond)
	if at.IsZero() {
		at = time.Now().UTC().Truncate(time.Microsecond)
	}
	data := map[string]any{}
	for k, v := range e.Data {
		data[k] = v
	}
	actor := e.Actor
	if actor.Type == "" {
		actor.Type = "system"
	}
	data["actor"] = actor
	t := e.Token
	if t == nil && e.TokenID != "" {
		var err error
		if t, err = client.APIToken.Query().Where(apitoken.ID(e.TokenID)).Only(ctx); err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
	}
	tokenID := e.TokenID
	if t != nil {
		tokenID = t.ID
		data["apiToken"] = TokenRef{ID: t.ID, Name: t.Name, Code: t.Code, Type: string(t.Type)}
		p := t.Edges.Persona
		if p == nil || p.ID != t.PersonaID {
			var err error
			if p, err = client.Persona.Query().Where(persona.ID(t.PersonaID)).Only(ctx); err != nil && !ent.IsNotFound(err) {
				return nil, err
			}
		}
		if p != nil {
			data["persona"] = Ref{ID: p.ID, Name: p.Name}
		} else {
			data["persona"] = Ref{ID: t.PersonaID}
		}
	} else if tokenID != "" {
		data["apiToken"] = TokenRef{ID: tokenID}
	}
	id := ids.NewSortable(ids.WebhookEvent)
	body, err := json.Marshal(Payload{ID: id, Type: e.Type, CreatedAt: at.Format(time.RFC3339Nano), Data: data})
	if err != nil {
		return nil, err
	}
	ev, err := client.WebhookEvent.Create().SetID(id).SetType(e.Type).SetTokenID(tokenID).SetPayload(string(body)).SetCreatedAt(at).Save(ctx)
	if err != nil {
		return nil, err
	}
	endpoints, err := client.WebhookEndpoint.Query().Where(webhookendpoint.Enabled(true)).All(ctx)
	if err != nil {
		return nil, err
	}
	var creates []*ent.WebhookDeliveryCreate
	for _, ep := range endpoints {
		if Subscribed(ep.Events, e.Type) {
			creates = append(creates, NewDelivery(client, ep.ID, ev, at))
		}
	}
	if len(creates) > 0 {
		if err := client.WebhookDelivery.CreateBulk(creates...).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

// NewDelivery is a pending delivery of ev to an endpoint, due at.
func NewDelivery(client *ent.Client, endpointID string, ev *ent.WebhookEvent, at time.Time) *ent.WebhookDeliveryCreate {
	return client.WebhookDelivery.Create().
		SetID(ids.NewSortable(ids.WebhookDelivery)).
		SetEndpointID(endpointID).
		SetEventID(ev.ID).
		SetEvent(ev.Type).
		SetStatus(webhookdelivery.StatusPENDING).
		SetNextAttemptAt(at).
		SetCreatedAt(at)
}

// Subscribed reports whether an endpoint subscribed to types gets typ.
func Subscribed(types []string, typ string) bool {
	return slices.Contains(types, All) || slices.Contains(types, typ)
}
