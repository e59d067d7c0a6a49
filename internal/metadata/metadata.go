// Package metadata holds the identity data adopters attach to tokens and
// personas: the JSON metadata object (the GraphQL scalar Map), its limits,
// the persona's external id, and how both travel to upstreams in headers.
package metadata

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// JSON is the text of a JSON value: the GraphQL scalar Map. What a client
// sends is kept as given until Check makes it a canonical object; what is
// stored is always canonical (compact, keys sorted, numbers exact). "" is
// no metadata (null in GraphQL).
type JSON string

// MarshalGQL writes the stored text as it is: it is already JSON.
func (j JSON) MarshalGQL(w io.Writer) {
	if j == "" {
		_, _ = io.WriteString(w, "null")
		return
	}
	_, _ = io.WriteString(w, string(j))
}

// UnmarshalGQL keeps any value; Check decides whether it is acceptable, so
// that the refusal names the input field.
func (j *JSON) UnmarshalGQL(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("Map must be a JSON object")
	}
	*j = JSON(b)
	return nil
}

// Limits of a metadata object. The size is of the canonical text.
const (
	MaxBytes    = 4096
	MaxDepth    = 5 // objects and arrays nested in one another, the top object included
	MaxKeys     = 100
	MaxKeyBytes = 128
)

// Error says why a value is no acceptable metadata object.
type Error struct{ Reason string }

func (e *Error) Error() string { return e.Reason }

// Check turns what a client sent into the canonical text to store: a JSON
// object within the limits. An empty object is no metadata ("").
func Check(in JSON) (JSON, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(in)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", &Error{"metadata must be a JSON object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", &Error{"metadata must be a JSON object, not " + kind(v)}
	}
	keys := 0
	if err := walk(obj, 1, &keys); err != nil {
		return "", err
	}
	if len(obj) == 0 {
		return "", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return "", &Error{"metadata must be a JSON object"}
	}
	out := bytes.TrimRight(buf.Bytes(), "\n")
	if len(out) > MaxBytes {
		return "", &Error{fmt.Sprintf("metadata must be at most %d bytes of JSON, not %d", MaxBytes, len(out))}
	}
	return JSON(out), nil
}

func walk(v any, depth int, keys *int) error {
	switch v.(type) {
	case map[string]any, []any:
		if depth > MaxDepth {
			return &Error{fmt.Sprintf("metadata may nest objects and arrays at most %d deep", MaxDepth)}
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			*keys++
			if *keys > MaxKeys {
				return &Error{fmt.Sprintf("metadata may have at most %d keys in all", MaxKeys)}
			}
			if k == "" || len(k) > MaxKeyBytes || !utf8.ValidString(k) {
				return &Error{fmt.Sprintf("metadata keys must be 1 to %d bytes of UTF-8", MaxKeyBytes)}
			}
			if err := walk(e, depth+1, keys); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range v {
			if err := walk(e, depth+1, keys); err != nil {
				return err
			}
		}
	case json.Number:
		// Exact numbers are kept as written; one that no JSON reader can
		// take as a number is refused.
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			return &Error{"metadata numbers must be finite"}
		}
	}
	return nil
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "that"
}

// Header is the value of X-Latchkey-Token-Metadata for stored metadata:
// base64url without padding of the canonical JSON. omitted reports metadata
// too large for the header (MaxHeaderBytes); value is then "".
func Header(j JSON) (value string, omitted bool) {
	if j == "" {
		return "", false
	}
	if base64.RawURLEncoding.EncodedLen(len(j)) > MaxHeaderBytes {
		return "", true
	}
	return base64.RawURLEncoding.EncodeToString([]byte(j)), false
}

// MaxHeaderBytes caps the metadata header: gateways keep the headers of an
// auth answer in one buffer (nginx: proxy_buffer_size, 4 KiB by default on
// most platforms), which the other identity headers share. 2048 characters
// carry 1536 bytes of JSON.
const MaxHeaderBytes = 2048

// Upstream headers of /auth/verify.
const (
	HeaderExternalID      = "X-Latchkey-Persona-External-Id"
	HeaderMetadata        = "X-Latchkey-Token-Metadata"
	HeaderMetadataOmitted = "X-Latchkey-Token-Metadata-Omitted"
)

// MaxExternalIDLen bounds a persona's external id.
const MaxExternalIDLen = 255

// CheckExternalID reports whether id is an acceptable external id: 1 to
// 255 visible ASCII characters (no spaces), so that it travels in a header
// as it is and compares byte for byte on every database.
func CheckExternalID(id string) error {
	if id == "" || len(id) > MaxExternalIDLen {
		return &Error{fmt.Sprintf("externalID must be 1 to %d characters", MaxExternalIDLen)}
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e {
			return &Error{"externalID may hold only visible ASCII characters: letters, digits and punctuation, no spaces"}
		}
	}
	return nil
}
