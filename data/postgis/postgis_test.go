package postgis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"labmap/api"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"
	"labmap/geo"
	"labmap/tiles"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

var quiet = slog.New(slog.DiscardHandler)

// demoFiles writes one small demo dataset per test binary: a few thousand
// households over three rounds, the same for both stores.
var demoFiles = sync.OnceValues(func() (data.Files, error) {
	dir, err := os.MkdirTemp("", "labmap-postgis-test-")
	if err != nil {
		return data.Files{}, err
	}
	ds, err := demo.Generate(demo.Options{Households: 3000, Seed: 5})
	if err != nil {
		return data.Files{}, err
	}
	if err := demo.WriteFiles(context.Background(), ds, dir); err != nil {
		return data.Files{}, err
	}
	return data.Files{
		Households: filepath.Join(dir, demo.HouseholdsFile), Villages: filepath.Join(dir, demo.VillagesFile),
		Zones: filepath.Join(dir, demo.ZonesFile), Districts: filepath.Join(dir, demo.DistrictsFile),
	}, nil
})

func files(t *testing.T) data.Files {
	t.Helper()
	f, err := demoFiles()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// migrated returns a fresh migrated database.
func migrated(t *testing.T) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	if _, err := postgis.Migrate(context.Background(), url, quiet); err != nil {
		t.Fatal(err)
	}
	return url
}

