package httpserver_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// This file holds the vocabulary of the escalation model test: permission
// sets with a symbolic "everything", snapshots of the whole catalog read by
// the FULL_ACCESS admin, and GraphQL literals built deterministically.

// power is what a token may do. FULL_ACCESS is "everything", whatever the
// catalog holds at the moment, so a FULL_ACCESS token never gains a new
// content type's cells nor loses a deleted one's.
type power struct {
	full  bool
	cells map[string]bool // "content-type:action"
}

func (p power) String() string {
	if p.full {
		return "FULL_ACCESS"
	}
	return "{" + strings.Join(sortedKeys(p.cells), " ") + "}"
}

// within reports whether p ⊆ q.
func (p power) within(q power) bool {
	if q.full {
		return true
	}
	if p.full {
		return false
	}
	for c := range p.cells {
		if !q.cells[c] {
			return false
		}
	}
	return true
}

// minus lists what p has that q lacks; "FULL_ACCESS" when p is everything and q is not.
func (p power) minus(q power) []string {
	if q.full {
		return nil
	}
	if p.full {
		return []string{"FULL_ACCESS"}
	}
	var out []string
	for _, c := range sortedKeys(p.cells) {
		if !q.cells[c] {
			out = append(out, c)
		}
	}
	return out
}

func (p power) union(q power) power {
	if p.full || q.full {
		return power{full: true}
	}
	out := power{cells: map[string]bool{}}
	for c := range p.cells {
		out.cells[c] = true
	}
	for c := range q.cells {
		out.cells[c] = true
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type tokenState struct {
	ID, Name, Type, Status, Persona string
	ExpiresAt                       *time.Time // nil: never
	Power                           power
}

type personaState struct{ ID, Name, Avatar string }

type roleState struct {
	ID, Name string
	Cells    power
}

type action struct {
	Name     string
	ReadOnly bool
}

type contentTypeState struct {
	ID, UID string
	System  bool
	Actions []action
}

// snapshot is the whole state that matters to the rules, as the admin sees it.
type snapshot struct {
	tokens   map[string]*tokenState
	personas map[string]*personaState
	roles    map[string]*roleState
	cts      map[string]*contentTypeState
	all      []string        // every cell of the catalog, sorted
	readOnly map[string]bool // the read-only cells
}

const snapshotQuery = `{
	apiTokens(first: 200) { edges { node { id name type status expiresAt persona { id } effectivePermissions { contentType action } } } }
	personas(first: 200) { edges { node { id name avatarURL } } }
	roles(first: 100) { edges { node { id name permissions { contentType action } } } }
	contentTypes(first: 100) { edges { node { id uid system actions { name readOnly } } } } }`

func takeSnapshot(t testing.TB, s *testserver.Server) *snapshot {
	t.Helper()
	r := s.MustDo(t, s.Admin, snapshotQuery, nil)
	var data struct {
		APITokens struct {
			Edges []struct {
				Node struct {
					ID, Name, Type, Status string
					ExpiresAt              *time.Time
					Persona                struct{ ID string }
					EffectivePermissions   []struct{ ContentType, Action string }
				}
			}
		}
		Personas struct {
			Edges []struct {
				Node struct{ ID, Name, AvatarURL string }
			}
		}
		Roles struct {
			Edges []struct {
				Node struct {
					ID, Name    string
					Permissions []struct{ ContentType, Action string }
				}
			}
		}
		ContentTypes struct {
			Edges []struct {
				Node struct {
					ID, UID string
					System  bool
					Actions []struct {
						Name     string
						ReadOnly bool
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.Raw), &struct{ Data any }{&data}); err != nil {
		t.Fatalf("decoding snapshot: %v", err)
	}
	cellsOf := func(list []struct{ ContentType, Action string }) power {
		p := power{cells: map[string]bool{}}
		for _, c := range list {
			p.cells[c.ContentType+":"+c.Action] = true
		}
		return p
	}
	sn := &snapshot{tokens: map[string]*tokenState{}, personas: map[string]*personaState{}, roles: map[string]*roleState{},
		cts: map[string]*contentTypeState{}, readOnly: map[string]bool{}}
	for _, e := range data.APITokens.Edges {
		n := e.Node
		ts := &tokenState{ID: n.ID, Name: n.Name, Type: n.Type, Status: n.Status, Persona: n.Persona.ID, ExpiresAt: n.ExpiresAt, Power: cellsOf(n.EffectivePermissions)}
		if n.Type == "FULL_ACCESS" {
			ts.Power = power{full: true}
		}
		sn.tokens[n.ID] = ts
	}
	for _, e := range data.Personas.Edges {
		sn.personas[e.Node.ID] = &personaState{ID: e.Node.ID, Name: e.Node.Name, Avatar: e.Node.AvatarURL}
	}
	for _, e := range data.Roles.Edges {
		sn.roles[e.Node.ID] = &roleState{ID: e.Node.ID, Name: e.Node.Name, Cells: cellsOf(e.Node.Permissions)}
	}
	for _, e := range data.ContentTypes.Edges {
		ct := &contentTypeState{ID: e.Node.ID, UID: e.Node.UID, System: e.Node.System}
		for _, a := range e.Node.Actions {
			ct.Actions = append(ct.Actions, action{a.Name, a.ReadOnly})
			cell := ct.UID + ":" + a.Name
			sn.all = append(sn.all, cell)
			if a.ReadOnly {
				sn.readOnly[cell] = true
			}
		}
		sn.cts[ct.ID] = ct
	}
	sort.Strings(sn.all)
	return sn
}

// GraphQL literals: enum values print bare, objects keep their field order,
// so a document is the same text for the same seed.
type enum string

type kv struct {
	k string
	v any
}

type obj []kv

func lit(v any) string {
	switch v := v.(type) {
	case enum:
		return string(v)
	case string:
		b, _ := json.Marshal(v)
		return string(b)
	case bool:
		return fmt.Sprint(v)
	case int:
		return fmt.Sprint(v)
	case time.Time:
		return lit(v.UTC().Format(time.RFC3339))
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = lit(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []any:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = lit(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case obj:
		parts := make([]string, len(v))
		for i, f := range v {
			parts[i] = f.k + ": " + lit(f.v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	panic(fmt.Sprintf("lit: unsupported %T", v))
}

// cellList turns "ct:action" cells into PermissionInput literals.
func cellList(cells []string) []any {
	out := make([]any, len(cells))
	for i, c := range cells {
		ct, a, _ := strings.Cut(c, ":")
		out[i] = obj{{"contentType", ct}, {"action", a}}
	}
	return out
}

func actionList(actions []action) []any {
	out := make([]any, len(actions))
	for i, a := range actions {
		out[i] = obj{{"name", a.Name}, {"readOnly", a.ReadOnly}}
	}
	return out
}

// byteSource is a rand.Source reading the fuzzer's bytes, then a PCG seeded
// by them once they run out: every input is a valid, deterministic sequence.
type byteSource struct {
	data []byte
	rest *rand.PCG
}

func newByteSource(data []byte) *byteSource {
	h := fnv.New64a()
	h.Write(data)
	return &byteSource{data: data, rest: rand.NewPCG(h.Sum64(), uint64(len(data)))}
}

func (b *byteSource) Uint64() uint64 {
	if len(b.data) == 0 {
		return b.rest.Uint64()
	}
	var buf [8]byte
	n := copy(buf[:], b.data)
	b.data = b.data[n:]
	if n < 8 {
		// Few bytes left: mix them with the fallback so that small inputs still spread.
		return binary.LittleEndian.Uint64(buf[:]) ^ b.rest.Uint64()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

// swapCase flips the case of every letter: the same name to a
// case-insensitive comparison, a different one to an exact comparison.
func swapCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 32)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 32)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func withoutString(list []string, s string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == s })
}
