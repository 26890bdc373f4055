package postgis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"labmap/api"
	"labmap/data"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"

	"github.com/jackc/pgx/v5"
)

// replicaSetup is a primary with the demo imported, a streaming replica of
// it, a store reading from the replica and one reading from the primary
// only (the reference), each behind an API server.
type replicaSetup struct {
	primary, replica *pgtest.Cluster
	store, ref       *postgis.Store
	srv, refSrv      *httptest.Server
	logs             *bytes.Buffer
	logMu            *sync.Mutex
	tile             string // a tile path over the demo villages
}

// replicated starts a primary with the demo files imported and a streaming
// replica of it.
func replicated(t *testing.T) (primary, replica *pgtest.Cluster) {
	t.Helper()
	primary = pgtest.NewCluster(t)
	if _, err := postgis.Migrate(context.Background(), primary.URL, quiet); err != nil {
		t.Fatal(err)
	}
	importFiles(t, primary.URL, files(t))
	return primary, pgtest.NewReplica(t, primary)
}

func newReplicaSetup(t *testing.T, interval time.Duration) *replicaSetup {
	t.Helper()
	ctx := context.Background()
	r := &replicaSetup{logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	r.primary, r.replica = replicated(t)
	log := slog.New(slog.NewTextHandler(&lockedWriter{r.logMu, r.logs}, nil))
	var err error
	r.store, err = postgis.Open(ctx, r.primary.URL, postgis.Options{Log: log, ReplicaURLs: []string{r.replica.URL}, VersionInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	r.ref = openStore(t, r.primary.URL)
	r.srv = httptest.NewServer(api.New(r.store, quiet, api.Options{}))
	t.Cleanup(r.srv.Close)
	r.refSrv = httptest.NewServer(api.New(r.ref, quiet, api.Options{}))
	t.Cleanup(r.refSrv.Close)
	b, err := r.ref.Extent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.tile = tilePath(b.Center()[0], b.Center()[1], 10)
	r.waitFor(t, "the replica serves reads", func() bool { return serving(r.store) == r.replica.URL })
	return r
}

// tilePath is the villages tile at zoom z that holds lon, lat.
func tilePath(lon, lat float64, z int) string {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	rad := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(rad)+1/math.Cos(rad))/math.Pi) / 2 * n)
	return fmt.Sprintf("/tiles/villages/%d/%d/%d.mvt", z, x, y)
}

// serving is the URL host of the source the store reads from now, as a
// postgres URL prefix check needs it: "" when none.
func serving(s *postgis.Store) string {
	for _, src := range s.ReadSources() {
		if src.Serving {
			return "postgres://labmap@" + src.Name + "/labmap?sslmode=disable"
		}
	}
	return ""
}

func source(s *postgis.Store, primary bool) data.ReadSource {
	for _, src := range s.ReadSources() {
		if src.Primary == primary {
			return src
		}
	}
	return data.ReadSource{}
}

// waitFor polls cond until it holds, failing after a generous bound.
func (r *replicaSetup) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s; sources %+v", what, r.store.ReadSources())
		}
		time.Sleep(10 * time.Millisecond) // a poll interval, not an assertion on time
	}
}

// observation is one answer with the version it was given under.
type observation struct {
	version int64
	body    string
}

// readers request stats from the store and tiles from its server until
// stop closes, keeping each answer with its version and counting errors.
type readers struct {
	mu     sync.Mutex
	stats  []observation
	tiles  []observation // version from the ETag, body = ETag
	errors []string
	wg     sync.WaitGroup
}

