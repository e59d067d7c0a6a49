package galeratest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/galeratest"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// TestConcurrentMutations sends mixed mutations through every instance at
// once: creates, updates of the same few tokens, revokes and restores,
// regenerations, role, content-type and persona edits, while the tokens are
// used and every instance flushes last-used times. Every mutation must
// succeed or fail for a reason of its own (BAD_USER_INPUT, NOT_FOUND,
// CONFLICT, FORBIDDEN): none may fail from losing a conflict (a deadlock or
// a Galera certification failure), which Latchkey retries.
func TestConcurrentMutations(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		url := "sqlite://" + filepath.Join(t.TempDir(), "latchkey.db")
		mixedMutations(t, startAll(t, []string{url, url, url}))
	})
	t.Run("mysql", func(t *testing.T) {
		if os.Getenv("LATCHKEY_TEST_MYSQL_DSN") == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("LATCHKEY_TEST_MYSQL_DSN must be set in CI")
			}
			t.Skip("set LATCHKEY_TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/ to run on MySQL")
		}
		url := testserver.MySQLDatabase(t)
		mixedMutations(t, startAll(t, []string{url, url, url}))
	})
	t.Run("galera", func(t *testing.T) {
		c := galeratest.Shared(t)
		mixedMutations(t, startAll(t, nodeURLs(c, c.Database(t))))
	})
}

// The shared records every worker edits.
type fixture struct {
	tokens, secrets, roles, personas, contentTypes []string
}

