package httpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

// nginxBinary is where Debian's nginx package installs the server.
const nginxBinary = "/usr/sbin/nginx"

const nginxCreateToken = `mutation($input: CreateAPITokenInput!) {
	createAPIToken(input: $input) { secret apiToken { id persona { id name } } } }`

// nginxConf is a gateway that asks Latchkey (forward auth, auth_request)
// before proxying to an upstream, and hands the caller's identity to the
// upstream in headers. /articles/ needs article:read (named in query
// parameters), /publish/ needs article:publish (named in headers).
const nginxConf = `daemon off;
master_process off;
worker_processes 1;
pid {{DIR}}/nginx.pid;
error_log {{DIR}}/error.log info;
events { worker_connections 64; }
http {
	access_log {{DIR}}/access.log;
	client_body_temp_path {{DIR}}/client_body;
	proxy_temp_path {{DIR}}/proxy;
	fastcgi_temp_path {{DIR}}/fastcgi;
	uwsgi_temp_path {{DIR}}/uwsgi;
	scgi_temp_path {{DIR}}/scgi;

	upstream latchkey { server {{LATCHKEY}}; }
	upstream app { server {{UPSTREAM}}; }

	server {
		listen 127.0.0.1:{{PORT}};

		location /articles/ {
			auth_request /_latchkey/article/read;
			auth_request_set $lk_token $upstream_http_x_latchkey_token_id;
			auth_request_set $lk_persona_id $upstream_http_x_latchkey_persona_id;
			auth_request_set $lk_persona $upstream_http_x_latchkey_persona;
			proxy_set_header X-Latchkey-Token-Id $lk_token;
			proxy_set_header X-Latchkey-Persona-Id $lk_persona_id;
			proxy_set_header X-Latchkey-Persona $lk_persona;
			proxy_set_header Authorization "";
			proxy_pass http://app;
		}

		location /publish/ {
			auth_request /_latchkey/article/publish;
			auth_request_set $lk_token $upstream_http_x_latchkey_token_id;
			auth_request_set $lk_persona_id $upstream_http_x_latchkey_persona_id;
			auth_request_set $lk_persona $upstream_http_x_latchkey_persona;
			proxy_set_header X-Latchkey-Token-Id $lk_token;
			proxy_set_header X-Latchkey-Persona-Id $lk_persona_id;
			proxy_set_header X-Latchkey-Persona $lk_persona;
			proxy_set_header Authorization "";
			proxy_pass http://app;
		}

		location = /_latchkey/article/read {
			internal;
			proxy_pass http://latchkey/auth/verify?contentType=article&action=read;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-URI $request_uri;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		}

		location = /_latchkey/article/publish {
			internal;
			proxy_pass http://latchkey/auth/verify;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Latchkey-Content-Type article;
			proxy_set_header X-Latchkey-Action publish;
			proxy_set_header X-Original-URI $request_uri;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		}
	}
}
`

