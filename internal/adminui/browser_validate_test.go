package adminui_test

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// validateSource is web/src/validate.ts, the forms' own checks, as the
// build writes it for this test (a script defining latchkeyValidate).
//
//go:embed testdata/validate.js
var validateSource string

// Pieces of generated text: letters of several scripts, digits, hyphens,
// astral characters, and the edge cases of trimming and of invisible
// characters (Go's white space is not JavaScript's: U+0085 is space to Go,
// U+FEFF is to JavaScript).
var pieces = []string{"a", "Z", "7", " ", "-", "é", "ß", "Ж", "中", "😀", "\u200b", "\u00ad", "\ufeff", "\u0085", "\u00a0",
	"\u3000", "\u2800", "\ufe0f", "\u0301", "\t", "\n", "\x01", "\x7f", "\u3164", "\u061c", "\u180e", "\u2028", "_", "A", "0"}

// text is n pieces, mostly "a" (so lengths land near the limits), the rest random.
func text(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		if r.IntN(4) == 0 {
			b.WriteString(pieces[r.IntN(len(pieces))])
		} else {
			b.WriteString("a")
		}
	}
	return b.String()
}

// around is n plus or minus a little: lengths at and beside a limit.
func around(r *rand.Rand, limits ...int) int {
	return max(0, limits[r.IntN(len(limits))]+r.IntN(5)-2)
}

// verdicts runs check (a JavaScript function of a value) on every value in the page.
func (e *browserEnv) verdicts(t *testing.T, check string, values []string) []string {
	t.Helper()
	return run(t, e, chromedp.Evaluate[[]string](fmt.Sprintf(`%s.map(%s)`, mustJSON(values), check)))
}

// refusedOn tells whether the server refused the mutation as bad input on
// field: other outcomes (success, a name already taken) pass the rules the
// browser mirrors.
func refusedOn(t *testing.T, r gqlResult, field string) bool {
	t.Helper()
	for _, err := range r.Errors {
		if err.Extensions["code"] == "BAD_USER_INPUT" && err.Extensions["field"] == field {
			return true
		}
		if c := err.Extensions["code"]; c != "CONFLICT" {
			t.Fatalf("unexpected error on %s: %s %v", field, err.Message, c)
		}
	}
	return false
}

