package galeratest_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/galeratest"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const viewerQuery = `{ viewer { apiToken { id name } } }`

const createToken = `mutation($name: String!) { createAPIToken(input: {name: $name, type: READ_ONLY}) { secret apiToken { id } } }`

// startAll starts one instance per URL at the same instant, all sharing a
// pepper and a Bootstrap secret, as a rolling deploy onto a new database would.
func startAll(t *testing.T, urls []string) []*testserver.Server {
	t.Helper()
	pepper := "test-pepper-" + base62.Random(16)
	boot := "test-bootstrap-secret-" + base62.Random(24)
	servers := make([]*testserver.Server, len(urls))
	errs := make([]error, len(urls))
	var ready, wg sync.WaitGroup
	ready.Add(1)
	for i, url := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Wait()
			servers[i], errs[i] = testserver.OnDatabase(t, url, pepper, boot, testserver.RealClock(), testserver.Quiet())
		}()
	}
	began := time.Now()
	ready.Done()
	wg.Wait()
	t.Logf("%d instances migrated and seeded in %s", len(urls), time.Since(began))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d did not start: %v", i, err)
		}
	}
	return servers
}

func readyz(t *testing.T, s *testserver.Server) (int, string) {
	t.Helper()
	res, err := s.Client().Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(body))
}

// checkStarted asserts that every instance serves and that exactly one
// Bootstrap token was made between them.
func checkStarted(t *testing.T, servers []*testserver.Server) {
	t.Helper()
	for i, s := range servers {
		if code, body := readyz(t, s); code != http.StatusOK {
			t.Errorf("instance %d /readyz: %d %s", i, code, body)
		}
		s.MustDo(t, s.Admin, viewerQuery, nil)
	}
	var n int
	if err := servers[0].Store.DB.QueryRow("SELECT COUNT(*) FROM api_tokens WHERE name = 'Bootstrap'").Scan(&n); err != nil || n != 1 {
		t.Errorf("Bootstrap tokens: %d, %v", n, err)
	}
}

func TestConcurrentStart(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		url := "sqlite://" + filepath.Join(t.TempDir(), "latchkey.db")
		checkStarted(t, startAll(t, []string{url, url, url}))
	})
	t.Run("mysql", func(t *testing.T) {
		if os.Getenv("LATCHKEY_TEST_MYSQL_DSN") == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("LATCHKEY_TEST_MYSQL_DSN must be set in CI")
			}
			t.Skip("set LATCHKEY_TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/ to run on MySQL")
		}
		url := testserver.MySQLDatabase(t)
		checkStarted(t, startAll(t, []string{url, url, url}))
	})
	t.Run("galera", func(t *testing.T) {
		c := galeratest.Shared(t)
		db := c.Database(t)
		checkStarted(t, startAll(t, nodeURLs(c, db)))
	})
}

func nodeURLs(c *galeratest.Cluster, db string) []string {
	var urls []string
	for _, n := range c.Nodes {
		urls = append(urls, n.URL(db))
	}
	return urls
}

// TestReadAfterWrite creates a token on one node's instance and uses it at
// once on the others, counting refusals. Galera replicates synchronously but
// applies asynchronously, so without causal reads a fresh token is refused
// now and then. Latchkey reads causally where it matters (verification,
// mutations) on its own; wsrep_sync_wait in the URL makes every read causal,
// and wsrep_sync_wait=0 opts out.
func TestReadAfterWrite(t *testing.T) {
	c := galeratest.Shared(t)
	for _, tc := range []struct {
		name, params string
		want0        bool
	}{
		{"default", "", true},
		{"wsrep_sync_wait=1", "?wsrep_sync_wait=1", true},
		{"wsrep_sync_wait=0", "?wsrep_sync_wait=0", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var urls []string
			for _, u := range nodeURLs(c, c.Database(t)) {
				urls = append(urls, u+tc.params)
			}
			servers := startAll(t, urls)
			const rounds = 50
			refused := map[int]int{}
			for i := 0; i < rounds; i++ {
				a := servers[i%3]
				r := a.MustDo(t, a.Admin, createToken, map[string]any{"name": "raw-" + base62.Random(10)})
				secret := r.Str("createAPIToken.secret")
				for j := 1; j <= 2; j++ {
					b := (i + j) % 3
					if got := servers[b].Do(t, secret, viewerQuery, nil); got.Status != http.StatusOK || len(got.Errors) > 0 {
						refused[b]++
					}
				}
			}
			t.Logf("read-after-write refusals over %d tokens × 2 other nodes, by node: %v", rounds, refused)
			for node, n := range refused {
				if n > 0 && tc.want0 {
					t.Errorf("node %d refused %d fresh tokens", node, n)
				}
			}
		})
	}
}

