package httpserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/idempotency"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// keyed posts a GraphQL document with the given Idempotency-Key headers
// (none for nil).
func keyed(t testing.TB, s *testserver.Server, bearer, query string, vars map[string]any, keys ...string) *testserver.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	for _, k := range keys {
		req.Header.Add(idempotency.Header, k)
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Error(err)
		return &testserver.Response{}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &testserver.Response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Errorf("decoding %q: %v", raw, err)
	}
	return out
}

// replayExt is the idempotency extension of a replayed answer, or nil.
func replayExt(r *testserver.Response) map[string]any {
	var body struct {
		Extensions struct {
			Replay      bool           `json:"idempotentReplay"`
			Idempotency map[string]any `json:"idempotency"`
		} `json:"extensions"`
	}
	_ = json.Unmarshal([]byte(r.Raw), &body)
	if !body.Extensions.Replay || r.Header.Get("Idempotent-Replayed") != "true" {
		return nil
	}
	return body.Extensions.Idempotency
}

func reason(r *testserver.Response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	s, _ := r.Errors[0].Extensions["reason"].(string)
	return s
}

const createMin = `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { secret apiToken { id name status } } }`

func tokenInput(name string) map[string]any {
	return map[string]any{"input": map[string]any{"name": name, "type": "READ_ONLY", "lifespan": "DAYS_30"}}
}

func TestIdempotentCreateAndRevoke(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		first := keyed(t, s, s.Admin, createMin, tokenInput("Idem"), "create-1")
		sec, id := first.Str("createAPIToken.secret"), first.Str("createAPIToken.apiToken.id")
		if first.Status != http.StatusOK || len(first.Errors) > 0 || !secretFormat.MatchString(sec) || replayExt(first) != nil {
			t.Fatalf("first create: HTTP %d %s", first.Status, first.Raw)
		}
		before := s.Snapshot(t)

		again := keyed(t, s, s.Admin, createMin, tokenInput("Idem"), "create-1")
		ext := replayExt(again)
		if again.Status != http.StatusOK || len(again.Errors) > 0 || ext == nil {
			t.Fatalf("retry: HTTP %d %s", again.Status, again.Raw)
		}
		if again.Str("createAPIToken.apiToken.id") != id || again.Get("createAPIToken.secret") != nil {
			t.Fatalf("retry must repeat the token and withhold the secret: %s", again.Raw)
		}
		if !reflect.DeepEqual(ext["secretsWithheld"], []any{"createAPIToken.secret"}) || ext["key"] != "create-1" {
			t.Fatalf("retry must say which secret is withheld: %v", ext)
		}
		if strings.Contains(again.Raw, sec) {
			t.Fatal("the replay repeats the secret")
		}
		if after := s.Snapshot(t); after != before {
			t.Fatalf("the retry changed something:\n%s\n%s", before, after)
		}
		var stored string
		if err := s.Store.DB.QueryRow("SELECT response FROM idempotency_keys").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, sec) || !strings.Contains(stored, id) {
			t.Fatalf("stored answer: %s", stored)
		}

		// A revoke retried answers as the first did and is audited once.
		revoke := `mutation($id: ID!) { revokeAPIToken(id: $id) { id status updatedAt } }`
		r1 := keyed(t, s, s.Admin, revoke, map[string]any{"id": id}, "revoke-1")
		if r1.Str("revokeAPIToken.status") != "REVOKED" || replayExt(r1) != nil {
			t.Fatalf("revoke: %s", r1.Raw)
		}
		audits := s.Count(t, "audit_events")
		r2 := keyed(t, s, s.Admin, revoke, map[string]any{"id": id}, "revoke-1")
		if replayExt(r2) == nil || !reflect.DeepEqual(r2.Data, r1.Data) || replayExt(r2)["secretsWithheld"] != nil {
			t.Fatalf("revoke retried:\n%s\n%s", r1.Raw, r2.Raw)
		}
		if s.Count(t, "audit_events") != audits {
			t.Fatal("a replay wrote an audit event")
		}
	})
}

