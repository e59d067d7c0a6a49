package authz

import (
	"testing"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
)

var (
	read    = perm.Permission{ContentType: "api-token", Action: "read"}
	create  = perm.Permission{ContentType: "api-token", Action: "create"}
	audit   = perm.Permission{ContentType: "audit-event", Action: "read"}
	publish = perm.Permission{ContentType: "article", Action: "publish"}
	catalog = perm.NewSet(read, create, audit, publish)
	reads   = perm.NewSet(read, audit)
)

func caller(typ apitoken.Type, held perm.Set) *Principal {
	return &Principal{Token: &ent.APIToken{Type: typ}, Permissions: held}
}

func TestGrant(t *testing.T) {
	custom := perm.NewSet(publish)
	cases := []struct {
		typ  apitoken.Type
		want perm.Set
	}{
		{apitoken.TypeREAD_ONLY, reads},
		{apitoken.TypeFULL_ACCESS, catalog},
		{apitoken.TypeCUSTOM, custom},
	}
	for _, tc := range cases {
		got := Grant(tc.typ, catalog, reads, custom)
		if !got.Contains(tc.want) || !tc.want.Contains(got) {
			t.Errorf("%s: got %v, want %v", tc.typ, got.List(), tc.want.List())
		}
	}
}

func TestCeiling(t *testing.T) {
	cases := []struct {
		name   string
		caller *Principal
		typ    apitoken.Type
		grant  perm.Set
		ok     bool
	}{
		{"full access grants anything", caller(apitoken.TypeFULL_ACCESS, catalog), apitoken.TypeFULL_ACCESS, catalog, true},
		{"custom cannot grant full access", caller(apitoken.TypeCUSTOM, catalog), apitoken.TypeFULL_ACCESS, catalog, false},
		{"custom grants a subset", caller(apitoken.TypeCUSTOM, perm.NewSet(read, create)), apitoken.TypeCUSTOM, perm.NewSet(read), true},
		{"custom grants exactly itself", caller(apitoken.TypeCUSTOM, perm.NewSet(read, create)), apitoken.TypeCUSTOM, perm.NewSet(read, create), true},
		{"custom cannot grant more", caller(apitoken.TypeCUSTOM, perm.NewSet(read)), apitoken.TypeCUSTOM, perm.NewSet(read, create), false},
		{"read-only needs every read", caller(apitoken.TypeCUSTOM, perm.NewSet(read)), apitoken.TypeREAD_ONLY, reads, false},
		{"read-only from a holder of every read", caller(apitoken.TypeCUSTOM, perm.NewSet(read, audit)), apitoken.TypeREAD_ONLY, reads, true},
		{"read-only caller grants read-only", caller(apitoken.TypeREAD_ONLY, reads), apitoken.TypeREAD_ONLY, reads, true},
		{"empty grant", caller(apitoken.TypeCUSTOM, perm.Set{}), apitoken.TypeCUSTOM, perm.Set{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Ceiling(tc.caller, tc.typ, tc.grant)
			if (err == nil) != tc.ok {
				t.Fatalf("Ceiling = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && gqlerr.CodeOf(err) != gqlerr.Forbidden {
				t.Fatalf("code %s", gqlerr.CodeOf(err))
			}
		})
	}
}

// FuzzCeiling: for any caller and grant drawn from the catalog, Ceiling
// allows exactly the grants within the caller (or any, for FULL_ACCESS).
func FuzzCeiling(f *testing.F) {
	f.Add(uint8(0b1111), uint8(0b0001), uint8(2), uint8(2))
	f.Add(uint8(0b0011), uint8(0b0111), uint8(2), uint8(2))
	f.Add(uint8(0b0101), uint8(0b0101), uint8(2), uint8(0))
	f.Add(uint8(0b1111), uint8(0b1111), uint8(2), uint8(1))
	cells := catalog.List()
	types := []apitoken.Type{apitoken.TypeREAD_ONLY, apitoken.TypeFULL_ACCESS, apitoken.TypeCUSTOM}
	pick := func(bits uint8) perm.Set {
		s := perm.Set{}
		for i, c := range cells {
			if bits&(1<<i) != 0 {
				s.Add(c)
			}
		}
		return s
	}
	f.Fuzz(func(t *testing.T, heldBits, wantBits, callerType, grantType uint8) {
		ct, gt := types[int(callerType)%3], types[int(grantType)%3]
		held := Grant(ct, catalog, reads, pick(heldBits))
		grant := Grant(gt, catalog, reads, pick(wantBits))
		err := Ceiling(caller(ct, held), gt, grant)
		allowed := ct == apitoken.TypeFULL_ACCESS || (gt != apitoken.TypeFULL_ACCESS && held.Contains(grant))
		if (err == nil) != allowed {
			t.Fatalf("caller %s %v, grant %s %v: err=%v, want allowed=%v", ct, held.List(), gt, grant.List(), err, allowed)
		}
	})
}
