package httpserver_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/mariadbtest"
)

// What the outage tests ask: a query and a mutation that need the database
// whoever asks, and a forward-auth check.
const (
	outageQuery    = `{ apiTokens(first: 1) { totalCount } }`
	outageVerify   = "/auth/verify?contentType=api-token&action=read"
	requestTimeout = time.Second
	// Slack for a loaded two-core machine on top of the request timeout;
	// a hang would take the client's 30 s.
	answerWithin = requestTimeout + 3*time.Second
)

// outageMutation creates a persona with a name not used before.
func outageMutation() string {
	return fmt.Sprintf(`mutation { createPersona(input: {name: "Outage %d"}) { id } }`, personaSeq.Add(1))
}

var personaSeq atomic.Int64

// answer is one HTTP exchange of the outage tests.
type answer struct {
	status     int
	retryAfter string
	code       string // extensions.code of the first GraphQL error
	elapsed    time.Duration
	err        error
}

func (a answer) String() string {
	return fmt.Sprintf("HTTP %d code=%q Retry-After=%q in %v (err %v)", a.status, a.code, a.retryAfter, a.elapsed.Round(time.Millisecond), a.err)
}

// unavailable tells whether a is the answer to a database outage.
func (a answer) unavailable(graphQL bool) bool {
	return a.err == nil && a.status == http.StatusServiceUnavailable && a.retryAfter != "" && (!graphQL || a.code == "UNAVAILABLE")
}

func exchange(c *http.Client, method, url, bearer, query string) answer {
	var body io.Reader
	if query != "" {
		b, _ := json.Marshal(map[string]any{"query": query})
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return answer{err: err, elapsed: time.Since(start)}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), elapsed: time.Since(start)}
	var out struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if query != "" && json.Unmarshal(raw, &out) == nil && len(out.Errors) > 0 {
		a.code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return a
}

// outageCase is one kind of request made during an outage.
type outageCase struct {
	name    string
	graphQL bool
	do      func(c *http.Client) answer
}

// outageCases are the requests that need the database: a token in the
// verification cache and one that is not, on /graphql and /auth/verify.
func outageCases(s *testserver.Server, uncached string) []outageCase {
	gql := func(bearer, q string) func(c *http.Client) answer {
		return func(c *http.Client) answer { return exchange(c, http.MethodPost, s.URL+"/graphql", bearer, q) }
	}
	return []outageCase{
		{"query with a cached token", true, gql(s.Admin, outageQuery)},
		{"mutation with a cached token", true, func(c *http.Client) answer {
			return exchange(c, http.MethodPost, s.URL+"/graphql", s.Admin, outageMutation())
		}},
		{"query with an uncached token", true, gql(uncached, outageQuery)},
		{"verify with an uncached token", false, func(c *http.Client) answer {
			return exchange(c, http.MethodGet, s.URL+outageVerify, uncached, "")
		}},
	}
}

// faultServer serves from a test-owned MariaDB with short timeouts.
func faultServer(t *testing.T, m *mariadbtest.Server) *testserver.Server {
	m.Exec("CREATE DATABASE latchkey CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	return testserver.New(t, "mysql",
		testserver.DatabaseURL(m.URL("latchkey", "timeout=500ms&readTimeout=2s&writeTimeout=2s")),
		testserver.Config(func(c *config.Config) {
			c.RequestTimeout = requestTimeout
			c.CacheTTL = time.Minute // the cached token stays cached, but is trusted only while the feed is read
		}))
}

// beforeOutage returns the secret of a new token that is not in the
// verification cache, and puts the admin token and the catalog there.
func beforeOutage(t *testing.T, s *testserver.Server) string {
	t.Helper()
	r := s.MustDo(t, s.Admin, `mutation { createAPIToken(input: {type: READ_ONLY, name: "Uncached `+fmt.Sprint(personaSeq.Add(1))+`"}) { secret } }`, nil)
	// The create cleared the cache: put the admin token (and the catalog) back.
	s.MustDo(t, s.Admin, outageQuery, nil)
	if a := exchange(s.Client(), http.MethodGet, s.URL+outageVerify, s.Admin, ""); a.status != http.StatusOK {
		t.Fatalf("verify before the outage: %v", a)
	}
	return r.Str("createAPIToken.secret")
}

