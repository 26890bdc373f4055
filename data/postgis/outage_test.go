package postgis_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"labmap/api"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"
)

// serveStopped stops the cluster, opens a store on it (which must succeed
// with the database down) and serves it; both end with the test.
func serveStopped(t *testing.T, cl *pgtest.Cluster) *httptest.Server {
	t.Helper()
	cl.Stop()
	store, err := postgis.Open(context.Background(), cl.URL, postgis.Options{Log: quiet})
	if err != nil {
		t.Fatalf("Open must succeed while the database is down: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(api.New(store, quiet, api.Options{}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOutage runs a server over a PostgreSQL cluster of the test's own, cuts
// the database away twice (before the server starts, and while it runs),
// and requires 503 JSON while it is gone and recovery without a restart.
func TestOutage(t *testing.T) {
	ctx := context.Background()
	cl := pgtest.NewCluster(t)
	if _, err := postgis.Migrate(ctx, cl.URL, quiet); err != nil {
		t.Fatal(err)
	}
	importFiles(t, cl.URL, files(t))

	srv := serveStopped(t, cl)

	expectDown := func(when string) {
		t.Helper()
		// The process is alive, so /healthz is 200 and says the store is
		// down; /readyz and the data endpoints are 503.
		if status, body := fetchJSON(t, srv.URL+"/healthz"); status != http.StatusOK || body["status"] != "down" {
			t.Fatalf("%s: healthz = %d %v", when, status, body)
		}
		for _, path := range []string{"/readyz", "/api/stats?level=village", "/api/rounds"} {
			status, body := fetchJSON(t, srv.URL+path)
			if status != http.StatusServiceUnavailable || body["status"] != 503.0 {
				t.Fatalf("%s: GET %s = %d %v, want 503 JSON", when, path, status, body)
			}
			if path == "/readyz" && (body["ready"] != false || !strings.Contains(body["error"].(string), "unreachable")) {
				t.Fatalf("%s: readyz = %v", when, body)
			}
		}
	}
	expectRecovery := func(when string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, body := fetchJSON(t, srv.URL+"/api/stats?level=zone")
			if status == 200 {
				if n := len(body["areas"].([]any)); n != 3 {
					t.Fatalf("%s: %d zones after recovery", when, n)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %d after 30 s: %v", when, status, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if status, body := fetchJSON(t, srv.URL+"/healthz"); status != 200 || body["status"] != "ok" {
			t.Fatalf("%s: healthz = %d %v", when, status, body)
		}
		if status, body := fetchJSON(t, srv.URL+"/readyz"); status != 200 || body["ready"] != true {
			t.Fatalf("%s: readyz = %d %v", when, status, body)
		}
	}

	expectDown("down at start")
	cl.Start()
	expectRecovery("after the database came up")

	cl.Stop()
	expectDown("down while serving")
	cl.Start()
	expectRecovery("after the database came back")
}

func fetchJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: status %d, body is not JSON: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode, body
}
