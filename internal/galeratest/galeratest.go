// Package galeratest runs a throwaway MariaDB Galera cluster on loopback for
// tests: its own datadirs in a temporary directory, its own client, gcomm,
// IST and SST ports chosen at runtime, rsync state transfers. Tests can kill
// a node (SIGKILL), restart it (it rejoins by IST or SST), and pause nodes
// (SIGSTOP) so that the others lose quorum.
//
// It needs mariadbd, mariadb-install-db, rsync and the galera-4 provider;
// without them Require skips, or fails when CI=true.
package galeratest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the cluster is spoken to over the MySQL protocol

	"github.com/latchkeyhq/latchkey/internal/testserver/mariadbtest"
)

// Provider is where Debian's galera-4 package puts the wsrep provider.
var Provider = envOr("LATCHKEY_TEST_GALERA_PROVIDER", "/usr/lib/galera/libgalera_smm.so")

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Available reports what is missing to run a cluster, or nil.
func Available() error {
	var missing []string
	for _, bin := range []string{"mariadbd", "mariadb-install-db", "rsync", "wsrep_sst_rsync"} {
		if _, err := mariadbtest.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if _, err := os.Stat(Provider); err != nil {
		missing = append(missing, Provider+" (galera-4)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s (apt-get install mariadb-server galera-4 rsync)", strings.Join(missing, ", "))
	}
	return nil
}

// Require skips the test when no cluster can be run here, and fails it
// instead when CI=true: in CI the Galera tests are mandatory.
func Require(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("Galera tests are mandatory in CI: %v", err)
		}
		tb.Skipf("Galera tests skipped: %v", err)
	}
}

// Cluster is a running Galera cluster.
type Cluster struct {
	Nodes []*Node
	dir   string
	name  string
	// owner runs mariadbd when the tests run as root: the rsync daemon of an
	// SST started by root drops to nobody, which cannot write the datadir.
	owner *user.User
	// Started is how long Start took until every node was Synced.
	Started time.Duration
}

// Node is one mariadbd of the cluster.
type Node struct {
	c                     *Cluster
	Index                 int
	Port, Gcomm, IST, SST int
	dir                   string
	mu                    sync.Mutex
	cmd                   *exec.Cmd
	exited                chan struct{}
	paused                bool
}

