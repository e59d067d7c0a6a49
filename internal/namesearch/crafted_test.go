package namesearch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
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
			for start := 0; start < 1200; start += 400 {
				var q strings.Builder
				var args []any
				q.WriteString("INSERT INTO " + namesearch.Table + " (gram, token_id) VALUES ")
				for i := start; i < start+400; i++ {
					for _, gram := range grams {
						if len(args) > 0 {
							q.WriteString(", ")
						}
						q.WriteString("(?, ?)")
						args = append(args, []byte(gram), fmt.Sprintf("tok_fake%d_%05d", g, i))
					}
				}
				if dialect == "mysql" {
					q.WriteString(" ON DUPLICATE KEY UPDATE token_id = token_id")
				} else {
					q.WriteString(" ON CONFLICT DO NOTHING")
				}
				if _, err := st.DB.ExecContext(ctx, q.String(), args...); err != nil {
					t.Fatal(err)
				}
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
