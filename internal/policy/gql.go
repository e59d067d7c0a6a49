package policy

import (
	"fmt"
	"io"
	"strconv"
)

// GraphQL enum values (schema/tokenpolicy.graphql).

func (c Code) MarshalGQL(w io.Writer)       { _, _ = io.WriteString(w, strconv.Quote(string(c))) }
func (i Interval) MarshalGQL(w io.Writer)   { _, _ = io.WriteString(w, strconv.Quote(string(i))) }
func (m RefillMode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(m))) }

func (c *Code) UnmarshalGQL(v any) error {
	s, err := enum(v, "VerificationCode", string(Valid), string(Invalid), string(Forbidden), string(RateLimited), string(UsageExceeded), string(IPNotAllowed), string(NotYetValid))
	*c = Code(s)
	return err
}

func (i *Interval) UnmarshalGQL(v any) error {
	s, err := enum(v, "CreditRefillInterval", string(Daily), string(Monthly))
	*i = Interval(s)
	return err
}

func (m *RefillMode) UnmarshalGQL(v any) error {
	s, err := enum(v, "CreditRefillMode", string(Reset), string(Add))
	*m = RefillMode(s)
	return err
}

func enum(v any, name string, values ...string) (string, error) {
	s, ok := v.(string)
	if ok {
		for _, x := range values {
			if s == x {
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("%v is not a valid %s", v, name)
}
