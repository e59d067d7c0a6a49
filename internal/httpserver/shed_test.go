package httpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// heldRequest is a /graphql request whose handler runs and waits for its
// body (the server asked for it: 100 Continue), holding its turn.
type heldRequest struct {
	conn net.Conn
	br   *bufio.Reader
	body string
}

func holdRequest(t *testing.T, s *testserver.Server, bearer string) *heldRequest {
	t.Helper()
	u, _ := url.Parse(s.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h := &heldRequest{conn: conn, br: bufio.NewReader(conn), body: `{"query":"{ viewer { persona { name } } }"}`}
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", u.Host, bearer, len(h.body))
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if line, err := h.br.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("want 100 Continue, got %q %v", line, err)
	}
	_, _ = h.br.ReadString('\n')
	return h
}

// finish sends the body and returns the answer's status.
func (h *heldRequest) finish(t *testing.T) int {
	t.Helper()
	if _, err := h.conn.Write([]byte(h.body)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(h.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// metricValue reads one metric (name with its labels, as exposed) from
// /metrics.
func metricValue(t *testing.T, s *testserver.Server, name string) float64 {
	t.Helper()
	res, err := s.Client().Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func shedServer(t *testing.T, dialect string, inFlight, queued int, wait time.Duration) *testserver.Server {
	return testserver.New(t, dialect, testserver.Config(func(c *config.Config) {
		c.MaxInFlight, c.MaxQueued, c.QueueTimeout = inFlight, queued, wait
	}))
}

// Load shedding through the real handler: with one turn and no queue, a
// request that holds the turn makes the next ones 503 with Retry-After
// (UNAVAILABLE, reason OVERLOADED on /graphql), while health, readiness
// and metrics still answer; once it is done requests run again.
func TestShedsLoadBeyondTheLimit(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := shedServer(t, dialect, 1, 0, time.Minute)
		held := holdRequest(t, s, s.Admin)

		r := s.Do(t, s.Admin, `{ viewer { persona { name } } }`, nil)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.Code() != "UNAVAILABLE" || r.Errors[0].Extensions["reason"] != "OVERLOADED" {
			t.Errorf("a request over the limit: %d Retry-After=%q %s; want 503, Retry-After, UNAVAILABLE/OVERLOADED", r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
		res, err := s.Client().Get(s.URL + "/admin/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || res.Header.Get("X-Latchkey-Error") == "" {
			t.Errorf("/admin/ over the limit: %d %v", res.StatusCode, res.Header)
		}
		// Forward auth has turns of its own: GraphQL requests never take them.
		if got := verifyStatus(t, s, s.Admin); got != http.StatusOK {
			t.Errorf("/auth/verify while /graphql is saturated: %d; want 200", got)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			res, err := s.Client().Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s while overloaded: %d; probes are never shed", path, res.StatusCode)
			}
		}
		if n := metricValue(t, s, `latchkey_http_requests_shed_total{limiter="other"}`); n != 2 {
			t.Errorf("shed_total = %v; want 2", n)
		}
		if n := metricValue(t, s, `latchkey_http_requests_in_flight{limiter="other"}`); n != 1 {
			t.Errorf("in_flight = %v; want 1", n)
		}

		if status := held.finish(t); status != http.StatusOK {
			t.Errorf("the request holding the turn: %d", status)
		}
		s.MustDo(t, s.Admin, `{ viewer { persona { name } } }`, nil)
		if !strings.Contains(s.Logs.String(), "shedding load") {
			t.Error("shedding was not logged")
		}
	})
}

// The queue: a request that finds every turn taken waits (at most
// LATCHKEY_MAX_QUEUED of them) and runs when a turn is free; one more is
// refused at once; a wait that outlasts LATCHKEY_QUEUE_TIMEOUT is refused.
func TestShedQueueWaitsThenRefuses(t *testing.T) {
	s := shedServer(t, "sqlite", 1, 1, time.Minute)
	held := holdRequest(t, s, s.Admin)
	waited := make(chan *testserver.Response, 1)
	go func() { waited <- s.Do(t, s.Admin, `{ viewer { persona { name } } }`, nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, s, `latchkey_http_requests_queued{limiter="other"}`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the second request never queued")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := s.Do(t, s.Admin, `{ viewer { persona { name } } }`, nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("a request finding the queue full: %d; want 503", r.Status)
	}
	if status := held.finish(t); status != http.StatusOK {
		t.Errorf("the request holding the turn: %d", status)
	}
	if r := <-waited; r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("the queued request: %d %s; want it to run once the turn was free", r.Status, r.Raw)
	}

	short := shedServer(t, "sqlite", 1, 1, 20*time.Millisecond)
	held = holdRequest(t, short, short.Admin)
	if r := short.Do(t, short.Admin, `{ viewer { persona { name } } }`, nil); r.Status != http.StatusServiceUnavailable || r.Code() != "UNAVAILABLE" {
		t.Errorf("a request whose wait timed out: %d %s", r.Status, r.Raw)
	}
	held.finish(t)
}

func verifyStatus(t *testing.T, s *testserver.Server, bearer string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/auth/verify?contentType=api-token&action=read", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable && (res.Header.Get("Retry-After") == "" || res.Header.Get("X-Latchkey-Error") == "") {
		t.Errorf("503 without Retry-After or X-Latchkey-Error: %v", res.Header)
	}
	return res.StatusCode
}

// Forward auth is shed too: with one turn, a verification waiting for the
// database (its only connection is taken) makes the next one 503.
func TestShedsForwardAuth(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.Config(func(c *config.Config) {
			c.MaxInFlight, c.MaxQueued, c.DBMaxConns = 1, 0, 1
		}))
		conn, err := s.Store.DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		first := make(chan int, 1)
		go func() { first <- verifyStatus(t, s, "unknown-secret-waiting-for-the-database-0001") }()
		deadline := time.Now().Add(10 * time.Second)
		for metricValue(t, s, `latchkey_http_requests_in_flight{limiter="verify"}`) != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the first verification never started")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if got := verifyStatus(t, s, "unknown-secret-waiting-for-the-database-0002"); got != http.StatusServiceUnavailable {
			t.Errorf("a verification over the limit: %d; want 503", got)
		}
		conn.Close()
		if got := <-first; got != http.StatusUnauthorized {
			t.Errorf("the verification holding the turn: %d; want 401 once the database answered", got)
		}
		if n := metricValue(t, s, `latchkey_http_requests_shed_total{limiter="verify"}`); n != 1 {
			t.Errorf("verify shed_total = %v; want 1", n)
		}
	})
}

// The change feed is read on connections of its own: when requests hold
// every connection of the main pool, a token verified moments ago is still
// answered from the cache after the 1 s the cache is trusted without a read
// of the feed, instead of every verification joining the queue for the
// database.
func TestChangeFeedHasItsOwnConnections(t *testing.T) {
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		s := testserver.New(t, dialect, testserver.RealClock(), testserver.Config(func(c *config.Config) {
			c.DBMaxConns, c.RequestTimeout = 1, 2*time.Second
		}))
		if got := verifyStatus(t, s, s.Admin); got != http.StatusOK {
			t.Fatalf("verify: %d", got)
		}
		conn, err := s.Store.DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for start := time.Now(); time.Since(start) < 2*time.Second; time.Sleep(50 * time.Millisecond) {
			if got := verifyStatus(t, s, s.Admin); got != http.StatusOK {
				t.Fatalf("a cached token while the main pool is busy, after %v: HTTP %d", time.Since(start).Round(time.Millisecond), got)
			}
		}
	})
}
