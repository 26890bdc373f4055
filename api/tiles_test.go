package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/memory"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

func newTileServer(t *testing.T) (*httptest.Server, *memory.Store) {
	t.Helper()
	store, err := memory.New(testDataset(), memory.Options{
		// Two villages in one district: complementary suppression would
		// hide both (regency minus Kertijayan is Buaran), leaving nothing
		// for these tests of content and format to read.
		PrimaryOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{TileCacheBytes: 1 << 20}))
	t.Cleanup(srv.Close)
	return srv, store
}

// kertijayanTile is the z14 tile over the test dataset's Kertijayan square.
func kertijayanTile() string {
	tile := maptile.At([2]float64{109.665, -6.935}, 14)
	return "/tiles/villages,zones/14/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt"
}

func itoa(n int) string { return strconv.Itoa(n) }

func request(t *testing.T, method, url string, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// The default transport adds and strips gzip itself; ask explicitly.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestTileEndpoint(t *testing.T) {
	srv, store := newTileServer(t)
	resp := request(t, "GET", srv.URL+kertijayanTile(), nil)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" ||
		resp.Header.Get("Content-Length") != itoa(len(raw)) || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("plain tile: %d %v", resp.StatusCode, resp.Header)
	}
	layers, err := mvt.Unmarshal(raw)
	if err != nil || len(layers) != 2 {
		t.Fatalf("tile decodes to %v (%v)", layers, err)
	}
	var kert map[string]any
	for _, f := range layers[0].Features {
		if f.Properties["code"] == "33.26.14.2009" {
			kert = f.Properties
		}
	}
	want, _ := store.Stats(t.Context(), data.StatsQuery{Level: data.LevelVillage})
	for _, a := range want {
		if a.Code == "33.26.14.2009" && (kert == nil || kert["households"] != float64(a.Households) ||
			kert["poverty_rate"] != a.Values[data.IndicatorIndex("poverty_rate")].Number) {
			t.Fatalf("Kertijayan in the tile %v, in /api/stats %+v", kert, a)
		}
	}

	// gzip when asked, with the headers caches and GDAL need.
	resp = request(t, "GET", srv.URL+kertijayanTile(), map[string]string{"Accept-Encoding": "gzip, deflate"})
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Content-Length") != itoa(len(gz)) {
		t.Fatalf("gzip tile headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, raw) {
		t.Fatal("gzip body differs from the plain tile")
	}
	etag := resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || etag == "" {
		t.Fatalf("ETag %q is not a strong tag", etag)
	}

	// A matching If-None-Match gets 304 with no body.
	resp = request(t, "GET", srv.URL+kertijayanTile(), map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("If-None-Match: %d with %d bytes", resp.StatusCode, len(body))
	}

	// A new dataset changes the ETag and the figures.
	ds := testDataset()
	for i := range ds.Households {
		if ds.Households[i].VillageCode == "33.26.14.2009" {
			ds.Households[i].Status = data.Poor
		}
	}
	data.FillBaseline(ds.Households)
	if err := store.Replace(ds); err != nil {
		t.Fatal(err)
	}
	resp = request(t, "GET", srv.URL+kertijayanTile(), map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
	gz2, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag || bytes.Equal(gz, gz2) {
		t.Fatalf("after a new dataset: %d, ETag %s (was %s)", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
	layers, _ = mvt.UnmarshalGzipped(gz2)
	for _, f := range layers[0].Features {
		if f.Properties["code"] == "33.26.14.2009" && f.Properties["poverty_rate"] != 1.0 {
			t.Fatalf("new figures not served: poverty_rate %v", f.Properties["poverty_rate"])
		}
	}
}

func TestTileErrors(t *testing.T) {
	srv, _ := newTileServer(t)
	for _, tc := range []struct {
		path   string
		status int
		names  string
	}{
		{"/tiles/rivers/1/0/0.mvt", 404, "rivers"},
		{"/tiles/villages/3/8/0.mvt", 400, "x 8"},
		{"/tiles/villages/23/0/0.pbf", 400, "z 23"},
		{"/tiles/villages/5/1/1.mvt?round=2018-01-01", 400, "2018-01-01"},
		{"/tiles/villages/5/1/1.mvt?zone=atlantis", 400, "atlantis"},
		{"/tiles/villages/5/1/1.mvt?properties=wealth", 400, "wealth"},
		{"/tiles/hexagons/5/1/1.mvt?res=4", 400, "res"},
		{"/tiles/villages/5/1/1.mvt?colour=red", 400, "colour"},
		{"/tiles/villages/a/1/1.mvt", 404, "/tiles/villages/a/1/1.mvt"},
		{"/styles/wealth.json", 404, "wealth"},
		{"/tiles/rivers.json", 404, "rivers"},
	} {
		body := getJSON(t, srv.URL+tc.path, tc.status)
		if !strings.Contains(body["error"].(string), tc.names) {
			t.Errorf("%s: error %q does not name %q", tc.path, body["error"], tc.names)
		}
	}
}

func TestTileJSONAndStyle(t *testing.T) {
	srv, _ := newTileServer(t)
	tj := getJSON(t, srv.URL+"/tiles/villages,zones.json?round=2017-12-01&lang=en", 200)
	tilesURL := tj["tiles"].([]any)[0].(string)
	if tj["tilejson"] != "3.0.0" || !strings.HasPrefix(tilesURL, srv.URL+"/tiles/villages,zones/{z}/{x}/{y}.mvt") ||
		!strings.Contains(tilesURL, "round=2017-12-01") {
		t.Fatalf("tilejson %v", tj)
	}
	bounds := tj["bounds"].([]any)
	if bounds[0].(float64) != 109.66 || math.Abs(bounds[3].(float64)+6.93) > 1e-9 {
		t.Errorf("bounds %v", bounds)
	}
	vl := tj["vector_layers"].([]any)
	if len(vl) != 2 || vl[0].(map[string]any)["id"] != "villages" {
		t.Fatalf("vector_layers %v", vl)
	}
	if f := vl[0].(map[string]any)["fields"].(map[string]any); f["poverty_rate"] != "Poverty rate (Number)" {
		t.Errorf("fields %v", f)
	}

	st := getJSON(t, srv.URL+"/styles/poverty_rate.json?lang=en", 200)
	if st["version"] != 8.0 {
		t.Fatalf("style %v", st)
	}
	src := st["sources"].(map[string]any)["labmap"].(map[string]any)
	if !strings.HasPrefix(src["url"].(string), srv.URL+"/tiles/villages,districts,zones.json") {
		t.Errorf("style source %v", src)
	}
	legend := st["metadata"].(map[string]any)["labmap:legend"].([]any)
	if len(legend) < 1 {
		t.Fatalf("legend %v", legend)
	}
	ids := map[string]bool{}
	for _, l := range st["layers"].([]any) {
		ids[l.(map[string]any)["id"].(string)] = true
	}
	for _, id := range []string{"areas", "areas-suppressed", "zone-outlines"} {
		if !ids[id] {
			t.Errorf("style lacks layer %s", id)
		}
	}
	cause := getJSON(t, srv.URL+"/styles/dominant_cause.json?layer=districts", 200)
	if l := cause["metadata"].(map[string]any)["labmap:legend"].([]any); len(l) != 1 || l[0].(map[string]any)["value"] != "low_income" {
		t.Errorf("dominant cause legend %v", l)
	}
}

// TestETagMatches: a tile's ETag names its version and its bytes' hash; a
// client holding the same bytes from an earlier version (an import of
// another region left the tile as it was) gets 304, but never across the
// public and analyst tags, the raw and gzip bodies, or other bytes.
func TestETagMatches(t *testing.T) {
	for _, tc := range []struct {
		header, etag string
		want         bool
	}{
		{``, `"7-ab"`, false},
		{`"7-ab"`, `"7-ab"`, true},
		{`W/"7-ab"`, `"7-ab"`, true},
		{`*`, `"7-ab"`, true},
		{`"6-ab"`, `"7-ab"`, true},
		{`"x", "6-ab"`, `"7-ab"`, true},
		{`"6-ab-gz"`, `"7-ab-gz"`, true},
		{`"6-ab"`, `"7-ab-gz"`, false},
		{`"6-ac"`, `"7-ab"`, false},
		{`"u6-ab"`, `"7-ab"`, false},
		{`"6-ab"`, `"u7-ab"`, false},
		{`"-ab"`, `"7-ab"`, false},
		{`"6a-ab"`, `"7-ab"`, false},
	} {
		if got := etagMatches(tc.header, tc.etag); got != tc.want {
			t.Errorf("etagMatches(%s, %s) = %v, want %v", tc.header, tc.etag, got, tc.want)
		}
	}
}