func importFiles(t *testing.T, url string, f data.Files) postgis.ImportResult {
	t.Helper()
	res, err := postgis.Import(context.Background(), url, f, postgis.ImportOptions{Log: quiet})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func openStore(t *testing.T, url string) *postgis.Store {
	t.Helper()
	s, err := postgis.Open(context.Background(), url, postgis.Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrateOnce(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	applied, err := postgis.Migrate(ctx, url, quiet)
	if err != nil || len(applied) == 0 || applied[0] != 1 || applied[len(applied)-1] != postgis.SchemaVersion() {
		t.Fatalf("first migrate applied %v, err %v", applied, err)
	}
	first := len(applied)
	applied, err = postgis.Migrate(ctx, url, quiet)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, err %v", applied, err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != first {
		t.Fatalf("schema_migrations has %d rows (err %v), want %d", n, err, first)
	}
}

func TestOpenNeedsMigrate(t *testing.T) {
	url := pgtest.NewDatabase(t)
	_, err := postgis.Open(context.Background(), url, postgis.Options{Log: quiet})
	if err == nil || !strings.Contains(err.Error(), "labmap migrate") {
		t.Fatalf("Open on an unmigrated database: %v, want a message to run labmap migrate", err)
	}
	_, err = postgis.Import(context.Background(), url, files(t), postgis.ImportOptions{Log: quiet})
	if err == nil || !strings.Contains(err.Error(), "labmap migrate") {
		t.Fatalf("Import on an unmigrated database: %v, want a message to run labmap migrate", err)
	}
}

// TestDifferential loads the same demo dataset into both stores and requires
// every level, round, zone and resolution to agree, field by field and as
// the JSON the API serves.
func TestDifferential(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	ctx := context.Background()
	mem, pg, memAPI, pgAPI := bothStores(t)

	rounds, err := mem.Rounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pgRounds, err := pg.Rounds(ctx)
	if err != nil || !reflect.DeepEqual(rounds, pgRounds) {
		t.Fatalf("rounds: memory %v, postgis %v (err %v)", rounds, pgRounds, err)
	}
	memZones, _ := mem.Zones(ctx)
	pgZones, err := pg.Zones(ctx)
	if err != nil || len(pgZones) != len(memZones) {
		t.Fatalf("zones: %d vs %d (err %v)", len(memZones), len(pgZones), err)
	}
	for i := range memZones {
		if !reflect.DeepEqual(memZones[i].VillageCodes, pgZones[i].VillageCodes) || memZones[i].ID != pgZones[i].ID {
			t.Errorf("zone %d differs: %+v vs %+v", i, memZones[i].ID, pgZones[i].ID)
		}
	}
	zones := []string{""}
	for _, z := range memZones {
		zones = append(zones, z.ID)
	}

	var queries []data.StatsQuery
	for _, r := range rounds {
		for _, z := range zones {
			for _, l := range []data.Level{data.LevelProvince, data.LevelRegency, data.LevelDistrict, data.LevelVillage, data.LevelZone} {
				queries = append(queries, data.StatsQuery{Level: l, Round: r.Round, Zone: z})
			}
			for _, res := range geo.Resolutions {
				queries = append(queries, data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: r.Round, Zone: z})
			}
		}
	}
	// The analyst's view: every query again without the disclosure rule.
	// Both stores must agree on it too, and it must differ from the
	// public view somewhere, or the role opens nothing.
	n := len(queries)
	for _, q := range queries[:n] {
		q.Unsuppressed = true
		queries = append(queries, q)
	}
	suppressed, shown, opened := 0, 0, 0
	for qi, q := range queries {
		name := fmt.Sprintf("%s/r%d/%s/%s/unsuppressed=%v", q.Level, q.Res, q.Round, q.Zone, q.Unsuppressed)
		want, err := mem.Stats(ctx, q)
		if err != nil {
			t.Fatalf("%s: memory: %v", name, err)
		}
		got, err := pg.Stats(ctx, q)
		if err != nil {
			t.Fatalf("%s: postgis: %v", name, err)
		}
		if len(got) != len(want) {
			t.Errorf("%s: postgis has %d areas, memory %d", name, len(got), len(want))
			continue
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s: area %s differs:\n postgis %+v\n memory  %+v", name, want[i].Code, got[i], want[i])
				break
			}
			if want[i].Suppressed {
				suppressed++
			} else {
				shown++
			}
		}
		if q.Unsuppressed {
			if pub, _ := mem.Stats(ctx, queries[qi-n]); !reflect.DeepEqual(pub, want) {
				opened++
			}
			for _, a := range want {
				if a.Suppressed || slices.ContainsFunc(a.Values, func(v data.Value) bool { return v.Withheld }) {
					t.Errorf("%s: area %s is suppressed or withheld in the unsuppressed view", name, a.Code)
					break
				}
			}
			continue // /api/stats needs an analyst token: api tests cover it
		}

		path := fmt.Sprintf("/api/stats?level=%s&round=%s", q.Level, q.Round)
		if q.Level == data.LevelHexagon {
			path += fmt.Sprintf("&res=%d", q.Res)
		}
		if q.Zone != "" {
			path += "&zone=" + q.Zone
		}
		paths := []string{path}
		if q.Level == data.LevelHexagon && q.Res >= 9 && q.Zone == "" {
			// The whole region at a fine resolution comes a few
			// indicators at a time (the request budget, api/budget.go).
			paths = nil
			for i := 0; i < len(data.Indicators); i += 4 {
				var keys []string
				for _, ind := range data.Indicators[i:min(i+4, len(data.Indicators))] {
					keys = append(keys, ind.Key)
				}
				paths = append(paths, path+"&fields="+strings.Join(keys, ","))
			}
		}
		for _, path := range paths {
			if a, b := get(t, memAPI.URL+path), get(t, pgAPI.URL+path); !bytes.Equal(a, b) {
				t.Errorf("%s: /api/stats bodies differ", path)
			}
		}
	}
	if suppressed == 0 || shown == 0 {
		t.Fatalf("the comparison should cover shown and suppressed areas: %d shown, %d suppressed", shown, suppressed)
	}
	if opened == 0 {
		t.Errorf("no unsuppressed answer differs from the public one")
	}
	t.Logf("compared %d queries: %d areas shown, %d suppressed; %d of %d analyst answers open more", len(queries), shown, suppressed, opened, n)

	// The same tile from both stores: one pipeline, so the same bytes.
	compared := 0
	for _, z := range memZones {
		c, _ := planar.CentroidArea(z.Geometry)
		for zoom := 8; zoom <= 14; zoom += 2 {
			tile := maptile.At(c, maptile.Zoom(zoom))
			for _, layers := range [][]tiles.Layer{tiles.Layers, {tiles.Layers[1]}} {
				for i, round := range []data.Round{"", rounds[0].Round} {
					r := tiles.Request{Layers: layers, Z: zoom, X: int(tile.X), Y: int(tile.Y), Round: round, Unsuppressed: i == 1}
					a, err := tiles.Render(ctx, mem, r)
					if err != nil {
						t.Fatal(err)
					}
					b, err := tiles.Render(ctx, pg, r)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(a, b) {
						t.Errorf("tile %d/%d/%d %v round %q differs between the stores", zoom, tile.X, tile.Y, layers, round)
					}
					compared++
				}
			}
		}
	}
	t.Logf("compared %d tiles", compared)
}