// TestNginxForwardAuth puts a real nginx in front of an upstream, with
// Latchkey's /auth/verify as its auth_request, and checks what reaches the
// upstream and what the client gets back.
func TestNginxForwardAuth(t *testing.T) {
	if _, err := os.Stat(nginxBinary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (apt-get install nginx): %v", nginxBinary, err)
		}
		t.Skipf("nginx forward-auth test skipped: %s not found (apt-get install nginx)", nginxBinary)
	}
	s := testserver.New(t, "sqlite")

	s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Articles",
		actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}]}) { id } }`, nil)
	type tok struct{ secret, id, personaID, persona string }
	create := func(name string, perms ...[2]string) tok {
		var ps []map[string]any
		for _, p := range perms {
			ps = append(ps, map[string]any{"contentType": p[0], "action": p[1]})
		}
		r := s.MustDo(t, s.Admin, nginxCreateToken, map[string]any{"input": map[string]any{
			"name": name, "type": "CUSTOM", "permissions": ps,
			"persona": map[string]any{"name": name + " bot"},
		}})
		return tok{
			secret:    r.Str("createAPIToken.secret"),
			id:        r.Str("createAPIToken.apiToken.id"),
			personaID: r.Str("createAPIToken.apiToken.persona.id"),
			persona:   r.Str("createAPIToken.apiToken.persona.name"),
		}
	}
	reader := create("reader", [2]string{"article", "read"})
	other := create("persona reader", [2]string{"persona", "read"})
	revoked := create("revoked reader", [2]string{"article", "read"})
	s.MustDo(t, s.Admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { status } }`, map[string]any{"id": revoked.id})
	if reader.secret == "" || reader.id == "" || reader.personaID == "" || reader.persona != "reader bot" {
		t.Fatalf("created token: %+v", reader)
	}

	// The upstream echoes the identity headers it receives.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"path":          r.URL.Path,
			"tokenId":       r.Header.Get("X-Latchkey-Token-Id"),
			"personaId":     r.Header.Get("X-Latchkey-Persona-Id"),
			"persona":       r.Header.Get("X-Latchkey-Persona"),
			"authorization": r.Header.Get("Authorization"),
		})
	}))
	t.Cleanup(upstream.Close)

	gateway := startNginx(t, map[string]string{
		"LATCHKEY": nginxHostPort(t, s.URL),
		"UPSTREAM": nginxHostPort(t, upstream.URL),
	})
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path, bearer string, extra map[string]string) (int, http.Header, map[string]string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, gateway+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var echo map[string]string
		if res.StatusCode == http.StatusOK {
			if err := json.Unmarshal(raw, &echo); err != nil {
				t.Fatalf("GET %s: upstream answer %q: %v", path, raw, err)
			}
		}
		return res.StatusCode, res.Header, echo
	}

	t.Run("allowed token reaches the upstream with its identity", func(t *testing.T) {
		// Identity headers forged by the client must not survive the gateway.
		forged := map[string]string{"X-Latchkey-Token-Id": "tok_forged", "X-Latchkey-Persona": "Mallory"}
		status, _, echo := get("/articles/42", reader.secret, forged)
		if status != http.StatusOK {
			t.Fatalf("status %d, want 200", status)
		}
		want := map[string]string{"path": "/articles/42", "tokenId": reader.id, "personaId": reader.personaID, "persona": "reader bot", "authorization": ""}
		for k, v := range want {
			if echo[k] != v {
				t.Errorf("upstream got %s = %q, want %q (all: %v)", k, echo[k], v, echo)
			}
		}
	})
	t.Run("FULL_ACCESS token may publish", func(t *testing.T) {
		status, _, echo := get("/publish/42", s.Admin, nil)
		if status != http.StatusOK || echo["persona"] != "Administrator" || !strings.HasPrefix(echo["tokenId"], "tok_") {
			t.Fatalf("status %d, upstream saw %v", status, echo)
		}
	})
	refusals := []struct {
		name, path, bearer string
		want               int
	}{
		{"no token", "/articles/1", "", http.StatusUnauthorized},
		{"garbage token", "/articles/1", "not-a-token", http.StatusUnauthorized},
		{"lk_ token with a bad checksum", "/articles/1", "lk_" + strings.Repeat("A", 40) + "xxxxxx", http.StatusUnauthorized},
		{"well-formed unknown token", "/articles/1", secret.Generate(), http.StatusUnauthorized},
		{"long unknown custom secret", "/articles/1", strings.Repeat("x", 40), http.StatusUnauthorized},
		{"revoked token", "/articles/1", revoked.secret, http.StatusUnauthorized},
		{"token without article:read", "/articles/1", other.secret, http.StatusForbidden},
		{"token without article:publish", "/publish/1", reader.secret, http.StatusForbidden},
		{"no token on publish", "/publish/1", "", http.StatusUnauthorized},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			status, h, _ := get(c.path, c.bearer, nil)
			if status != c.want {
				t.Fatalf("status %d, want %d", status, c.want)
			}
			// nginx passes the subrequest's challenge on with a 401.
			if status == http.StatusUnauthorized && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", h.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestNginxRateLimitPerClient shows why the gateway must forward the client
// address: failed authentications are limited per client IP, and behind
// nginx every request comes from nginx. With X-Forwarded-For passed on and
// nginx's address in LATCHKEY_TRUSTED_PROXIES, one client spending its
// failures does not lock out the others. (nginx answers 500 when the
// auth_request answers 429: only 2xx, 401 and 403 are understood.)
func TestNginxRateLimitPerClient(t *testing.T) {
	if _, err := os.Stat(nginxBinary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (apt-get install nginx): %v", nginxBinary, err)
		}
		t.Skipf("nginx forward-auth test skipped: %s not found (apt-get install nginx)", nginxBinary)
	}
	s := testserver.New(t, "sqlite", testserver.Config(func(c *config.Config) {
		c.AuthFailureBurst = 3
		c.AuthFailureRate = 0.001
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}))
	s.MustDo(t, s.Admin, `mutation { createContentType(input: {uid: "article", displayName: "Articles",
		actions: [{name: "read", readOnly: true}, {name: "publish", readOnly: false}]}) { id } }`, nil)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(upstream.Close)
	gateway := startNginx(t, map[string]string{
		"LATCHKEY": nginxHostPort(t, s.URL),
		"UPSTREAM": nginxHostPort(t, upstream.URL),
	})
	client := &http.Client{Timeout: 10 * time.Second}
	status := func(from, bearer string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, gateway+"/articles/1", nil)
		// The test's clients all connect from 127.0.0.1, which is trusted
		// here; the address they claim stands for the one nginx would see.
		req.Header.Set("X-Forwarded-For", from)
		req.Header.Set("Authorization", "Bearer "+bearer)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	const a, b = "203.0.113.7", "203.0.113.8"
	for i := 0; i < 3; i++ {
		if got := status(a, "garbage-garbage-garbage-garbage-garbage"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d of client A: status %d, want 401", i+1, got)
		}
	}
	if got := status(a, s.Admin); got != http.StatusInternalServerError {
		t.Fatalf("client A after its burst of failures: status %d, want 500 (Latchkey's 429 through nginx)", got)
	}
	if got := status(b, s.Admin); got != http.StatusOK {
		t.Fatalf("client B is locked out by client A's failures: status %d", got)
	}
}

