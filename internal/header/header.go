// Package header writes several response header fields at once for the
// hot paths (/auth/verify answers a gateway on every request): all values
// share one slice and all numbers one string, so a batch costs two
// allocations however many fields it holds, where http.Header.Set costs
// one per field, plus one per number and one per non-canonical key.
package header

import (
	"net/http"
	"net/textproto"
	"strconv"
)

// maxFields is the most fields one batch holds; more panic (a programming
// error: the callers set a fixed list).
const maxFields = 12

// Batch collects fields and writes them with Write. The zero value is
// ready to use; keys must be canonical (textproto.CanonicalMIMEHeaderKey),
// which Write checks cheaply only in tests via Canonical.
type Batch struct {
	n    int
	keys [maxFields]string
	vals [maxFields]string
	// numEnd[i] > 0: field i is the number ending at nums[numEnd[i]-1],
	// starting where the previous number ended.
	numEnd [maxFields]int
	nums   [maxFields * 20]byte // an int64 takes at most 20 bytes
	nlen   int
}

// Str adds the field key: value.
func (b *Batch) Str(key, value string) {
	b.keys[b.n], b.vals[b.n] = key, value
	b.n++
}

// Int adds the field key: the decimal value.
func (b *Batch) Int(key string, value int64) {
	b.nlen = len(strconv.AppendInt(b.nums[:b.nlen], value, 10))
	b.keys[b.n], b.numEnd[b.n] = key, b.nlen
	b.n++
}

// Write sets every field collected into h, replacing what h held for it.
func (b *Batch) Write(h http.Header) {
	if b.n == 0 {
		return
	}
	var numbers string
	if b.nlen > 0 {
		numbers = string(b.nums[:b.nlen])
	}
	values := make([]string, b.n)
	start := 0
	for i := 0; i < b.n; i++ {
		v := b.vals[i]
		if end := b.numEnd[i]; end > 0 {
			v, start = numbers[start:end], end
		}
		values[i] = v
		h[b.keys[i]] = values[i : i+1 : i+1]
	}
}

// Canonical reports whether key is in the form http.Header.Set would store
// it under (tests check every key the batches use).
func Canonical(key string) bool { return textproto.CanonicalMIMEHeaderKey(key) == key }