func (r *replicaSetup) startReaders(t *testing.T, stop <-chan struct{}) *readers {
	rd := &readers{}
	ctx := context.Background()
	rd.wg.Add(2)
	go func() {
		defer rd.wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			before, err1 := r.store.Version(ctx)
			st, err2 := r.store.Stats(ctx, data.StatsQuery{Level: data.LevelVillage})
			after, err3 := r.store.Version(ctx)
			rd.mu.Lock()
			if err := firstErr(err1, err2, err3); err != nil {
				rd.errors = append(rd.errors, "stats: "+err.Error())
			} else if before == after {
				b, _ := json.Marshal(st)
				rd.stats = append(rd.stats, observation{before, string(b)})
			}
			rd.mu.Unlock()
		}
	}()
	go func() {
		defer rd.wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := http.Get(r.srv.URL + r.tile)
			rd.mu.Lock()
			if err != nil {
				rd.errors = append(rd.errors, "tile: "+err.Error())
			} else {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				etag := resp.Header.Get("ETag")
				var v int64
				if resp.StatusCode != 200 {
					rd.errors = append(rd.errors, fmt.Sprintf("tile: %d %s", resp.StatusCode, body))
				} else if _, err := fmt.Sscanf(strings.Trim(etag, `"`), "%d-", &v); err != nil {
					rd.errors = append(rd.errors, "tile ETag "+etag+": "+err.Error())
				} else {
					rd.tiles = append(rd.tiles, observation{v, etag})
				}
			}
			rd.mu.Unlock()
		}
	}()
	return rd
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// reference is the primary's answer at its current version.
func (r *replicaSetup) reference(t *testing.T) (int64, observation, observation) {
	t.Helper()
	ctx := context.Background()
	v, err := r.ref.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.ref.Stats(ctx, data.StatsQuery{Level: data.LevelVillage})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	resp, err := http.Get(r.refSrv.URL + r.tile)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reference tile %s: %d", r.tile, resp.StatusCode)
	}
	return v, observation{v, string(b)}, observation{v, resp.Header.Get("ETag")}
}

// replayPaused pauses or resumes WAL replay on the replica.
func (r *replicaSetup) replayPaused(t *testing.T, paused bool) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, r.replica.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	fn := "pg_wal_replay_resume"
	if paused {
		fn = "pg_wal_replay_pause"
	}
	if _, err := conn.Exec(ctx, "SELECT "+fn+"()"); err != nil {
		t.Fatal(err)
	}
}

// TestReplicaServesOneVersion imports on the primary while the replica's
// replay is paused, then resumes it, with readers asking the replica-backed
// store for stats and tiles throughout: the store stays on the replica's
// version until the replica has the new one, and every answer's figures
// are the primary's figures for the version it was given under.
func TestReplicaServesOneVersion(t *testing.T) {
	// No polling after the first ones: the replica's replay of the import
	// then reaches the store through its reads alone, and an answer read
	// from the new snapshot under the old version would be caught here
	// rather than hidden by a poll that came first.
	r := newReplicaSetup(t, time.Minute)
	postgis.SetReplicaFastPoll(r.store, time.Minute)
	v1, stats1, tile1 := r.reference(t)
	want := map[int64][2]observation{v1: {stats1, tile1}}

	stop := make(chan struct{})
	rd := r.startReaders(t, stop)
	r.replayPaused(t, true)
	f := writeVariant(t, files(t), everyThirdGone)
	v2 := importFiles(t, r.primary.URL, f).DatasetVersion
	r.waitFor(t, "the reference store has the new version", func() bool {
		v, err := r.ref.Version(context.Background())
		return err == nil && v == v2
	})
	_, stats2, tile2 := r.reference(t)
	if stats2.body == stats1.body || tile2.body == tile1.body {
		t.Fatal("the second import did not change the figures: the test would prove nothing")
	}
	want[v2] = [2]observation{stats2, tile2}
	// The primary's new version is known to the store, yet it serves the
	// replica's.
	r.waitFor(t, "the store has seen the primary's new version", func() bool { return source(r.store, true).Version == v2 })
	if v, err := r.store.Version(context.Background()); err != nil || v != v1 {
		t.Fatalf("with replay paused the store serves version %d (%v), want the replica's %d", v, err, v1)
	}
	if serving(r.store) != r.replica.URL {
		t.Fatalf("reads left the replica while it was up: %+v", r.store.ReadSources())
	}
	r.replayPaused(t, false)
	r.waitFor(t, "the store serves the new version", func() bool {
		v, err := r.store.Version(context.Background())
		return err == nil && v == v2
	})
	// Keep reading until both readers have answers at the new version.
	r.waitFor(t, "readers saw the new version", func() bool {
		rd.mu.Lock()
		defer rd.mu.Unlock()
		return len(rd.stats) > 0 && rd.stats[len(rd.stats)-1].version == v2 && len(rd.tiles) > 0 && rd.tiles[len(rd.tiles)-1].version == v2
	})
	close(stop)
	rd.wg.Wait()
	if serving(r.store) != r.replica.URL {
		t.Errorf("reads are not on the replica at the end: %+v", r.store.ReadSources())
	}
	if len(rd.errors) > 0 {
		t.Fatalf("%d reads failed, first: %s", len(rd.errors), rd.errors[0])
	}
	for kind, obs := range map[int][]observation{0: rd.stats, 1: rd.tiles} {
		seen := map[int64]int{}
		for i, o := range obs {
			w, ok := want[o.version]
			if !ok {
				t.Fatalf("answer %d at version %d, which is neither %d nor %d", i, o.version, v1, v2)
			}
			if o.body != w[kind].body {
				t.Fatalf("answer %d (kind %d) at version %d carries figures of another version", i, kind, o.version)
			}
			if i > 0 && o.version < obs[i-1].version {
				t.Fatalf("answer %d went back from version %d to %d", i, obs[i-1].version, o.version)
			}
			seen[o.version]++
		}
		if seen[v1] == 0 || seen[v2] == 0 {
			t.Errorf("kind %d: answers per version %v; both versions must have been served", kind, seen)
		}
	}
	t.Logf("%d stats and %d tile answers checked", len(rd.stats), len(rd.tiles))
}

