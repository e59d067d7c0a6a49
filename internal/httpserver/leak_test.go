package httpserver_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

// scanner is a secret scanner with its own P-256 key, listed in a key file
// in GitHub's format.
type scanner struct {
	key  *ecdsa.PrivateKey
	id   string
	file string
}

func newScanner(t *testing.T) *scanner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKIXPublicKey(&other.PublicKey)
	pemOf := func(b []byte) string { return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: b})) }
	sum := sha256.Sum256(der)
	id := base64.RawURLEncoding.EncodeToString(sum[:16])
	list, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{
		{"key_identifier": "old-key", "key": pemOf(otherDER), "is_current": false},
		{"key_identifier": id, "key": pemOf(der), "is_current": true},
	}})
	file := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(file, list, 0o600); err != nil {
		t.Fatal(err)
	}
	return &scanner{key: key, id: id, file: file}
}

// report posts items signed with key (the scanner's own when nil).
func (sc *scanner) report(t *testing.T, s *testserver.Server, items []map[string]string, keyID string, key *ecdsa.PrivateKey) (int, []map[string]any) {
	t.Helper()
	body, _ := json.Marshal(items)
	if key == nil {
		key = sc.key
	}
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/secret-scanning/report", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Github-Public-Key-Identifier", keyID)
	req.Header.Set("Github-Public-Key-Signature", base64.StdEncoding.EncodeToString(sig))
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out []map[string]any
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("answer %q: %v", raw, err)
		}
	}
	return res.StatusCode, out
}

