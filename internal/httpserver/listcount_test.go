package httpserver_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

const countQuery = `query($w: APITokenWhereInput) { apiTokens(first: 2, where: $w) { totalCount } }`

// totalCount asks s for the list's totalCount under a name filter ("" for none).
func totalCount(t *testing.T, s *testserver.Server, name string) int {
	t.Helper()
	var w map[string]any
	if name != "" {
		w = map[string]any{"nameContainsFold": name}
	}
	r := s.MustDo(t, s.Admin, countQuery, map[string]any{"w": w})
	return int(r.Get("apiTokens.totalCount").(float64))
}

// truth counts in the database what totalCount must say.
func truth(t *testing.T, s *testserver.Server, name string) int {
	t.Helper()
	q := s.Store.Client.APIToken.Query()
	if name != "" {
		q = q.Where(apitoken.NameFoldContains(admin.Fold(name)))
	}
	n, err := q.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The cached totalCount is exact right after a write, on the instance that
// wrote and on another one sharing the database, with no wait for the
// change feed: creates, renames into and out of a filter, deletes, and a
// token written straight through ent outside any transaction (as a tool
// might). The cache is really used: repeated pages are hits.
func TestTokenCountCacheExactAcrossInstances(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		a := testserver.New(t, dialect)
		b := a.Another(t)
		a.App.Counts.MinRows, b.App.Counts.MinRows = 0, 0 // cache even small counts
		check := func(step string) {
			t.Helper()
			for _, s := range []*testserver.Server{a, b} {
				for _, name := range []string{"", "alpha", "ALPHA be", "zeta", "al", "TA"} {
					if got, want := totalCount(t, s, name), truth(t, s, name); got != want {
						t.Fatalf("%s: totalCount(%q) = %d on %s, want %d", step, name, got, s.URL, want)
					}
				}
			}
		}
		check("start")
		hits := a.App.Counts.Hits.Load()
		check("again")
		// Cached: no filter, and the searches shorter than a trigram, which
		// the database counts by scanning (the others count an id list).
		if a.App.Counts.Hits.Load()-hits != 3 {
			t.Fatalf("repeated counts were not answered from the cache: %d hits", a.App.Counts.Hits.Load()-hits)
		}
		create := func(s *testserver.Server, name string) string {
			r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": name, "type": "READ_ONLY"}})
			return r.Str("createAPIToken.apiToken.id")
		}
		id := create(b, "Alpha Beta")
		check("create on b")
		create(a, "alphabet soup")
		check("create on a")
		b.MustDo(t, b.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"name": "Zeta"}})
		check("rename out of the filter on b")
		a.MustDo(t, a.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"name": "Alpha BEta 2"}})
		check("rename into the filter on a")
		b.MustDo(t, b.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": id})
		check("delete on b")
		// Written straight through ent, outside any transaction.
		other := a.Store
		p := other.Client.Persona.Create().SetName("raw persona").SaveX(context.Background())
		other.Client.APIToken.Create().SetName("alpha raw").SetNameFold("alpha raw").SetCode("alpha-raw").
			SetType(apitoken.TypeREAD_ONLY).SetSecretHash(strings.Repeat("ab", 32)).SetHint("lk_raw…").
			SetExpiresSort(tokenstatus.ExpirySortKey(nil)).
			SetPersona(p).SaveX(context.Background())
		check("create outside a transaction")
		n := other.Client.APIToken.Delete().Where(apitoken.NameFold("alpha raw")).ExecX(context.Background())
		if n != 1 {
			t.Fatalf("deleted %d", n)
		}
		check("delete outside a transaction")
	})
}

// A stateful property test: random creates, renames and deletes on two
// instances, each followed by list counts under random filters on both; the
// count always equals the database's (fixed seed, so a failure replays).
func TestTokenCountCacheProperty(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		a := testserver.New(t, dialect)
		b := a.Another(t)
		a.App.Counts.MinRows, b.App.Counts.MinRows = 0, 0
		servers := []*testserver.Server{a, b}
		words := []string{"red", "green", "blue", "RED fox", "Green"}
		filters := []string{"", "red", "green", "blue", "fox", "e", "zz"}
		rng := rand.New(rand.NewSource(12))
		var ids []string
		for step := range 60 {
			s := servers[rng.Intn(2)]
			name := fmt.Sprintf("%s %d", words[rng.Intn(len(words))], step)
			switch op := rng.Intn(4); {
			case op <= 1 || len(ids) == 0:
				r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": name, "type": "READ_ONLY"}})
				ids = append(ids, r.Str("createAPIToken.apiToken.id"))
			case op == 2:
				s.MustDo(t, s.Admin, updateToken, map[string]any{"id": ids[rng.Intn(len(ids))], "input": map[string]any{"name": name}})
			default:
				i := rng.Intn(len(ids))
				s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": ids[i]})
				ids = append(ids[:i], ids[i+1:]...)
			}
			for range 3 {
				reader := servers[rng.Intn(2)]
				f := filters[rng.Intn(len(filters))]
				if got, want := totalCount(t, reader, f), truth(t, reader, f); got != want {
					t.Fatalf("step %d: totalCount(%q) = %d, want %d", step, f, got, want)
				}
			}
		}
		if a.App.Counts.Hits.Load()+b.App.Counts.Hits.Load() == 0 {
			t.Fatal("the cache was never used")
		}
	})
}
