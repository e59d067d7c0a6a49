package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/mariadbtest"
)

// The real binary, built once per test run by latchkeyBinary.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// latchkeyBinary builds this module's main package with go build.
func latchkeyBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "latchkey-bin-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "latchkey")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// proc is a running latchkey binary.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	URL    string
	Stderr *testserver.SafeBuffer
	done   chan struct{}
	err    error // what Wait returned, once done is closed
}

// startBinary runs latchkey serve on a free loopback port with the given
// flags (logs as JSON at info level unless the flags say otherwise). It is
// killed when the test ends, if it still runs.
func startBinary(t *testing.T, flags ...string) *proc {
	t.Helper()
	ports, err := mariadbtest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	args := append([]string{"serve", "--addr", addr, "--log-format", "json"}, flags...)
	cmd := exec.Command(latchkeyBinary(t), args...)
	cmd.Env = append(os.Environ(), "LATCHKEY_DATABASE_URL=", "LATCHKEY_TOKEN_PEPPER=")
	p := &proc{t: t, cmd: cmd, URL: "http://" + addr, Stderr: &testserver.SafeBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.Stderr
	cmd.Stdout = io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("latchkey stderr:\n%s", p.Stderr.String())
		}
	})
	return p
}

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits at most within for the process to end and returns its exit
// code.
func (p *proc) wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		p.t.Fatalf("latchkey did not exit within %v", within)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

// get returns the status and body of GET path, or 0 when nothing answers.
func (p *proc) get(path string) (int, string) {
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Get(p.URL + path)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// until polls GET path until ok accepts the answer, for at most within.
func (p *proc) until(path string, within time.Duration, ok func(status int, body string) bool) (int, string) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, body := p.get(path)
		if ok(status, body) {
			return status, body
		}
		select {
		case <-p.done:
			p.t.Fatalf("latchkey exited (%v) while waiting on %s; last answer %d %q", p.err, path, status, body)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("GET %s: no acceptable answer within %v; last %d %q", path, within, status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready waits until /readyz answers 200.
func (p *proc) ready(within time.Duration) {
	p.t.Helper()
	p.until("/readyz", within, func(s int, _ string) bool { return s == http.StatusOK })
}

// graphQL posts a document with a bearer secret and returns the status and
// the decoded answer.
func (p *proc) graphQL(bearer, query string, vars map[string]any) (int, map[string]any, http.Header) {
	p.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, res.Header
}

// logLines returns the JSON log records the process wrote whose level is
// one of levels.
func (p *proc) logLines(levels ...string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.Stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		for _, l := range levels {
			if rec["level"] == l {
				out = append(out, rec)
			}
		}
	}
	return out
}