func TestIdempotencyKeyScope(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		first := keyed(t, s, s.Admin, createMin, tokenInput("Scope one"), "k")
		if len(first.Errors) > 0 {
			t.Fatal(first.Raw)
		}
		before := s.Snapshot(t)

		// The same key with other variables, another query or another
		// operation name is refused, and changes nothing.
		for name, r := range map[string]*testserver.Response{
			"variables": keyed(t, s, s.Admin, createMin, tokenInput("Scope two"), "k"),
			"query":     keyed(t, s, s.Admin, `mutation($input: CreateAPITokenInput!) { createAPIToken(input: $input) { apiToken { id } } }`, tokenInput("Scope one"), "k"),
		} {
			if r.Status != http.StatusUnprocessableEntity || r.Code() != "BAD_USER_INPUT" || reason(r) != idempotency.ReasonReused || r.Field() != idempotency.Header {
				t.Errorf("%s: HTTP %d %s", name, r.Status, r.Raw)
			}
		}
		if after := s.Snapshot(t); after != before {
			t.Fatalf("a refused reuse changed something:\n%s\n%s", before, after)
		}

		// Keys belong to the token that sent them: another token's "k" is its own.
		fa := s.MustDo(t, s.Admin, createMin, map[string]any{"input": map[string]any{"name": "Scope full", "type": "FULL_ACCESS"}})
		mine := keyed(t, s, fa.Str("createAPIToken.secret"), createMin, tokenInput("Scope two"), "k")
		if len(mine.Errors) > 0 || replayExt(mine) != nil || mine.Str("createAPIToken.apiToken.name") != "Scope two" {
			t.Fatalf("another token's key: %s", mine.Raw)
		}

		// Queries ignore the header, even a malformed one, and store nothing.
		rows := s.Count(t, "idempotency_keys")
		q := keyed(t, s, s.Admin, viewerQuery, nil, strings.Repeat("x", 300))
		if q.Status != http.StatusOK || len(q.Errors) > 0 || s.Count(t, "idempotency_keys") != rows {
			t.Fatalf("query with a key: HTTP %d %s", q.Status, q.Raw)
		}
	})
}

func TestIdempotencyKeyFormat(t *testing.T) {
	s := testserver.New(t, "sqlite")
	before := s.Snapshot(t)
	for name, keys := range map[string][]string{
		"empty":     {""},
		"too long":  {strings.Repeat("k", idempotency.MaxKeyLen+1)},
		"non-ASCII": {"clé"},
		"tab":       {"a\tb"},
		"two":       {"a", "b"},
	} {
		r := keyed(t, s, s.Admin, createMin, tokenInput("Format"), keys...)
		if r.Status != http.StatusBadRequest || r.Code() != "BAD_USER_INPUT" || reason(r) != idempotency.ReasonInvalid {
			t.Errorf("%s: HTTP %d %s", name, r.Status, r.Raw)
		}
	}
	if after := s.Snapshot(t); after != before {
		t.Fatalf("a refused key changed something:\n%s\n%s", before, after)
	}
	longest := keyed(t, s, s.Admin, createMin, tokenInput("Format"), strings.Repeat("~", idempotency.MaxKeyLen))
	if longest.Status != http.StatusOK || len(longest.Errors) > 0 {
		t.Fatalf("a %d-character key: %s", idempotency.MaxKeyLen, longest.Raw)
	}
}

// A failed mutation rolls back and stores nothing: the same key is free, so
// a corrected request with it runs.
func TestIdempotencyFailureNotStored(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		bad := map[string]any{"input": map[string]any{"name": "", "type": "READ_ONLY"}}
		for range 2 {
			r := keyed(t, s, s.Admin, createMin, bad, "fix-me")
			if r.Code() != "BAD_USER_INPUT" || r.Field() != "name" || replayExt(r) != nil {
				t.Fatalf("bad input: %s", r.Raw)
			}
		}
		if n := s.Count(t, "idempotency_keys"); n != 0 {
			t.Fatalf("%d keys stored for a failed mutation", n)
		}
		fixed := keyed(t, s, s.Admin, createMin, tokenInput("Fixed"), "fix-me")
		if len(fixed.Errors) > 0 || fixed.Get("createAPIToken.secret") == nil || replayExt(fixed) != nil {
			t.Fatalf("corrected retry: %s", fixed.Raw)
		}
	})
}

func TestIdempotencyConcurrentRetries(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		tokens := s.Count(t, "api_tokens")
		const n = 8
		out := make([]*testserver.Response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = keyed(t, s, s.Admin, createMin, tokenInput("Raced"), "race")
			}()
		}
		wg.Wait()
		if got := s.Count(t, "api_tokens"); got != tokens+1 {
			t.Fatalf("%d tokens made by one key", got-tokens)
		}
		secrets := 0
		for _, r := range out {
			if r.Status == http.StatusConflict && reason(r) == idempotency.ReasonInProgress {
				continue // allowed: the first was still running
			}
			if r.Status != http.StatusOK || len(r.Errors) > 0 || r.Str("createAPIToken.apiToken.name") != "Raced" {
				t.Fatalf("HTTP %d %s", r.Status, r.Raw)
			}
			if r.Get("createAPIToken.secret") != nil {
				secrets++
			}
		}
		if secrets != 1 {
			t.Fatalf("%d answers carried the secret", secrets)
		}
	})
}

