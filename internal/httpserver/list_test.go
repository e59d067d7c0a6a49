package httpserver_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

const listQuery = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $orderBy: APITokenOrder, $where: APITokenWhereInput) {
	apiTokens(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, where: $where) {
		totalCount
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { id name code type status expiresAt lastUsedAt createdAt updatedAt } }
	} }`

func names(r *testserver.Response) []string {
	var out []string
	for _, e := range r.Get("apiTokens.edges").([]any) {
		out = append(out, e.(map[string]any)["node"].(map[string]any)["name"].(string))
	}
	return out
}

func TestListOrderFilterPaginate(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect)
		auditor := roleID(t, s, "Auditor")
		shared := ""
		secrets := map[string]string{}
		ids := map[string]string{}
		specs := []map[string]any{
			{"name": "alpha", "type": "READ_ONLY", "lifespan": "DAYS_7"},
			{"name": "Bravo", "type": "CUSTOM", "roleIDs": []string{auditor}},
			{"name": "charlie", "type": "FULL_ACCESS", "lifespan": "DAYS_90"},
			{"name": "Delta", "type": "CUSTOM", "roleIDs": []string{auditor}, "lifespan": "DAYS_30"},
			{"name": "echo", "type": "READ_ONLY"},
			{"name": "Foxtrot", "type": "READ_ONLY", "expiresAt": s.Clock.Now().Add(time.Hour).Format(time.RFC3339)},
			{"name": "golf", "type": "CUSTOM", "permissions": []map[string]any{{"contentType": "role", "action": "read"}}},
		}
		for i, in := range specs {
			if i == 4 {
				in["personaID"] = shared
			}
			r := s.MustDo(t, s.Admin, createToken, map[string]any{"input": in})
			name := in["name"].(string)
			secrets[name] = r.Str("createAPIToken.secret")
			ids[name] = r.Str("createAPIToken.apiToken.id")
			if i == 0 {
				shared = r.Str("createAPIToken.apiToken.persona.id")
			}
			s.Clock.Advance(time.Minute)
		}
		// Use some tokens, at different times, and flush the last-used times.
		used := map[string]time.Time{}
		for _, n := range []string{"golf", "alpha", "charlie"} {
			used[n] = s.Clock.Now().UTC()
			s.MustDo(t, secrets[n], viewerQuery, nil)
			s.Clock.Advance(time.Minute)
		}
		if err := s.App.Recorder.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": ids["echo"]})
		s.Clock.Advance(2 * time.Hour) // Foxtrot expires

		// Default order: name ascending, case-insensitive.
		all := s.MustDo(t, s.Admin, listQuery, map[string]any{"first": 100})
		want := []string{"alpha", "Bootstrap", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf"}
		if got := names(all); !reflect.DeepEqual(got, want) {
			t.Fatalf("default order: got %v, want %v", got, want)
		}
		if n := all.Get("apiTokens.totalCount"); n != float64(8) {
			t.Fatalf("totalCount = %v", n)
		}

		// Every order field, both directions, paged two at a time, agrees
		// with the single-page order, which is sorted by the field.
		key := map[string]string{"NAME": "name", "CODE": "code", "TYPE": "type", "CREATED_AT": "createdAt", "UPDATED_AT": "updatedAt", "LAST_USED_AT": "lastUsedAt", "EXPIRES_AT": "expiresAt"}
		for field, attr := range key {
			for _, dir := range []string{"ASC", "DESC"} {
				order := map[string]any{"field": field, "direction": dir}
				full := s.MustDo(t, s.Admin, listQuery, map[string]any{"first": 100, "orderBy": order})
				var values []string
				for _, e := range full.Get("apiTokens.edges").([]any) {
					v, _ := e.(map[string]any)["node"].(map[string]any)[attr].(string)
					values = append(values, sortKey(field, v))
				}
				sorted := slices.Clone(values)
				slices.Sort(sorted)
				if dir == "DESC" {
					slices.Reverse(sorted)
				}
				if !reflect.DeepEqual(values, sorted) {
					t.Errorf("%s %s not sorted: %v", field, dir, values)
				}
				var paged []string
				var after any
				for page := 0; ; page++ {
					r := s.MustDo(t, s.Admin, listQuery, map[string]any{"first": 3, "after": after, "orderBy": order})
					paged = append(paged, names(r)...)
					if r.Get("apiTokens.pageInfo.hasNextPage") != true {
						break
					}
					after = r.Get("apiTokens.pageInfo.endCursor")
					if page > 10 {
						t.Fatal("pagination does not end")
					}
				}
				if !reflect.DeepEqual(paged, names(full)) {
					t.Errorf("%s %s paged %v, single page %v", field, dir, paged, names(full))
				}
			}
		}
		// Backwards, ordered by last use: never-used tokens (by id) first.
		byUse := map[string]any{"field": "LAST_USED_AT", "direction": "ASC"}
		fullUse := names(s.MustDo(t, s.Admin, listQuery, map[string]any{"first": 100, "orderBy": byUse}))
		tail := s.MustDo(t, s.Admin, listQuery, map[string]any{"last": 3, "orderBy": byUse})
		if got := names(tail); !reflect.DeepEqual(got, fullUse[5:]) || tail.Get("apiTokens.pageInfo.hasPreviousPage") != true {
			t.Errorf("last 3 by use: %v of %v", got, fullUse)
		}
		prev := s.MustDo(t, s.Admin, listQuery, map[string]any{"last": 3, "orderBy": byUse, "before": tail.Get("apiTokens.pageInfo.startCursor")})
		if got := names(prev); !reflect.DeepEqual(got, fullUse[2:5]) || prev.Get("apiTokens.pageInfo.hasNextPage") != true {
			t.Errorf("last 3 by use before: %v of %v", got, fullUse)
		}
		if !reflect.DeepEqual(fullUse[5:], []string{"golf", "alpha", "charlie"}) {
			t.Errorf("by use: %v", fullUse)
		}

		// Backwards from the end.
		last := s.MustDo(t, s.Admin, listQuery, map[string]any{"last": 3})
		if got := names(last); !reflect.DeepEqual(got, want[5:]) {
			t.Errorf("last 3: %v", got)
		}
		before := s.MustDo(t, s.Admin, listQuery, map[string]any{"last": 2, "before": last.Get("apiTokens.pageInfo.startCursor")})
		if got := names(before); !reflect.DeepEqual(got, want[3:5]) {
			t.Errorf("last 2 before: %v", got)
		}

		filters := []struct {
			where map[string]any
			want  []string
		}{
			{map[string]any{"nameContainsFold": "LF"}, []string{"golf"}},
			{map[string]any{"nameContainsFold": "o"}, []string{"Bootstrap", "Bravo", "echo", "Foxtrot", "golf"}},
			{map[string]any{"type": "CUSTOM"}, []string{"Bravo", "Delta", "golf"}},
			{map[string]any{"typeIn": []string{"FULL_ACCESS"}}, []string{"Bootstrap", "charlie"}},
			{map[string]any{"status": "REVOKED"}, []string{"echo"}},
			{map[string]any{"status": "EXPIRED"}, []string{"Foxtrot"}},
			{map[string]any{"status": "ACTIVE"}, []string{"alpha", "Bootstrap", "Bravo", "charlie", "Delta", "golf"}},
			{map[string]any{"secret": secrets["Delta"]}, []string{"Delta"}},
			{map[string]any{"secret": secrets["Delta"] + "x"}, nil},
			{map[string]any{"secret": "not a token"}, nil},
			{map[string]any{"personaID": shared}, []string{"alpha", "echo"}},
			{map[string]any{"roleID": auditor}, []string{"Bravo", "Delta"}},
			{map[string]any{"hasPersonaWith": []map[string]any{{"nameContainsFold": "ALPH"}}}, []string{"alpha", "echo"}},
			{map[string]any{"hasRolesWith": []map[string]any{{"name": "Auditor"}}, "status": "ACTIVE"}, []string{"Bravo", "Delta"}},
			{map[string]any{"nameContainsFold": "a", "type": "READ_ONLY"}, []string{"alpha"}},
			{map[string]any{"or": []map[string]any{{"nameContainsFold": "ALP"}, {"nameContainsFold": "gol"}}}, []string{"alpha", "golf"}},
			{map[string]any{"not": map[string]any{"nameContainsFold": "o"}}, []string{"alpha", "charlie", "Delta"}},
			{map[string]any{"nameContainsFold": "zzz"}, nil},
			// Last use lives in token_usage; its filters behave as a column's.
			{map[string]any{"lastUsedAtNotNil": true}, []string{"alpha", "Bootstrap", "charlie", "golf"}},
			{map[string]any{"lastUsedAtIsNil": true}, []string{"Bravo", "Delta", "echo", "Foxtrot"}},
			{map[string]any{"lastUsedAtIsNil": false}, []string{"alpha", "Bootstrap", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf"}},
			{map[string]any{"lastUsedAtGTE": used["alpha"].Format(time.RFC3339)}, []string{"alpha", "charlie"}},
			{map[string]any{"lastUsedAtLT": used["alpha"].Format(time.RFC3339)}, []string{"Bootstrap", "golf"}},
			{map[string]any{"lastUsedAt": used["golf"].Format(time.RFC3339)}, []string{"golf"}},
			{map[string]any{"lastUsedAtNEQ": used["golf"].Format(time.RFC3339)}, []string{"alpha", "Bootstrap", "charlie"}},
			{map[string]any{"lastUsedAtIn": []string{used["golf"].Format(time.RFC3339), used["charlie"].Format(time.RFC3339)}}, []string{"charlie", "golf"}},
			{map[string]any{"lastUsedIP": "127.0.0.1"}, []string{"alpha", "Bootstrap", "charlie", "golf"}},
			{map[string]any{"lastUsedIPHasPrefix": "127.", "type": "READ_ONLY"}, []string{"alpha"}},
			{map[string]any{"lastUsedIPIsNil": true, "type": "CUSTOM"}, []string{"Bravo", "Delta"}},
			{map[string]any{"not": map[string]any{"lastUsedAtIsNil": true}}, []string{"alpha", "Bootstrap", "charlie", "golf"}},
			{map[string]any{"or": []map[string]any{{"lastUsedAtGT": used["alpha"].Format(time.RFC3339)}, {"name": "Delta"}}}, []string{"charlie", "Delta"}},
		}
		for _, f := range filters {
			r := s.MustDo(t, s.Admin, listQuery, map[string]any{"first": 100, "where": f.where})
			if got := names(r); !reflect.DeepEqual(got, f.want) {
				t.Errorf("where %v: got %v, want %v", f.where, got, f.want)
			}
			if n := r.Get("apiTokens.totalCount"); n != float64(len(f.want)) {
				t.Errorf("where %v: totalCount %v", f.where, n)
			}
		}
		// Filtered pagination keeps the filter across pages.
		p1 := s.MustDo(t, s.Admin, listQuery, map[string]any{"first": 2, "where": map[string]any{"status": "ACTIVE"}})
		p2 := s.MustDo(t, s.Admin, listQuery, map[string]any{"first": 10, "after": p1.Get("apiTokens.pageInfo.endCursor"), "where": map[string]any{"status": "ACTIVE"}})
		if got := append(names(p1), names(p2)...); !reflect.DeepEqual(got, []string{"alpha", "Bootstrap", "Bravo", "charlie", "Delta", "golf"}) {
			t.Errorf("filtered pages: %v", got)
		}
	})
}

// sortKey makes a column value comparable as a string the way the server
// orders it: names case-insensitively, never-used first, unlimited last.
func sortKey(field, v string) string {
	switch field {
	case "NAME":
		return strings.ToLower(v)
	case "LAST_USED_AT":
		if v == "" {
			return "0"
		}
	case "EXPIRES_AT":
		if v == "" {
			return "9999"
		}
	case "CREATED_AT", "UPDATED_AT":
		tm, _ := time.Parse(time.RFC3339Nano, v)
		return fmt.Sprint(tm.UnixMicro())
	}
	return v
}
