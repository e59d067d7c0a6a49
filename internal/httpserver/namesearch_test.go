package httpserver_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// nameRunes are what the random names and searches are made of: letters
// whose case folding is not ASCII's (ß, ẞ, ı, İ, ǅ, K the Kelvin sign, the
// ligature ﬃ), accents, other scripts, an emoji, and LIKE's and escaping's
// special characters.
var nameRunes = []rune("abcAB ťTéÉeßẞıİiǅKkﬃf日本😀%_\\'\"x0")

func randomText(r *rand.Rand, min, max int) string {
	n := min + r.Intn(max-min+1)
	var b strings.Builder
	for range n {
		b.WriteRune(nameRunes[r.Intn(len(nameRunes))])
	}
	return b.String()
}

const searchPage = `query($w: APITokenWhereInput, $first: Int, $after: Cursor) {
	apiTokens(first: $first, after: $after, where: $w) {
		totalCount pageInfo { hasNextPage endCursor } edges { node { id name } } } }`

const lastPage = `query($w: APITokenWhereInput) { apiTokens(last: 5, where: $w) { edges { node { id } } } }`

// The name search answers exactly what a brute-force filter over the
// tokens' names does (fold both, then a substring test, byte for byte),
// on both databases, through the handler, while tokens are created,
// renamed and deleted in random order on two instances sharing the
// database: the set, totalCount, the NAME order page by page, and the last
// page read backwards. 1 100
// tokens share common trigrams ("tok", "en "), so searches made only of
// those scan the name index while rarer ones read the trigram table; short
// searches (under three runes) always scan.
func TestNameSearchMatchesBruteForce(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		a := testserver.New(t, dialect, testserver.Quiet())
		b := a.Another(t)
		benchSeedTokens(t, a.Store.Client, 1100, 1100)
		names := map[string]string{} // id → name, what the database should hold
		all, err := a.Store.Client.APIToken.Query().All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range all {
			names[tok.ID] = tok.Name
		}
		var mine []string // ids of the tokens this test made (renamed and deleted at random)
		r := rand.New(rand.NewSource(20261124))
		instance := func() *testserver.Server {
			if r.Intn(2) == 0 {
				return a
			}
			return b
		}
		// search picks a search text: a piece of a live name with its case
		// changed here and there, random text, or a special one.
		search := func() string {
			switch r.Intn(4) {
			case 0, 1:
				ids := mine
				if len(ids) == 0 || r.Intn(3) == 0 {
					ids = nil
					for id := range names {
						ids = append(ids, id)
					}
					sort.Strings(ids)
				}
				name := []rune(names[ids[r.Intn(len(ids))]])
				from := r.Intn(len(name))
				to := from + 1 + r.Intn(len(name)-from)
				piece := []rune(string(name[from:to]))
				for i := range piece {
					if r.Intn(3) == 0 {
						piece[i] = []rune(strings.ToUpper(string(piece[i])))[0]
					}
				}
				return string(piece)
			case 2:
				return randomText(r, 1, 4)
			}
			return []string{"%", "_", "\\", "%_", "a%b", "TOK", "t", "ss", "SS", "ß", "ffi", "k", "İ", "en 0", "token 0005", "\\_", ""}[r.Intn(17)]
		}
		check := func(step string) {
			t.Helper()
			for range 3 {
				f := search()
				s := instance()
				var want []string
				for id, name := range names {
					if strings.Contains(admin.Fold(name), admin.Fold(f)) {
						want = append(want, id)
					}
				}
				sort.Slice(want, func(i, j int) bool {
					fi, fj := admin.Fold(names[want[i]]), admin.Fold(names[want[j]])
					return fi < fj || fi == fj && want[i] < want[j]
				})
				// Pages of 7 when there are few, one page of 1 000 otherwise.
				first := 1000
				if len(want) <= 60 {
					first = 7
				}
				var got []string
				var after any
				for {
					res := s.MustDo(t, s.Admin, searchPage, map[string]any{"w": map[string]any{"nameContainsFold": f}, "first": first, "after": after})
					if total := int(res.Get("apiTokens.totalCount").(float64)); total != len(want) {
						t.Fatalf("%s: search %q on %s: totalCount %d, want %d", step, f, s.URL, total, len(want))
					}
					for _, e := range res.Get("apiTokens.edges").([]any) {
						got = append(got, e.(map[string]any)["node"].(map[string]any)["id"].(string))
					}
					if res.Get("apiTokens.pageInfo.hasNextPage") != true {
						break
					}
					after = res.Get("apiTokens.pageInfo.endCursor")
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("%s: search %q on %s (pages of %d):\n got %d %v\nwant %d %v", step, f, s.URL, first, len(got), named(names, got), len(want), named(names, want))
				}
				// The last page, read backwards.
				res := s.MustDo(t, s.Admin, lastPage, map[string]any{"w": map[string]any{"nameContainsFold": f}})
				got = nil
				for _, e := range res.Get("apiTokens.edges").([]any) {
					got = append(got, e.(map[string]any)["node"].(map[string]any)["id"].(string))
				}
				if tail := want[max(0, len(want)-5):]; strings.Join(got, ",") != strings.Join(tail, ",") {
					t.Fatalf("%s: search %q on %s, last 5:\n got %v\nwant %v", step, f, s.URL, named(names, got), named(names, tail))
				}
			}
		}
		check("start")
		for step := range 120 {
			s := instance()
			switch op := r.Intn(10); {
			case op < 4 || len(mine) < 3: // create
				name := randomText(r, 1, 12)
				res := s.Do(t, s.Admin, createToken, map[string]any{"input": map[string]any{"name": name, "type": "READ_ONLY"}})
				if res.Code() != "" {
					continue // a name that folds like another one's, or not a valid name
				}
				id := res.Str("createAPIToken.apiToken.id")
				names[id], mine = name, append(mine, id)
			case op < 8: // rename
				id := mine[r.Intn(len(mine))]
				name := randomText(r, 1, 12)
				if r.Intn(3) == 0 { // a small change: the old and new names share trigrams
					name = names[id] + randomText(r, 1, 2)
				}
				res := s.Do(t, s.Admin, updateToken, map[string]any{"id": id, "input": map[string]any{"name": name}})
				if res.Code() != "" {
					continue
				}
				names[id] = name
			default: // delete
				i := r.Intn(len(mine))
				s.MustDo(t, s.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": mine[i]})
				delete(names, mine[i])
				mine = append(mine[:i], mine[i+1:]...)
			}
			check(fmt.Sprintf("step %d", step))
		}
	})
}

func named(names map[string]string, ids []string) string {
	var b bytes.Buffer
	for i, id := range ids {
		if i == 12 {
			b.WriteString(" …")
			break
		}
		fmt.Fprintf(&b, " %q", names[id])
	}
	return b.String()
}
