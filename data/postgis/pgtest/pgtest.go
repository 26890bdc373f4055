// Package pgtest gives tests a fresh PostGIS database of their own on the
// throwaway server that scripts/test starts (LABMAP_TEST_DATABASE_URL), or a
// throwaway cluster of their own for tests that stop and start the server.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points tests at a PostGIS server.
const EnvURL = "LABMAP_TEST_DATABASE_URL"

// missing fails in CI, where a skipped database test would prove nothing,
// and skips loudly elsewhere.
func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostGIS is required in CI: %s", why)
	}
	t.Skipf("SKIPPING PostGIS test: %s (run scripts/test, which starts a throwaway PostGIS)", why)
}

const template = "labmap_test_template"

// NewDatabase creates an empty database with PostGIS for one test and drops
// it when the test ends. It returns the database's URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		missing(t, EnvURL+" is not set")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer admin.Close(ctx)
	if err := ensureTemplate(ctx, admin, base); err != nil {
		t.Fatalf("prepare template database: %v", err)
	}
	name := fmt.Sprintf("labmap_test_%d_%d", time.Now().UnixNano()%1e9, rand.IntN(1e6))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(base, name)
}

// ensureTemplate creates, once per server, a database with PostGIS to copy:
// CREATE EXTENSION takes a second, copying a template a fraction of that.
// Test binaries run in parallel, so creation is serialised by an advisory lock.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, base string) error {
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7461)"); err != nil {
		return err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(7461)")
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+template); err != nil {
		return err
	}
	c, err := pgx.Connect(ctx, withDatabase(base, template))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		_, _ = admin.Exec(ctx, "DROP DATABASE "+template)
		return fmt.Errorf("CREATE EXTENSION postgis: %w", err)
	}
	return nil
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

// Cluster is a PostgreSQL server of a test's own, which it may stop and start.
type Cluster struct {
	t      testing.TB
	script string
	dir    string
	URL    string
}

// NewCluster starts a throwaway cluster with scripts/pg-cluster in a temp
// dir and stops it when the test ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	script, err := findScript()
	if err != nil {
		missing(t, err.Error())
	}
	dir, err := os.MkdirTemp("", "labmap-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, script: script, dir: dir}
	t.Cleanup(func() {
		_ = exec.Command(script, "stop", dir).Run()
		_ = os.RemoveAll(dir)
	})
	out, err := exec.Command(script, "start", dir).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		missing(t, "cannot start a PostgreSQL cluster: "+strings.TrimSpace(msg))
	}
	c.URL = strings.TrimSpace(string(out))
	return c
}

// NewReplica copies primary with pg_basebackup -R (scripts/pg-cluster
// replica) and starts the copy as a streaming hot standby on a port of its
// own; it is stopped when the test ends.
func NewReplica(t testing.TB, primary *Cluster) *Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "labmap-pg-replica-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, script: primary.script, dir: dir}
	t.Cleanup(func() {
		_ = exec.Command(c.script, "stop", dir).Run()
		_ = os.RemoveAll(dir)
	})
	out, err := exec.Command(c.script, "replica", primary.dir, dir).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("start a streaming replica: %s", strings.TrimSpace(msg))
	}
	c.URL = strings.TrimSpace(string(out))
	return c
}

// Stop shuts the server down (fast mode: open connections are cut).
func (c *Cluster) Stop() {
	c.t.Helper()
	if out, err := exec.Command(c.script, "stop", c.dir).CombinedOutput(); err != nil {
		c.t.Fatalf("stop cluster: %v: %s", err, out)
	}
}

// Start starts the server again on the same port.
func (c *Cluster) Start() {
	c.t.Helper()
	if out, err := exec.Command(c.script, "start", c.dir).CombinedOutput(); err != nil {
		c.t.Fatalf("start cluster: %v: %s", err, out)
	}
}

// findScript walks up from the working directory to the module root.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "pg-cluster"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("scripts/pg-cluster not found above the working directory")
		}
		dir = parent
	}
}
