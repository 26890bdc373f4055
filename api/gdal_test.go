package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/internal/tooltest"
)

// regencyStore is the default dataset's size (30,000 households a round):
// more than 10,000 res-10 hexagons, so more than one page at the maximum
// limit.
var regencyStore = sync.OnceValues(func() (*memory.Store, error) {
	ds, err := demo.Generate(demo.Options{Households: 30000, Seed: 1})
	if err != nil {
		return nil, err
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		return nil, err
	}
	return memory.New(ds, memory.Options{})
})

func regencyServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv, _ := regencyLoggedServer(t)
	return srv
}

// requestLog is a server's debug log, safe to write from its handlers.
type requestLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *requestLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// paths are the request URIs the server logged, query decoded.
func (l *requestLog) paths(t *testing.T) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range regexp.MustCompile(`msg=request .*?path=("(?:[^"\\]|\\.)*"|\S+)`).FindAllStringSubmatch(l.buf.String(), -1) {
		p := m[1]
		if strings.HasPrefix(p, `"`) {
			var err error
			if p, err = strconv.Unquote(p); err != nil {
				t.Fatal(err)
			}
		}
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		out = append(out, p)
	}
	return out
}

// regencyLoggedServer serves regencyStore and logs every request; closing
// the server (which waits for its requests) makes the log complete.
func regencyLoggedServer(t *testing.T) (*httptest.Server, *requestLog) {
	t.Helper()
	store, err := regencyStore()
	if err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	srv := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})), Options{}))
	t.Cleanup(srv.Close)
	return srv, log
}

// runGDAL runs a GDAL program and returns its output.
func runGDAL(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_VSIL_CURL_ALLOWED_EXTENSIONS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// readGDALCSV reads a CSV file GDAL wrote into rows keyed by column.
func readGDALCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, c := range recs[0] {
			row[c] = r[i]
		}
		out = append(out, row)
	}
	return out
}

// checkFigures compares what GDAL copied with the store's figures, rate by
// rate and count by count.
func checkFigures(t *testing.T, rows []map[string]string, want []data.AreaStats) {
	t.Helper()
	byCode := map[string]*data.AreaStats{}
	for i := range want {
		byCode[want[i].Code] = &want[i]
	}
	if len(rows) != len(want) {
		t.Errorf("GDAL copied %d features, the store has %d", len(rows), len(want))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		a := byCode[r["code"]]
		if a == nil || seen[a.Code] {
			t.Fatalf("GDAL copied %q, unknown or twice", r["code"])
		}
		seen[a.Code] = true
		for i, ind := range data.Indicators {
			if ind.Kind == data.KindCategory {
				continue
			}
			got := r[ind.Key]
			if a.Suppressed || !a.Values[i].Valid {
				if got != "" {
					t.Errorf("%s %s: GDAL has %q for a figure the server withholds", a.Code, ind.Key, got)
				}
				continue
			}
			f, err := strconv.ParseFloat(got, 64)
			if err != nil || f != a.Values[i].Number {
				t.Errorf("%s %s: GDAL has %q, the server %v", a.Code, ind.Key, got, a.Values[i].Number)
			}
		}
	}
}

