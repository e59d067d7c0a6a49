package header

import (
	"math/rand"
	"net/http"
	"strconv"
	"testing"
)

// A batch writes exactly what the same http.Header.Set calls would, for
// random mixes of strings and numbers.
func TestBatchMatchesSet(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	keys := []string{"Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset", "X-Latchkey-Token-Id", "X-Latchkey-Persona", "X-Latchkey-Credits-Remaining"}
	for i := 0; i < 2000; i++ {
		var b Batch
		want, got := http.Header{"Keep": {"x"}}, http.Header{"Keep": {"x"}}
		for j := 0; j < r.Intn(maxFields+1); j++ {
			k := keys[r.Intn(len(keys))]
			if r.Intn(2) == 0 {
				v := strconv.Itoa(r.Intn(1000))
				b.Str(k, v)
				want.Set(k, v)
			} else {
				v := r.Int63n(1<<40) - 1<<20
				b.Int(k, v)
				want.Set(k, strconv.FormatInt(v, 10))
			}
		}
		b.Write(got)
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for k, v := range want {
			if len(got[k]) != 1 || got[k][0] != v[0] {
				t.Fatalf("%s: got %v, want %v", k, got[k], v)
			}
		}
		// A later Add must not write into a neighbour's value.
		for k := range got {
			got.Add(k, "extra")
		}
		for k, v := range want {
			if got[k][0] != v[0] {
				t.Fatalf("%s changed after Add: %v", k, got[k])
			}
		}
	}
}

func TestBatchAllocations(t *testing.T) {
	h := http.Header{}
	allocs := testing.AllocsPerRun(100, func() {
		var b Batch
		b.Int("Ratelimit-Limit", 1000)
		b.Int("Ratelimit-Remaining", 99999)
		b.Int("Ratelimit-Reset", 3600)
		b.Int("X-Latchkey-Credits-Remaining", 123456789)
		b.Str("X-Latchkey-Token-Id", "tok_1")
		b.Write(h)
	})
	if allocs > 2 {
		t.Fatalf("%v allocations, want at most 2", allocs)
	}
}