func mixedMutations(t *testing.T, servers []*testserver.Server) {
	const (
		workersPerInstance = 2
		opsPerWorker       = 30
	)
	s0 := servers[0]
	f := &fixture{}
	for i := range 2 {
		r := s0.MustDo(t, s0.Admin, `mutation($in: CreateContentTypeInput!) { createContentType(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"uid": fmt.Sprintf("doc-%d", i), "displayName": fmt.Sprintf("Doc %d", i)}})
		f.contentTypes = append(f.contentTypes, r.Str("createContentType.id"))
	}
	for i := range 3 {
		r := s0.MustDo(t, s0.Admin, `mutation($in: CreateRoleInput!) { createRole(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprintf("Role %d", i), "permissions": []any{
				map[string]any{"contentType": fmt.Sprintf("doc-%d", i%2), "action": "read"},
			}}})
		f.roles = append(f.roles, r.Str("createRole.id"))
		p := s0.MustDo(t, s0.Admin, `mutation($in: CreatePersonaInput!) { createPersona(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprintf("Persona %d", i)}})
		f.personas = append(f.personas, p.Str("createPersona.id"))
	}
	for i := range 4 {
		r := s0.MustDo(t, s0.Admin, `mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { secret apiToken { id } } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprintf("Shared %d", i), "type": "CUSTOM",
				"roleIDs": []any{f.roles[i%3]}, "personaID": f.personas[i%3]}})
		f.tokens = append(f.tokens, r.Str("createAPIToken.apiToken.id"))
		f.secrets = append(f.secrets, r.Str("createAPIToken.secret"))
	}

	// Every instance writes last-used times often, into the rows of the
	// tokens the workers edit and of the admin token they all use.
	ctx, stop := context.WithCancel(context.Background())
	var flushers sync.WaitGroup
	for _, s := range servers {
		flushers.Add(1)
		go func() {
			defer flushers.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					_ = s.App.Recorder.Flush(ctx)
				}
			}
		}()
	}

	type outcome struct{ ok, business, lost int }
	var (
		mu      sync.Mutex
		total   outcome
		byCode  = map[string]int{}
		lostOne string
		wg      sync.WaitGroup
	)
	began := time.Now()
	for i, s := range servers {
		for w := range workersPerInstance {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), uint64(w)))
				for n := range opsPerWorker {
					doc, vars := f.mutation(rng, fmt.Sprintf("i%dw%dn%d", i, w, n))
					r := s.Do(t, s.Admin, doc, vars)
					// Use a shared token, so its last use is flushed too.
					s.Do(t, f.secrets[rng.IntN(len(f.secrets))], viewerQuery, nil)
					mu.Lock()
					switch code := r.Code(); {
					case r.Status == http.StatusOK && code == "":
						total.ok++
					case code == "BAD_USER_INPUT" || code == "NOT_FOUND" || code == "CONFLICT" || code == "FORBIDDEN":
						total.business++
						byCode[code]++
					default:
						total.lost++
						lostOne = fmt.Sprintf("HTTP %d %s\n%s %v", r.Status, r.Raw, doc, vars)
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(began)
	stop()
	flushers.Wait()

	var retries int64
	for _, s := range servers {
		retries += s.App.Retry.Retries.Load()
	}
	t.Logf("%d mutations through %d instances in %s: %d succeeded, %d refused for a business reason %v, %d failed; %d retries after a lost conflict",
		total.ok+total.business+total.lost, len(servers), elapsed.Round(time.Millisecond), total.ok, total.business, byCode, total.lost, retries)
	if total.lost > 0 {
		t.Errorf("%d mutations failed otherwise than for a business reason, e.g. %s", total.lost, lostOne)
	}
	if total.ok < (total.ok+total.business+total.lost)/2 {
		t.Errorf("only %d mutations succeeded: the workload tests little", total.ok)
	}
}

// mutation picks one mutation of the mix; tag makes new names unique.
func (f *fixture) mutation(rng *rand.Rand, tag string) (string, map[string]any) {
	token := f.tokens[rng.IntN(len(f.tokens))]
	role := f.roles[rng.IntN(len(f.roles))]
	switch rng.IntN(10) {
	case 0:
		return `mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { apiToken { id } } }`,
			map[string]any{"in": map[string]any{"name": "new " + tag, "type": "CUSTOM", "roleIDs": []any{role}, "personaID": f.personas[rng.IntN(len(f.personas))]}}
	case 1, 2:
		return `mutation($id: ID!, $in: UpdateAPITokenInput!) { updateAPIToken(id: $id, input: $in) { id } }`,
			map[string]any{"id": token, "in": map[string]any{"description": tag, "roleIDs": []any{role}}}
	case 3:
		return `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": token}
	case 4:
		return `mutation($id: ID!) { restoreAPIToken(id: $id) { id } }`, map[string]any{"id": token}
	case 5:
		return `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 3600) { apiToken { id } } }`, map[string]any{"id": token}
	case 6:
		ct := rng.IntN(len(f.contentTypes))
		return `mutation($id: ID!, $in: UpdateRoleInput!) { updateRole(id: $id, input: $in) { id } }`,
			map[string]any{"id": role, "in": map[string]any{"description": tag, "permissions": []any{
				map[string]any{"contentType": fmt.Sprintf("doc-%d", ct), "action": "read"},
				map[string]any{"contentType": fmt.Sprintf("doc-%d", ct), "action": []string{"create", "update"}[rng.IntN(2)]},
			}}}
	case 7:
		actions := []any{
			map[string]any{"name": "read", "readOnly": true}, map[string]any{"name": "create", "readOnly": false},
			map[string]any{"name": "update", "readOnly": false}, map[string]any{"name": "delete", "readOnly": false},
		}
		if rng.IntN(2) == 0 {
			actions = append(actions, map[string]any{"name": "publish", "readOnly": false})
		}
		return `mutation($id: ID!, $in: UpdateContentTypeInput!) { updateContentType(id: $id, input: $in, detach: true) { id } }`,
			map[string]any{"id": f.contentTypes[rng.IntN(len(f.contentTypes))], "in": map[string]any{"description": tag, "actions": actions}}
	case 8:
		return `mutation($id: ID!, $in: UpdatePersonaInput!) { updatePersona(id: $id, input: $in) { id } }`,
			map[string]any{"id": f.personas[rng.IntN(len(f.personas))], "in": map[string]any{"description": tag}}
	default:
		return `mutation($in: CreatePersonaInput!) { createPersona(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": "persona " + tag}}
	}
}
