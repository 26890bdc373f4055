package api

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"

	"github.com/paulmach/orb"
)

// demoServer serves a small synthetic regency, the realistic fixture for
// walking the API the way a client does.
var demoStore = sync.OnceValues(func() (*memory.Store, error) {
	ds, err := demo.Generate(demo.Options{Households: 3000, Seed: 4})
	if err != nil {
		return nil, err
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		return nil, err
	}
	return memory.New(ds, memory.Options{})
})

func demoServer(t *testing.T) (*httptest.Server, *memory.Store) {
	t.Helper()
	store, err := demoStore()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}))
	t.Cleanup(srv.Close)
	return srv, store
}

type featureCollection struct {
	Features []struct {
		ID         string         `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	NumberMatched  int    `json:"numberMatched"`
	NumberReturned int    `json:"numberReturned"`
	Links          []link `json:"links"`
}

func getFC(t *testing.T, u string) (featureCollection, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	var fc featureCollection
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return fc, resp.Header
}

// walk follows rel=next from u and returns every feature id in order.
func walk(t *testing.T, u string) ([]string, int) {
	t.Helper()
	var ids []string
	matched := -1
	for pages := 0; u != ""; pages++ {
		if pages > 1000 {
			t.Fatal("too many pages")
		}
		fc, _ := getFC(t, u)
		if matched >= 0 && fc.NumberMatched != matched {
			t.Fatalf("numberMatched changed between pages: %d then %d", matched, fc.NumberMatched)
		}
		matched = fc.NumberMatched
		if fc.NumberReturned != len(fc.Features) {
			t.Fatalf("numberReturned %d for %d features", fc.NumberReturned, len(fc.Features))
		}
		for _, f := range fc.Features {
			ids = append(ids, f.ID)
		}
		u = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				u = l.Href
			}
		}
	}
	return ids, matched
}

func TestLandingNegotiation(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct {
		accept, query, want string
	}{
		{"", "", "application/json"},
		{"application/json", "", "application/json"},
		{"text/html,application/xhtml+xml,*/*;q=0.8", "", "text/html"},
		{"text/html", "?f=json", "application/json"},
		{"", "?f=html", "text/html"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/"+tc.query, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.want) {
			t.Errorf("Accept %q %s: %s", tc.accept, tc.query, resp.Header.Get("Content-Type"))
		}
		if tc.want == "application/json" {
			var doc struct{ Links []link }
			json.Unmarshal(body, &doc)
			rels := map[string]bool{}
			for _, l := range doc.Links {
				rels[l.Rel] = true
			}
			for _, r := range []string{"self", "service-desc", "service-doc", "conformance", "data"} {
				if !rels[r] {
					t.Errorf("landing page lacks rel=%s", r)
				}
			}
		}
	}
	api := getJSON(t, srv.URL+"/api", 200)
	limit := api["components"].(map[string]any)["parameters"].(map[string]any)["limit"].(map[string]any)["schema"].(map[string]any)
	if limit["default"] != 100.0 || limit["maximum"] != 10000.0 {
		t.Errorf("OpenAPI limit %v", limit)
	}
}

func TestCollections(t *testing.T) {
	srv, _ := demoServer(t)
	body := getJSON(t, srv.URL+"/collections", 200)
	var ids []string
	for _, c := range body["collections"].([]any) {
		cm := c.(map[string]any)
		ids = append(ids, cm["id"].(string))
		bbox := cm["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
		if len(bbox) != 4 || bbox[0].(float64) < 109.4 || bbox[2].(float64) > 109.9 {
			t.Errorf("%s extent %v", cm["id"], bbox)
		}
	}
	want := "districts,hexagons_r10,hexagons_r6,hexagons_r7,hexagons_r8,hexagons_r9,provinces,regencies,villages,zones"
	sort.Strings(ids)
	if strings.Join(ids, ",") != want {
		t.Errorf("collections %v", ids)
	}
	q := getJSON(t, srv.URL+"/collections/villages/queryables", 200)
	props := q["properties"].(map[string]any)
	if props["poverty_rate"].(map[string]any)["type"] != "number" || props["zone"].(map[string]any)["type"] != "string" {
		t.Errorf("queryables %v", props)
	}
}

// TestPagingWalksEverything follows next links over every collection and
// requires each feature exactly once and numberMatched to equal the walk.
func TestPagingWalksEverything(t *testing.T) {
	srv, store := demoServer(t)
	for _, c := range collections() {
		for _, limit := range []string{"7", "100"} {
			ids, matched := walk(t, srv.URL+"/collections/"+c.ID+"/items?limit="+limit+"&round=2019-06-01")
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("%s: feature %s twice", c.ID, id)
				}
				seen[id] = true
			}
			want, err := store.Stats(t.Context(), data.StatsQuery{Level: c.Level, Res: c.Res, Round: "2019-06-01"})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != matched || matched != len(want) {
				t.Errorf("%s limit %s: walked %d, numberMatched %d, store has %d", c.ID, limit, len(ids), matched, len(want))
			}
		}
	}
}

func TestFiltersAgreeWithBruteForce(t *testing.T) {
	srv, store := demoServer(t)
	all, err := store.Stats(t.Context(), data.StatsQuery{Level: data.LevelVillage})
	if err != nil {
		t.Fatal(err)
	}
	zones, _ := store.Zones(t.Context())
	zoneOf := map[string]string{}
	for i := len(zones) - 1; i >= 0; i-- {
		for _, v := range zones[i].VillageCodes {
			zoneOf[v] = zones[i].ID
		}
	}
	pr := data.IndicatorIndex("poverty_rate")
	tests := []struct {
		name  string
		query string
		keep  func(a data.AreaStats) bool
	}{
		{"cql rate", "filter=" + url.QueryEscape("poverty_rate > 0.1"), func(a data.AreaStats) bool {
			return !a.Suppressed && a.Values[pr].Valid && a.Values[pr].Number > 0.1
		}},
		{"cql and zone", "filter=" + url.QueryEscape("poverty_rate >= 0 AND zone = 'urban-kertijayan'"), func(a data.AreaStats) bool {
			return !a.Suppressed && a.Values[pr].Valid && zoneOf[a.Code] == "urban-kertijayan"
		}},
		{"property filter", "zone=coastal-mulyorejo", func(a data.AreaStats) bool { return zoneOf[a.Code] == "coastal-mulyorejo" }},
		{"district property", "district_code=33.26.14", func(a data.AreaStats) bool { return a.Parent == "33.26.14" }},
		{"suppressed", "suppressed=true", func(a data.AreaStats) bool { return a.Suppressed }},
		{"or and not", "filter=" + url.QueryEscape("NOT (poverty_rate < 0.2) OR name = 'Kertijayan'"), func(a data.AreaStats) bool {
			return (!a.Suppressed && a.Values[pr].Valid && !(a.Values[pr].Number < 0.2)) || a.Name == "Kertijayan"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, matched := walk(t, srv.URL+"/collections/villages/items?limit=50&"+tc.query)
			var want []string
			for _, a := range all {
				if tc.keep(a) {
					want = append(want, a.Code)
				}
			}
			sort.Strings(ids)
			if strings.Join(ids, ",") != strings.Join(want, ",") || matched != len(want) {
				t.Fatalf("got %d (%d matched), want %d:\n%v\n%v", len(ids), matched, len(want), ids, want)
			}
			if len(want) == 0 {
				t.Fatal("the case selects nothing; it proves nothing")
			}
		})
	}
}

func TestBBoxAndCRS(t *testing.T) {
	srv, store := demoServer(t)
	// A box around Kertijayan's neighbourhood.
	bbox := "109.64,-6.95,109.68,-6.92"
	ids, _ := walk(t, srv.URL+"/collections/villages/items?bbox="+bbox)
	areas, _ := store.Areas(t.Context(), data.AreaQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage},
		Bound: orb.Bound{Min: orb.Point{109.64, -6.95}, Max: orb.Point{109.68, -6.92}}})
	if len(ids) == 0 || len(ids) > len(areas) {
		t.Fatalf("bbox gave %d villages; %d have boxes meeting it", len(ids), len(areas))
	}
	// The same box given as EPSG:4326 (lat, lon) selects the same villages.
	ids4326, _ := walk(t, srv.URL+"/collections/villages/items?bbox=-6.95,109.64,-6.92,109.68&bbox-crs="+url.QueryEscape(crsEPSG4326))
	if strings.Join(ids, ",") != strings.Join(ids4326, ",") {
		t.Errorf("bbox in EPSG:4326 selects %v, in CRS84 %v", ids4326, ids)
	}
	// A known point: Kertijayan's first vertex in three CRSs.
	one := func(crs string) ([]float64, http.Header) {
		resp, err := http.Get(srv.URL + "/collections/villages/items/33.26.14.2009?crs=" + url.QueryEscape(crs))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		h := resp.Header
		var f struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		}
		json.NewDecoder(resp.Body).Decode(&f)
		var poly [][][]float64
		if f.Geometry.Type == "Polygon" {
			json.Unmarshal(f.Geometry.Coordinates, &poly)
		} else {
			var mp [][][][]float64
			json.Unmarshal(f.Geometry.Coordinates, &mp)
			poly = mp[0]
		}
		return poly[0][0], h
	}
	p84, h := one(crs84)
	if h.Get("Content-Crs") != "<"+crs84+">" {
		t.Errorf("Content-Crs %q", h.Get("Content-Crs"))
	}
	p4326, _ := one(crsEPSG4326)
	p3857, h3857 := one(crsEPSG3857)
	if p4326[0] != p84[1] || p4326[1] != p84[0] {
		t.Errorf("EPSG:4326 %v is not CRS84 %v swapped", p4326, p84)
	}
	// Web Mercator of a known point: lon 109.66 -> x = 109.66 * pi/180 * 6378137.
	wantX := p84[0] * math.Pi / 180 * 6378137
	wantY := math.Log(math.Tan(math.Pi/4+p84[1]*math.Pi/360)) * 6378137
	if math.Abs(p3857[0]-wantX) > 0.01 || math.Abs(p3857[1]-wantY) > 0.01 || p3857[1] > -700000 || p3857[1] < -800000 {
		t.Errorf("EPSG:3857 %v, want %v %v", p3857, wantX, wantY)
	}
	if h3857.Get("Content-Crs") != "<"+crsEPSG3857+">" {
		t.Errorf("Content-Crs %q", h3857.Get("Content-Crs"))
	}
}

func TestSortAndProperties(t *testing.T) {
	srv, _ := demoServer(t)
	fc, _ := getFC(t, srv.URL+"/collections/villages/items?limit=300&sortby=-poverty_rate&properties=code,poverty_rate")
	last := math.Inf(1)
	nulls := false
	for _, f := range fc.Features {
		if len(f.Properties) > 2 {
			t.Fatalf("properties= not honoured: %v", f.Properties)
		}
		v, ok := f.Properties["poverty_rate"].(float64)
		if !ok {
			nulls = true
			continue
		}
		if nulls {
			t.Fatal("a value after the nulls: nulls must sort last")
		}
		if v > last {
			t.Fatalf("not descending: %v after %v", v, last)
		}
		last = v
	}
}

func TestCSVAndHTML(t *testing.T) {
	srv, _ := demoServer(t)
	resp, err := http.Get(srv.URL + "/collections/districts/items?f=csv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(body), "\ufeff") {
		t.Fatalf("CSV %s %q", resp.Header.Get("Content-Type"), body[:10])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(recs) != 20 || recs[0][0] != "code" || recs[0][len(recs[0])-1] != "wkt" || !strings.HasPrefix(recs[1][len(recs[1])-1], "MULTIPOLYGON(((") {
		t.Fatalf("CSV: %d rows, header %v", len(recs), recs[0])
	}
	for _, path := range []string{"/collections/villages/items?f=html&limit=20", "/collections/villages/items/33.26.14.2009?f=html", "/?f=html", "/collections?f=html", "/conformance?f=html", "/api.html"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "</html>") {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if strings.Contains(path, "items") && !strings.Contains(string(body), "<svg") {
			t.Errorf("%s has no map", path)
		}
	}
}

func TestItemsErrors(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct {
		path   string
		status int
		names  string
	}{
		{"/collections/rivers/items", 404, "rivers"},
		{"/collections/villages/items?bbox=1,2,3", 400, "bbox"},
		{"/collections/villages/items?bbox=a,2,3,4", 400, "bbox"},
		{"/collections/villages/items?limit=0", 400, "limit"},
		{"/collections/villages/items?limit=10001", 400, "limit"},
		{"/collections/villages/items?wealth=3", 400, "wealth"},
		{"/collections/villages/items?filter=" + url.QueryEscape("wealth > 3"), 400, "wealth"},
		{"/collections/villages/items?filter=" + url.QueryEscape("poverty_rate >"), 400, "filter"},
		{"/collections/villages/items?filter=" + url.QueryEscape("poverty_rate = 'high'"), 400, "filter"},
		{"/collections/villages/items?sortby=wealth", 400, "sortby"},
		{"/collections/villages/items?crs=EPSG:2000", 400, "crs"},
		{"/collections/villages/items?datetime=2018-01-01", 400, "datetime"},
		{"/collections/villages/items/33.26.99.9999", 404, "33.26.99.9999"},
		{"/collections/villages/items?f=xml", 400, "f"},
	} {
		body := getJSON(t, srv.URL+tc.path, tc.status)
		if !strings.Contains(body["error"].(string), tc.names) {
			t.Errorf("%s: error %q does not name %q", tc.path, body["error"], tc.names)
		}
	}
}
