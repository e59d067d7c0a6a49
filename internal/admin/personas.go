package admin

import (
	"context"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// CreatePersonaInput is GraphQL's CreatePersonaInput.
type CreatePersonaInput struct {
	Name        string
	AvatarURL   *string
	Description *string
}

// UpdatePersonaInput is GraphQL's UpdatePersonaInput; nil means unchanged.
type UpdatePersonaInput struct {
	Name        *string
	AvatarURL   *string
	Description *string
}

// CreatePersona makes a persona.
func (s *Service) CreatePersona(ctx context.Context, in CreatePersonaInput) (*ent.Persona, error) {
	p, err := s.newPersona(ctx, "", in)
	if err != nil {
		return nil, err
	}
	return p, s.auditPersona(ctx, "persona.create", p, []string{"name", "avatarURL", "description"})
}

// newPersona validates and creates a persona; field prefixes error fields
// when the persona is nested in another input.
func (s *Service) newPersona(ctx context.Context, field string, in CreatePersonaInput) (*ent.Persona, error) {
	name, err := checkName(field+"name", in.Name)
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
	now := s.now()
	return db(ctx).Persona.Create().
		SetName(name).
		SetAvatarURL(avatar).
		SetDescription(desc).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
}

// UpdatePersona changes what is given in in. The persona is the identity
// of its tokens, so the caller must be at least as strong as each of them.
func (s *Service) UpdatePersona(ctx context.Context, id string, in UpdatePersonaInput) (*ent.Persona, error) {
	p, err := s.persona(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := ceilingForPersona(ctx, p); err != nil {
		return nil, err
	}
	upd := db(ctx).Persona.UpdateOne(p).SetUpdatedAt(s.now())
	var changes []string
	if in.Name != nil {
		name, err := checkName("name", *in.Name)
		if err != nil {
			return nil, err
		}
		upd.SetName(name)
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
	if p, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	return p, s.auditPersona(ctx, "persona.update", p, changes)
}

// DeletePersona removes a persona no token acts as.
func (s *Service) DeletePersona(ctx context.Context, id string) (string, error) {
	p, err := s.persona(ctx, id)
	if err != nil {
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
// a new one from input, or, when neither is given, a new one named after the token.
func (s *Service) personaFor(ctx context.Context, id *string, in *CreatePersonaInput, tokenName string) (*ent.Persona, error) {
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
		// Acting as a persona means acting as every token that has it.
		return p, ceilingForPersona(ctx, p)
	case in != nil:
		return s.newPersona(ctx, "persona.", *in)
	}
	// The token's own audit event records the persona it was given.
	return s.newPersona(ctx, "persona.", CreatePersonaInput{Name: tokenName})
}

func (s *Service) persona(ctx context.Context, id string) (*ent.Persona, error) {
	if err := checkID("Persona", id); err != nil {
		return nil, err
	}
	p, err := db(ctx).Persona.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound("Persona", id)
	}
	return p, err
}

func (s *Service) auditPersona(ctx context.Context, action string, p *ent.Persona, changes []string) error {
	s.changed(ctx)
	return audit.Record(ctx, audit.Event{Action: action, TargetType: "persona", TargetID: p.ID, TargetName: p.Name, Changes: changes, At: s.now()})
}
