package authz

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// Guard keeps every guarded record (a type in ContentTypeOf) unreadable to a
// caller without read on its content type, whatever path reaches it: a query,
// an edge, a filter or a mutation payload. It is derived from the schema by
// type, so a new edge or filter is guarded without anyone remembering to.
//
//  1. Every field of a guarded record, or of its Connection or Edge type, needs
//     read on the record, except the record's id (revokeAPIToken(id:) { id }
//     stays open to revokers) and except on the caller's own token and persona
//     reached under viewer (or rotateViewerToken).
//  2. A field of such a type that leads to a guarded record (an edge) also
//     needs read on the record it leads to, under viewer too.
//  3. An argument of type <Record>WhereInput needs read on the record, and each
//     of its fields that filters by another record (hasX, hasXWith, xID) needs
//     read on that record, however deep in and/or/not, literal or variable.
//
// Root fields are left to their directives; their payloads are covered by 1.
type Guard struct {
	objects map[string]*objectGuard              // by object type name
	inputs  map[string]map[string]inputFieldRule // by <Record>WhereInput name, then field
}

type objectGuard struct {
	contentType string // read that every field needs; "" when the type is no guarded one
	record      bool   // a record itself: its id is open, and the viewer exception applies
	fields      map[string]*fieldGuard
}

type fieldGuard struct {
	leadsTo string // content type of the record this edge leads to
	filters []filterArg
}

type filterArg struct {
	name, input, contentType string
}

type inputFieldRule struct {
	contentType string // read this filter reveals
	nested      string // the where-input inside it, walked in turn
}

// viewerField is the root field whose own token and persona need no read;
// so is rotateField's payload, the caller's own token with its new secret.
const (
	viewerField = "viewer"
	rotateField = "rotateViewerToken"
)

// NewGuard derives the guard's tables from the executable schema.
func NewGuard(schema *ast.Schema) *Guard {
	guarded := map[string]string{} // record, Connection and Edge type names → content type
	for rec, ct := range ContentTypeOf {
		for _, name := range []string{rec, rec + "Connection", rec + "Edge"} {
			if schema.Types[name] != nil {
				guarded[name] = ct
			}
		}
	}
	g := &Guard{objects: map[string]*objectGuard{}, inputs: map[string]map[string]inputFieldRule{}}
	for name, def := range schema.Types {
		if rec, ok := strings.CutSuffix(name, "WhereInput"); ok && def.Kind == ast.InputObject && isRecord(schema, rec) {
			g.inputs[name] = whereRules(schema, guarded, schema.Types[rec], def)
		}
	}
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		og := &objectGuard{contentType: guarded[name], record: isRecord(schema, name), fields: map[string]*fieldGuard{}}
		for _, f := range def.Fields {
			fg := &fieldGuard{}
			if og.contentType != "" {
				fg.leadsTo = guarded[f.Type.Name()]
			}
			for _, a := range f.Arguments {
				if _, ok := g.inputs[a.Type.Name()]; ok {
					rec := strings.TrimSuffix(a.Type.Name(), "WhereInput")
					fg.filters = append(fg.filters, filterArg{name: a.Name, input: a.Type.Name(), contentType: guarded[rec]})
				}
			}
			if fg.leadsTo != "" || len(fg.filters) > 0 {
				og.fields[f.Name] = fg
			}
		}
		if og.contentType != "" || len(og.fields) > 0 {
			g.objects[name] = og
		}
	}
	return g
}

func isRecord(schema *ast.Schema, name string) bool {
	_, ok := ContentTypeOf[name]
	return ok && schema.Types[name] != nil && schema.Types[name].Kind == ast.Object
}

// whereRules says, for each field of a record's where-input, which guarded
// record it reveals: hasX and hasXWith reveal the type of the record's field
// x, xID (or xIDs) the type of its field x or xs, and/or/not the record itself.
func whereRules(schema *ast.Schema, guarded map[string]string, rec, where *ast.Definition) map[string]inputFieldRule {
	edgeType := func(names ...string) string {
		for _, n := range names {
			if f := rec.Fields.ForName(n); f != nil {
				return guarded[f.Type.Name()]
			}
		}
		return ""
	}
	rules := map[string]inputFieldRule{}
	for _, f := range where.Fields {
		var r inputFieldRule
		if inner := f.Type.Name(); schema.Types[inner] != nil && schema.Types[inner].Kind == ast.InputObject {
			r.nested = inner
			if target, ok := strings.CutSuffix(inner, "WhereInput"); ok {
				r.contentType = guarded[target]
			}
		}
		if edge, ok := strings.CutPrefix(f.Name, "has"); ok && edge != "" {
			edge = strings.TrimSuffix(edge, "With")
			if ct := edgeType(strings.ToLower(edge[:1]) + edge[1:]); ct != "" {
				r.contentType = ct
			}
		}
		for _, suffix := range []string{"IDs", "ID"} {
			if base, ok := strings.CutSuffix(f.Name, suffix); ok && base != "" && r.contentType == "" {
				r.contentType = edgeType(base, base+"s")
			}
		}
		if r.contentType != "" || r.nested != "" {
			rules[f.Name] = r
		}
	}
	return rules
}

