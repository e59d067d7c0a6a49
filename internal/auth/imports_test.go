package auth

import (
	"go/build"
	"testing"
)

// Authentication must not depend on the package of mutations: the rules
// both read live in internal/tokenstatus and internal/authz.
func TestAuthDoesNotImportAdmin(t *testing.T) {
	const forbidden = "github.com/latchkeyhq/latchkey/internal/admin"
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		if seen[path] {
			return
		}
		seen[path] = true
		if path == forbidden {
			t.Fatalf("internal/auth imports %s (through %s)", forbidden, from)
		}
		pkg, err := build.Import(path, ".", 0)
		if err != nil || pkg.Goroot {
			return
		}
		for _, imp := range pkg.Imports {
			walk(imp, path)
		}
	}
	walk("github.com/latchkeyhq/latchkey/internal/auth", "")
	if !seen["github.com/latchkeyhq/latchkey/internal/tokenstatus"] {
		t.Fatalf("the import graph was not read (internal/tokenstatus not reached)")
	}
}
