package listcount_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/listcount"
	"github.com/latchkeyhq/latchkey/internal/store"
)

// A write whose feed entry gets an id below ones already read (ids are
// given at insert, not at commit) still makes the cached count stale, as
// long as its id is above the reader's horizon; and one that changes no
// count (another kind of entry) does not.
func TestLateEntryInvalidates(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open("sqlite://"+filepath.Join(t.TempDir(), "lk.db"), "pepper")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	insert := func(id int, kind string) {
		t.Helper()
		if _, err := st.DB.Exec("INSERT INTO changes (id, kind, ref, origin, created_at) VALUES (?, ?, '', '', ?)", id, kind, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	insert(10, listcount.TokenSet)
	insert(20, listcount.TokenSet)
	c := listcount.New(st.DB, func() int { return 5 }, 8)
	c.MinRows = 0
	count := func() int {
		t.Helper()
		// The interceptor only serves counts marked with a cache.
		n, err := st.Client.APIToken.Query().Count(c.For(ctx, "all"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	count()
	if c.Misses.Load() != 1 || c.Hits.Load() != 0 {
		t.Fatalf("first count: %d misses, %d hits", c.Misses.Load(), c.Hits.Load())
	}
	count()
	if c.Hits.Load() != 1 {
		t.Fatal("an unchanged feed did not reuse the count")
	}
	insert(15, "persona") // not a token-set change
	count()
	if c.Hits.Load() != 2 {
		t.Fatal("an unrelated change made the count stale")
	}
	insert(16, listcount.TokenSet) // committed late, below the newest id
	count()
	if c.Misses.Load() != 2 {
		t.Fatal("a late entry below the newest id went unnoticed")
	}
	insert(30, listcount.TokenSet)
	count()
	if c.Misses.Load() != 3 {
		t.Fatal("a new entry went unnoticed")
	}
	// Small counts are taken anew each time: counting costs no more than
	// reading the stamp.
	small := listcount.New(st.DB, func() int { return 5 }, 8)
	for range 3 {
		if _, err := st.Client.APIToken.Query().Count(small.For(ctx, "all")); err != nil {
			t.Fatal(err)
		}
	}
	if small.Hits.Load() != 0 || small.Misses.Load() != 1 {
		t.Fatalf("small counts: %d hits, %d misses", small.Hits.Load(), small.Misses.Load())
	}
	// Counts in a transaction are never served from the cache: they may
	// include the transaction's own writes.
	tx, err := st.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.APIToken.Query().Count(c.For(ent.NewTxContext(ctx, tx), "all")); err != nil {
		t.Fatal(err)
	}
	if c.Hits.Load() != 2 || c.Misses.Load() != 3 {
		t.Fatalf("a count in a transaction used the cache: %d hits, %d misses", c.Hits.Load(), c.Misses.Load())
	}
}

// Only the unfiltered list and a name search alone are cached.
func TestKey(t *testing.T) {
	fold := func(s string) string { return s + "!" }
	name := "Ab"
	for _, c := range []struct {
		w    *ent.APITokenWhereInput
		key  string
		want bool
	}{
		{nil, "all", true},
		{&ent.APITokenWhereInput{NameContainsFold: &name}, "name:Ab!", true},
		{&ent.APITokenWhereInput{}, "", false},
		{&ent.APITokenWhereInput{NameContainsFold: &name, Or: []*ent.APITokenWhereInput{{}}}, "", false},
		{&ent.APITokenWhereInput{NameContainsFold: &name, Not: &ent.APITokenWhereInput{NameContainsFold: &name}}, "", false},
		{&ent.APITokenWhereInput{NameContainsFold: &name, NameHasPrefix: &name}, "", false},
	} {
		key, ok := listcount.Key(c.w, fold)
		if key != c.key || ok != c.want {
			t.Errorf("%+v: %q %v, want %q %v", c.w, key, ok, c.key, c.want)
		}
	}
	// A filter set by a field resolver (status, secret, personaID, roleID)
	// arrives as a predicate.
	withPredicate := &ent.APITokenWhereInput{NameContainsFold: &name}
	withPredicate.AddPredicates(apitoken.NameHasPrefix("x"))
	if _, ok := listcount.Key(withPredicate, fold); ok {
		t.Error("a filter with a predicate was cached")
	}
}
