package httpserver_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// allowedNetworks: the client IP (by the trusted-proxy rule) must lie in
// one of them, IPv4 or IPv6; a spoofed X-Forwarded-For from an untrusted
// peer changes nothing.
func TestAllowedNetworks(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		behind := testserver.New(t, dialect, testserver.Config(func(c *config.Config) {
			c.TrustedProxies = []netip.Prefix{mustPrefix("127.0.0.1/32"), mustPrefix("::1/128")}
		}))
		sec, _ := policyToken(t, behind, "office", map[string]any{"allowedNetworks": []string{"10.0.0.0/8", "2001:db8::/32", "::1"}})
		xff := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
		cases := []struct {
			from   http.Header
			status int
		}{
			{xff("10.1.2.3"), 200},
			{xff("2001:db8:1::7"), 200},
			{xff("::ffff:10.9.9.9"), 200},
			{xff("192.0.2.1"), 403},
			{xff("2001:db9::1"), 403},
			{xff("10.1.2.3, 192.0.2.1"), 403}, // the nearest untrusted hop counts
			{nil, 403},                        // the proxy itself, 127.0.0.1
		}
		for _, c := range cases {
			res := forwardAuth(t, behind, sec, nil, c.from)
			if res.StatusCode != c.status || (c.status == 403 && res.Header.Get("X-Latchkey-Reason") != "IP_NOT_ALLOWED") {
				t.Errorf("from %v: %d %v", c.from, res.StatusCode, res.Header)
			}
			r := graphQLWith(t, behind, sec, `{ viewer { apiToken { id } } }`, c.from)
			if (c.status == 200) != (r.Status == 200) || (c.status == 403 && (r.Code() != "FORBIDDEN" || ext(r, "reason") != "IP_NOT_ALLOWED")) {
				t.Errorf("/graphql from %v: %d %s", c.from, r.Status, r.Raw)
			}
		}

		// Without trusted proxies, X-Forwarded-For is the client's own claim
		// (Another runs with the default settings: no trusted proxies).
		direct := behind.Another(t)
		if res := forwardAuth(t, direct, sec, nil, xff("10.1.2.3")); res.StatusCode != 403 {
			t.Fatalf("spoofed X-Forwarded-For to an instance trusting no proxy: %d", res.StatusCode)
		}
		plain := testserver.New(t, dialect)
		psec, _ := policyToken(t, plain, "office", map[string]any{"allowedNetworks": []string{"10.0.0.0/8"}})
		if res := forwardAuth(t, plain, psec, nil, xff("10.1.2.3")); res.StatusCode != 403 || res.Header.Get("X-Latchkey-Reason") != "IP_NOT_ALLOWED" {
			t.Fatalf("spoofed X-Forwarded-For from an untrusted peer: %d", res.StatusCode)
		}
		if status, ans, _ := verifyAPI(t, plain, map[string]any{"token": psec}, xff("10.1.2.3")); status != 200 || ans["code"] != "IP_NOT_ALLOWED" {
			t.Fatalf("/v1/verify with a spoofed X-Forwarded-For: %v", ans)
		}

		// IPv6 straight from the peer: a listener on ::1.
		ln, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		v6 := httptest.NewUnstartedServer(plain.App.Handler())
		v6.Listener.Close()
		v6.Listener = ln
		v6.Start()
		defer v6.Close()
		six := &testserver.Server{Server: v6, App: plain.App, Store: plain.Store, Clock: plain.Clock, Admin: plain.Admin}
		only6, _ := policyToken(t, plain, "v6", map[string]any{"allowedNetworks": []string{"::1/128"}})
		if res := forwardAuth(t, six, only6, nil, nil); res.StatusCode != 200 {
			t.Fatalf("from ::1 to a token allowing ::1: %d", res.StatusCode)
		}
		if res := forwardAuth(t, plain, only6, nil, nil); res.StatusCode != 403 {
			t.Fatalf("from 127.0.0.1 to a token allowing ::1: %d", res.StatusCode)
		}
	})
}

// notBefore: before it the token authenticates nothing; from it on, it
// works. Both conditions are shown by the admin API.
func TestNotBefore(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		at := s.Clock.Now().Add(time.Hour)
		sec, id := policyToken(t, s, "later", map[string]any{"notBefore": at.Format(time.RFC3339), "allowedNetworks": []string{"127.0.0.0/8", "::1"}})
		r := s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { notBefore allowedNetworks } } }`, map[string]any{"id": id})
		if r.Str("node.notBefore") != at.Format(time.RFC3339) || len(r.Get("node.allowedNetworks").([]any)) != 2 || r.Get("node.allowedNetworks").([]any)[1] != "::1/128" {
			t.Fatalf("admin API: %s", r.Raw)
		}
		if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 403 || res.Header.Get("X-Latchkey-Reason") != "NOT_YET_VALID" {
			t.Fatalf("before notBefore: %d", res.StatusCode)
		}
		s.Clock.Advance(time.Hour)
		if res := forwardAuth(t, s, sec, nil, nil); res.StatusCode != 200 {
			t.Fatalf("at notBefore: %d", res.StatusCode)
		}
	})
}
