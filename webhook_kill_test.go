package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/base62"
	"github.com/latchkeyhq/latchkey/internal/testserver"
	"github.com/latchkeyhq/latchkey/internal/testserver/webhooktest"
)

// binary builds the latchkey command once per test binary.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "latchkey")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is one run of the real server binary.
type process struct {
	cmd  *exec.Cmd
	addr string
}

func startProcess(t *testing.T, bin, addr string, env []string, log io.Writer) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "LATCHKEY_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, addr: addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not become ready on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no shutdown, no final writes.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

func (p *process) graphql(t *testing.T, bearer, query string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// kill -9 of the server while deliveries are in flight, three times over:
// every event committed before a kill is delivered at least once after the
// last restart, and no event of a rolled-back change is ever delivered.
func TestWebhooksSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := binary(t)
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		url := "sqlite://" + filepath.Join(t.TempDir(), "lk.db")
		if dialect == "mysql" {
			url = testserver.MySQLDatabase(t)
		}
		boot := "lk-kill-test-bootstrap-" + base62.Random(24)
		env := []string{
			"LATCHKEY_DATABASE_URL=" + url, "LATCHKEY_TOKEN_PEPPER=kill-test-pepper-" + base62.Random(16), "LATCHKEY_BOOTSTRAP_TOKEN=" + boot,
			"LATCHKEY_LOG_LEVEL=warn", "LATCHKEY_LOG_FORMAT=json",
			"LATCHKEY_WEBHOOK_POLL_INTERVAL=10ms", "LATCHKEY_WEBHOOK_TIMEOUT=2s", "LATCHKEY_SWEEP_INTERVAL=50ms",
		}
		logs := &testserver.SafeBuffer{}
		addr := freeAddr(t)
		p := startProcess(t, bin, addr, env, logs)

		// The first delivery of each round hangs (in flight when the server is
		// killed); every other one is answered 200.
		var hang atomic.Bool
		rcv := webhooktest.New(t)
		rcv.Answer(func(int) int {
			if hang.CompareAndSwap(true, false) {
				return 0
			}
			return http.StatusOK
		})
		r := p.graphql(t, boot, fmt.Sprintf(`mutation { createWebhookEndpoint(input: {url: %q, events: ["api-token.created"]}) { secret } }`, rcv.URL))
		secret, _ := r["data"].(map[string]any)["createWebhookEndpoint"].(map[string]any)["secret"].(string)
		rcv.SetSecret(secret)

		committed, rolledBack := map[string]bool{}, map[string]bool{}
		for round := 0; round < 3; round++ {
			hang.Store(true)
			for i := 0; i < 4; i++ {
				name := fmt.Sprintf("kept-%d-%d", round, i)
				r := p.graphql(t, boot, fmt.Sprintf(`mutation { createAPIToken(input: {name: %q, type: READ_ONLY}) { secret } }`, name))
				if r["errors"] != nil {
					t.Fatalf("create: %v", r)
				}
				committed[name] = true
				doomed := fmt.Sprintf("doomed-%d-%d", round, i)
				r = p.graphql(t, boot, fmt.Sprintf(`mutation { a: createAPIToken(input: {name: %q, type: READ_ONLY}) { secret } b: deleteAPIToken(id: "tok_AAAAAAAAAAAAAAAAAAAA") }`, doomed))
				if r["errors"] == nil {
					t.Fatalf("the doomed mutation succeeded: %v", r)
				}
				rolledBack[doomed] = true
			}
			// Kill while a delivery is in flight.
			rcv.Wait(t, 30*time.Second, "a delivery in flight", func([]webhooktest.Delivery) bool { return !hang.Load() })
			p.kill(t)
			p = startProcess(t, bin, addr, env, logs)
		}
		delivered := func(ds []webhooktest.Delivery) map[string]int {
			names := map[string]int{}
			for _, d := range ds {
				if d.Status != http.StatusOK {
					continue
				}
				data, _ := d.Payload["data"].(map[string]any)
				tok, _ := data["apiToken"].(map[string]any)
				name, _ := tok["name"].(string)
				names[name]++
			}
			return names
		}
		// The leases of the killed processes expire, then the last one delivers.
		got := rcv.Wait(t, 60*time.Second, "every committed event", func(ds []webhooktest.Delivery) bool {
			names := delivered(ds)
			for name := range committed {
				if names[name] == 0 {
					return false
				}
			}
			return true
		})
		// Each delivery cut off by a kill was made again, and answered.
		hung := 0
		answered := map[string]bool{}
		for _, d := range got {
			answered[d.EventID] = answered[d.EventID] || d.Status == http.StatusOK
		}
		for _, d := range got {
			if d.Status == 0 {
				hung++
				if !answered[d.EventID] {
					t.Errorf("event %s, in flight at a kill, was not delivered again", d.EventID)
				}
			}
			if !d.Valid {
				t.Errorf("unsigned delivery: %s", d.Body)
			}
			for name := range rolledBack {
				if strings.Contains(string(d.Body), name) {
					t.Errorf("delivered the rolled-back %s", name)
				}
			}
		}
		t.Logf("%d committed events delivered (%d requests in all, %d cut off by the kills); %d rolled-back changes, none delivered",
			len(committed), len(got), hung, len(rolledBack))
		if strings.Contains(logs.String(), boot) {
			t.Error("the bootstrap secret reached the logs")
		}
	})
}
