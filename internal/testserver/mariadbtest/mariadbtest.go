// Package mariadbtest runs a MariaDB server that belongs to one test, for
// tests that break the database on purpose (stop it, kill it, restart it):
// its own data directory, port and socket, started as a child process and
// killed when the test ends. The shared server tests otherwise use is never
// touched. Tests skip when mariadbd is not installed, and fail under CI=true.
package mariadbtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver
)

// Server is a test-owned mariadbd.
type Server struct {
	t       testing.TB
	Port    int
	DataDir string
	Socket  string
	Log     string // the server's error log
	bin     string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Small enough to install and start in about a second on a shared machine.
var serverFlags = []string{
	"--no-defaults",
	"--innodb-log-file-size=8M",
	"--innodb-buffer-pool-size=32M",
}

// Start installs a fresh data directory and starts mariadbd on a free
// port of 127.0.0.1, with grant tables off (root, no password). The server
// is killed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := find("mariadbd", "mysqld")
	install := find("mariadb-install-db", "mysql_install_db")
	if bin == "" || install == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("mariadbd and mariadb-install-db are required in CI: the database fault tests are mandatory there")
		}
		t.Skip("database fault tests skipped: they need mariadbd and mariadb-install-db (Debian: apt-get install mariadb-server)")
	}
	dir := t.TempDir()
	s := &Server{t: t, bin: bin, DataDir: filepath.Join(dir, "data"), Socket: filepath.Join(dir, "mysqld.sock"), Log: filepath.Join(dir, "mysqld.err")}
	args := append(append([]string{}, serverFlags...), "--datadir="+s.DataDir, "--user="+currentUser(), "--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	s.Port = freePort(t)
	t.Cleanup(s.kill)
	s.Restart()
	return s
}

// URL is the Latchkey database URL of database db on this server, with
// extra query parameters (e.g. "timeout=500ms&readTimeout=1s").
func (s *Server) URL(db, params string) string {
	u := fmt.Sprintf("mysql://root@127.0.0.1:%d/%s", s.Port, db)
	if params != "" {
		u += "?" + params
	}
	return u
}

// Exec runs statements as root, for setting up databases.
func (s *Server) Exec(stmts ...string) {
	s.t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/", s.Port))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			s.t.Fatalf("%s: %v", q, err)
		}
	}
}

// Stop freezes the server (SIGSTOP): connections stay open and nothing
// answers, as with a hung host or a network partition.
func (s *Server) Stop() {
	s.signal(syscall.SIGSTOP)
	// The signal is delivered asynchronously: wait until the kernel reports
	// the process stopped, so that no query slips through after Stop.
	s.mu.Lock()
	pid := s.cmd.Process.Pid
	s.mu.Unlock()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		// pid (comm) STATE ...: the state follows the last ')'.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && (stat[i+2] == 'T' || stat[i+2] == 't') {
			return
		}
	}
}

// Continue thaws a stopped server (SIGCONT).
func (s *Server) Continue() { s.signal(syscall.SIGCONT) }

// Kill ends the server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	s.kill()
}

// Restart starts the server again on the same data directory and port
// (after Kill, or the first time), and waits until it accepts queries.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	cmd := exec.Command(s.bin, append(append([]string{}, serverFlags...),
		"--datadir="+s.DataDir,
		"--user="+currentUser(),
		"--port="+strconv.Itoa(s.Port),
		"--bind-address=127.0.0.1",
		"--socket="+s.Socket,
		"--pid-file="+filepath.Join(filepath.Dir(s.DataDir), "mysqld.pid"),
		"--log-error="+s.Log,
		"--skip-grant-tables",
		"--skip-name-resolve",
		// Commits survive a SIGKILL of the server (not of the machine).
		"--innodb-flush-log-at-trx-commit=2",
		"--innodb-doublewrite=0",
	)...)
	// If the test binary dies, so does its server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("starting mariadbd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.cmd = cmd
	s.mu.Unlock()

	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/?timeout=1s", s.Port))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case werr := <-exited:
			log, _ := os.ReadFile(s.Log)
			s.t.Fatalf("mariadbd exited: %v\n%s", werr, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(s.Log)
			s.t.Fatalf("mariadbd did not answer within a minute: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		s.t.Fatal("mariadbd is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signalling mariadbd: %v", err)
	}
}

// kill ends the server's process (by its own pid) and waits for it; a
// stopped process is continued so that it can die.
func (s *Server) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Process.Signal(syscall.SIGCONT)
	for i := 0; i < 200; i++ {
		// Reaped by the goroutine waiting on it: signal 0 then fails.
		if s.cmd.Process.Signal(syscall.Signal(0)) != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.cmd = nil
}

func find(names ...string) string {
	for _, n := range names {
		if p, err := LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// LookPath finds a program on PATH or in the sbin directories, where
// Debian puts mariadbd.
func LookPath(bin string) (string, error) {
	if p, err := exec.LookPath(bin); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, bin)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}

func freePort(t testing.TB) int {
	ports, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return ports[0]
}

// FreePorts reserves n distinct loopback ports by listening on port 0.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