// TestReplicaDownAndBack stops the replica under reads and starts it again:
// reads go on from the primary without an error, one log line says the
// replica went, one that it came back, and reads return to it.
func TestReplicaDownAndBack(t *testing.T) {
	r := newReplicaSetup(t, 200*time.Millisecond)
	stop := make(chan struct{})
	rd := r.startReaders(t, stop)
	r.replica.Stop()
	r.waitFor(t, "the replica is left out", func() bool { return !source(r.store, false).Up && serving(r.store) == r.primary.URL })
	name := strings.TrimSuffix(strings.TrimPrefix(r.replica.URL, "postgres://labmap@"), "/labmap?sslmode=disable")
	if m := string(get(t, r.srv.URL+"/metrics")); !strings.Contains(m, `labmap_db_read_source_up{role="replica",source="`+name+`"} 0`) ||
		!strings.Contains(m, `labmap_db_read_source_serving{role="primary"`) {
		t.Errorf("/metrics does not show the replica down:\n%s", m)
	}
	r.replica.Start()
	r.waitFor(t, "reads are back on the replica", func() bool { return source(r.store, false).Up && serving(r.store) == r.replica.URL })
	r.waitFor(t, "readers answered after the replica came back", func() bool {
		rd.mu.Lock()
		defer rd.mu.Unlock()
		return len(rd.stats) > 2 && len(rd.tiles) > 2
	})
	close(stop)
	rd.wg.Wait()
	if len(rd.errors) > 0 {
		t.Fatalf("%d reads failed, first: %s", len(rd.errors), rd.errors[0])
	}
	r.logMu.Lock()
	logs := r.logs.String()
	r.logMu.Unlock()
	for _, line := range []string{"replica unavailable", "replica available again"} {
		if n := strings.Count(logs, line); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", line, n, logs)
		}
	}
}

// TestReplicaOneConnection reads a replica through a pool of one
// connection, with several cold requests at once: the disclosure rule they
// all wait for reads in the snapshot of the request that computes it, on the
// connection that request holds. Reading on a connection of its own, it
// would wait for one that every other request holds while waiting for it.
func TestReplicaOneConnection(t *testing.T) {
	ctx := context.Background()
	primary, replica := replicated(t)
	store, err := postgis.Open(ctx, primary.URL, postgis.Options{Log: quiet, ReplicaURLs: []string{replica.URL}, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the replica serves reads", func() bool { return serving(store) == replica.URL })
	// A bound, not a timing: without the shared snapshot these reads
	// never finish, and the test must end with a message rather than hang.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	errs := make(chan error)
	for _, level := range []data.Level{data.LevelVillage, data.LevelDistrict, data.LevelRegency, data.LevelZone} {
		go func() {
			_, err := store.Stats(ctx, data.StatsQuery{Level: level})
			errs <- err
		}()
	}
	for range 4 {
		select {
		case err := <-errs:
			if err != nil {
				t.Errorf("a read through one replica connection failed: %v", err)
			}
		case <-ctx.Done():
			// The store is left open: closing waits for the connection
			// the stuck read holds.
			t.Fatal("reads through one replica connection still wait after two minutes: they deadlocked")
		}
	}
	store.Close()
}
