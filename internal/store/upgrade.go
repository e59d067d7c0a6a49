package store

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/contenttype"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
)

// addSystemContentTypes gives a database seeded by an older Latchkey the
// system content types added since (e.g. webhook), audited as the seed's
// were. Instances starting together may race; a loser finds the type taken
// (CONFLICT) and Seed's retry then finds it there.
func addSystemContentTypes(ctx context.Context, client *ent.Client, svc *admin.Service) error {
	for _, ct := range admin.SystemContentTypes() {
		existing, err := client.ContentType.Query().Where(contenttype.UID(ct.UID)).Only(ctx)
		if err == nil {
			if !existing.System {
				return fmt.Errorf("content type %q was registered by an admin, but this version of Latchkey needs the uid for its own; delete or re-create it under another uid", ct.UID)
			}
			continue
		}
		if !ent.IsNotFound(err) {
			return err
		}
		tx, err := dbtx.Begin(ctx, client, svc.Locking)
		if err != nil {
			return err
		}
		if _, err = svc.CreateSystemContentType(admin.AsSystem(ent.NewContext(ctx, tx.Client())), ct); err == nil {
			err = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		if gqlerr.CodeOf(err) == gqlerr.Conflict {
			return &lostSeed{err}
		}
		if err != nil {
			return fmt.Errorf("adding content type %s: %w", ct.UID, err)
		}
	}
	return nil
}
