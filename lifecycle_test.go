package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"github.com/latchkeyhq/latchkey/internal/lastused"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/testserver/mariadbtest"
)

const testBootstrap = "bootstrap-secret-for-the-lifecycle-tests-0001"

// Start-up against a database port nothing listens on: the listener is up
// at once, /healthz answers 200, /readyz 503 with the reason and every other
// route 503 with Retry-After, the attempts are logged (throttled), and when
// LATCHKEY_STARTUP_TIMEOUT passes the process exits 1 with one error line
// saying why. A SIGTERM while it waits ends it with 0.
func TestStartUpGivesUpOnAnUnreachableDatabase(t *testing.T) {
	ports, err := mariadbtest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	db := fmt.Sprintf("mysql://root@127.0.0.1:%d/latchkey?timeout=500ms", ports[0])
	const timeout = 8 * time.Second
	p := startBinary(t, "--database-url", db, "--token-pepper", "pepper", "--startup-timeout", timeout.String())

	p.until("/healthz", 20*time.Second, func(s int, _ string) bool { return s == http.StatusOK })
	_, reason := p.until("/readyz", 20*time.Second, func(s int, body string) bool {
		return s == http.StatusServiceUnavailable && strings.Contains(body, "connection refused")
	})
	if !strings.HasPrefix(reason, "database: connecting (attempt ") {
		t.Errorf("/readyz says %q; want the attempt and its error", reason)
	}
	status, out, h := p.graphQL(testBootstrap, `{ viewer { persona { name } } }`, nil)
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || codeOf(out) != "UNAVAILABLE" {
		t.Errorf("/graphql while starting: %d %v Retry-After=%q; want 503 UNAVAILABLE with Retry-After", status, out, h.Get("Retry-After"))
	}
	if s, _ := p.get("/auth/verify?contentType=api-token&action=read"); s != http.StatusServiceUnavailable {
		t.Errorf("/auth/verify while starting: %d; want 503", s)
	}

	if code := p.wait(timeout + 30*time.Second); code != 1 {
		t.Errorf("exit status %d after the start-up timeout; want 1", code)
	}
	errs := p.logLines("error", "fatal")
	if len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]["error"]), "gave up waiting for the database within 8s") || !strings.Contains(fmt.Sprint(errs[0]["error"]), "connection refused") {
		t.Errorf("want one error line saying why the process gave up, got %v", errs)
	}
	warns := p.logLines("warn")
	if len(warns) == 0 || len(warns) > int(timeout/time.Second)+1 {
		t.Errorf("%d lines about failed attempts in %v; want at least one and at most one a second", len(warns), timeout)
	}
	for _, w := range warns {
		if _, ok := w["attempt"]; !ok {
			t.Errorf("attempt line without its number: %v", w)
		}
	}
	if strings.Contains(p.Stderr.String(), "latchkey: ") {
		t.Errorf("the reason was printed twice:\n%s", p.Stderr.String())
	}

	// Told to stop while it waits: a clean exit.
	q := startBinary(t, "--database-url", db, "--token-pepper", "pepper", "--startup-timeout", "5m")
	q.until("/readyz", 20*time.Second, func(s int, body string) bool { return s == http.StatusServiceUnavailable })
	q.signal(syscall.SIGTERM)
	if code := q.wait(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM during start-up: exit status %d; want 0", code)
	}
}

