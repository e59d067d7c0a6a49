package webhook

import (
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

func TestSignatureFollowsTheDocumentedScheme(t *testing.T) {
	secrets := NewSecrets(secret.NewHasher([]byte("pepper")))
	salt := NewSalt()
	sec := secrets.For(salt)
	if sec != secrets.For(salt) || sec == secrets.For(NewSalt()) || sec == NewSecrets(secret.NewHasher([]byte("other"))).For(salt) {
		t.Fatal("a secret depends on the pepper and the salt, and on nothing else")
	}
	body := []byte(`{"id":"whe_1","type":"api-token.created"}`)
	at := time.Unix(1700000000, 0)
	h := Signature(sec, at, body)
	if ts, ok := webhooktest.Verify(sec, h, body); !ok || ts != at.Unix() {
		t.Fatalf("%s does not verify", h)
	}
	if _, ok := webhooktest.Verify(sec+"x", h, body); ok {
		t.Fatal("verifies under another secret")
	}
	if _, ok := webhooktest.Verify(sec, h, append(body, ' ')); ok {
		t.Fatal("verifies another body")
	}
}

func TestBackoffIsBoundedAndJittered(t *testing.T) {
	for _, factor := range []float64{0.5, 0.99} {
		w := &Worker{jitter: func() float64 { return factor }}
		prev := time.Duration(0)
		for n := 1; n <= 30; n++ {
			d := w.backoff(n)
			if d < prev || d > maxRetry || d < time.Duration(float64(firstRetry)*0.5) {
				t.Fatalf("backoff(%d) = %s after %s", n, d, prev)
			}
			prev = d
		}
		if prev < time.Duration(float64(maxRetry)*factor) {
			t.Fatalf("backoff never reaches its cap: %s", prev)
		}
	}
}