// TestGDALClient reads the API with GDAL's OAPIF driver, the way analysts
// do: ogrinfo lists a collection with its fields typed by the schema and its
// count, and ogr2ogr with GDAL's default paging (10 a page) copies every
// res-10 hexagon with every rate Real and equal to the server's.
func TestGDALClient(t *testing.T) {
	ogrinfo := tooltest.Require(t, "ogrinfo", "gdal-bin")
	ogr2ogr := tooltest.Require(t, "ogr2ogr", "gdal-bin")
	srv := regencyServer(t)
	store, _ := regencyStore()

	info := runGDAL(t, ogrinfo, "-ro", "-so", "OAPIF:"+srv.URL+"/", "villages")
	for _, want := range []string{"Feature Count: 285", "poverty_rate: Real", "code: String", "round: Date", "zones: StringList", "households: Integer"} {
		if !strings.Contains(info, want) {
			t.Errorf("ogrinfo does not say %q:\n%s", want, info)
		}
	}

	hexes, err := store.Stats(t.Context(), data.StatsQuery{Level: data.LevelHexagon, Res: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Suppressed hexagons are not listed, so this is the published cells
	// only; at GDAL's 10 a page it is still a walk of many pages.
	if len(hexes) < 500 {
		t.Fatalf("the fixture has only %d published res-10 hexagons; the test needs a walk of many pages", len(hexes))
	}
	dir := t.TempDir()
	gpkg := filepath.Join(dir, "hexagons.gpkg")
	runGDAL(t, ogr2ogr, "-f", "GPKG", gpkg, "OAPIF:"+srv.URL+"/", "hexagons_r10")
	copied := runGDAL(t, ogrinfo, "-so", gpkg, "hexagons_r10")
	if !strings.Contains(copied, fmt.Sprintf("Feature Count: %d\n", len(hexes))) {
		t.Errorf("the GeoPackage does not hold %d hexagons:\n%s", len(hexes), copied)
	}
	for _, ind := range data.Indicators {
		want := map[data.Kind]string{data.KindRate: "Real", data.KindCount: "Integer", data.KindCategory: "String"}[ind.Kind]
		if !regexp.MustCompile(`(?m)^` + ind.Key + `: ` + want + ` `).MatchString(copied) {
			t.Errorf("%s is not %s in what ogr2ogr copied:\n%s", ind.Key, want, copied)
		}
	}
	out := filepath.Join(dir, "hexagons.csv")
	runGDAL(t, ogr2ogr, "-f", "CSV", out, gpkg, "hexagons_r10")
	checkFigures(t, readGDALCSV(t, out), hexes)
}

// TestGDALWhere runs ogr2ogr -where as GDAL users write it: the clause must
// reach the server (its request log shows the parameter GDAL made of it on
// every items request after the first sample), and the copy must hold
// exactly the areas the store selects, with their figures.
func TestGDALWhere(t *testing.T) {
	ogr2ogr := tooltest.Require(t, "ogr2ogr", "gdal-bin")
	store, err := regencyStore()
	if err != nil {
		t.Fatal(err)
	}
	rounds, err := store.Rounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	baseline := string(rounds[0].Round)
	for _, tc := range []struct {
		name, collection, where string
		param                   string // what the server must see, query-decoded, &-separated in any order
		query                   data.StatsQuery
		keep                    func(a *data.AreaStats) bool
	}{
		{"round", "villages", fmt.Sprintf("round >= '%s' AND round <= '%s'", baseline, baseline),
			fmt.Sprintf("datetime=%sT/%sT", baseline, baseline),
			data.StatsQuery{Level: data.LevelVillage, Round: data.Round(baseline)}, nil},
		{"district", "villages", "district_code = '33.26.14'", "district_code=33.26.14",
			data.StatsQuery{Level: data.LevelVillage}, func(a *data.AreaStats) bool { return a.Parent == "33.26.14" }},
		{"kind", "zones", "kind = 'coastal'", "kind=coastal",
			data.StatsQuery{Level: data.LevelZone}, func(a *data.AreaStats) bool { return a.Parent == "coastal" }},
		{"district and round", "villages", fmt.Sprintf("district_code = '33.26.02' AND round = '%s'", baseline),
			"district_code=33.26.02&datetime=" + baseline + "T",
			data.StatsQuery{Level: data.LevelVillage, Round: data.Round(baseline)}, func(a *data.AreaStats) bool { return a.Parent == "33.26.02" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, log := regencyLoggedServer(t)
			all, err := store.Stats(t.Context(), tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var want []data.AreaStats
			for i := range all {
				if tc.keep == nil || tc.keep(&all[i]) {
					want = append(want, all[i])
				}
			}
			if len(want) == 0 || (tc.keep != nil && len(want) == len(all)) {
				t.Fatalf("the filter keeps %d of %d areas; the test needs a real selection", len(want), len(all))
			}
			out := filepath.Join(t.TempDir(), "out.csv")
			runGDAL(t, ogr2ogr, "-f", "CSV", out, "OAPIF:"+srv.URL+"/", tc.collection, "-where", tc.where)
			srv.Close() // waits for every request, so the log is complete
			rows := readGDALCSV(t, out)
			for _, r := range rows {
				if r["round"] != strings.ReplaceAll(string(want[0].Round), "-", "/") {
					t.Fatalf("%s: round %q, want %s", r["code"], r["round"], want[0].Round)
				}
			}
			checkFigures(t, rows, want)
			items := 0
			for _, p := range log.paths(t) {
				if !strings.HasPrefix(p, "/collections/"+tc.collection+"/items?") || p == "/collections/"+tc.collection+"/items?limit=10" {
					continue // the sample GDAL reads its fields from
				}
				items++
				for _, part := range strings.Split(tc.param, "&") {
					if !strings.Contains(p, part) {
						t.Errorf("GDAL asked %s, without %s", p, part)
					}
				}
			}
			if items == 0 || items > len(want)/10+1 {
				t.Errorf("GDAL made %d filtered items requests for %d features", items, len(want))
			}
		})
	}
}

// TestGDALSchemaDocument checks the describedBy document GDAL reads with
// GDAL's own parsing rules: properties.properties of a Feature, each with a
// single type.
func TestGDALSchemaDocument(t *testing.T) {
	srv, _ := demoServer(t)
	b, _ := getBody(t, srv.URL+"/collections/hexagons_r10/schema?profile=geojson")
	var doc struct {
		Properties struct {
			Properties struct {
				Properties map[string]map[string]any `json:"properties"`
			} `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Properties.Properties.Properties
	if len(props) != len(data.PropertyNames(data.LevelHexagon)) {
		t.Fatalf("%d properties, features carry %d", len(props), len(data.PropertyNames(data.LevelHexagon)))
	}
	for name, p := range props {
		if _, single := p["type"].(string); !single {
			t.Errorf("%s: type %v is not one type name (GDAL 3.6 would make it a string)", name, p["type"])
		}
	}
}
