package namesearch_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/namesearch"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// charset=latin1 is one of the connection character sets README calls
// sound. Non-ASCII names must still be found.
func TestLatin1Connection(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		if dialect != "mysql" {
			t.Skip("MySQL only")
		}
		ctx := context.Background()
		url := testserver.MySQLDatabase(t) + "?charset=latin1"
		st := openStore(t, url)
		id := create(t, st.Client, 1, "Café Déjà vu")
		back, _ := st.Client.APIToken.Get(ctx, id)
		t.Logf("stored name round-trips as %q", back.Name)
		for _, f := range []string{"café", "é", "déjà", "caf"} {
			p, scan, err := namesearch.Filter(ctx, st.Client, st.Dialect, f)
			if err != nil {
				t.Fatal(err)
			}
			n, err := st.Client.APIToken.Query().Where(p, apitoken.ID(id)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			old, _ := st.Client.APIToken.Query().Where(apitoken.NameFoldContains(f), apitoken.ID(id)).Count(ctx)
			t.Logf("search %q: scan=%v new=%d old(LIKE)=%d", f, scan, n, old)
			if n != 1 {
				t.Errorf("search %q (scan %v) misses %q; the LIKE of the previous version found it: %d", f, scan, "café déjà vu", old)
			}
		}
	})
}

// A text longer than any folded name matches nothing, and its trigrams are
// never computed (a 1 MiB text would have cost tens of MB).
func TestLongerThanAnyName(t *testing.T) {
	s := testserver.New(t, "sqlite")
	ctx := context.Background()
	name := strings.Repeat("abcdefgh", 12)
	id := create(t, s.Store.Client, 1, name)
	for _, f := range []string{name, strings.Repeat(name, 5)[:401]} {
		p, _, err := namesearch.Filter(ctx, s.Store.Client, s.Store.Dialect, f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.Store.Client.APIToken.Query().Where(p, apitoken.ID(id)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[f == name]; n != want {
			t.Errorf("text of %d bytes: %d matches, want %d", len(f), n, want)
		}
	}
	allocs := testing.AllocsPerRun(5, func() {
		_, _, _ = namesearch.Filter(ctx, s.Store.Client, s.Store.Dialect, strings.Repeat("xyz", 1<<18))
	})
	if allocs > 5 {
		t.Errorf("a long text allocated %v times", allocs)
	}
}
