package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/ent/tokennotice"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
	"github.com/latchkeyhq/latchkey/internal/events"
)

// ExpiringDays are the notices before an expiry, largest first. A token
// gets the notice of the smallest threshold its remaining life is within,
// once per expiry value: one made to live 5 days gets only the 7-day notice,
// and one whose expiry changes is noticed again.
var ExpiringDays = []int{30, 7, 1}

// expiredWindow bounds how long after its expiry a token still gets its
// api-token.expired event (after an outage, or on upgrading a database with
// long-expired tokens, which should not flood endpoints).
const expiredWindow = 7 * 24 * time.Hour

// sweepActor is the actor of the sweep's events.
var sweepActor = events.Actor{Type: "system", Name: "expiry-sweep"}

// SweepExpiry emits api-token.expiring and api-token.expired events that
// are due. It is safe to run on several instances at once: each event is
// written with its notice row, whose unique key (token, kind, expiry) lets
// only one transaction commit it.
func (w *Worker) SweepExpiry(ctx context.Context) error {
	now := w.now()
	horizon := now.AddDate(0, 0, ExpiringDays[0])
	soon, err := w.Client.APIToken.Query().
		Where(apitoken.RevokedAtIsNil(), apitoken.ExpiresAtGT(now), apitoken.ExpiresAtLTE(horizon)).
		Order(ent.Asc(apitoken.FieldExpiresAt)).Limit(sweepBatch).All(ctx)
	if err != nil {
		return err
	}
	gone, err := w.Client.APIToken.Query().
		Where(apitoken.RevokedAtIsNil(), apitoken.ExpiresAtLTE(now), apitoken.ExpiresAtGT(now.Add(-expiredWindow))).
		Order(ent.Asc(apitoken.FieldExpiresAt)).Limit(sweepBatch).All(ctx)
	if err != nil {
		return err
	}
	type due struct {
		t    *ent.APIToken
		kind string
		days int
	}
	var todo []due
	for _, t := range soon {
		days := 0
		for _, d := range ExpiringDays {
			if !t.ExpiresAt.After(now.AddDate(0, 0, d)) {
				days = d
			}
		}
		todo = append(todo, due{t, fmt.Sprintf("expiring-%d", days), days})
	}
	for _, t := range gone {
		todo = append(todo, due{t: t, kind: "expired"})
	}
	if len(todo) == 0 {
		return nil
	}
	ids := make([]string, len(todo))
	for i, d := range todo {
		ids[i] = d.t.ID
	}
	sent, err := w.Client.TokenNotice.Query().Where(tokennotice.TokenIDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	type key struct {
		token, kind string
		at          int64
	}
	done := map[key]bool{}
	for _, n := range sent {
		done[key{n.TokenID, n.Kind, n.ExpiresAt.UnixMicro()}] = true
	}
	for _, d := range todo {
		if done[key{d.t.ID, d.kind, d.t.ExpiresAt.UnixMicro()}] {
			continue
		}
		if err := w.notice(ctx, d.t, d.kind, d.days, now); err != nil {
			if ent.IsConstraintError(err) {
				continue // another instance sent it
			}
			return err
		}
	}
	return nil
}

// notice writes one notice row and its event in one transaction.
func (w *Worker) notice(ctx context.Context, t *ent.APIToken, kind string, days int, now time.Time) error {
	tx, err := dbtx.Begin(ctx, w.Client, w.MySQL)
	if err != nil {
		return err
	}
	client := tx.Client()
	err = client.TokenNotice.Create().SetTokenID(t.ID).SetKind(kind).SetExpiresAt(*t.ExpiresAt).SetCreatedAt(now).Exec(ctx)
	if err == nil {
		ev := events.Event{Type: events.TokenExpired, Token: t, Actor: sweepActor, At: now,
			Data: map[string]any{"expiresAt": t.ExpiresAt.UTC().Format(time.RFC3339Nano)}}
		if days > 0 {
			ev.Type = events.TokenExpiring
			ev.Data["daysBefore"] = days
		}
		_, err = events.Emit(ctx, client, ev)
	}
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// pruneNotices forgets notices of expiries long past.
func (w *Worker) pruneNotices(ctx context.Context, cutoff time.Time) error {
	_, err := w.Client.TokenNotice.Delete().Where(tokennotice.ExpiresAtLT(cutoff.Add(-expiredWindow))).Exec(ctx)
	return err
}
