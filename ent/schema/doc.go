package schema

// enumValues describes the values of an enum field in the GraphQL schema:
// entgql takes descriptions of fields from their Comment, of types from
// schema.Comment, and has none for enum values. The describe hook in
// ent/entc.go reads it.
type enumValues map[string]string

func (enumValues) Name() string { return "EnumValues" }
