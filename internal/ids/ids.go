// Package ids mints the opaque, type-prefixed identifiers of Latchkey's
// records (tok_…, per_…, rol_…, ctp_…, evt_…), in the manner of Stripe.
package ids

import (
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/base62"
)

// The prefix of each record type.
const (
	APIToken    = "tok"
	Persona     = "per"
	Role        = "rol"
	ContentType = "ctp"
	AuditEvent  = "evt"
	Permission  = "prm"
	// IdempotencyKey rows are never shown to clients.
	IdempotencyKey  = "idk"
	WebhookEndpoint = "whk"
	WebhookDelivery = "whd"
	WebhookEvent    = "whe"
)

const randomLen = 20

// typeNames maps a prefix to the GraphQL type of the records it marks.
var typeNames = map[string]string{
	APIToken:        "APIToken",
	Persona:         "Persona",
	Role:            "Role",
	ContentType:     "ContentType",
	AuditEvent:      "AuditEvent",
	WebhookEndpoint: "WebhookEndpoint",
	WebhookDelivery: "WebhookDelivery",
	WebhookEvent:    "WebhookEvent",
}

// New returns prefix_ followed by 20 random base62 characters.
func New(prefix string) string {
	return prefix + "_" + base62.Random(randomLen)
}

// NewSortable returns an id whose first 10 characters encode the current
// time in microseconds, so ids of records made later sort after earlier ones.
func NewSortable(prefix string) string {
	return prefix + "_" + base62.EncodeUint64(uint64(time.Now().UnixMicro()), 10) + base62.Random(randomLen-10)
}

// Generator returns a default function for an ent id field.
func Generator(prefix string) func() string {
	return func() string { return New(prefix) }
}

// TypeOf returns the GraphQL type an id belongs to, or "" when the id is
// malformed or of no known type.
func TypeOf(id string) string {
	prefix, rest, ok := strings.Cut(id, "_")
	if !ok || len(rest) != randomLen || !base62.Valid(rest) {
		return ""
	}
	return typeNames[prefix]
}
