package idempotency

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// secretField is the name Latchkey gives every output field holding a
// plaintext secret (CreateAPITokenPayload.secret,
// RegenerateAPITokenPayload.secret). Such a value is shown once and never
// stored, so a replay carries null in its place.
const secretField = "secret"

// redact returns data with the value of every secret field selected by ss
// replaced by null, keeping the order of the fields, and the dotted response
// paths (aliases and list indexes included) where it did so.
func redact(data json.RawMessage, ss ast.SelectionSet) (json.RawMessage, []string, error) {
	withheld := []string{}
	out, err := redactValue(data, ss, "", &withheld)
	return out, withheld, err
}

// selected is what a selection set asks of one response key.
type selected struct {
	secret bool
	sub    ast.SelectionSet
}

// byKey merges the fields of ss, fragments included, by response key. A key
// that is a secret field under any type condition is withheld.
func byKey(ss ast.SelectionSet, into map[string]*selected) {
	for _, s := range ss {
		switch s := s.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			sel := into[key]
			if sel == nil {
				sel = &selected{}
				into[key] = sel
			}
			sel.secret = sel.secret || s.Name == secretField
			sel.sub = append(sel.sub, s.SelectionSet...)
		case *ast.InlineFragment:
			byKey(s.SelectionSet, into)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				byKey(s.Definition.SelectionSet, into)
			}
		}
	}
}

func redactValue(raw json.RawMessage, ss ast.SelectionSet, path string, withheld *[]string) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(ss) == 0 || len(trimmed) == 0 {
		return raw, nil
	}
	switch trimmed[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, err
		}
		for i := range items {
			v, err := redactValue(items[i], ss, join(path, strconv.Itoa(i)), withheld)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return json.Marshal(items)
	case '{':
		fields := map[string]*selected{}
		byKey(ss, fields)
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if _, err := dec.Token(); err != nil { // {
			return nil, err
		}
		var out bytes.Buffer
		out.WriteByte('{')
		for i := 0; dec.More(); i++ {
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := t.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			if sel := fields[key]; sel != nil {
				switch {
				case sel.secret && string(v) != "null":
					v = json.RawMessage("null")
					*withheld = append(*withheld, join(path, key))
				case len(sel.sub) > 0:
					if v, err = redactValue(v, sel.sub, join(path, key), withheld); err != nil {
						return nil, err
					}
				}
			}
			if i > 0 {
				out.WriteByte(',')
			}
			k, _ := json.Marshal(key)
			out.Write(k)
			out.WriteByte(':')
			out.Write(v)
		}
		out.WriteByte('}')
		return out.Bytes(), nil
	}
	return raw, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
