package postgis_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"labmap/api"
	"labmap/data/postgis"
	"labmap/internal/tooltest"
)

// The two kinds of answer the cluster test reads through the balancer.
const (
	kindStats = iota
	kindTile
	numKinds
)

var kindNames = [numKinds]string{"stats", "tile"}

// clusterAnswer is one answer read through nginx: which instance gave it,
// the dataset version it names and a digest of its body.
type clusterAnswer struct {
	reader   int
	kind     int
	upstream string
	version  int64
	etag     string // tiles: the ETag, which names version and bytes
	digest   [32]byte
	at       time.Time // when the answer had arrived
}

// clusterReaders request stats and tiles through the balancer until stop
// closes, each request's kind drawn at random so that round-robin cannot
// pair one kind with one instance.
type clusterReaders struct {
	mu      sync.Mutex
	answers []clusterAnswer
	errors  []string
	wg      sync.WaitGroup
}

func (rd *clusterReaders) seen(cond func(a clusterAnswer) bool) bool {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	for _, a := range rd.answers {
		if cond(a) {
			return true
		}
	}
	return false
}

// clusterPaths are the requests per kind: every village's figures, and a
// tile over the middle of the regency.
func clusterPaths(tile string) [numKinds]string {
	return [numKinds]string{kindStats: "/api/stats?level=village", kindTile: tile}
}

// fetchVersioned gets base+path and reads the version the answer names:
// X-Dataset-Version on stats, the ETag's leading number on tiles.
func fetchVersioned(client *http.Client, base string, kind int, path string) (clusterAnswer, error) {
	resp, err := client.Get(base + path)
	if err != nil {
		return clusterAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return clusterAnswer{}, err
	}
	a := clusterAnswer{kind: kind, upstream: resp.Header.Get("X-Upstream"), digest: sha256.Sum256(body), at: time.Now()}
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("%s: %d %s", path, resp.StatusCode, body)
	}
	if kind == kindTile {
		a.etag = resp.Header.Get("ETag")
		if _, err := fmt.Sscanf(strings.Trim(a.etag, `"`), "%d-", &a.version); err != nil {
			return a, fmt.Errorf("%s: ETag %s: %w", path, a.etag, err)
		}
		return a, nil
	}
	v := resp.Header.Get("X-Dataset-Version")
	if a.version, err = strconv.ParseInt(v, 10, 64); err != nil {
		return a, fmt.Errorf("%s: X-Dataset-Version %q: %w", path, v, err)
	}
	return a, nil
}

func startClusterReaders(lb string, paths [numKinds]string, instances map[string]string, stop <-chan struct{}) *clusterReaders {
	rd := &clusterReaders{}
	for reader := range 2 {
		rd.wg.Add(1)
		go func() {
			defer rd.wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				kind := rand.IntN(numKinds)
				a, err := fetchVersioned(client, lb, kind, paths[kind])
				a.reader = reader
				if err == nil && instances[a.upstream] == "" {
					// Several addresses mean nginx tried another instance
					// after an error: an error all the same.
					err = fmt.Errorf("%s: served by %q, not one of the instances", paths[kind], a.upstream)
				}
				rd.mu.Lock()
				if err != nil {
					rd.errors = append(rd.errors, err.Error())
				} else {
					rd.answers = append(rd.answers, a)
				}
				rd.mu.Unlock()
			}
		}()
	}
	return rd
}

// freePort is a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNginx runs nginx as a plain foreground process with a prefix of its
// own, balancing round-robin over upstreams and naming in X-Upstream the
// instance that answered; it is stopped when the test ends. It returns the
// balancer's base URL once it answers /readyz.
func startNginx(t *testing.T, bin string, upstreams []string) string {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	user := ""
	if os.Geteuid() == 0 {
		// Workers would otherwise run as nobody, who cannot enter the
		// test's temporary directory for proxy buffers.
		user = "user root;"
	}
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "\t\tserver %s;\n", u)
	}
	conf := fmt.Sprintf(`%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	upstream labmap {
%[3]s		keepalive 8;
	}
	server {
		listen 127.0.0.1:%[4]d;
		location / {
			proxy_pass http://labmap;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			add_header X-Upstream $upstream_addr always;
		}
	}
}
`, user, dir, servers.String(), port)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT) // graceful: workers finish and go
		<-exited
	})
	lb := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s%s", err, stderr.String(), log)
		default:
		}
		if resp, err := http.Get(lb + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return lb
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx on %s did not answer /readyz", lb)
		}
		time.Sleep(10 * time.Millisecond) // a poll interval, not an assertion on time
	}
}