// Start-up against a MariaDB that is down (killed) and one that is hung
// (SIGSTOP): the instance waits, says so on /readyz, and migrates, seeds
// and serves as soon as the database answers.
func TestStartUpWaitsForTheDatabase(t *testing.T) {
	m := mariadbtest.Start(t)
	m.Exec("CREATE DATABASE down CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "CREATE DATABASE hung CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	params := "timeout=500ms&readTimeout=2s&writeTimeout=2s"
	flags := func(db string) []string {
		return []string{"--database-url", m.URL(db, params), "--token-pepper", "pepper", "--bootstrap-token", testBootstrap, "--startup-timeout", "3m"}
	}
	serves := func(p *proc) {
		t.Helper()
		status, out, _ := p.graphQL(testBootstrap, `{ viewer { persona { name } } }`, nil)
		if status != http.StatusOK || fmt.Sprint(out["data"]) != "map[viewer:map[persona:map[name:Administrator]]]" {
			t.Errorf("viewer after start-up: %d %v", status, out)
		}
	}

	t.Run("down", func(t *testing.T) {
		m.Kill()
		p := startBinary(t, flags("down")...)
		p.until("/readyz", 30*time.Second, func(s int, body string) bool {
			return s == http.StatusServiceUnavailable && strings.Contains(body, "): ") && strings.Contains(body, "connection refused")
		})
		if s, _ := p.get("/healthz"); s != http.StatusOK {
			t.Errorf("/healthz while the database is down: %d", s)
		}
		m.Restart()
		p.ready(60 * time.Second)
		serves(p)
	})

	t.Run("hung", func(t *testing.T) {
		m.Stop()
		p := startBinary(t, flags("hung")...)
		// An attempt that got no answer in time has been made.
		p.until("/readyz", 30*time.Second, func(s int, body string) bool {
			return s == http.StatusServiceUnavailable && strings.Contains(body, "): ")
		})
		if s, _ := p.get("/healthz"); s != http.StatusOK {
			t.Errorf("/healthz while the database hangs: %d", s)
		}
		m.Continue()
		p.ready(60 * time.Second)
		serves(p)
	})
}

// SIGTERM: /readyz answers 503 at once while requests are still served; the
// listener then closes, a request in flight completes, the last-used times
// are flushed, and the process exits 0 within the shutdown timeout.
func TestSIGTERMDrainsFlushesAndExitsZero(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "lk.db")
	p := startBinary(t, "--database-url", db, "--bootstrap-token", testBootstrap,
		"--last-used-flush-interval", "1h", "--shutdown-delay", "5s", "--shutdown-timeout", "20s")
	p.ready(30 * time.Second)
	status, out, _ := p.graphQL(testBootstrap, `mutation { createAPIToken(input: {name: "In flight", type: READ_ONLY}) { secret apiToken { id } } }`, nil)
	if status != http.StatusOK {
		t.Fatalf("create: %d %v", status, out)
	}
	secretValue := dig(out, "data", "createAPIToken", "secret")
	tokenID := dig(out, "data", "createAPIToken", "apiToken", "id")

	// A request whose handler runs (it asked for the body: 100 Continue)
	// when SIGTERM arrives.
	u, _ := url.Parse(p.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query":"{ viewer { apiToken { id } } }"}`
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", u.Host, secretValue, len(body))
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("want 100 Continue, got %q %v", line, err)
	}
	_, _ = br.ReadString('\n') // the blank line after it

	start := time.Now()
	p.signal(syscall.SIGTERM)
	p.until("/readyz", 5*time.Second, func(s int, body string) bool {
		return s == http.StatusServiceUnavailable && body == "shutting down\n"
	})
	// Still served while load balancers notice.
	if s, _ := p.get("/healthz"); s != http.StatusOK {
		t.Errorf("/healthz during the shutdown delay: %d", s)
	}

	if _, err := conn.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the request in flight: HTTP %d", res.StatusCode)
	}
	if code := p.wait(20*time.Second + 20*time.Second); code != 0 {
		t.Errorf("exit status %d; want 0", code)
	}
	if took := time.Since(start); took > 40*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if lines := p.logLines("error", "fatal"); len(lines) > 0 {
		t.Errorf("errors logged during a clean shutdown: %v", lines)
	}

	st, err := store.Open(db, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	used, err := lastused.Of(context.Background(), st.Client, tokenID)
	if err != nil || used == nil || used.LastUsedAt == nil {
		t.Fatalf("the last use by the request in flight was not flushed: %+v %v", used, err)
	}
}

// SIGTERM while the database hangs: the final flush gives up at the
// shutdown deadline, one line says how many last-used times were dropped,
// and the process still exits 0 within the timeout.
func TestSIGTERMDuringAnOutageDropsWithOneLine(t *testing.T) {
	m := mariadbtest.Start(t)
	m.Exec("CREATE DATABASE latchkey CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	const timeout = 4 * time.Second
	p := startBinary(t, "--database-url", m.URL("latchkey", "timeout=500ms&readTimeout=2s&writeTimeout=2s"), "--token-pepper", "pepper",
		"--bootstrap-token", testBootstrap, "--last-used-flush-interval", "1h", "--shutdown-delay", "0s", "--shutdown-timeout", timeout.String())
	p.ready(60 * time.Second)
	if status, out, _ := p.graphQL(testBootstrap, `{ viewer { persona { name } } }`, nil); status != http.StatusOK {
		t.Fatalf("viewer: %d %v", status, out)
	}
	m.Stop()
	start := time.Now()
	p.signal(syscall.SIGTERM)
	if code := p.wait(timeout + 30*time.Second); code != 0 {
		t.Errorf("exit status %d; want 0", code)
	}
	t.Logf("shutdown took %v (timeout %v)", time.Since(start).Round(time.Millisecond), timeout)
	// One line per kind of pending write: the last use and the usage
	// counts of the one request.
	dropped := map[any][]map[string]any{}
	for _, l := range p.logLines("error") {
		if _, ok := l["dropped"]; ok {
			dropped[l["what"]] = append(dropped[l["what"]], l)
		}
	}
	if got := dropped["last-used times"]; len(got) != 1 || got[0]["dropped"] != float64(1) {
		t.Errorf("want one line saying 1 last-used time was dropped, got %v", dropped)
	}
	if got := dropped["usage counts"]; len(got) != 1 || got[0]["dropped"].(float64) < 1 {
		t.Errorf("want one line saying the usage counts were dropped, got %v", dropped)
	}
	if len(dropped) != 2 {
		t.Errorf("want lines for last-used times and usage counts only, got %v", dropped)
	}
	m.Continue()
	dsn, _ := store.MySQLDSN(m.URL("latchkey", ""))
	raw, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow("SELECT COUNT(*) FROM token_usage WHERE last_used_at IS NOT NULL").Scan(&n); err != nil || n != 0 {
		t.Errorf("a last use was written after all (%d, %v): the line would be wrong", n, err)
	}
}

func codeOf(out map[string]any) string {
	errs, _ := out["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	ext, _ := e["extensions"].(map[string]any)
	c, _ := ext["code"].(string)
	return c
}

func dig(v any, path ...string) string {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}
