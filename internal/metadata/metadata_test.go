package metadata_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/metadata"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`{"b":1,"a":"x"}`, `{"a":"x","b":1}`, true},
		{` { "n" : 1.50e3 } `, `{"n":1.50e3}`, true},
		{`{}`, ``, true},
		{`{"a":{"b":{"c":{"d":{"e":1}}}}}`, `{"a":{"b":{"c":{"d":{"e":1}}}}}`, true},
		{`{"a":{"b":{"c":{"d":{"e":{}}}}}}`, ``, false},
		{`{"a":[[[[1]]]]}`, `{"a":[[[[1]]]]}`, true},
		{`{"a":[[[[[1]]]]]}`, ``, false},
		{`[]`, ``, false},
		{`null`, ``, false},
		{`"x"`, ``, false},
		{`{"a":1} {"b":2}`, `{"a":1}`, true}, // only the first value: the GraphQL layer sends one
		{`{`, ``, false},
		{`{"":1}`, ``, false},
	} {
		got, err := metadata.Check(metadata.JSON(c.in))
		if (err == nil) != c.ok || (c.ok && string(got) != c.want) {
			t.Errorf("Check(%s) = %s, %v; want %s, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestExternalID(t *testing.T) {
	for id, ok := range map[string]bool{
		"cus_123": true, "auth0|5f7c": true, "user@example.com": true, "a/b:c=d+e": true, strings.Repeat("x", 255): true,
		"": false, "a b": false, "tab\there": false, "ü": false, strings.Repeat("x", 256): false, "a\x7f": false,
	} {
		if err := metadata.CheckExternalID(id); (err == nil) != ok {
			t.Errorf("CheckExternalID(%q) = %v", id, err)
		}
	}
}

// FuzzCheck: Check never panics; what it accepts is a canonical JSON
// object within the limits, accepted again unchanged, and its header
// decodes back to it.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"z":[1,{"y":null}],"a":"\u00e9<>"}`, `[]`, `{"n":1e400}`, `{"n":-0.0}`, `{"a":"\ud800"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := metadata.Check(metadata.JSON(in))
		if err != nil || out == "" {
			return
		}
		if len(out) > metadata.MaxBytes {
			t.Fatalf("accepted %d bytes", len(out))
		}
		var obj map[string]any
		if json.Unmarshal([]byte(out), &obj) != nil || obj == nil {
			t.Fatalf("accepted %q, not a JSON object", out)
		}
		again, err := metadata.Check(out)
		if err != nil || again != out {
			t.Fatalf("not canonical: %q → %q (%v)", out, again, err)
		}
		h, omitted := metadata.Header(out)
		if omitted {
			if len(out) <= metadata.MaxHeaderBytes*3/4 {
				t.Fatalf("omitted %d bytes", len(out))
			}
			return
		}
		if b, err := base64.RawURLEncoding.DecodeString(h); err != nil || string(b) != string(out) || len(h) > metadata.MaxHeaderBytes {
			t.Fatalf("header %q does not round-trip", h)
		}
	})
}
