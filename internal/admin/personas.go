package admin

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/persona"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/authz"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/metadata"
	"github.com/latchkeyhq/latchkey/internal/policy"
)

// CreatePersonaInput is GraphQL's CreatePersonaInput.
type CreatePersonaInput struct {
	Name        string
	AvatarURL   *string
	Description *string
	ExternalID  *string
	Metadata    *metadata.JSON
	// RateLimits are shared by every token acting as the persona.
	RateLimits []policy.RateLimit
}

// UpdatePersonaInput is GraphQL's UpdatePersonaInput; nil means unchanged.
type UpdatePersonaInput struct {
	Name        *string
	AvatarURL   *string
	Description *string
	ExternalID  *string
	Metadata    *metadata.JSON
	// RateLimits replaces the persona's limits when not nil.
	RateLimits []policy.RateLimit
}

// CreatePersona makes a persona.
func (s *Service) CreatePersona(ctx context.Context, in CreatePersonaInput) (*ent.Persona, error) {
	if _, err := s.caller(ctx, createPersona); err != nil {
		return nil, err
	}
	p, err := s.newPersona(ctx, "", in, false)
	if err != nil {
		return nil, err
	}
	changes := []string{"name", "avatarURL", "description"}
	if p.ExternalID != nil {
		changes = append(changes, "externalID")
	}
	if p.Metadata != "" {
		changes = append(changes, "metadata")
	}
	if len(p.RateLimits) > 0 {
		changes = append(changes, "rateLimits")
	}
	return p, s.auditPersona(ctx, "persona.create", p, changes)
}

// newPersona validates and creates a persona; field prefixes error fields
// when the persona is nested in another input. Names are unique regardless
// of case: a persona's name is what gateways pass upstream and what the
// audit log records. A name Latchkey chose (numbered) is numbered when taken.
func (s *Service) newPersona(ctx context.Context, field string, in CreatePersonaInput, numbered bool) (*ent.Persona, error) {
	name, err := checkName(field+"name", in.Name)
	if err != nil {
		return nil, err
	}
	if numbered {
		name, err = s.freePersonaName(ctx, name)
	} else {
		err = s.personaNameFree(ctx, field+"name", name, "")
	}
	if err != nil {
		return nil, err
	}
	avatar, err := avatarURL(field+"avatarURL", in.AvatarURL)
	if err != nil {
		return nil, err
	}
	desc, err := description(field+"description", in.Description)
	if err != nil {
		return nil, err
	}
	var extID string
	if in.ExternalID != nil {
		if extID, err = s.externalID(ctx, field+"externalID", *in.ExternalID, ""); err != nil {
			return nil, err
		}
	}
	meta, err := checkMetadata(field+"metadata", in.Metadata)
	if err != nil {
		return nil, err
	}
	limits, err := personaLimits(field+"rateLimits", in.RateLimits)
	if err != nil {
		return nil, err
	}
	now := s.now()
	create := db(ctx).Persona.Create()
	if len(limits) > 0 {
		create.SetRateLimits(limits)
	}
	create.
		SetName(name).
		SetNameFold(fold(name)).
		SetAvatarURL(avatar).
		SetDescription(desc).
		SetCreatedAt(now).
		SetUpdatedAt(now)
	if extID != "" {
		create.SetExternalID(extID)
	}
	if meta != "" {
		create.SetMetadata(meta)
	}
	return create.Save(ctx)
}

func (s *Service) personaNameFree(ctx context.Context, field, name, self string) error {
	taken, err := db(ctx).Persona.Query().Where(persona.NameFold(fold(name)), persona.IDNEQ(self)).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return gqlerr.Field(gqlerr.Conflict, field, "a persona named %q already exists", name)
	}
	return nil
}

