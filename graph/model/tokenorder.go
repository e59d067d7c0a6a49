package model

import (
	"fmt"
	"io"
	"strconv"

	"entgo.io/contrib/entgql"
)

// APITokenOrderField is the GraphQL enum APITokenOrderField. It is not
// ent's generated type because LAST_USED_AT orders by the token_usage table,
// which ent's paginator cannot (graph/lastused.go).
type APITokenOrderField string

// The fields tokens may be ordered by.
const (
	APITokenOrderFieldCreatedAt  APITokenOrderField = "CREATED_AT"
	APITokenOrderFieldUpdatedAt  APITokenOrderField = "UPDATED_AT"
	APITokenOrderFieldName       APITokenOrderField = "NAME"
	APITokenOrderFieldCode       APITokenOrderField = "CODE"
	APITokenOrderFieldType       APITokenOrderField = "TYPE"
	APITokenOrderFieldExpiresAt  APITokenOrderField = "EXPIRES_AT"
	APITokenOrderFieldLastUsedAt APITokenOrderField = "LAST_USED_AT"
)

var tokenOrderFields = map[APITokenOrderField]bool{
	APITokenOrderFieldCreatedAt: true, APITokenOrderFieldUpdatedAt: true, APITokenOrderFieldName: true,
	APITokenOrderFieldCode: true, APITokenOrderFieldType: true, APITokenOrderFieldExpiresAt: true,
	APITokenOrderFieldLastUsedAt: true,
}

// MarshalGQL writes the field as a GraphQL enum value.
func (f APITokenOrderField) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(f)))
}

// UnmarshalGQL reads a GraphQL enum value.
func (f *APITokenOrderField) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || !tokenOrderFields[APITokenOrderField(str)] {
		return fmt.Errorf("%v is not a valid APITokenOrderField", v)
	}
	*f = APITokenOrderField(str)
	return nil
}

// APITokenOrder is the GraphQL input APITokenOrder.
type APITokenOrder struct {
	Direction entgql.OrderDirection `json:"direction"`
	Field     APITokenOrderField    `json:"field"`
}
