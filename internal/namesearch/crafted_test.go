package namesearch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/namesearch"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// A text made of trigrams that many tokens hold, but never together, must
// not make the intersection read every row of one of them: on both
// databases every gram is counted first (up to a cap), and when all are
// that common the search scans the name index instead (scan is true).
// A text with a rare gram still takes the candidates. Results stay exact.
func TestCommonGramsNeverTogetherScan(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		url := "sqlite://" + filepath.Join(t.TempDir(), "lk.db")
		if dialect == "mysql" {
			url = testserver.MySQLDatabase(t)
		}
		ctx := context.Background()
		st := openStore(t, url)
		names := map[string]string{}
		for i, n := range []string{"abcdb one", "dbcda two", "abcdbcda three", "xyz"} {
			names[create(t, st.Client, i, n)] = n
		}
		// Make the grams of "abcdb" and of "dbcda" common: 1 200 more
		// holders each (ids of no token, as a large table would have).
		for g, grams := range [][]string{{"abc", "bcd", "cdb"}, {"dbc", "bcd", "cda"}} {
			ids := make([]string, 1200)
			for i := range ids {
				ids[i] = fmt.Sprintf("tok_fake%d_%05d", g, i)
			}
			if err := namesearch.InsertHolders(ctx, st.DB, st.Dialect, grams, ids); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			text string
			scan bool
		}{
			{"abcdbcda", true},        // every gram common, held together by one token only
			{"bcd", true},             // one common gram
			{"abcdbcda three", false}, // "thr" is rare: candidates
			{"xyz", false},
			{"qqq", false}, // a gram nobody holds: no candidates, nothing read
		} {
			p, scan, err := namesearch.Filter(ctx, st.Client, st.Dialect, c.text)
			if err != nil {
				t.Fatalf("%q: %v", c.text, err)
			}
			if scan != c.scan {
				t.Errorf("%q: scan %v, want %v", c.text, scan, c.scan)
			}
			got, err := st.Client.APIToken.Query().Where(p, apitoken.NameNEQ("Bootstrap")).IDs(ctx)
			if err != nil {
				t.Fatalf("%q: %v", c.text, err)
			}
			sameMatches(t, dialect, c.text, got, names)
		}
	})
}