// nginxHostPort returns the host:port of a URL.
func nginxHostPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// nginxFreePort picks a port on 127.0.0.1 that is free right now.
func nginxFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// startNginx writes nginxConf with vars into a temporary prefix, runs nginx
// in the foreground, waits until it accepts connections and returns its base
// URL. Everything nginx writes stays in the temporary directory.
func startNginx(t *testing.T, vars map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	port := nginxFreePort(t)
	conf := nginxConf
	vars["DIR"] = dir
	vars["PORT"] = fmt.Sprint(port)
	for k, v := range vars {
		conf = strings.ReplaceAll(conf, "{{"+k+"}}", v)
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	errLog := filepath.Join(dir, "error.log")
	// -e keeps even the messages from before the configuration is read out
	// of /var/log/nginx.
	args := []string{"-c", confPath, "-p", dir + "/", "-e", errLog}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, nginxBinary, args...)
	var out testserver.SafeBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel() // kills nginx
		<-exited
	})

	failed := func(why string) {
		t.Helper()
		check, _ := exec.Command(nginxBinary, append([]string{"-t"}, args...)...).CombinedOutput()
		logged, _ := os.ReadFile(errLog)
		t.Fatalf("nginx did not start: %s\noutput: %s\nnginx -t: %s\nerror.log: %s", why, out.String(), check, logged)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			failed(fmt.Sprintf("exited: %v", err))
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			failed(fmt.Sprintf("%s refused connections for 10s: %v", addr, err))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