func status(t *testing.T, s *testserver.Server, id string) string {
	t.Helper()
	return s.MustDo(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on APIToken { status } } }`, map[string]any{"id": id}).Str("node.status")
}

func TestLeakReportRevokesAndEmits(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		sc := newScanner(t)
		s := testserver.New(t, dialect, testserver.Config(func(c *config.Config) {
			fastWebhooks(c)
			c.SecretScanningKeys = sc.file
		}))
		rcv := webhooktest.New(t)
		endpoint(t, s, rcv, "api-token.leaked")
		leaked, leakedID := mint(t, s, map[string]any{"name": "Leaky", "type": "FULL_ACCESS"})
		kept, keptID := mint(t, s, map[string]any{"name": "Careful", "type": "READ_ONLY"})
		// A secret replaced by regenerate, still in its grace period, is a live one.
		old, graceID := mint(t, s, map[string]any{"name": "Rolled", "type": "READ_ONLY"})
		s.MustDo(t, s.Admin, `mutation($id: ID!) { regenerateAPIToken(id: $id, gracePeriodSeconds: 3600) { secret } }`, map[string]any{"id": graceID})

		// A wrong signature (another key under this key's name), an unknown
		// key and a tampered body are refused, and revoke nothing.
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		item := []map[string]string{{"token": leaked, "type": "latchkey_token", "url": "https://github.com/o/r/blob/x/.env", "source": "content"}}
		if code, _ := sc.report(t, s, item, sc.id, other); code != http.StatusUnauthorized {
			t.Fatalf("wrong signature: HTTP %d", code)
		}
		if code, _ := sc.report(t, s, item, "no-such-key", nil); code != http.StatusUnauthorized {
			t.Fatalf("unknown key: HTTP %d", code)
		}
		if status(t, s, leakedID) != "ACTIVE" {
			t.Fatal("a refused report revoked the token")
		}

		unknown := "lk_" + strings.Repeat("A", 40) + "000000"
		items := []map[string]string{
			{"token": leaked, "type": "latchkey_token", "url": "https://github.com/o/r/blob/x/.env", "source": "content"},
			{"token": unknown, "type": "latchkey_token", "url": "https://gist.github.com/x", "source": "gist"},
			{"token": old, "type": "latchkey_token", "url": "https://github.com/o/r/issues/1", "source": "issue"},
		}
		code, answers := sc.report(t, s, items, sc.id, nil)
		if code != http.StatusOK || len(answers) != 3 {
			t.Fatalf("report: HTTP %d %v", code, answers)
		}
		for i, want := range []string{"true_positive", "false_positive", "true_positive"} {
			a := answers[i]
			if a["label"] != want || a["token_raw"] != items[i]["token"] || a["token_type"] != "latchkey_token" {
				t.Errorf("answer %d: %v, want %s", i, a, want)
			}
		}
		if status(t, s, leakedID) != "REVOKED" || status(t, s, graceID) != "REVOKED" || status(t, s, keptID) != "ACTIVE" {
			t.Fatal("statuses after the report")
		}
		// Revoked at once: the leaked secret authenticates nothing any more.
		if r := s.Do(t, leaked, viewerQuery, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("leaked secret still works: HTTP %d", r.Status)
		}
		if r := s.Do(t, kept, viewerQuery, nil); r.Status != http.StatusOK {
			t.Fatalf("an unreported token stopped working: %s", r.Raw)
		}
		// Audited with the reporter and the url, never the secret.
		a := s.MustDo(t, s.Admin, `query($id: String!) { auditEvents(where: {targetID: $id}) { edges { node { action detail actorTokenID changes } } } }`, map[string]any{"id": leakedID})
		if !strings.Contains(a.Raw, `"action":"api-token.leak-revoke"`) || !strings.Contains(a.Raw, sc.id) || !strings.Contains(a.Raw, "https://github.com/o/r/blob/x/.env") {
			t.Fatalf("audit: %s", a.Raw)
		}
		// The event reaches the endpoint.
		got := rcv.Wait(t, waitFor, "two leaked events", func(ds []webhooktest.Delivery) bool { return len(webhooktest.OfType(ds, "api-token.leaked")) >= 2 })
		for _, d := range got {
			for _, secret := range []string{leaked, old} {
				if strings.Contains(string(d.Body), secret) {
					t.Fatalf("event carries the secret: %s", d.Body)
				}
			}
			if !d.Valid {
				t.Fatalf("unsigned: %s", d.Body)
			}
		}
		var data map[string]any
		for _, d := range webhooktest.OfType(got, "api-token.leaked") {
			if dd := payloadData(t, d); dd["apiToken"].(map[string]any)["id"] == leakedID {
				data = dd
			}
		}
		if data == nil || data["apiToken"].(map[string]any)["id"] != leakedID || data["actor"].(map[string]any)["name"] != "secret-scanning" ||
			data["leak"].(map[string]any)["url"] != "https://github.com/o/r/blob/x/.env" {
			t.Fatalf("leaked event: %v", data)
		}
		for _, raw := range []string{a.Raw, s.Logs.String()} {
			if strings.Contains(raw, leaked) {
				t.Fatal("the secret reached the audit log or the logs")
			}
		}
	})
}

func TestLeakReportLimits(t *testing.T) {
	sc := newScanner(t)
	s := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) { c.SecretScanningKeys = sc.file }))
	// An empty report is answered with an empty list.
	if code, answers := sc.report(t, s, []map[string]string{}, sc.id, nil); code != http.StatusOK || len(answers) != 0 {
		t.Fatalf("empty list: HTTP %d %v", code, answers)
	}
	big := make([]map[string]string, 1001)
	for i := range big {
		big[i] = map[string]string{"token": "x"}
	}
	if code, _ := sc.report(t, s, big, sc.id, nil); code != http.StatusBadRequest {
		t.Fatalf("1001 items: HTTP %d", code)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/secret-scanning/report", bytes.NewReader(make([]byte, 2<<20)))
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB body: HTTP %d", res.StatusCode)
	}
	// Rate limited: the burst runs out.
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		code, _ := sc.report(t, s, []map[string]string{}, sc.id, nil)
		limited = code == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("40 reports at once were never rate limited")
	}
	// Without keys configured the route does not exist.
	plain := testserver.New(t, "sqlite")
	if code, _ := sc.report(t, plain, nil, sc.id, nil); code != http.StatusNotFound {
		t.Fatalf("unconfigured: HTTP %d", code)
	}
}
