package httpserver_test

// Benchmarks of issue 12's target paths (docs/PERFORMANCE.md, "Issue 12:
// where the time went"), each through the real handler, each compared in the
// same run with a bare net/http handler that writes a body of the same size:
//
//	go test ./internal/httpserver/ -run '^$' -bench 'Issue12' -benchmem -count 6
//	LATCHKEY_TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/ go test ./internal/httpserver/ -run '^$' -bench 'Issue12' -benchmem -count 6
//
// The list runs on SQLite and, with LATCHKEY_TEST_MYSQL_DSN, on MySQL.

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// The documents of the issue.
const (
	issue12List   = `{ apiTokens(first: 10) { totalCount edges { node { name description } } } }`
	issue12Viewer = `{ viewer { apiToken { name } persona { name } } }`
)

// bareHandler answers every request with body, as a Go service with no
// GraphQL, authentication, database or logging would: the ceiling the issue
// compares Latchkey with.
func bareHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}

// issue12Do sends one request to h and returns the answer's body; it fails
// on anything but a clean 200.
func issue12Do(h http.Handler, method, target, bearer string, body []byte) ([]byte, error) {
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.RemoteAddr = "127.0.0.1:40000"
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		return nil, &benchError{rec.Code, rec.Body.String()}
	}
	return rec.Body.Bytes(), nil
}

type benchError struct {
	code int
	body string
}

func (e *benchError) Error() string { return "HTTP " + strconv.Itoa(e.code) + ": " + e.body }

// issue12Pair runs the Latchkey request and the bare handler with a body of
// the same size as sub-benchmarks, one after the other, on all cores.
func issue12Pair(b *testing.B, h http.Handler, method, target, bearer string, body []byte) {
	answer, err := issue12Do(h, method, target, bearer, body) // warms the caches
	if err != nil {
		b.Fatal(err)
	}
	bare := bareHandler(bytes.Repeat([]byte("x"), len(answer)))
	for _, c := range []struct {
		name   string
		h      http.Handler
		bearer string
	}{{"latchkey", h, bearer}, {"bare", bare, ""}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := issue12Do(c.h, method, target, c.bearer, body); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportCPU(b, cpu)
		})
	}
}

// processCPU is the CPU time (user + system) the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process's CPU time per operation since start: unlike
// ns/op it does not count time spent waiting (for the database, or for the
// cores other processes hold), so it is the figure that stays put on a
// shared machine. It includes background work (GC, the change feed's polls).
func reportCPU(b *testing.B, start time.Duration) {
	b.StopTimer()
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkIssue12Viewer is an authenticated viewer query (target: at least
// 50 % of the bare handler's throughput).
func BenchmarkIssue12Viewer(b *testing.B) {
	h, adminSecret := benchServer(b)
	issue12Pair(b, h, http.MethodPost, "/graphql", adminSecret, benchBody(b, issue12Viewer, nil))
}

// BenchmarkIssue12Verify is GET /auth/verify with a cached token (target: at
// least 80 % of the bare handler's throughput).
func BenchmarkIssue12Verify(b *testing.B) {
	h, adminSecret := benchServer(b)
	issue12Pair(b, h, http.MethodGet, "/auth/verify?contentType=api-token&action=read", adminSecret, nil)
}

// BenchmarkIssue12List is the admin UI's first page (target on MySQL: at
// most 100 µs of Latchkey CPU per request; allocations halved), over 1000
// tokens.
func BenchmarkIssue12List(b *testing.B) {
	for _, dialect := range []string{"sqlite", "mysql"} {
		b.Run(dialect, func(b *testing.B) {
			if dialect == "mysql" && os.Getenv("LATCHKEY_TEST_MYSQL_DSN") == "" {
				b.Skip("set LATCHKEY_TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/ to run")
			}
			s := testserver.New(b, dialect, testserver.Quiet(), testserver.RealClock())
			benchSeedTokens(b, s.Store.Client, 1000, 1000)
			issue12Pair(b, s.App.Handler(), http.MethodPost, "/graphql", s.Admin, benchBody(b, issue12List, nil))
		})
	}
}
