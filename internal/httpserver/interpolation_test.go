package httpserver_test

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// On MySQL, query parameters are interpolated into the statement by the
// driver (internal/store MySQLDSN) instead of sent beside a prepared one.
// Values that SQL quoting cares about must still arrive, be found and come
// back byte for byte, under both quoting modes of the server (backslash
// escapes on, and NO_BACKSLASH_ESCAPES), in names, descriptions, filters and
// user-supplied secrets.
func TestInterpolatedParametersRoundTrip(t *testing.T) {
	if os.Getenv("LATCHKEY_TEST_MYSQL_DSN") == "" {
		t.Skip("set LATCHKEY_TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/ to run")
	}
	hostile := []string{
		`O'Brien "quoted" \ back\slash`,
		`end with backslash \`,
		`\' OR 1=1 -- x`,
		`?? placeholders ? in ?`,
		`percent % and _underscore_`,
		"snowman ☃ bomb 💥 umlaut ü",
		`/* comment */ # hash`,
		"`backtick` and ''doubled''",
	}
	for _, mode := range []string{"default", "NO_BACKSLASH_ESCAPES"} {
		t.Run(mode, func(t *testing.T) {
			dbURL := testserver.MySQLDatabase(t)
			if mode != "default" {
				dbURL += "?sql_mode=" + url.QueryEscape("CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
			}
			s := testserver.New(t, "mysql", testserver.DatabaseURL(dbURL))
			var modeNow string
			if err := s.Store.DB.QueryRow("SELECT @@SESSION.sql_mode").Scan(&modeNow); err != nil {
				t.Fatal(err)
			}
			if (mode != "default") != strings.Contains(modeNow, "NO_BACKSLASH_ESCAPES") {
				t.Fatalf("sql_mode %q in mode %s", modeNow, mode)
			}
			for i, name := range hostile {
				secret := fmt.Sprintf(`it's\"a\\%%_?/*secret*/-%d-0123456789abcdefghij\`, i)
				r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": map[string]any{
					"name": name, "description": name, "type": "READ_ONLY", "secret": secret,
				}})
				if got := r.Str("createAPIToken.apiToken.name"); got != name {
					t.Fatalf("token %d: name %q came back as %q", i, name, got)
				}
				// The secret authenticates (its hash was stored and looked up).
				v := s.MustDo(t, secret, `{ viewer { apiToken { name description } } }`, nil)
				if v.Str("viewer.apiToken.name") != name || v.Str("viewer.apiToken.description") != name {
					t.Fatalf("token %d: viewer answers %s", i, v.Raw)
				}
				// The name filter finds exactly this token.
				l := s.MustDo(t, s.Admin, `query($w: APITokenWhereInput) { apiTokens(where: $w) { totalCount edges { node { name } } } }`,
					map[string]any{"w": map[string]any{"nameContainsFold": name}})
				if l.Get("apiTokens.totalCount") != float64(1) || names(l)[0] != name {
					t.Fatalf("token %d: filter %q answers %s", i, name, l.Raw)
				}
				// So does the exact secret filter, and nothing else matches it.
				e := s.MustDo(t, s.Admin, `query($w: APITokenWhereInput) { apiTokens(where: $w) { totalCount edges { node { name } } } }`,
					map[string]any{"w": map[string]any{"secret": secret}})
				if e.Get("apiTokens.totalCount") != float64(1) || names(e)[0] != name {
					t.Fatalf("token %d: secret filter answers %s", i, e.Raw)
				}
			}
			if n := s.Count(t, "api_tokens"); n != len(hostile)+1 {
				t.Fatalf("%d tokens, want %d", n, len(hostile)+1)
			}
		})
	}
}
