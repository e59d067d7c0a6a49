package httpserver_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// /auth/verify sends X-Latchkey-Credits-Remaining only when the auth URL
// asks with credits=1 (or true); a malformed value is the gateway's
// misconfiguration: 400, and nothing is spent.
func TestVerifyCreditsHeaderOptIn(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		sec, _ := policyToken(t, s, "credits-header", map[string]any{"credits": map[string]any{"remaining": 10}})
		res := forwardAuth(t, s, sec, nil, nil)
		if res.StatusCode != http.StatusOK || res.Header.Get("X-Latchkey-Credits-Remaining") != "" {
			t.Fatalf("default: %d %v", res.StatusCode, res.Header)
		}
		if res.Header.Get("RateLimit-Limit") != "" {
			t.Fatalf("a token without limits got RateLimit headers: %v", res.Header)
		}
		for _, on := range []string{"1", "true"} {
			before := remainingLeft(t, s, sec)
			res = forwardAuth(t, s, sec, url.Values{"credits": {on}}, nil)
			if res.StatusCode != http.StatusOK || res.Header.Get("X-Latchkey-Credits-Remaining") != itoa(before-1) {
				t.Fatalf("credits=%s with %v left: %d %v", on, before, res.StatusCode, res.Header)
			}
		}
		for _, off := range []string{"0", "false"} {
			if res = forwardAuth(t, s, sec, url.Values{"credits": {off}}, nil); res.StatusCode != http.StatusOK || res.Header.Get("X-Latchkey-Credits-Remaining") != "" {
				t.Fatalf("credits=%s: %d %v", off, res.StatusCode, res.Header)
			}
		}
		before := remainingLeft(t, s, sec)
		for _, bad := range []string{"yes", "2", "TRUE ", "-1"} {
			res = forwardAuth(t, s, sec, url.Values{"credits": {bad}}, nil)
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Latchkey-Error") == "" {
				t.Fatalf("credits=%q: %d %v", bad, res.StatusCode, res.Header)
			}
		}
		if after := remainingLeft(t, s, sec); after != before {
			t.Fatalf("refused requests spent credits: %v → %v", before, after)
		}
	})
}

// remainingLeft is the token's credits as the next answer would count them:
// a verification with credits=1 and cost 0 spends nothing.
func remainingLeft(t *testing.T, s *testserver.Server, secret string) int {
	t.Helper()
	res := forwardAuth(t, s, secret, url.Values{"credits": {"1"}, "cost": {"0"}}, nil)
	n, err := strconv.Atoi(res.Header.Get("X-Latchkey-Credits-Remaining"))
	if res.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("reading the credits left: %d %v", res.StatusCode, res.Header)
	}
	return n
}