// TestClusterImportThroughBalancer is the scale-out layout of the README
// (and scripts/cluster) on real components: a primary, a streaming replica,
// two instances (one reading from the primary, one from the replica) and
// nginx balancing them round-robin. Readers ask nginx for stats and a tile
// without pause while an import runs on the primary. Every answer names its
// dataset version, and its bytes must be the primary's answer for that
// version; each instance must serve the new version within the documented
// --db-version-interval (plus as much again for scheduling on a loaded
// machine), measured from the import's return to the first answer the
// instance gave at that version.
func TestClusterImportThroughBalancer(t *testing.T) {
	nginx := tooltest.Require(t, "nginx", "nginx-light")
	began := time.Now()
	defer func() { t.Logf("set-up, import and checks took %v", time.Since(began).Round(time.Millisecond)) }()
	ctx := context.Background()
	primary, replica := replicated(t)

	interval := postgis.DefaultVersionInterval // what `labmap serve` runs with
	var logMu sync.Mutex
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&lockedWriter{&logMu, &logs}, nil))
	opt := api.Options{TileCacheBytes: 64 << 20, TrustProxy: true}
	onPrimary, err := postgis.Open(ctx, primary.URL, postgis.Options{Log: log, VersionInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { onPrimary.Close() })
	onReplica, err := postgis.Open(ctx, primary.URL, postgis.Options{Log: log, ReplicaURLs: []string{replica.URL}, VersionInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { onReplica.Close() })
	instances := map[string]string{} // host:port -> which
	var upstreams []string
	for _, in := range []struct {
		name  string
		store *postgis.Store
	}{{"primary-backed", onPrimary}, {"replica-backed", onReplica}} {
		srv := httptest.NewServer(api.New(in.store, log, opt))
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		instances[u.Host] = in.name
		upstreams = append(upstreams, u.Host)
	}
	// The reference: the primary alone, through the same API.
	ref := openStore(t, primary.URL)
	refSrv := httptest.NewServer(api.New(ref, quiet, opt))
	t.Cleanup(refSrv.Close)
	b, err := ref.Extent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	paths := clusterPaths(tilePath(b.Center()[0], b.Center()[1], 10))
	waitUntil(t, "the replica-backed instance reads from the replica", func() bool { return serving(onReplica) == replica.URL })

	refClient := &http.Client{}
	reference := func(v int64) [numKinds]clusterAnswer {
		t.Helper()
		var out [numKinds]clusterAnswer
		for kind := range numKinds {
			a, err := fetchVersioned(refClient, refSrv.URL, kind, paths[kind])
			if err != nil {
				t.Fatalf("reference %s: %v", kindNames[kind], err)
			}
			if a.version != v {
				t.Fatalf("reference %s at version %d, want %d", kindNames[kind], a.version, v)
			}
			out[kind] = a
		}
		return out
	}
	v1, err := ref.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][numKinds]clusterAnswer{v1: reference(v1)}

	t.Logf("primary, replica and instances ready after %v", time.Since(began).Round(time.Millisecond))
	lb := startNginx(t, nginx, upstreams)
	stop := make(chan struct{})
	rd := startClusterReaders(lb, paths, instances, stop)
	stopped := false
	stopReaders := func() {
		if !stopped {
			stopped = true
			close(stop)
			rd.wg.Wait()
		}
	}
	t.Cleanup(stopReaders)
	// Both kinds from both instances before the import, so that each is
	// seen to move.
	for _, up := range upstreams {
		for kind := range numKinds {
			waitUntil(t, fmt.Sprintf("%s answered %s through nginx", instances[up], kindNames[kind]), func() bool {
				return rd.seen(func(a clusterAnswer) bool { return a.upstream == up && a.kind == kind })
			})
		}
	}

	f := writeVariant(t, files(t), everyThirdGone)
	start := time.Now()
	v2 := importFiles(t, primary.URL, f).DatasetVersion
	imported := time.Now()
	t.Logf("the import under reads took %v", imported.Sub(start).Round(time.Millisecond))
	waitUntil(t, "the reference has the new version", func() bool {
		v, err := ref.Version(ctx)
		return err == nil && v == v2
	})
	want[v2] = reference(v2)
	for kind := range numKinds {
		if want[v2][kind].digest == want[v1][kind].digest {
			t.Fatalf("the import did not change the %s: the test would prove nothing", kindNames[kind])
		}
	}
	for _, up := range upstreams {
		for kind := range numKinds {
			waitUntil(t, fmt.Sprintf("%s served %s at version %d through nginx", instances[up], kindNames[kind], v2), func() bool {
				return rd.seen(func(a clusterAnswer) bool { return a.upstream == up && a.kind == kind && a.version == v2 })
			})
		}
	}
	stopReaders()

	if len(rd.errors) > 0 {
		t.Fatalf("%d reads through nginx failed, first: %s", len(rd.errors), rd.errors[0])
	}
	bound := interval + interval // the documented interval, and as much again as margin
	first := map[string]time.Time{}
	last := map[[2]any]int64{} // (reader, upstream) -> version of its previous answer
	count := map[string]map[int64]int{}
	for i, a := range rd.answers {
		w, ok := want[a.version]
		if !ok {
			t.Fatalf("answer %d (%s from %s) at version %d, which is neither %d nor %d", i, kindNames[a.kind], instances[a.upstream], a.version, v1, v2)
		}
		if a.digest != w[a.kind].digest || a.etag != w[a.kind].etag {
			carries := "neither version's"
			for v, o := range want {
				if o[a.kind].digest == a.digest {
					carries = fmt.Sprintf("version %d's", v)
				}
			}
			t.Fatalf("answer %d (%s from %s) names version %d but carries %s figures", i, kindNames[a.kind], instances[a.upstream], a.version, carries)
		}
		key := [2]any{a.reader, a.upstream}
		if prev, ok := last[key]; ok && a.version < prev {
			t.Fatalf("answer %d (%s from %s) went back from version %d to %d", i, kindNames[a.kind], instances[a.upstream], prev, a.version)
		}
		last[key] = a.version
		if count[a.upstream] == nil {
			count[a.upstream] = map[int64]int{}
		}
		count[a.upstream][a.version]++
		if a.version == v2 && first[a.upstream].IsZero() {
			first[a.upstream] = a.at
		}
	}
	for _, up := range upstreams {
		took := max(first[up].Sub(imported), 0)
		t.Logf("%s (%s): answers per version %v; first answer at version %d %v after the import returned (bound %v)",
			instances[up], up, count[up], v2, took.Round(time.Millisecond), bound)
		if took > bound {
			t.Errorf("%s served the new version %v after the import, beyond --db-version-interval %v plus as much again", instances[up], took, interval)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "replica unavailable") {
		t.Errorf("the instances logged trouble:\n%s", logs.String())
	}
}

// waitUntil polls cond until it holds, failing after a generous bound.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond) // a poll interval, not an assertion on time
	}
}