// TestNodeCrash kills one node: the instances on the others keep serving;
// once the node has rejoined, its instance serves again.
func TestNodeCrash(t *testing.T) {
	c := galeratest.Shared(t)
	servers := startAll(t, nodeURLs(c, c.Database(t)))
	c.Nodes[2].Kill()
	for i, s := range servers[:2] {
		s.MustDo(t, s.Admin, viewerQuery, nil)
		s.MustDo(t, s.Admin, createToken, map[string]any{"name": "after-crash-" + base62.Random(6)})
		if code, body := readyz(t, s); code != http.StatusOK {
			t.Errorf("instance %d /readyz with node 2 down: %d %s", i, code, body)
		}
	}
	if code, body := readyz(t, servers[2]); code != http.StatusServiceUnavailable {
		t.Errorf("instance on the killed node /readyz: %d %s", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	began := time.Now()
	if err := c.Nodes[2].Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("node 2 rejoined in %s", time.Since(began))
	if code, body := readyz(t, servers[2]); code != http.StatusOK {
		t.Errorf("instance on the rejoined node /readyz: %d %s", code, body)
	}
	s := servers[2]
	s.MustDo(t, s.Admin, viewerQuery, nil)
	var n int
	if err := s.Store.DB.QueryRow("SELECT COUNT(*) FROM api_tokens WHERE name LIKE 'after-crash-%'").Scan(&n); err != nil || n != 2 {
		t.Errorf("rejoined node sees %d tokens made while it was down, %v", n, err)
	}
}

// TestNoQuorum leaves one node alone: its instance is not ready.
func TestNoQuorum(t *testing.T) {
	c := galeratest.Shared(t)
	servers := startAll(t, nodeURLs(c, c.Database(t)))
	c.Nodes[1].Pause()
	c.Nodes[2].Pause()
	t.Cleanup(func() { c.Heal(t) })
	// Galera notices the silence after evs.suspect_timeout (2 s here).
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := readyz(t, servers[0])
		if code == http.StatusServiceUnavailable {
			t.Logf("/readyz without quorum: %d %s", code, body)
			if !strings.Contains(body, "Galera") {
				t.Errorf("/readyz gives no reason: %q", body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz on a node without quorum still %d %s", code, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestRevocationAcrossNodes revokes a token through one node's instance
// while the instances on the other nodes have it cached, and measures how
// long until both refuse it: the change feed must bring it within 1 s with
// the default settings (20 trials; the slowest is logged).
func TestRevocationAcrossNodes(t *testing.T) {
	c := galeratest.Shared(t)
	servers := startAll(t, nodeURLs(c, c.Database(t)))
	var slowest time.Duration
	for i := 0; i < 20; i++ {
		a := servers[i%3]
		r := a.MustDo(t, a.Admin, createToken, map[string]any{"name": "revoked-" + base62.Random(10)})
		secret, id := r.Str("createAPIToken.secret"), r.Str("createAPIToken.apiToken.id")
		for _, s := range servers {
			s.MustDo(t, secret, viewerQuery, nil) // cached everywhere
		}
		a.MustDo(t, a.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": id})
		revoked := time.Now()
		for j := 1; j <= 2; j++ {
			b := servers[(i+j)%3]
			for b.Do(t, secret, viewerQuery, nil).Status != http.StatusUnauthorized {
				if time.Since(revoked) > time.Second {
					t.Fatalf("trial %d: node %d still accepts a token revoked on node %d after 1 s", i, (i+j)%3, i%3)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		slowest = max(slowest, time.Since(revoked))
	}
	t.Logf("slowest revocation to reach both other nodes: %v", slowest)
}