// New starts a cluster of n nodes and removes it when the test ends.
func New(tb testing.TB, n int) *Cluster {
	tb.Helper()
	Require(tb)
	c, err := Start(n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Shared returns one 3-node cluster for every test of the package, started
// by the first caller. The package's TestMain must call Run so that it is
// removed at the end. Tests that kill or pause nodes must Heal it before
// they return (t.Cleanup(func() { c.Heal(t) })).
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	Require(tb)
	shared.once.Do(func() { shared.c, shared.err = Start(3) })
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.c
}

// Run runs the package's tests and then removes the shared cluster.
func Run(m *testing.M) int {
	code := m.Run()
	if shared.c != nil {
		shared.c.Close()
	}
	return code
}

// Start starts a cluster of n nodes: node 0 bootstraps a new cluster, the
// others join it by rsync SST. It returns once every node is Synced.
func Start(n int) (*Cluster, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	began := time.Now()
	dir, err := os.MkdirTemp("", "galeratest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, name: filepath.Base(dir)}
	if os.Geteuid() == 0 {
		if c.owner, err = user.Lookup("mysql"); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the mysql user (from mariadb-server): %w", err)
		}
		// The mysql user must reach its node directories.
		if err := os.Chmod(dir, 0o755); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	ports, err := mariadbtest.FreePorts(4 * n)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for i := 0; i < n; i++ {
		c.Nodes = append(c.Nodes, &Node{c: c, Index: i, Port: ports[4*i], Gcomm: ports[4*i+1], IST: ports[4*i+2], SST: ports[4*i+3],
			dir: filepath.Join(dir, fmt.Sprintf("node%d", i))})
	}
	if err := c.prepare(); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.Nodes[0].start(true); err != nil {
		c.Close()
		return nil, err
	}
	for _, node := range c.Nodes[1:] {
		if err := node.start(false); err != nil {
			c.Close()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := c.WaitSynced(ctx, n); err != nil {
		c.Close()
		return nil, err
	}
	c.Started = time.Since(began)
	return c, nil
}

// prepare initialises one datadir and copies it to every node.
func (c *Cluster) prepare() error {
	install, _ := mariadbtest.LookPath("mariadb-install-db")
	tpl := filepath.Join(c.dir, "template")
	args := []string{"--no-defaults", "--datadir=" + tpl, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M"}
	if c.owner != nil {
		args = append(args, "--user="+c.owner.Username)
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	for _, node := range c.Nodes {
		if err := os.MkdirAll(node.dir, 0o755); err != nil {
			return err
		}
		if out, err := exec.Command("cp", "-a", tpl, node.datadir()).CombinedOutput(); err != nil {
			return fmt.Errorf("copying the datadir: %v\n%s", err, out)
		}
		if err := os.WriteFile(node.cnf(), []byte(node.config()), 0o644); err != nil {
			return err
		}
		if err := c.chown(node.dir); err != nil {
			return err
		}
	}
	return os.RemoveAll(tpl)
}

func (c *Cluster) chown(path string) error {
	if c.owner == nil {
		return nil
	}
	if out, err := exec.Command("chown", "-R", c.owner.Uid+":"+c.owner.Gid, path).CombinedOutput(); err != nil {
		return fmt.Errorf("chown %s: %v\n%s", path, err, out)
	}
	return nil
}

func (n *Node) datadir() string { return filepath.Join(n.dir, "data") }
func (n *Node) cnf() string     { return filepath.Join(n.dir, "my.cnf") }

// ErrorLog returns the node's error log (for failure messages).
func (n *Node) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	return string(b)
}

// config is the node's my.cnf; the SST script reads it too. Small buffers
// and short failure-detection timeouts keep tests fast.
func (n *Node) config() string {
	var peers []string
	for _, p := range n.c.Nodes {
		peers = append(peers, fmt.Sprintf("127.0.0.1:%d", p.Gcomm))
	}
	userLine := ""
	if n.c.owner != nil {
		userLine = "user=" + n.c.owner.Username
	}
	return fmt.Sprintf(`[mysqld]
datadir=%[1]s/data
socket=%[1]s/mysqld.sock
pid-file=%[1]s/mysqld.pid
log-error=%[1]s/error.log
tmpdir=%[1]s
port=%[2]d
bind-address=127.0.0.1
%[3]s
skip-name-resolve
performance-schema=OFF
innodb-buffer-pool-size=32M
innodb-log-file-size=8M
innodb-flush-log-at-trx-commit=2
binlog-format=ROW
default-storage-engine=InnoDB
innodb-autoinc-lock-mode=2
max-connections=500
wsrep-on=ON
wsrep-provider=%[4]s
wsrep-cluster-name=%[5]s
wsrep-cluster-address=gcomm://%[6]s
wsrep-node-address=127.0.0.1:%[7]d
wsrep-node-name=node%[8]d
wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:%[7]d;ist.recv_addr=127.0.0.1:%[9]d;gcache.size=64M;evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S;pc.wait_prim_timeout=PT10S
wsrep-sst-method=rsync
wsrep-sst-receive-address=127.0.0.1:%[10]d
`, n.dir, n.Port, userLine, Provider, n.c.name, strings.Join(peers, ","), n.Gcomm, n.Index, n.IST, n.SST)
}

func (n *Node) start(bootstrap bool) error {
	n.mu.Lock()
	bin, _ := mariadbtest.LookPath("mariadbd")
	args := []string{"--defaults-file=" + n.cnf()}
	if bootstrap {
		args = append(args, "--wsrep-new-cluster")
	}
	cmd := exec.Command(bin, args...)
	// Never outlive the test process, even if it dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	n.cmd, n.exited, n.paused = cmd, exited, false
	n.mu.Unlock()
	if bootstrap {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return n.waitReady(ctx, 1)
	}
	return nil
}

// Restart starts a stopped or killed node again and waits until it has
// rejoined (IST, or SST when IST is not possible) and is Synced.
func (n *Node) Restart(ctx context.Context) error {
	if n.Running() {
		return fmt.Errorf("node%d is running", n.Index)
	}
	if err := n.start(false); err != nil {
		return err
	}
	return n.waitReady(ctx, 0)
}

// Running reports whether the node's mariadbd process is alive.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// Kill kills the node with SIGKILL, as a crash would, and waits until it is gone.
func (n *Node) Kill() {
	n.signal(syscall.SIGKILL)
	n.wait(30 * time.Second)
}

// Stop stops the node with SIGTERM, then SIGKILL after a timeout.
func (n *Node) Stop() {
	n.mu.Lock()
	paused := n.paused
	n.mu.Unlock()
	if paused {
		n.Resume()
	}
	n.signal(syscall.SIGTERM)
	if !n.wait(20 * time.Second) {
		n.Kill()
	}
}

// Pause freezes the node (SIGSTOP): to the others it is gone, but its
// process and connections stay.
func (n *Node) Pause() {
	n.signal(syscall.SIGSTOP)
	n.mu.Lock()
	n.paused = true
	n.mu.Unlock()
}

// Resume undoes Pause.
func (n *Node) Resume() {
	n.signal(syscall.SIGCONT)
	n.mu.Lock()
	n.paused = false
	n.mu.Unlock()
}

func (n *Node) signal(sig syscall.Signal) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(sig)
	}
}

func (n *Node) wait(d time.Duration) bool {
	n.mu.Lock()
	exited := n.exited
	n.mu.Unlock()
	if exited == nil {
		return true
	}
	select {
	case <-exited:
		return true
	case <-time.After(d):
		return false
	}
}

// URL is the Latchkey database URL of db on this node.
func (n *Node) URL(db string) string {
	return fmt.Sprintf("mysql://root@127.0.0.1:%d/%s", n.Port, db)
}

// DSN is the go-sql-driver DSN of db on this node.
func (n *Node) DSN(db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s?timeout=2s&readTimeout=5s&writeTimeout=5s", n.Port, db)
}

// Status returns the node's wsrep status variables (wsrep_ready,
// wsrep_local_state, wsrep_cluster_size, ...).
func (n *Node) Status(ctx context.Context) (map[string]string, error) {
	db, err := sql.Open("mysql", n.DSN(""))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_%'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// waitReady waits until the node is Synced and ready, in a cluster of at
// least size nodes (0: any size).
func (n *Node) waitReady(ctx context.Context, size int) error {
	var last string
	for {
		if !n.Running() {
			return fmt.Errorf("node%d exited while starting; its log ends:\n%s", n.Index, tail(n.ErrorLog(), 40))
		}
		st, err := n.Status(ctx)
		if err == nil {
			got, _ := strconv.Atoi(st["wsrep_cluster_size"])
			if st["wsrep_ready"] == "ON" && st["wsrep_local_state"] == "4" && got >= size {
				return nil
			}
			last = fmt.Sprintf("ready=%s state=%s size=%s", st["wsrep_ready"], st["wsrep_local_state_comment"], st["wsrep_cluster_size"])
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node%d not ready (%s): %w; its log ends:\n%s", n.Index, last, ctx.Err(), tail(n.ErrorLog(), 40))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitSynced waits until every node is Synced in a cluster of size nodes.
func (c *Cluster) WaitSynced(ctx context.Context, size int) error {
	for _, n := range c.Nodes {
		if err := n.waitReady(ctx, size); err != nil {
			return err
		}
	}
	return nil
}

// Heal resumes paused nodes, restarts dead ones and waits until the whole
// cluster is Synced again: for tests of a shared cluster to call last.
func (c *Cluster) Heal(tb testing.TB) {
	tb.Helper()
	for _, n := range c.Nodes {
		n.mu.Lock()
		paused := n.paused
		n.mu.Unlock()
		if paused {
			n.Resume()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, n := range c.Nodes {
		if !n.Running() {
			if err := n.Restart(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := c.WaitSynced(ctx, len(c.Nodes)); err != nil {
		tb.Fatal(err)
	}
}

// Database creates a database for one test (on node 0; replicated to all)
// and drops it when the test ends, after healing the cluster. It returns
// its name.
func (c *Cluster) Database(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("latchkey_%d", time.Now().UnixNano())
	c.exec(tb, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	// The other nodes apply the CREATE a moment after node 0 answers.
	for _, n := range c.Nodes {
		if n.Running() {
			c.waitDatabase(tb, n, name)
		}
	}
	tb.Cleanup(func() {
		c.Heal(tb)
		c.exec(tb, "DROP DATABASE IF EXISTS "+name)
	})
	return name
}

func (c *Cluster) waitDatabase(tb testing.TB, n *Node, name string) {
	tb.Helper()
	db, err := sql.Open("mysql", n.DSN(""))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var found string
		err := db.QueryRow("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&found)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("database %s not on node%d: %v", name, n.Index, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exec runs a statement on the first node that is Synced.
func (c *Cluster) exec(tb testing.TB, stmt string) {
	tb.Helper()
	var errs []error
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		db, err := sql.Open("mysql", n.DSN(""))
		if err != nil {
			tb.Fatal(err)
		}
		_, err = db.Exec(stmt)
		db.Close()
		if err == nil {
			return
		}
		errs = append(errs, err)
	}
	tb.Errorf("%s: %v", stmt, errors.Join(errs...))
}

// Close stops every node and removes the cluster's files.
func (c *Cluster) Close() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); n.Stop() }()
	}
	wg.Wait()
	os.RemoveAll(c.dir)
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
