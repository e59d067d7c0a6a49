// Package perm holds the cells of the permission matrix: a permission is one
// (content type, action) pair, and a Set is what a token may do.
package perm

import (
	"sort"
	"strings"
)

// Action is one thing that can be done to a content type.
type Action struct {
	Name     string `json:"name"`
	ReadOnly bool   `json:"readOnly"`
}

// DefaultActions are the actions of a content type registered without any.
func DefaultActions() []Action {
	return []Action{
		{Name: "read", ReadOnly: true},
		{Name: "create"},
		{Name: "update"},
		{Name: "delete"},
	}
}

// Permission is one cell of the matrix; ContentType is the content type's uid.
type Permission struct {
	ContentType string `json:"contentType"`
	Action      string `json:"action"`
}

// String renders the permission as "content-type:action".
func (p Permission) String() string { return p.ContentType + ":" + p.Action }

// Set is a set of permissions.
type Set map[Permission]struct{}

// NewSet returns a set holding ps.
func NewSet(ps ...Permission) Set {
	s := make(Set, len(ps))
	for _, p := range ps {
		s[p] = struct{}{}
	}
	return s
}

// Add puts ps into the set.
func (s Set) Add(ps ...Permission) {
	for _, p := range ps {
		s[p] = struct{}{}
	}
}

// Has reports whether the set grants p.
func (s Set) Has(p Permission) bool {
	_, ok := s[p]
	return ok
}

// Allows reports whether the set grants action on contentType.
func (s Set) Allows(contentType, action string) bool {
	return s.Has(Permission{ContentType: contentType, Action: action})
}

// Missing returns the permissions of want that s does not hold, sorted.
func (s Set) Missing(want Set) []Permission {
	var out []Permission
	for p := range want {
		if !s.Has(p) {
			out = append(out, p)
		}
	}
	Sort(out)
	return out
}

// Contains reports whether every permission of want is in s.
func (s Set) Contains(want Set) bool {
	for p := range want {
		if !s.Has(p) {
			return false
		}
	}
	return true
}

// List returns the permissions sorted by content type, then action.
func (s Set) List() []Permission {
	out := make([]Permission, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	Sort(out)
	return out
}

// Sort orders permissions by content type, then action.
func Sort(ps []Permission) {
	sort.Slice(ps, func(i, j int) bool {
		if c := strings.Compare(ps[i].ContentType, ps[j].ContentType); c != 0 {
			return c < 0
		}
		return ps[i].Action < ps[j].Action
	})
}
