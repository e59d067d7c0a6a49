package httpserver_test

// Benchmarks of refusing the query bombs (security-hardening issue, item 8:
// each refused in under 10 ms of CPU with under 20 MB of peak RSS growth):
//
//	go test ./internal/httpserver/ -run '^$' -bench Refuse -benchmem
//
// peak-RSS-growth-MB is the process's peak resident set (VmHWM, reset
// through /proc/self/clear_refs before the loop) minus its resident set
// when the loop starts; Linux only.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

func BenchmarkRefuseIntrospectionBomb(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	benchRefuse(b, s.App.Handler(), "", introspectionBomb(2000))
}

func BenchmarkRefuseIntrospectionUnderAliasCap(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	benchRefuse(b, s.App.Handler(), "", introspectionBomb(30))
}

func BenchmarkRefuseTypenameBomb(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	benchRefuse(b, s.App.Handler(), "", typenameBomb(15_000))
}

func BenchmarkRefuseTokenLimit(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	benchRefuse(b, s.App.Handler(), "", "{ "+strings.Repeat("a ", 30_000)+"}")
}

func BenchmarkRefuseSelectionCap(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	benchRefuse(b, s.App.Handler(), "", typenameBomb(4_000))
}

func BenchmarkRefusePageBomb(b *testing.B) {
	s := testserver.New(b, "sqlite", testserver.Quiet(), testserver.RealClock())
	benchSeedTokens(b, s.Store.Client, 1000, 1000)
	reader := s.MustDo(b, s.Admin, createToken, map[string]any{"input": map[string]any{"name": "reader", "type": "READ_ONLY"}}).Str("createAPIToken.secret")
	benchRefuse(b, s.App.Handler(), reader, pageBomb(15))
}

// benchRefuse posts query until b is done, failing unless every answer is
// a BAD_USER_INPUT refusal. Every request ends in a different comment, so
// none is answered from the query cache: an attacker pays nothing to vary
// the document, and the server parses and measures each one.
func benchRefuse(b *testing.B, h http.Handler, bearer, query string) {
	quoted, err := json.Marshal(query)
	if err != nil {
		b.Fatal(err)
	}
	prefix := append([]byte(`{"query":`), quoted[:len(quoted)-1]...)
	n := 0
	once := func() {
		n++
		body := append(append(prefix[:len(prefix):len(prefix)], ` # `+strconv.Itoa(n)...), `"}`...)
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"code":"BAD_USER_INPUT"`)) || bytes.Contains(rec.Body.Bytes(), []byte(`"data":{`)) {
			b.Fatalf("not refused: HTTP %d %.300s", rec.Code, rec.Body.String())
		}
	}
	once() // warm the verification cache
	resetPeakRSS()
	start := procStatusKB("VmRSS")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		once()
	}
	b.StopTimer()
	if peak := procStatusKB("VmHWM"); peak > 0 && start > 0 {
		b.ReportMetric(float64(max(peak-start, 0))/1024, "peak-RSS-growth-MB")
	}
	b.ReportMetric(float64(len(prefix)), "request-bytes")
}

// resetPeakRSS resets VmHWM to the current resident set (Linux ≥ 4.0).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procStatusKB reads a kB figure of /proc/self/status, or 0.
func procStatusKB(field string) int {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
