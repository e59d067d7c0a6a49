package admin

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/ent/persona"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/metadata"
)

// Metadata and external ids are identity, not permissions: Latchkey never
// decides anything on them, and who may set them is who may create or edit
// the token or persona (with the ceiling that comes with it). Upstreams
// that trust them must know that (README, Metadata and identities): an
// external id is unique and acting as its persona is bound by the ceiling;
// token metadata is whatever a holder of api-token:create or update wrote.

// checkMetadata validates metadata given in an input; nil means not given.
func checkMetadata(field string, in *metadata.JSON) (metadata.JSON, error) {
	if in == nil {
		return "", nil
	}
	out, err := metadata.Check(*in)
	var bad *metadata.Error
	if errors.As(err, &bad) {
		return "", gqlerr.BadInput(field, "%s", bad.Reason)
	}
	return out, err
}

// externalID validates an external id given in an input and checks that no
// other persona (than self) has it. "" means none.
func (s *Service) externalID(ctx context.Context, field, id, self string) (string, error) {
	if id == "" {
		return "", nil
	}
	var bad *metadata.Error
	if err := metadata.CheckExternalID(id); errors.As(err, &bad) {
		return "", gqlerr.BadInput(field, "%s", bad.Reason)
	}
	taken, err := db(ctx).Persona.Query().Where(persona.ExternalID(id), persona.IDNEQ(self)).Exist(ctx)
	if err != nil {
		return "", err
	}
	if taken {
		return "", gqlerr.Field(gqlerr.Conflict, field, "another persona has externalID %q", id)
	}
	return id, nil
}
