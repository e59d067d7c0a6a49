package galeratest_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/galeratest"
)

func TestMain(m *testing.M) { os.Exit(galeratest.Run(m)) }

// TestCluster checks the harness itself: a write on one node is read on
// the others, a killed node rejoins, and a node left alone loses quorum.
func TestCluster(t *testing.T) {
	c := galeratest.Shared(t)
	t.Cleanup(func() { c.Heal(t) })
	t.Logf("cluster started in %s", c.Started)
	name := c.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open := func(n *galeratest.Node) *sql.DB {
		db, err := sql.Open("mysql", n.DSN(name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(c.Nodes[0]), open(c.Nodes[1])
	if _, err := a.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c.Nodes[2].Kill()
	if _, err := b.Exec("INSERT INTO t VALUES (2)"); err != nil {
		t.Fatalf("writing with one node down: %v", err)
	}
	began := time.Now()
	if err := c.Nodes[2].Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed node rejoined in %s", time.Since(began))
	var n int
	if err := open(c.Nodes[2]).QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("rejoined node reads %d rows, %v", n, err)
	}
	c.Nodes[1].Pause()
	c.Nodes[2].Pause()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := c.Nodes[0].Status(ctx)
		if err == nil && st["wsrep_ready"] == "OFF" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node0 alone still ready: %v %v", st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
