package playground_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/playground"
	"github.com/latchkeyhq/latchkey/internal/webassets/webassetstest"
)

func TestHandler(t *testing.T) {
	h := playground.Handler()
	for _, page := range []string{playground.Path, playground.Path + "/"} {
		if index := webassetstest.Served(t, h, page); !strings.Contains(index, `<div id="playground">`) {
			t.Fatalf("%s has no playground root:\n%s", page, index)
		}
	}
	// One page, no router: nothing else below it but its assets.
	if res, _ := webassetstest.Get(t, h, playground.Path+"/nope"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("%s/nope: status %d, want 404", playground.Path, res.StatusCode)
	}
}
