package postgis_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"labmap/api"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"

	"github.com/jackc/pgx/v5"
)

// readyz fetches /readyz and checks that it is JSON of the right shape.
func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	status, body := fetchJSON(t, base+"/readyz")
	if status == http.StatusOK {
		if body["ready"] != true {
			t.Fatalf("readyz 200 with %v", body)
		}
		return status, ""
	}
	msg, _ := body["error"].(string)
	if body["ready"] != false || body["status"] != float64(status) || msg == "" {
		t.Fatalf("readyz %d with %v", status, body)
	}
	return status, msg
}

// TestReadyzSchemaAndOutage serves from a cluster of the test's own whose
// database is one migration behind: /readyz is 503 while the server is down,
// 503 naming `labmap migrate` once it is up, 200 after the migration, and
// 503 again while the database is stopped. /healthz is 200 throughout.
func TestReadyzSchemaAndOutage(t *testing.T) {
	ctx := context.Background()
	cl := pgtest.NewCluster(t)
	if _, err := postgis.MigrateTo(ctx, cl.URL, quiet, postgis.SchemaVersion()-1); err != nil {
		t.Fatal(err)
	}
	srv := serveStopped(t, cl)

	alive := func(when string) {
		t.Helper()
		if status, body := fetchJSON(t, srv.URL+"/healthz"); status != http.StatusOK {
			t.Fatalf("%s: healthz = %d %v, want 200 while the process runs", when, status, body)
		}
	}
	unreachable := func(when string) {
		t.Helper()
		status, msg := readyz(t, srv.URL)
		if status != http.StatusServiceUnavailable || !strings.Contains(msg, "unreachable") {
			t.Fatalf("%s: readyz = %d %q, want 503 unreachable", when, status, msg)
		}
		alive(when)
	}

	unreachable("down at start")
	cl.Start()
	var msg string
	eventually(t, "readyz to see the database", func() bool {
		_, msg = readyz(t, srv.URL)
		return !strings.Contains(msg, "unreachable")
	})
	if !strings.Contains(msg, "labmap migrate") || !strings.Contains(msg, "version") {
		t.Fatalf("readyz on a schema one migration behind: %q, want 503 naming labmap migrate", msg)
	}
	if status, body := fetchJSON(t, srv.URL+"/api/rounds"); status != http.StatusServiceUnavailable {
		t.Fatalf("data endpoint on a schema behind: %d %v", status, body)
	}
	alive("schema behind")

	if _, err := postgis.Migrate(ctx, cl.URL, quiet); err != nil {
		t.Fatal(err)
	}
	if status, msg := readyz(t, srv.URL); status != http.StatusOK {
		t.Fatalf("readyz after labmap migrate = %d %q", status, msg)
	}

	cl.Stop()
	unreachable("stopped while serving")
	cl.Start()
	eventually(t, "readyz after the database came back", func() bool {
		status, _ := readyz(t, srv.URL)
		return status == http.StatusOK
	})
}

// TestReadyzRegistryChanged: aggregates built by another indicator registry
// are a schema that is not current too, and `labmap migrate` rebuilds them.
func TestReadyzRegistryChanged(t *testing.T) {
	ctx := context.Background()
	dbURL := migrated(t)
	importFiles(t, dbURL, files(t))
	store := openStore(t, dbURL)
	srv := httptest.NewServer(api.New(store, quiet, api.Options{}))
	defer srv.Close()
	if status, msg := readyz(t, srv.URL); status != http.StatusOK {
		t.Fatalf("readyz on a current database = %d %q", status, msg)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE dataset_state SET registry_hash = 'another labmap'`); err != nil {
		t.Fatal(err)
	}
	if status, msg := readyz(t, srv.URL); status != http.StatusServiceUnavailable || !strings.Contains(msg, "labmap migrate") {
		t.Fatalf("readyz with aggregates of another registry = %d %q, want 503 naming labmap migrate", status, msg)
	}
	if _, err := postgis.Migrate(ctx, dbURL, quiet); err != nil {
		t.Fatal(err)
	}
	if status, msg := readyz(t, srv.URL); status != http.StatusOK {
		t.Fatalf("readyz after labmap migrate = %d %q", status, msg)
	}
}

// TestHealthBesideBusyPool fills a data pool of one connection with a query
// blocked on a table lock and requires /healthz and /readyz to answer at
// once on the reserved health connection, and PoolStats to show the pool
// full.
func TestHealthBesideBusyPool(t *testing.T) {
	ctx := context.Background()
	dbURL := migrated(t)
	importFiles(t, dbURL, files(t))
	store, err := postgis.Open(ctx, dbURL, postgis.Options{Log: quiet, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(api.New(store, quiet, api.Options{}))
	defer srv.Close()
	if st := store.PoolStats(); st.Max != 1 {
		t.Fatalf("PoolStats().Max = %d with MaxConns 1", st.Max)
	}

	locker, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE agg_villages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan int, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/api/stats?level=village")
		if err != nil {
			blocked <- 0
			return
		}
		resp.Body.Close()
		blocked <- resp.StatusCode
	}()
	eventually(t, "the data query to wait on the lock with the pool's only connection", func() bool {
		var waiting bool
		err := locker.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'agg_villages'::regclass)`).Scan(&waiting)
		return err == nil && waiting
	})
	if st := store.PoolStats(); st.Acquired != 1 || st.Total != 1 {
		t.Fatalf("PoolStats while the query waits = %+v, want the one connection acquired", st)
	}

	// Guards against a hang, not a timing assertion: before the reserved
	// connection these requests waited for the lock to go.
	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, path := range []string{"/healthz", "/readyz"} {
		req, _ := http.NewRequestWithContext(hctx, http.MethodGet, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s while the data pool is busy: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s while the data pool is busy = %d", path, resp.StatusCode)
		}
	}
	if status, body := fetchJSON(t, srv.URL+"/healthz"); status != 200 || body["status"] != "ok" || body["dataset_version"] != 1.0 {
		t.Fatalf("healthz while the data pool is busy = %d %v", status, body)
	}
	select {
	case status := <-blocked:
		t.Fatalf("the data query finished (%d) while its table was locked", status)
	default:
	}

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if status := <-blocked; status != http.StatusOK {
		t.Fatalf("the data query after the lock went: %d", status)
	}
}

// TestOpenRefusesBadOptions: a bad pool size or interval is refused before
// any connection, naming the flag that set it.
func TestOpenRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  postgis.Options
		flag string
	}{
		{"negative pool", postgis.Options{MaxConns: -1}, "--db-max-conns"},
		{"negative interval", postgis.Options{VersionInterval: -time.Second}, "--db-version-interval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Log = quiet
			s, err := postgis.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none", tc.opt)
			if err == nil {
				s.Close()
				t.Fatalf("Open accepted %+v", tc.opt)
			}
			if !strings.Contains(err.Error(), tc.flag) {
				t.Fatalf("Open with %+v: %v, want the error to name %s", tc.opt, err, tc.flag)
			}
		})
	}
}