// The client's side: the answer to a create is lost, so the client retries
// with the same key, learns the token exists and, since its secret cannot be
// shown again, regenerates it.
func TestIdempotencyLostAnswer(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		_ = keyed(t, s, s.Admin, createMin, tokenInput("Lost"), "deploy-42") // the answer never arrives

		// The retry reaches another instance behind the load balancer.
		r := keyed(t, s.Another(t), s.Admin, createMin, tokenInput("Lost"), "deploy-42")
		id := r.Str("createAPIToken.apiToken.id")
		if ext := replayExt(r); ext == nil || id == "" || r.Get("createAPIToken.secret") != nil {
			t.Fatalf("retry: %s", r.Raw)
		}
		regen := keyed(t, s, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id) { secret apiToken { id } } }`, map[string]any{"id": id}, "deploy-42-regenerate")
		sec := regen.Str("regenerateAPIToken.secret")
		if !secretFormat.MatchString(sec) {
			t.Fatalf("regenerate: %s", regen.Raw)
		}
		v := s.MustDo(t, sec, viewerQuery, nil)
		if v.Str("viewer.apiToken.id") != id {
			t.Fatalf("the new secret: %s", v.Raw)
		}
	})
}

// Secrets are withheld under aliases and in fragments too.
func TestIdempotencyWithholdsAliasedSecrets(t *testing.T) {
	s := testserver.New(t, "sqlite")
	doc := `mutation($input: CreateAPITokenInput!) { made: createAPIToken(input: $input) { key: secret ...P apiToken { id } } }
		fragment P on CreateAPITokenPayload { secret }`
	first := keyed(t, s, s.Admin, doc, tokenInput("Aliased"), "alias")
	sec := first.Str("made.key")
	if !secretFormat.MatchString(sec) || first.Str("made.secret") != sec {
		t.Fatal(first.Raw)
	}
	again := keyed(t, s, s.Admin, doc, tokenInput("Aliased"), "alias")
	ext := replayExt(again)
	if ext == nil || strings.Contains(again.Raw, sec) || again.Str("made.apiToken.id") != first.Str("made.apiToken.id") {
		t.Fatalf("replay: %s", again.Raw)
	}
	if !reflect.DeepEqual(ext["secretsWithheld"], []any{"made.key", "made.secret"}) {
		t.Fatalf("withheld: %v", ext["secretsWithheld"])
	}
	// Field order is the first answer's.
	if i, j := strings.Index(again.Raw, `"key"`), strings.Index(again.Raw, `"apiToken"`); i < 0 || j < i {
		t.Fatalf("field order: %s", again.Raw)
	}
}

// After idempotency.TTL a key answers nothing: the request runs again, and
// expired outcomes are swept.
func TestIdempotencyKeyExpiry(t *testing.T) {
	s := testserver.New(t, "sqlite")
	if r := keyed(t, s, s.Admin, createMin, tokenInput("Old"), "day-1"); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	s.Clock.Advance(idempotency.TTL + time.Second)
	r := keyed(t, s, s.Admin, createMin, tokenInput("Old"), "day-1")
	if r.Code() != "CONFLICT" || replayExt(r) != nil {
		t.Fatalf("an expired key must let the request run again (and find the name taken): %s", r.Raw)
	}
	if r := keyed(t, s, s.Admin, createMin, tokenInput("New"), "day-2"); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	if n := s.Count(t, "idempotency_keys"); n != 1 {
		t.Fatalf("%d keys kept, want the unexpired one", n)
	}
}

// Concurrent failing requests with one key: each one that claims the key
// rolls it back with its mutation, and the next waiting one runs. None is
// answered with an internal error, and no key is left behind.
func TestIdempotencyConcurrentFailures(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		before := s.Snapshot(t)
		bad := map[string]any{"input": map[string]any{"name": "", "type": "READ_ONLY"}}
		const n = 8
		out := make([]*testserver.Response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = keyed(t, s, s.Admin, createMin, bad, "doomed")
			}()
		}
		wg.Wait()
		for _, r := range out {
			inProgress := r.Status == http.StatusConflict && reason(r) == idempotency.ReasonInProgress
			if !inProgress && (r.Code() != "BAD_USER_INPUT" || r.Field() != "name") {
				t.Errorf("HTTP %d %s", r.Status, r.Raw)
			}
		}
		if after := s.Snapshot(t); after != before || s.Count(t, "idempotency_keys") != 0 {
			t.Fatalf("failed requests left something:\n%s\n%s", before, after)
		}
	})
}
