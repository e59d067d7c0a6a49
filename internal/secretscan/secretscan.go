// Package secretscan answers leak reports from secret scanners in GitHub's
// secret-scanning partner protocol: POST /secret-scanning/report with a
// JSON list of {token, type, url, source}, signed by the scanner with
// ECDSA P-256/SHA-256 over the raw body (base64 DER in
// Github-Public-Key-Signature, the key named by Github-Public-Key-Identifier).
// Every reported secret that belongs to a token revokes it at once.
package secretscan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/dbtx"
)

// Limits of one report.
const (
	MaxBody  = 1 << 20
	MaxItems = 1000
	// maxField bounds the url, type and source kept from a report.
	maxField = 300
)

// Headers of a report.
const (
	KeyIDHeader     = "Github-Public-Key-Identifier"
	SignatureHeader = "Github-Public-Key-Signature"
)

// Keys are the scanners' public keys by identifier.
type Keys map[string]*ecdsa.PublicKey

// keyList is GitHub's key-list document
// (https://api.github.com/meta/public_keys/secret_scanning).
type keyList struct {
	PublicKeys []struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	} `json:"public_keys"`
}

// LoadKeys reads a key list file. Every key in it is accepted, current or
// not: a scanner signs with an older key until it rotates.
func LoadKeys(path string) (Keys, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseKeys(raw)
}

// ParseKeys parses a key list document.
func ParseKeys(raw []byte) (Keys, error) {
	var list keyList
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("secret scanning keys: %w", err)
	}
	keys := Keys{}
	for _, k := range list.PublicKeys {
		block, _ := pem.Decode([]byte(k.Key))
		if block == nil || k.KeyIdentifier == "" {
			return nil, fmt.Errorf("secret scanning key %q: no PEM public key", k.KeyIdentifier)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("secret scanning key %q: %w", k.KeyIdentifier, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("secret scanning key %q: not an ECDSA P-256 key", k.KeyIdentifier)
		}
		keys[k.KeyIdentifier] = ec
	}
	if len(keys) == 0 {
		return nil, errors.New("secret scanning keys: the file lists no key")
	}
	return keys, nil
}

// Verify checks the signature of body by the key keyID names.
func (k Keys) Verify(keyID, signature string, body []byte) bool {
	pub := k[keyID]
	if pub == nil {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(body)
	return ecdsa.VerifyASN1(pub, sum[:], sig)
}

// Item is one reported secret.
type Item struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// Answer is the verdict on one reported secret.
type Answer struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// Handler serves POST /secret-scanning/report.
type Handler struct {
	Keys   Keys // nil: secret scanning is not configured (404)
	Client *ent.Client
	Admin  *admin.Service
	MySQL  bool
	// Limit bounds reports (all reporters together), checked first.
	Limit *rate.Limiter
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context())
	if h.Keys == nil {
		http.Error(w, "secret scanning is not configured (LATCHKEY_SECRET_SCANNING_KEYS)", http.StatusNotFound)
		return
	}
	if !h.Limit.Allow() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many reports", http.StatusTooManyRequests)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "the report is larger than 1 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	keyID := r.Header.Get(KeyIDHeader)
	if !h.Keys.Verify(keyID, r.Header.Get(SignatureHeader), body) {
		http.Error(w, "the report's signature does not verify", http.StatusUnauthorized)
		return
	}
	var items []Item
	if err := json.Unmarshal(body, &items); err != nil || len(items) > MaxItems {
		http.Error(w, fmt.Sprintf("the report must be a JSON list of at most %d {token, type, url, source}", MaxItems), http.StatusBadRequest)
		return
	}
	answers, err := h.report(r.Context(), keyID, items)
	if err != nil {
		log.Error().Err(err).Msg("secret scanning: recording a report")
		http.Error(w, "the report could not be recorded; send it again", http.StatusServiceUnavailable)
		return
	}
	revoked := 0
	for _, a := range answers {
		if a.Label == "true_positive" {
			revoked++
		}
	}
	log.Info().Str("key_id", keyID).Int("reported", len(items)).Int("matched", revoked).Msg("secret scanning report")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answers)
}

// report revokes every matched token in one transaction.
func (h *Handler) report(ctx context.Context, keyID string, items []Item) ([]Answer, error) {
	tx, err := dbtx.Begin(ctx, h.Client, h.MySQL)
	if err != nil {
		return nil, err
	}
	txCtx := admin.AsSystem(ent.NewContext(ctx, tx.Client()))
	answers := make([]Answer, len(items))
	for i, it := range items {
		matched, err := h.Admin.RevokeLeaked(txCtx, it.Token, admin.Leak{
			Reporter: clip(keyID, 100), Type: clip(it.Type, maxField), URL: clip(it.URL, maxField), Source: clip(it.Source, maxField),
		})
		if err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		answers[i] = Answer{TokenRaw: it.Token, TokenType: it.Type, Label: "false_positive"}
		if matched {
			answers[i].Label = "true_positive"
		}
	}
	return answers, tx.Commit()
}

// clip keeps at most n bytes of s, on a character boundary, without
// control characters.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
