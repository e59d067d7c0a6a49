package namesearch_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/namesearch"
	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

func TestHostileTexts(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		urls := map[string]string{"sqlite": "sqlite://" + filepath.Join(t.TempDir(), "lk.db")}
		if dialect == "mysql" {
			urls = map[string]string{
				"default":       testserver.MySQLDatabase(t),
				"nobackslash":   testserver.MySQLDatabase(t) + "?sql_mode=%27NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES%27",
				"nointerpolate": testserver.MySQLDatabase(t) + "?interpolateParams=false",
			}
		}
		for label, url := range urls {
			ctx := context.Background()
			st, err := store.Open(url, "pepper")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var mode string
			if dialect == "mysql" {
				st.DB.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode)
			}
			t.Logf("%s: sql_mode %q", label, mode)
			names := map[string]string{}
			for i, n := range []string{`a'b"c\d`, `x\'y`, "nul\x00byte", "100% sure_thing", `back\\slash`, "plain name", `'); DROP TABLE api_tokens; --`, "aaaaaaaaaaaa", "aaab"} {
				id := create(t, st.Client, i, n)
				names[id] = strings.ToLower(n)
			}
			texts := []string{`'`, `"`, `\`, `\'`, `'b"c\`, `\\`, "\x00", "l\x00b", "%", "_", "% s", "e_t", `' OR '1'='1`, `'); DROP TABLE api_tokens; --`,
				strings.Repeat("a", 5), strings.Repeat("aa", 50), strings.Repeat(`\'`, 40), "aaab", "", "a", strings.Repeat("x", 5000)}
			for _, f := range texts {
				p, _, err := namesearch.Filter(ctx, st.Client, st.Dialect, f)
				if err != nil {
					t.Errorf("%s: %q: %v", label, f, err)
					continue
				}
				got, err := st.Client.APIToken.Query().Where(p, apitoken.NameNEQ("Bootstrap")).IDs(ctx)
				if err != nil {
					t.Errorf("%s: %q: %v", label, f, err)
					continue
				}
				sameMatches(t, label, f, got, names)
			}
			if n, err := st.Client.APIToken.Query().Count(ctx); err != nil || n != len(names) {
				t.Errorf("%s: %d tokens left, %v", label, n, err)
			}
			st.Close()
		}
	})
}