// freePersonaName is name, or name (2), name (3), … when it is taken.
func (s *Service) freePersonaName(ctx context.Context, name string) (string, error) {
	for n := 1; ; n++ {
		candidate := name
		if n > 1 {
			suffix := fmt.Sprintf(" (%d)", n)
			candidate = truncateRunes(name, 100-len(suffix)) + suffix
		}
		taken, err := db(ctx).Persona.Query().Where(persona.NameFold(fold(candidate))).Exist(ctx)
		if err != nil || !taken {
			return candidate, err
		}
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// UpdatePersona changes what is given in in. The persona is the identity
// of its tokens, so the caller must be at least as strong as each of them,
// now and before.
func (s *Service) UpdatePersona(ctx context.Context, id string, in UpdatePersonaInput) (*ent.Persona, error) {
	c, err := s.caller(ctx, updatePersona)
	if err != nil {
		return nil, err
	}
	p, err := s.persona(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := personaCeiling(ctx, c, p); err != nil {
		return nil, err
	}
	upd := db(ctx).Persona.UpdateOne(p).SetUpdatedAt(s.now())
	var changes []string
	if in.Name != nil {
		name, err := checkName("name", *in.Name)
		if err != nil {
			return nil, err
		}
		if err := s.personaNameFree(ctx, "name", name, p.ID); err != nil {
			return nil, err
		}
		upd.SetName(name).SetNameFold(fold(name))
		changes = append(changes, "name")
	}
	if in.AvatarURL != nil {
		avatar, err := avatarURL("avatarURL", in.AvatarURL)
		if err != nil {
			return nil, err
		}
		upd.SetAvatarURL(avatar)
		changes = append(changes, "avatarURL")
	}
	if in.Description != nil {
		desc, err := description("description", in.Description)
		if err != nil {
			return nil, err
		}
		upd.SetDescription(desc)
		changes = append(changes, "description")
	}
	if in.ExternalID != nil {
		id, err := s.externalID(ctx, "externalID", *in.ExternalID, p.ID)
		if err != nil {
			return nil, err
		}
		if id == "" {
			upd.ClearExternalID()
		} else {
			upd.SetExternalID(id)
		}
		changes = append(changes, "externalID")
	}
	if in.Metadata != nil {
		meta, err := checkMetadata("metadata", in.Metadata)
		if err != nil {
			return nil, err
		}
		if meta == "" {
			upd.ClearMetadata()
		} else {
			upd.SetMetadata(meta)
		}
		changes = append(changes, "metadata")
	}
	if in.RateLimits != nil {
		limits, err := personaLimits("rateLimits", in.RateLimits)
		if err != nil {
			return nil, err
		}
		// Every token acting as the persona shares its limits.
		if err := s.personaLimitsCeiling(ctx, c, p, limits); err != nil {
			return nil, err
		}
		if len(limits) > 0 {
			upd.SetRateLimits(limits)
		} else {
			upd.ClearRateLimits()
		}
		changes = append(changes, "rateLimits")
	}
	if p, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	return p, s.auditPersona(ctx, "persona.update", p, changes)
}

// DeletePersona removes a persona no token acts as. Deleting the identity
// of a stronger token (one that once acted as it) would free its name for
// anyone to take, so the ceiling applies.
func (s *Service) DeletePersona(ctx context.Context, id string) (string, error) {
	c, err := s.caller(ctx, deletePersona)
	if err != nil {
		return "", err
	}
	p, err := s.persona(ctx, id)
	if err != nil {
		return "", err
	}
	if err := personaCeiling(ctx, c, p); err != nil {
		return "", err
	}
	n, err := db(ctx).APIToken.Query().Where(apitoken.PersonaID(p.ID)).Count(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", gqlerr.New(gqlerr.Conflict, "%d API token(s) act as persona %q; give them another persona or delete them first", n, p.Name)
	}
	if err := db(ctx).Persona.DeleteOne(p).Exec(ctx); err != nil {
		return "", err
	}
	return p.ID, s.auditPersona(ctx, "persona.delete", p, nil)
}

// personaFor returns the persona a token will act as: an existing one by id,
// a new one from input, or, when neither is given, a new one named after the
// token (numbered when that name is taken).
func (s *Service) personaFor(ctx context.Context, c *authz.Principal, id *string, in *CreatePersonaInput, tokenName string) (*ent.Persona, error) {
	switch {
	case id != nil && in != nil:
		return nil, gqlerr.BadInput("persona", "give personaID or persona, not both")
	case id != nil:
		p, err := s.persona(ctx, *id)
		if gqlerr.CodeOf(err) == gqlerr.NotFound {
			return nil, gqlerr.BadInput("personaID", "unknown persona %q", *id)
		}
		if err != nil {
			return nil, err
		}
		// Acting as a persona means acting as every token that has or had it.
		return p, personaCeiling(ctx, c, p)
	case in != nil:
		return s.newPersona(ctx, "persona.", *in, false)
	}
	// The token's own audit event records the persona it was given.
	return s.newPersona(ctx, "persona.", CreatePersonaInput{Name: tokenName}, true)
}

// persona loads (and on MySQL locks) a persona by id.
func (s *Service) persona(ctx context.Context, id string) (*ent.Persona, error) {
	if err := checkID("Persona", id); err != nil {
		return nil, err
	}
	p, err := locked(s, db(ctx).Persona.Query().Where(persona.ID(id))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("Persona", id)
	}
	return p, err
}

func (s *Service) auditPersona(ctx context.Context, action string, p *ent.Persona, changes []string) error {
	if err := s.changed(ctx, feed.Persona, p.ID); err != nil {
		return err
	}
	return audit.Record(ctx, audit.Event{Action: action, TargetType: "persona", TargetID: p.ID, TargetName: p.Name, Changes: changes, At: s.now()})
}