// Needs lists the read permissions (content types) a field of an object type
// requires, before the viewer exception. For tests and documentation.
func (g *Guard) Needs(object, field string) []string {
	og := g.objects[object]
	if og == nil {
		return nil
	}
	var out []string
	if og.contentType != "" && !(og.record && field == "id") {
		out = append(out, og.contentType)
	}
	if fg := og.fields[field]; fg != nil && fg.leadsTo != "" {
		out = append(out, fg.leadsTo)
	}
	return out
}

// FilterNeeds is the read permission a field of a where-input requires ("" for none).
func (g *Guard) FilterNeeds(input, field string) string {
	return g.inputs[input][field].contentType
}

// Filters lists the arguments of a field that the guard inspects.
func (g *Guard) Filters(object, field string) []string {
	var out []string
	if og := g.objects[object]; og != nil && og.fields[field] != nil {
		for _, a := range og.fields[field].filters {
			out = append(out, a.name)
		}
	}
	return out
}

// Field is the gqlgen field middleware (handler.AroundFields). gqlgen calls
// it for every field, plain struct fields included; most leave after one
// map lookup.
func (g *Guard) Field(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	og := g.objects[fc.Object]
	if og == nil {
		return next(ctx)
	}
	name := fc.Field.Name
	fg := og.fields[name]
	if fg == nil && (og.contentType == "" || og.record && name == "id") {
		return next(ctx)
	}
	p := FromContext(ctx)
	if og.contentType != "" && !(og.record && name == "id") {
		if err := mayRead(p, og.contentType); err != nil && !(og.record && ownUnderViewer(fc, p)) {
			return nil, refused(ctx, err)
		}
	}
	if fg != nil {
		if fg.leadsTo != "" {
			if err := mayRead(p, fg.leadsTo); err != nil {
				return nil, refused(ctx, err)
			}
		}
		if len(fg.filters) > 0 {
			vars := graphql.GetOperationContext(ctx).Variables
			for _, a := range fg.filters {
				arg := fc.Field.Arguments.ForName(a.name)
				if arg == nil || arg.Value == nil {
					continue
				}
				v, err := arg.Value.Value(vars)
				if err != nil || v == nil {
					continue // gqlgen reports bad values itself
				}
				if err := mayRead(p, a.contentType); err != nil {
					return nil, refused(ctx, err)
				}
				if err := g.checkFilter(p, a.input, v); err != nil {
					return nil, refused(ctx, err)
				}
			}
		}
	}
	return next(ctx)
}

// checkFilter walks a where-input value and refuses a filter on a record
// the caller may not read.
func (g *Guard) checkFilter(p *Principal, input string, v any) error {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if err := g.checkFilter(p, input, e); err != nil {
				return err
			}
		}
	case map[string]any:
		rules := g.inputs[input]
		for k, val := range v {
			r, ok := rules[k]
			if !ok || val == nil {
				continue
			}
			if r.contentType != "" {
				if err := mayRead(p, r.contentType); err != nil {
					return err
				}
			}
			if r.nested != "" {
				if err := g.checkFilter(p, r.nested, val); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// refused notes a refused read in the request's usage outcome.
func refused(ctx context.Context, err error) error {
	usage.Refused(ctx)
	return err
}

func mayRead(p *Principal, contentType string) error {
	if p == nil {
		return gqlerr.New(gqlerr.Unauthenticated, "a bearer token is required")
	}
	if !p.Can(contentType, "read") {
		return gqlerr.New(gqlerr.Forbidden, "this token may not read %s", contentType)
	}
	return nil
}

// ownUnderViewer reports whether the field's object is the caller's own token
// or persona, reached through viewer: both must hold.
func ownUnderViewer(fc *graphql.FieldContext, p *Principal) bool {
	if p == nil || fc.Parent == nil {
		return false
	}
	switch o := fc.Parent.Result.(type) {
	case *ent.APIToken:
		if p.Token == nil || o.ID != p.Token.ID {
			return false
		}
	case *ent.Persona:
		if p.Persona == nil || o.ID != p.Persona.ID {
			return false
		}
	default:
		return false
	}
	// The outermost context with a field is the root field (gqlgen may wrap
	// it in one without).
	var root *graphql.FieldContext
	for f := fc; f != nil; f = f.Parent {
		if f.Field.Field != nil {
			root = f
		}
	}
	if root == nil {
		return false
	}
	return root.Object == "Query" && root.Field.Name == viewerField ||
		root.Object == "Mutation" && root.Field.Name == rotateField
}