// TestSQLIndicatorColumns checks the indicator columns generated into the
// aggregate tables (for people who query the database directly) against the
// figures the API evaluates in Go.
func TestSQLIndicatorColumns(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	importFiles(t, url, files(t))
	pg := openStore(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	areas, err := postgis.StatsUnsuppressed(ctx, pg, data.StatsQuery{Level: data.LevelVillage})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, a := range areas {
		for i, ind := range data.Indicators {
			var got *float64
			var text *string
			if ind.Kind == data.KindCategory {
				err = conn.QueryRow(ctx, "SELECT dominant_cause FROM agg_villages WHERE code = $1 AND round = $2", a.Code, string(a.Round)).Scan(&text)
			} else {
				err = conn.QueryRow(ctx, "SELECT "+ind.Key+"::float8 FROM agg_villages WHERE code = $1 AND round = $2", a.Code, string(a.Round)).Scan(&got)
			}
			if err != nil {
				t.Fatalf("%s %s: %v", a.Code, ind.Key, err)
			}
			v := a.Values[i]
			switch {
			case ind.Kind == data.KindCategory:
				if (text == nil) == v.Valid || (text != nil && *text != v.Text) {
					t.Errorf("%s %s: SQL %v, Go %+v", a.Code, ind.Key, text, v)
				}
			case got == nil:
				if v.Valid {
					t.Errorf("%s %s: SQL null, Go %v", a.Code, ind.Key, v.Number)
				}
			default:
				if !v.Valid || *got != v.Number {
					t.Errorf("%s %s: SQL %v, Go %+v", a.Code, ind.Key, *got, v)
				}
			}
			checked++
		}
	}
	if checked < 285*len(data.Indicators) {
		t.Fatalf("checked only %d values", checked)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// snapshot is a digest of everything an import writes, to compare database states.
func snapshot(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var out strings.Builder
	for _, q := range []string{
		"SELECT version::text FROM dataset_state",
		// imported_in records which import wrote a row, like the version.
		"SELECT md5(string_agg((to_jsonb(h) - 'imported_in')::text, '|' ORDER BY round, household_id)) FROM households h",
		"SELECT md5(string_agg(v::text, '|' ORDER BY code)) FROM villages v",
		"SELECT md5(string_agg(z::text, '|' ORDER BY zone_id, village_code)) FROM zone_villages z",
		"SELECT md5(string_agg(a::text, '|' ORDER BY round, code)) FROM agg_villages a",
		"SELECT md5(string_agg(a::text, '|' ORDER BY round, res, cell)) FROM agg_hexagons a",
	} {
		var s *string
		if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if s != nil {
			out.WriteString(*s)
		}
		out.WriteByte(';')
	}
	return out.String()
}

// withoutVersion drops the dataset version from a snapshot.
func withoutVersion(s string) string { _, rest, _ := strings.Cut(s, ";"); return rest }

func TestReimportIsIdempotent(t *testing.T) {
	url := migrated(t)
	f := files(t)
	first := importFiles(t, url, f)
	a := snapshot(t, url)
	second := importFiles(t, url, f)
	b := snapshot(t, url)
	if withoutVersion(a) != withoutVersion(b) {
		t.Fatalf("importing the same files twice changed the contents:\n%s\n%s", a, b)
	}
	if first.DatasetVersion != 1 || second.DatasetVersion != 2 || second.Rows != 9000 || second.Households != 3000 {
		t.Fatalf("results %+v then %+v", first, second)
	}
}

// writeVariant copies the demo households file, changing it with edit, and
// returns Files that use it.
func writeVariant(t *testing.T, f data.Files, edit func(lines []string) []string) data.Files {
	t.Helper()
	b, err := os.ReadFile(f.Households)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	lines = edit(lines)
	out := filepath.Join(t.TempDir(), "households.csv")
	if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := f
	v.Households = out
	return v
}

// everyThirdGone drops every third household row of a CSV (for
// writeVariant): every round's figures change, and an import keeps the
// rounds its file lacks, so none is left as it was.
func everyThirdGone(lines []string) []string {
	out := lines[:1]
	for i, l := range lines[1:] {
		if i%3 != 2 {
			out = append(out, l)
		}
	}
	return out
}

func TestFailedImportChangesNothing(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	ctx := context.Background()
	url := migrated(t)
	f := files(t)
	importFiles(t, url, f)
	before := snapshot(t, url)

	col := func(lines []string, name string) int {
		for i, c := range strings.Split(lines[0], ",") {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	setField := func(line string, i int, v string) string {
		fs := strings.Split(line, ",")
		fs[i] = v
		return strings.Join(fs, ",")
	}
	tests := []struct {
		name    string
		edit    func([]string) []string
		mention []string
	}{
		{"bad row in the middle", func(ls []string) []string {
			ls[4500] = setField(ls[4500], col(ls, "poverty_status"), "rich")
			return ls
		}, []string{"households.csv", "line 4501", "poverty_status"}},
		{"unknown village code", func(ls []string) []string {
			ls[6000] = setField(ls[6000], col(ls, "village_code"), "33.26.99.9999")
			return ls
		}, []string{"households.csv", "line 6001", "village_code", "33.26.99.9999"}},
		{"household outside every village", func(ls []string) []string {
			i := col(ls, "village_code")
			ls[7000] = setField(setField(ls[7000], i, ""), col(ls, "lon"), "110.5")
			return ls
		}, []string{"households.csv", "line 7001", "lon/lat", "outside every village"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := postgis.Import(ctx, url, writeVariant(t, f, tc.edit), postgis.ImportOptions{Log: quiet})
			var ie *data.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if after := snapshot(t, url); after != before {
				t.Fatalf("a failed import changed the database")
			}
		})
	}
	t.Run("cancelled mid-import", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// A progress writer that cancels once rows are flowing: the
		// transaction is cut while COPY is running.
		big := writeVariant(t, f, func(ls []string) []string {
			out := []string{ls[0]}
			idCol := col(ls, "household_id")
			for k := 0; k < 20; k++ {
				for _, l := range ls[1:] {
					fs := strings.Split(l, ",")
					fs[idCol] = fmt.Sprintf("%s-%d", fs[idCol], k)
					out = append(out, strings.Join(fs, ","))
				}
			}
			return out
		})
		_, err := postgis.Import(cctx, url, big, postgis.ImportOptions{Log: quiet, Progress: cancelWriter{cancel}})
		if err == nil {
			t.Fatal("a cancelled import succeeded")
		}
		if after := snapshot(t, url); after != before {
			t.Fatalf("a cancelled import changed the database")
		}
	})
}

type cancelWriter struct{ cancel context.CancelFunc }

func (c cancelWriter) Write(p []byte) (int, error) { c.cancel(); return len(p), nil }

func TestReimportRoundReplacesOnlyThatRound(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	f := files(t)
	importFiles(t, url, f)
	pg := openStore(t, url)
	before, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelRegency, Round: "2019-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	// Re-import only the last round, with its first 1000 households dropped.
	last := writeVariant(t, f, func(ls []string) []string {
		out := []string{ls[0]}
		for _, l := range ls[1:] {
			if strings.Contains(l, ",2020-06-01,") {
				out = append(out, l)
			}
		}
		return append(out[:1], out[1001:]...)
	})
	res := importFiles(t, url, last)
	if len(res.Rounds) != 1 || res.Rounds[0] != "2020-06-01" || res.Rows != 2000 {
		t.Fatalf("result %+v", res)
	}
	rounds, err := pg.Rounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{3000, 3000, 2000}
	for i, r := range rounds {
		if r.Households != want[i] {
			t.Errorf("round %s has %d households, want %d", r.Round, r.Households, want[i])
		}
	}
	after, err := pg.Stats(ctx, data.StatsQuery{Level: data.LevelRegency, Round: "2019-06-01"})
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Fatalf("round 2019-06-01 changed when only 2020-06-01 was imported (err %v)", err)
	}
}

// TestVillageJoin imports households without village codes: ST_Covers
// must put each where the file said it was.
func TestVillageJoin(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	f := files(t)
	noCodes := writeVariant(t, f, func(ls []string) []string {
		i := -1
		for j, c := range strings.Split(ls[0], ",") {
			if c == "village_code" {
				i = j
			}
		}
		for k := 1; k < len(ls); k++ {
			fs := strings.Split(ls[k], ",")
			fs[i] = ""
			ls[k] = strings.Join(fs, ",")
		}
		return ls
	})
	importFiles(t, url, noCodes)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ds, err := data.LoadFiles(ctx, f, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, h := range ds.Households {
		want[h.ID+"/"+string(h.Round)] = h.VillageCode
	}
	rows, err := conn.Query(ctx, "SELECT household_id || '/' || to_char(round, 'YYYY-MM-DD'), village_code FROM households")
	if err != nil {
		t.Fatal(err)
	}
	var key, code string
	n := 0
	_, err = pgx.ForEachRow(rows, []any{&key, &code}, func() error {
		n++
		if want[key] != code {
			t.Errorf("household %s joined to %s, want %s", key, code, want[key])
		}
		return nil
	})
	if err != nil || n != len(ds.Households) {
		t.Fatalf("%d rows joined (err %v), want %d", n, err, len(ds.Households))
	}
}

func TestConcurrentImportsQueue(t *testing.T) {
	url := migrated(t)
	f := files(t)
	var logs [2]bytes.Buffer
	var mu sync.Mutex
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			log := slog.New(slog.NewTextHandler(&lockedWriter{&mu, &logs[i]}, nil))
			_, err := postgis.Import(context.Background(), url, f, postgis.ImportOptions{Log: log})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	all := logs[0].String() + logs[1].String()
	mu.Unlock()
	if !strings.Contains(all, "another import is running") {
		t.Errorf("neither import said it was waiting:\n%s", all)
	}
	if s := snapshot(t, url); !strings.HasPrefix(s, "2;") {
		t.Errorf("dataset version after two imports: %s", s[:3])
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestImportNotifies(t *testing.T) {
	ctx := context.Background()
	url := migrated(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN labmap_dataset"); err != nil {
		t.Fatal(err)
	}
	res := importFiles(t, url, files(t))
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != fmt.Sprint(res.DatasetVersion) {
		t.Fatalf("notification payload %q, want %d", n.Payload, res.DatasetVersion)
	}
}

// loadedStores loads the demo files into a fresh PostGIS (at url) and into
// memory.
func loadedStores(t *testing.T) (*memory.Store, data.Dataset, *postgis.Store, string) {
	t.Helper()
	f := files(t)
	url := migrated(t)
	importFiles(t, url, f)
	pg := openStore(t, url)
	ds, err := data.LoadFiles(context.Background(), f, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return mem, ds, pg, url
}

// bothStores loads the demo files into a fresh PostGIS and into memory, and
// serves each through the API; the servers stop when the test ends.
func bothStores(t *testing.T) (*memory.Store, *postgis.Store, *httptest.Server, *httptest.Server) {
	t.Helper()
	mem, _, pg, _ := loadedStores(t)
	memAPI := httptest.NewServer(api.New(mem, quiet, api.Options{}))
	t.Cleanup(memAPI.Close)
	pgAPI := httptest.NewServer(api.New(pg, quiet, api.Options{}))
	t.Cleanup(pgAPI.Close)
	return mem, pg, memAPI, pgAPI
}