// testChecksMirrorTheServer: on generated values (fixed seed), the forms'
// own checks refuse exactly what the server refuses as bad input for
// names, descriptions, codes and secrets of one's own, and never refuse an
// avatar URL or an lk_ secret the server accepts (the server's URL parser
// and checksum are not mirrored, so there the browser may let through what
// the server then refuses, never the other way round).
func testChecksMirrorTheServer(t *testing.T, e *browserEnv) {
	e.do(t, chromedp.Evaluate[chromedp.Void](validateSource+"\n;undefined"))
	r := rand.New(rand.NewPCG(11, 2026))
	var persona struct{ CreatePersona struct{ ID string } }
	e.mustGraphQL(t, e.boot, `mutation { createPersona(input: {name: "Scratch persona"}) { id } }`, nil, &persona)
	var token struct {
		CreateAPIToken struct{ APIToken struct{ ID string } }
	}
	e.mustGraphQL(t, e.boot, `mutation { createAPIToken(input: {name: "Scratch token", type: READ_ONLY}) { apiToken { id } } }`, nil, &token)
	defer e.deleteTokens(t, "Scratch token")
	updatePersona := func(input map[string]any) gqlResult {
		return e.graphql(t, e.boot, `mutation($id: ID!, $in: UpdatePersonaInput!) { updatePersona(id: $id, input: $in) { id } }`,
			map[string]any{"id": persona.CreatePersona.ID, "in": input})
	}

	type rule struct {
		name, check string
		values      []string
		server      func(v string) bool // refused as bad input
		exact       func(v string) bool // whether browser and server must agree (else: browser refusal implies server refusal)
	}
	var names, descriptions, codes, avatars, secrets []string
	for range 160 {
		names = append(names, text(r, around(r, 0, 1, 3, 100, 101)))
	}
	// Lengths count characters: 100 Cyrillic letters (200 bytes) fit, 101 do not.
	names = append(names, strings.Repeat("Ж", 60), strings.Repeat("Ж", 100), strings.Repeat("Ж", 101), strings.Repeat("中", 100))
	for range 15 {
		descriptions = append(descriptions, text(r, around(r, 1000, 1001)), " "+strings.Repeat("a", around(r, 1000))+"\u0085")
	}
	descriptions = append(descriptions, "", strings.Repeat("é", 500), strings.Repeat("é", 501))
	slugPieces := []string{"a", "b", "0", "9", "-", "--", "A", " ", "_", "é"}
	for range 100 {
		var b strings.Builder
		for n := r.IntN(6); n >= 0; n-- {
			b.WriteString(slugPieces[r.IntN(len(slugPieces))])
		}
		codes = append(codes, b.String())
	}
	for _, n := range []int{99, 100, 101} {
		codes = append(codes, strings.Repeat("a", n), strings.Repeat("ab-", n/3)+"z")
	}
	schemes := []string{"https", "http", "HTTPS", "ftp", "", "javascript"}
	seps := []string{"://", ":", ":/", ":///"}
	users := []string{"", "", "", "u@", "u:p@", "@"}
	hosts := []string{"example.com", "example.com", "", "exa mple.com", "[::1]", "h:443", ":443", "ho\x00st"}
	paths := []string{"", "/a.png", "?q", "#f", "/" + strings.Repeat("é", 1020), "/" + strings.Repeat("a", 2030)}
	for range 100 {
		u := schemes[r.IntN(len(schemes))] + seps[r.IntN(len(seps))] + users[r.IntN(len(users))] + hosts[r.IntN(len(hosts))] + paths[r.IntN(len(paths))]
		if r.IntN(5) == 0 {
			u = pieces[r.IntN(len(pieces))] + u + pieces[r.IntN(len(pieces))]
		}
		avatars = append(avatars, u)
	}
	printable := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('!' + r.IntN('~'-'!'+1)))
		}
		return b.String()
	}
	for _, n := range []int{0, 31, 32, 33, 255, 256, 257} {
		s := printable(n)
		secrets = append(secrets, s)
		if n > 2 {
			secrets = append(secrets, s[:n/2]+" "+s[n/2+1:], s[:n-1]+"é", "lk_"+printable(n))
		}
	}
	base62 := "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for range 4 {
		var b strings.Builder
		b.WriteString("lk_")
		for range 46 {
			b.WriteByte(base62[r.IntN(62)])
		}
		secrets = append(secrets, b.String())
	}

	always := func(string) bool { return true }
	rules := []rule{
		{"persona and token names", `(v) => latchkeyValidate.checkName("Name", v)`, names, func(v string) bool { return refusedOn(t, updatePersona(map[string]any{"name": v}), "name") }, always},
		{"descriptions", `latchkeyValidate.checkDescription`, descriptions, func(v string) bool {
			return refusedOn(t, updatePersona(map[string]any{"description": v}), "description")
		}, always},
		{"avatar URLs", `latchkeyValidate.checkAvatarURL`, avatars, func(v string) bool { return refusedOn(t, updatePersona(map[string]any{"avatarURL": v}), "avatarURL") }, func(string) bool { return false }},
		{"token codes", `(v) => latchkeyValidate.checkSlug("Code", v, 100)`, codes, func(v string) bool {
			return refusedOn(t, e.graphql(t, e.boot, `mutation($id: ID!, $c: String!) { updateAPIToken(id: $id, input: {code: $c}) { id } }`,
				map[string]any{"id": token.CreateAPIToken.APIToken.ID, "c": v}), "code")
		}, always},
		{"secrets of one's own", `latchkeyValidate.checkSecret`, secrets, func(v string) bool {
			res := e.graphql(t, e.boot, `mutation($s: String!) { createAPIToken(input: {name: "Own secret check", type: READ_ONLY, secret: $s}) { apiToken { id } } }`, map[string]any{"s": v})
			refused := refusedOn(t, res, "secret")
			e.deleteTokens(t, "Own secret check")
			return refused
		}, func(v string) bool { return !strings.HasPrefix(v, "lk_") }},
	}
	for _, ru := range rules {
		got := e.verdicts(t, ru.check, ru.values)
		refusals := 0
		for i, v := range ru.values {
			browser, server := got[i] != "", ru.server(v)
			if browser {
				refusals++
			}
			switch {
			case browser && !server:
				t.Errorf("%s: the browser refuses %q (%s), which the server accepts", ru.name, v, got[i])
			case server && !browser && ru.exact(v):
				t.Errorf("%s: the server refuses %q as bad input, which the browser lets through", ru.name, v)
			}
		}
		// The generated values must exercise both sides of the rule.
		if refusals == 0 || refusals == len(ru.values) {
			t.Errorf("%s: the browser refuses %d of %d generated values; the generator misses a side", ru.name, refusals, len(ru.values))
		}
	}
}
