package secretscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/secret"
)

func listOf(t testing.TB, pubs map[string]any) []byte {
	t.Helper()
	var list []map[string]any
	for id, pub := range pubs {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, map[string]any{"key_identifier": id, "key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true})
	}
	raw, _ := json.Marshal(map[string]any{"public_keys": list})
	return raw
}

func TestParseKeysAcceptsOnlyP256(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := ParseKeys(listOf(t, map[string]any{"a": &p256.PublicKey})); err != nil {
		t.Fatal(err)
	}
	for name, pub := range map[string]any{"P-384": &p384.PublicKey, "RSA": &rsaKey.PublicKey} {
		if _, err := ParseKeys(listOf(t, map[string]any{"a": pub})); err == nil {
			t.Errorf("%s key accepted", name)
		}
	}
	for _, bad := range []string{``, `{}`, `{"public_keys": []}`, `{"public_keys": [{"key_identifier": "a", "key": "not pem"}]}`} {
		if _, err := ParseKeys([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Verify accepts exactly the body that was signed, by the key named.
func FuzzVerify(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys, err := ParseKeys(listOf(f, map[string]any{"k": &key.PublicKey}))
	if err != nil {
		f.Fatal(err)
	}
	signed := []byte(`[{"token":"lk_x","type":"latchkey_token","url":"https://github.com/","source":"content"}]`)
	sum := sha256.Sum256(signed)
	sig, _ := ecdsa.SignASN1(rand.Reader, key, sum[:])
	good := base64.StdEncoding.EncodeToString(sig)
	f.Add("k", good, signed)
	f.Add("k", good, []byte(`[]`))
	f.Add("other", good, signed)
	f.Add("k", "", signed)
	f.Add("k", "!!!", []byte{})
	f.Fuzz(func(t *testing.T, keyID, signature string, body []byte) {
		ok := keys.Verify(keyID, signature, body)
		if ok && (keyID != "k" || string(body) != string(signed)) {
			t.Fatalf("verified %q under %q", body, keyID)
		}
		var items []Item
		_ = json.Unmarshal(body, &items) // the handler's parse never panics
	})
}

func TestClip(t *testing.T) {
	if got := clip("héllo\nworld", 3); got != "hé" {
		t.Fatalf("clip: %q", got)
	}
	if got := clip("a\x00b\x7fc", 10); got != "abc" {
		t.Fatalf("clip: %q", got)
	}
}

// The pattern the README gives scanners finds every generated secret.
func TestReadmePatternMatchesGeneratedSecrets(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const pattern = `\blk_[0-9A-Za-z]{46}\b`
	if !strings.Contains(string(readme), pattern) {
		t.Fatalf("README does not ship %s", pattern)
	}
	re := regexp.MustCompile(pattern)
	for i := 0; i < 1000; i++ {
		s := secret.Generate()
		if got := re.FindString("TOKEN=" + s + "\n"); got != s {
			t.Fatalf("%s not found: %q", s, got)
		}
	}
}
