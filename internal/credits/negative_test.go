package credits_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/credits"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Take does not refuse a negative cost: it mints credits (defence in depth;
// the HTTP handlers bound cost to 0..MaxCost today).
func TestNegativeCostMints(t *testing.T) {
	s := testserver.New(t, "sqlite", testserver.Quiet())
	ctx := context.Background()
	r := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {name: "c", type: READ_ONLY, credits: {remaining: 100}}) { apiToken { id } } }`, nil)
	id := r.Str("createAPIToken.apiToken.id")
	tok, _ := s.Store.Client.APIToken.Query().Where(apitoken.ID(id)).Only(ctx)
	c := authz.CreditsOf(tok)
	l := credits.New(s.Store.Client, false, "a", nil, time.Millisecond)
	if _, err := l.Take(ctx, id, c, 1, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	o, err := l.Take(ctx, id, c, -1000, time.Now(), false)
	t.Logf("negative cost: %+v %v, held %d", o, err, l.Held(id))
	_ = l.Flush(ctx, true)
	tok, _ = s.Store.Client.APIToken.Query().Where(apitoken.ID(id)).Only(ctx)
	t.Logf("balance after flush %d (granted 100, 1 spent)", *tok.CreditsRemaining)
	if *tok.CreditsRemaining > 99 {
		t.Fatal("credits minted")
	}
}
