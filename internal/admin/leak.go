package admin

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/audit"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

// Leak is where a secret scanner found a secret.
type Leak struct {
	// Reporter names the scanner: the identifier of the key that signed the report.
	Reporter string
	Type     string
	URL      string
	Source   string
}

// RevokeLeaked revokes the token a leaked secret belongs to (its current
// secret, or a replaced one still in its grace period: either lets anyone
// use the token), at once and whoever made it, and reports whether the
// secret matched a token. Latchkey acts on its own behalf: the audit event
// and the api-token.leaked event name the reporter and the URL, never the
// secret. A token already revoked stays so; the new report is still recorded.
func (s *Service) RevokeLeaked(ctx context.Context, value string, l Leak) (bool, error) {
	now := s.now()
	t, err := locked(s, db(ctx).APIToken.Query().Where(tokenstatus.SecretIs(s.Hasher, value, now))).First(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if t.RevokedAt == nil {
		if t, err = db(ctx).APIToken.UpdateOne(t).SetRevokedAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
			return false, err
		}
	}
	if err := s.changed(ctx, feed.Token, t.ID); err != nil {
		return false, err
	}
	detail := fmt.Sprintf("reported leaked by secret scanning (key %s, type %s, source %s) at %s", l.Reporter, l.Type, l.Source, l.URL)
	return true, audit.Record(ctx, audit.Event{
		Action: "api-token.leak-revoke", TargetType: "api-token", TargetID: t.ID, TargetName: t.Name,
		Changes: []string{"revokedAt"}, At: now, Token: t, System: "secret-scanning", Detail: detail,
		Data: map[string]any{"leak": map[string]string{"reporter": l.Reporter, "type": l.Type, "url": l.URL, "source": l.Source}},
	})
}
