// Package webhooktest is a webhook receiver for tests: it records every
// delivery and checks its signature from the documented scheme (README,
// Webhooks), written here independently of Latchkey's own signing code.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Delivery is one request the receiver got.
type Delivery struct {
	EventID   string
	Type      string
	Body      []byte
	Payload   map[string]any
	Signature string
	// SignedAt is the t of the signature.
	SignedAt int64
	// Valid reports whether the signature verified under the secret.
	Valid bool
	// Status is what the receiver answered (0: it did not answer in time).
	Status int
}

// Receiver is an HTTP server recording deliveries.
type Receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	got    []Delivery
	// answer decides the response to the n-th request (from 0): a status
	// code, or 0 to hang until the client gives up.
	answer func(n int) int
	stop   chan struct{}
}

// New starts a receiver that answers every request with 200.
func New(t testing.TB) *Receiver {
	r := &Receiver{answer: func(int) int { return http.StatusOK }, stop: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		close(r.stop)
		r.Server.Close()
	})
	return r
}

// SetSecret sets the signing secret deliveries are checked against.
func (r *Receiver) SetSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

// Answer sets how the n-th request (from 0) is answered: a status code, or
// 0 to hang until the client gives up.
func (r *Receiver) Answer(f func(n int) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := Delivery{EventID: req.Header.Get("Latchkey-Event-Id"), Type: req.Header.Get("Latchkey-Event-Type"), Body: body, Signature: req.Header.Get("Latchkey-Signature")}
	_ = json.Unmarshal(body, &d.Payload)
	r.mu.Lock()
	d.SignedAt, d.Valid = Verify(r.secret, d.Signature, body)
	n := len(r.got)
	status := r.answer(n)
	d.Status = status
	r.got = append(r.got, d)
	r.mu.Unlock()
	if status == 0 {
		select {
		case <-req.Context().Done():
		case <-r.stop:
		}
		return
	}
	w.WriteHeader(status)
}

// Verify checks a Latchkey-Signature header as the README tells receivers
// to: split "t=<unix>,v1=<hex>", compute HMAC-SHA256 with the secret over
// "<t>.<raw body>", and compare in constant time.
func Verify(secret, header string, body []byte) (int64, bool) {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secret == "" {
		return 0, false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return t, true
		}
	}
	return t, false
}

// Got returns a copy of every delivery so far.
func (r *Receiver) Got() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// Wait polls until cond holds on the deliveries so far, or fails t after
// timeout: waiting for the background worker is the behaviour under test.
func (r *Receiver) Wait(t testing.TB, timeout time.Duration, what string, cond func([]Delivery) bool) []Delivery {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := r.Got()
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; got %d deliveries", timeout, what, len(got))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// OfType returns the deliveries of one event type.
func OfType(ds []Delivery, typ string) []Delivery {
	var out []Delivery
	for _, d := range ds {
		if d.Type == typ {
			out = append(out, d)
		}
	}
	return out
}
