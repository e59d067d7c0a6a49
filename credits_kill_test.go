package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/ent/apitoken"
	"github.com/latchkeyhq/latchkey/internal/store"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// Credits are money-like across a crash: the real binary is killed with
// SIGKILL in the middle of spending, a second process spends the rest, and
// the uses accepted never exceed the credits. The leases the dead process
// held are lost (under-spent), never spent twice.
func TestCreditsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "latchkey")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building: %v", err)
	}
	testserver.Dialects(t, func(t *testing.T, dialect string) {
		url := "sqlite://" + filepath.Join(t.TempDir(), "lk.db")
		if dialect == "mysql" {
			url = testserver.MySQLDatabase(t)
		}
		const boot, pepper, credits = "bootstrap-secret-for-the-kill-test-00001", "kill-test-pepper", 400
		start := func() (*exec.Cmd, string) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			cmd := exec.Command(bin, "serve", "--addr", addr)
			cmd.Env = append(os.Environ(), "LATCHKEY_DATABASE_URL="+url, "LATCHKEY_BOOTSTRAP_TOKEN="+boot,
				"LATCHKEY_TOKEN_PEPPER="+pepper, "LATCHKEY_LOG_LEVEL=error", "LATCHKEY_LOG_FORMAT=json")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			deadline := time.Now().Add(30 * time.Second)
			for {
				res, err := http.Get("http://" + addr + "/readyz")
				if err == nil {
					res.Body.Close()
					if res.StatusCode == 200 {
						return cmd, "http://" + addr
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("the server on %s did not get ready", addr)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		a, base := start()
		body, _ := json.Marshal(map[string]any{"query": `mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { secret apiToken { id } } }`,
			"variables": map[string]any{"in": map[string]any{"name": "metered", "type": "READ_ONLY", "credits": map[string]any{"remaining": credits}}}})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+boot)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var created struct {
			Data struct {
				CreateAPIToken struct {
					Secret   string
					APIToken struct{ ID string }
				}
			}
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if err := json.Unmarshal(raw, &created); err != nil || created.Data.CreateAPIToken.Secret == "" {
			t.Fatalf("creating the token: %s", raw)
		}
		sec := created.Data.CreateAPIToken.Secret
		use := func(base string) (int, error) {
			req, _ := http.NewRequest(http.MethodGet, base+"/auth/verify?contentType=api-token&action=read", nil)
			req.Header.Set("Authorization", "Bearer "+sec)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0, err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode, nil
		}

		// Spend from four clients; kill -9 once 150 uses went through.
		var okA atomic.Int64
		var wg sync.WaitGroup
		var once sync.Once
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 1000 {
					status, err := use(base)
					if err != nil {
						return // the process is gone
					}
					if status == 200 && okA.Add(1) >= 150 {
						once.Do(func() { _ = a.Process.Signal(syscall.SIGKILL) })
					}
				}
			}()
		}
		wg.Wait()
		_ = a.Wait()

		// A second process spends what is left, then stops cleanly.
		b, base := start()
		okB := 0
		for range 2 * credits {
			status, err := use(base)
			if err != nil {
				t.Fatal(err)
			}
			if status == 429 {
				break
			}
			if status == 200 {
				okB++
			}
		}
		_ = b.Process.Signal(syscall.SIGTERM)
		_ = b.Wait()

		st, err := store.Open(url, pepper)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		tok, err := st.Client.APIToken.Query().Where(apitoken.ID(created.Data.CreateAPIToken.APIToken.ID)).Only(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		left := *tok.CreditsRemaining
		used := okA.Load() + int64(okB)
		lost := credits - used - left
		t.Logf("%d credits: %d uses before the kill, %d after, %d left, %d lost with the killed process's lease", credits, okA.Load(), okB, left, lost)
		if used > credits || lost < 0 {
			t.Fatalf("over-spent: %d uses and %d left of %d credits", used, left, credits)
		}
		if left != 0 {
			t.Fatalf("the second process stopped with %d credits unspent", left)
		}
	})
}
