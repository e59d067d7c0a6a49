package auth_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// pair starts two instances on one new database of the dialect, as two
// replicas behind a load balancer, with the given settings.
func pair(t *testing.T, dialectName string, change func(*config.Config)) (a, b *testserver.Server) {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "lk.db")
	if dialectName == "mysql" {
		url = testserver.MySQLDatabase(t)
	}
	pepper, boot := "pepper-"+base62.Random(8), "negative-cache-bootstrap-"+base62.Random(20)
	if change == nil {
		change = func(*config.Config) {}
	}
	var err error
	for _, s := range []**testserver.Server{&a, &b} {
		if *s, err = testserver.OnDatabase(t, url, pepper, boot, testserver.RealClock(), testserver.Config(change)); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// verifyStatus asks s's /auth/verify about a secret.
func verifyStatus(t *testing.T, s *testserver.Server, secretValue string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/auth/verify?contentType=api-token&action=read", nil)
	req.Header.Set("Authorization", "Bearer "+secretValue)
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// eventually polls s until a secret verifies as want, for at most 1 s (the
// bound on a change reaching another instance).
func eventually(t *testing.T, s *testserver.Server, secretValue string, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		got := verifyStatus(t, s, secretValue)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: HTTP %d after 1 s; want %d", what, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func userSecret() string { return "user-chosen-secret-" + base62.Random(24) }

// An unknown well-formed secret asked twice costs one database lookup.
// When a token with exactly that secret is created (the API takes
// user-chosen secrets), the instance that created it accepts it at once and
// another instance within 1 s; a restore forgets refusals the same way.
func TestNegativeCache(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialectName string) {
		a, b := pair(t, dialectName, nil)
		sec := userSecret()
		for _, s := range []*testserver.Server{a, b} {
			before := s.App.Verifier.Lookups.Load()
			for i := 0; i < 3; i++ {
				if got := verifyStatus(t, s, sec); got != http.StatusUnauthorized {
					t.Fatalf("an unknown secret: HTTP %d", got)
				}
			}
			if n := s.App.Verifier.Lookups.Load() - before; n != 1 {
				t.Errorf("an unknown secret asked 3 times made %d database lookups; want 1", n)
			}
			if s.App.Verifier.NegativeHits.Load() != 2 {
				t.Errorf("negative hits: %d; want 2", s.App.Verifier.NegativeHits.Load())
			}
		}
		c := a.MustDo(t, a.Admin, createToken, map[string]any{"input": map[string]any{"name": "Chosen", "type": "READ_ONLY", "secret": sec}})
		id := c.Str("createAPIToken.apiToken.id")
		if got := verifyStatus(t, a, sec); got != http.StatusOK {
			t.Errorf("the creating instance refuses the new secret: HTTP %d", got)
		}
		eventually(t, b, sec, http.StatusOK, "another instance after the create")

		a.MustDo(t, a.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": id})
		eventually(t, b, sec, http.StatusUnauthorized, "another instance after the revoke")
		if got := verifyStatus(t, b, sec); got != http.StatusUnauthorized {
			t.Fatalf("revoked: HTTP %d", got)
		}
		a.MustDo(t, a.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": id})
		eventually(t, b, sec, http.StatusOK, "another instance after the restore")
	})
}

// A remembered miss is still a miss: it spends the client's failed-attempt
// budget like any other, so guessing is rate limited as before.
func TestNegativeCacheKeepsTheGuessBudget(t *testing.T) {
	a, _ := pair(t, "sqlite", func(c *config.Config) { c.AuthFailureBurst, c.AuthFailureRate = 3, 0.001 })
	sec := userSecret()
	for i := 0; i < 3; i++ {
		if got := verifyStatus(t, a, sec); got != http.StatusUnauthorized {
			t.Fatalf("guess %d: HTTP %d; want 401", i+1, got)
		}
	}
	if got := verifyStatus(t, a, sec); got != http.StatusTooManyRequests {
		t.Errorf("a guess past the budget: HTTP %d; want 429", got)
	}
	if n := a.App.Verifier.Lookups.Load(); n > 2 { // the bootstrap seed may have looked one up
		t.Errorf("%d lookups for one repeated secret", n)
	}
}

// A stateful model test (fixed seed): random creates with chosen secrets,
// revokes, restores, deletes and verifications on two instances. The model
// is the set of secrets that authenticate. A verification on the instance
// that made the last change agrees with the model at once; on the other
// within 1 s; and once both agree, every later verification agrees until
// the next change: a negative entry never hides a secret that works, and a
// positive one never keeps one that does not.
func TestNegativeCacheModel(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialectName string) {
		a, b := pair(t, dialectName, nil)
		inst := []*testserver.Server{a, b}
		rng := rand.New(rand.NewPCG(8, 6))
		type token struct {
			id      string
			revoked bool
		}
		pool := []string{userSecret(), userSecret(), userSecret()}
		tokens := map[string]*token{} // by secret; absent: no token has it
		want := func(sec string) int {
			if t, ok := tokens[sec]; ok && !t.revoked {
				return http.StatusOK
			}
			return http.StatusUnauthorized
		}
		for step := 0; step < 60; step++ {
			sec := pool[rng.IntN(len(pool))]
			on, other := inst[rng.IntN(2)], (*testserver.Server)(nil)
			if on == a {
				other = b
			} else {
				other = a
			}
			tok := tokens[sec]
			var what string
			switch op := rng.IntN(5); {
			case op == 0 && tok == nil:
				c := on.MustDo(t, on.Admin, createToken, map[string]any{"input": map[string]any{"name": fmt.Sprintf("model %d", step), "type": "READ_ONLY", "secret": sec}})
				tokens[sec] = &token{id: c.Str("createAPIToken.apiToken.id")}
				what = "create"
			case op == 1 && tok != nil && !tok.revoked:
				on.MustDo(t, on.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": tok.id})
				tok.revoked, what = true, "revoke"
			case op == 2 && tok != nil && tok.revoked:
				on.MustDo(t, on.Admin, `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": tok.id})
				tok.revoked, what = false, "restore"
			case op == 3 && tok != nil:
				on.MustDo(t, on.Admin, `mutation($id: ID!) { deleteAPIToken(id: $id) }`, map[string]any{"id": tok.id})
				delete(tokens, sec)
				what = "delete"
			default: // verifications only: the caches fill, positively and negatively
				for _, s := range pool {
					for _, i := range inst {
						if got := verifyStatus(t, i, s); got != want(s) {
							t.Fatalf("step %d: a settled verification: HTTP %d; want %d", step, got, want(s))
						}
					}
				}
				continue
			}
			if got := verifyStatus(t, on, sec); got != want(sec) {
				t.Fatalf("step %d: after %s, the instance that made it answers %d; want %d", step, what, got, want(sec))
			}
			eventually(t, other, sec, want(sec), fmt.Sprintf("step %d: the other instance after %s", step, what))
		}
	})
}