// expectOutage checks that every request needing the database answers 503
// with Retry-After and UNAVAILABLE within the request timeout.
func expectOutage(t *testing.T, s *testserver.Server, uncached string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	for _, oc := range outageCases(s, uncached) {
		if a := oc.do(c); !a.unavailable(oc.graphQL) || a.elapsed > answerWithin {
			t.Errorf("%s during the outage: %v; want 503, Retry-After, UNAVAILABLE within %v", oc.name, a, answerWithin)
		}
	}
	// A token verified moments ago may pass forward auth from memory for
	// at most a second: the cache is trusted only while the change feed can
	// be read (a revocation could be waiting in it). Then it is 503 too.
	deadline := time.Now().Add(2 * time.Second)
	for {
		a := exchange(c, http.MethodGet, s.URL+outageVerify, s.Admin, "")
		if a.status == http.StatusServiceUnavailable && a.retryAfter != "" {
			break
		}
		if a.status != http.StatusOK || time.Now().After(deadline) {
			t.Errorf("verify with a cached token during the outage: %v; want 200 from the cache for at most 1 s, then 503", a)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectRecovery polls until every kind of request succeeds again, and
// returns how long that took.
func expectRecovery(t *testing.T, s *testserver.Server, uncached string, within time.Duration) time.Duration {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	for _, oc := range outageCases(s, uncached) {
		for {
			a := oc.do(c)
			if a.err == nil && a.status == http.StatusOK && a.code == "" {
				break
			}
			if time.Since(start) > within {
				t.Fatalf("%s did not recover within %v: %v", oc.name, within, a)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return time.Since(start)
}

// settledGoroutines polls until the goroutine count falls to at most max,
// and returns the last count.
func settledGoroutines(max int, within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		n := runtime.NumGoroutine()
		if n <= max || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A database that stops answering (a hung host, a partition: SIGSTOP) or
// crashes (SIGKILL) is a fast, consistent 503 with Retry-After and
// UNAVAILABLE, never a hang or a 500; goroutines stay bounded; and
// service resumes on its own when the database is back.
func TestDatabaseOutage(t *testing.T) {
	m := mariadbtest.Start(t)
	s := faultServer(t, m)

	t.Run("stopped", func(t *testing.T) {
		uncached := beforeOutage(t, s)
		logsBefore, stopped := len(s.Logs.String()), time.Now()
		m.Stop()
		t.Cleanup(m.Continue)
		expectOutage(t, s, uncached)

		// A burst: every answer an outage answer, in time, and the
		// goroutines it took gone afterwards.
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
		before := runtime.NumGoroutine()
		cases := outageCases(s, uncached)
		answers := make([]answer, 200)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = cases[i%len(cases)].do(c)
			}()
		}
		wg.Wait()
		burst := time.Since(start)
		var slowest time.Duration
		for i, a := range answers {
			oc := cases[i%len(cases)]
			if !a.unavailable(oc.graphQL) || a.elapsed > answerWithin {
				t.Errorf("burst: %s: %v", oc.name, a)
			}
			slowest = max(slowest, a.elapsed)
		}
		c.CloseIdleConnections()
		after := settledGoroutines(before+10, 5*time.Second)
		t.Logf("stopped database: 200 concurrent requests answered 503 in %v (slowest %v); goroutines %d before, %d after",
			burst.Round(time.Millisecond), slowest.Round(time.Millisecond), before, after)
		if after > before+10 {
			t.Errorf("goroutines grew from %d to %d after the burst", before, after)
		}

		m.Continue()
		lines := expectFewErrorLines(t, s.Logs.String()[logsBefore:], time.Since(stopped), false)
		t.Logf("stopped database: %d requests over %v: %d error lines", 200+4, time.Since(stopped).Round(time.Millisecond), lines)
		took := expectRecovery(t, s, uncached, 5*time.Second)
		t.Logf("stopped database: every kind of request succeeded %v after SIGCONT", took.Round(time.Millisecond))
		if took > 3*time.Second {
			t.Errorf("recovery after SIGCONT took %v; want about a second at most", took)
		}
	})

	t.Run("killed and restarted", func(t *testing.T) {
		uncached := beforeOutage(t, s)
		m.Kill()
		expectOutage(t, s, uncached)
		start := time.Now()
		m.Restart()
		restart := time.Since(start)
		took := expectRecovery(t, s, uncached, 5*time.Second)
		t.Logf("killed database: restart took %v, every kind of request succeeded %v after it", restart.Round(time.Millisecond), took.Round(time.Millisecond))
	})

	t.Run("log lines bounded", func(t *testing.T) {
		uncached := beforeOutage(t, s)
		before := len(s.Logs.String())
		m.Kill()
		cases := outageCases(s, uncached)
		c := &http.Client{Timeout: 30 * time.Second}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 20)
		start := time.Now()
		for i := 0; i < 500; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				// Spread the requests over about two seconds.
				time.Sleep(time.Until(start.Add(time.Duration(i) * 4 * time.Millisecond)))
				cases[i%len(cases)].do(c)
			}()
		}
		wg.Wait()
		outage := time.Since(start)
		m.Restart()

		lines := expectFewErrorLines(t, s.Logs.String()[before:], outage, true)
		t.Logf("killed database: 500 requests over %v: %d error lines", outage.Round(time.Millisecond), lines)
	})
}

// expectFewErrorLines checks that logs, written during an outage that
// lasted so long, hold at most about one error line a second per cause,
// and, when requests kept coming (steady), that held-back lines are
// counted. It returns the error lines.
func expectFewErrorLines(t *testing.T, logs string, outage time.Duration, steady bool) int {
	t.Helper()
	perCause := map[string]int{}
	lines, suppressed := 0, false
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["level"] != "error" {
			continue
		}
		lines++
		perCause[fmt.Sprint(rec["message"], " / ", rec["cause"])]++
		if _, ok := rec["suppressed"]; ok {
			suppressed = true
		}
	}
	t.Logf("error lines by cause during %v of outage: %v", outage.Round(time.Millisecond), perCause)
	allowed := int(outage.Seconds()) + 2 // one a second per cause, and the edges
	for cause, n := range perCause {
		if n > allowed {
			t.Errorf("%d lines about %q in %v; want at most %d", n, cause, outage, allowed)
		}
	}
	if len(perCause) > 8 {
		t.Errorf("%d distinct causes for one outage: %v", len(perCause), perCause)
	}
	if steady && !suppressed {
		t.Error("no line reports how many were held back")
	}
	return lines
}

// On SQLite, a mutation that cannot get the write lock before the request
// deadline (another process holds it) is 503 UNAVAILABLE, not 500.
func TestSQLiteLockedIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	s := testserver.New(t, "sqlite", testserver.DatabaseURL("sqlite://"+path), testserver.Config(func(c *config.Config) {
		c.RequestTimeout = 500 * time.Millisecond
	}))
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	a := exchange(s.Client(), http.MethodPost, s.URL+"/graphql", s.Admin, outageMutation())
	if !a.unavailable(true) || a.elapsed > 500*time.Millisecond+2*time.Second {
		t.Errorf("mutation while the write lock is held elsewhere: %v; want 503 UNAVAILABLE with Retry-After", a)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	s.MustDo(t, s.Admin, outageMutation(), nil)
}
