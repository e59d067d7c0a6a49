package namesearch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/namesearch"
	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/tokenstatus"
)

func TestGrams(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"ab", nil},
		{"abc", []string{"abc"}},
		{"abcd", []string{"abc", "bcd"}},
		{"aaaa", []string{"aaa"}},
		{"日本語x", []string{"日本語", "本語x"}},
		{"a😀b%", []string{"a😀b", "😀b%"}},
	} {
		var got []string
		for _, g := range namesearch.Grams(c.in) {
			got = append(got, string(g))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Grams(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A database whose tokens predate the trigram table (or whose filling was
// cut short) is searched by scanning, exactly, until Migrate has filled
// the table; then narrow searches use it, still exactly.
func TestMigrateFillsOlderTokens(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		url := "sqlite://" + filepath.Join(t.TempDir(), "lk.db")
		if dialect == "mysql" {
			url = testserver.MySQLDatabase(t)
		}
		st := openStore(t, url)
		names := map[string]string{}
		for i := range 40 {
			name := fmt.Sprintf("%s svc %02d", []string{"Alpha", "beta", "GAMMA_x", "dé%lta"}[i%4], i)
			tok := create(t, st.Client, i, name)
			names[tok] = strings.ToLower(name)
		}
		searches := []string{"alpha svc 0", "svc 1", "a_x", "é%l", "ta svc", "gamma", "zzz", "pha", "a s"}
		check := func(step string, wantScan bool) {
			t.Helper()
			for _, f := range searches {
				p, scan, err := namesearch.Filter(ctx, st.Client, st.Dialect, f)
				if err != nil {
					t.Fatal(err)
				}
				if scan != wantScan {
					t.Errorf("%s: search %q: scan %v, want %v", step, f, scan, wantScan)
				}
				got, err := st.Client.APIToken.Query().Where(p, apitoken.NameNEQ("Bootstrap")).IDs(ctx)
				if err != nil {
					t.Fatal(err)
				}
				sameMatches(t, step, f, got, names)
			}
		}
		check("kept by the hook", false)
		if _, err := st.DB.ExecContext(ctx, "DELETE FROM "+namesearch.Table); err != nil {
			t.Fatal(err)
		}
		check("emptied", true)
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check("filled by Migrate", false)
	})
}

// openStore opens and migrates a store at url, closed when t ends.
func openStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(url, "pepper")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func create(t *testing.T, client *ent.Client, i int, name string) string {
	t.Helper()
	ctx := context.Background()
	p, err := client.Persona.Create().SetName(fmt.Sprintf("p%d", i)).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := client.APIToken.Create().SetName(name).SetNameFold(strings.ToLower(name)).
		SetCode(fmt.Sprintf("c%d", i)).SetType(apitoken.TypeREAD_ONLY).SetSecretHash(fmt.Sprintf("%064x", i)).
		SetHint("lk_x").SetExpiresSort(tokenstatus.ExpirySortKey(nil)).SetPersona(p).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// sameMatches checks a search's result against brute force: the tokens of
// names (id → folded name) whose folded name contains f.
func sameMatches(t *testing.T, label, f string, got []string, names map[string]string) {
	t.Helper()
	var want []string
	for id, fold := range names {
		if strings.Contains(fold, f) {
			want = append(want, id)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: search %q: %d tokens, want %d", label, f, len(got), len(want))
	}
}
