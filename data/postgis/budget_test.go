package postgis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"labmap/api"
	"labmap/data/postgis"
)

// TestRequestBudget sends every request that used to make a store fail,
// stall or disagree (issue 15) to both stores, and to a PostGIS store whose
// database cannot be reached: each answers the same 400 JSON with the same
// message, and the unreachable one proves the refusal came from parsing,
// before any SQL (a request that got as far as the store would be a 503).
func TestRequestBudget(t *testing.T) {
	_, _, memAPI, pgAPI := bothStores(t)
	ctx := context.Background()
	// Port 1 refuses connections: the store opens (serve starts during an
	// outage) and every query fails as unavailable.
	dead, err := postgis.Open(ctx, "postgres://labmap@127.0.0.1:1/labmap?connect_timeout=5", postgis.Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	deadAPI := httptest.NewServer(api.New(dead, quiet, api.Options{}))
	t.Cleanup(deadAPI.Close)

	filter := func(text string) string { return "filter=" + url.QueryEscape(text) }
	terms := strings.Repeat("households > 0 AND ", 9999) + "households > 0"
	values := make([]string, 66000)
	for i := range values {
		values[i] = strconv.Itoa(i)
	}
	polygon := func(n int) string {
		pts := make([]string, n)
		for i := range n - 1 {
			a := 2 * math.Pi * float64(i) / float64(n-1)
			pts[i] = fmt.Sprintf("%.6f %.6f", 109.65+0.1*math.Cos(a), -6.9+0.1*math.Sin(a))
		}
		pts[n-1] = pts[0]
		return "S_INTERSECTS(geometry, POLYGON((" + strings.Join(pts, ", ") + ")))"
	}
	items := "/collections/villages/items?"
	for _, tc := range []struct {
		name, path, want string
	}{
		{"NUL in a feature id", "/collections/villages/items/%00", "path parameter {feature}: contains a NUL character"},
		{"invalid UTF-8 in a feature id", "/collections/villages/items/33.26%FF", "path parameter {feature}: is not valid UTF-8"},
		{"invalid UTF-8 in a tile layer", "/tiles/%FF/1/0/0.mvt", "path parameter {layers}: is not valid UTF-8"},
		{"NUL in a zone's report", "/reports/%00.pdf", "path parameter {zone}: contains a NUL"},
		{"NUL in zone, stats", "/api/stats?level=village&zone=%00", "parameter zone: contains a NUL character"},
		{"invalid UTF-8 in zone, tile", "/tiles/villages/12/3295/2124.mvt?zone=%FF", "parameter zone: is not valid UTF-8 text"},
		{"invalid UTF-8 in zone, TileJSON", "/tiles/villages.json?zone=%C3", "parameter zone: is not valid UTF-8 text"},
		{"NUL in a name=value queryable", items + "name=a%00b", "parameter name: contains a NUL character"},
		{"invalid UTF-8 in properties", items + "properties=%FE", "parameter properties: is not valid UTF-8"},
		{"invalid UTF-8 in sortby", items + "sortby=%FF", "parameter sortby: is not valid UTF-8"},
		{"NUL in round", "/api/stats?level=village&round=%00", "parameter round: contains a NUL"},
		{"NUL in filter", items + "filter=name%3D%27%00%27", "parameter filter: contains a NUL"},
		{"invalid UTF-8 in a parameter name", items + "%FF=1", `parameter "\xff": its name is not valid UTF-8`},
		{"malformed escape", items + "name=%ZZ", "query: invalid URL escape"},
		{"10,000 AND terms", items + filter(terms), "filter has more than 100 terms"},
		{"IN with 66,000 values", items + filter("households IN ("+strings.Join(values, ",")+")"), "filter has more than 1000 values"},
		{"20,000-vertex polygon", items + filter(polygon(20000)), "filter has more than 1000 vertices"},
		{"1,001-vertex polygon", items + filter(polygon(1001)), "filter has more than 1000 vertices"},
		{"filter text past 64 KiB", items + filter("name = '"+strings.Repeat("x", 70000)+"'"), "bytes is more than the request budget of 65536"},
		{"filter nested too deeply", items + filter(strings.Repeat("NOT ", 101)+"households > 0"), "nested too deeply"},
		{"NaN bbox", items + "bbox=NaN,NaN,NaN,NaN", `parameter bbox: "NaN" is not a finite number`},
		{"infinite bbox", items + "bbox=109,-7,Inf,-6", `parameter bbox: "Inf" is not a finite number`},
		{"bbox min after max", items + "bbox=110,-7,109,-6", "parameter bbox: \"110,-7,109,-6\" is not a box"},
		{"bbox outside the world", items + "bbox=109,-91,110,-6", "is not a box with min before max inside the world"},
		{"NaN bbox on stats", "/api/stats?level=village&bbox=nan,0,1,1", "parameter bbox"},
		{"fine hexagons, whole region", "/api/stats?level=hexagon&res=10", "parameter res: level=hexagon at res 10 needs zone"},
		{"fine hexagons, too many fields", "/api/stats?level=hexagon&res=9&fields=poverty_rate,households,poor,extreme,lifted", "parameter res"},
		{"fine hexagons, bbox too wide", "/api/stats?level=hexagon&res=10&bbox=109,-7.5,110,-6.5", "parameter res"},
		{"limit past the page bound", items + "limit=10001", "parameter limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bodies []string
			for _, base := range []string{memAPI.URL, pgAPI.URL, deadAPI.URL} {
				status, body := getRaw(t, base+tc.path)
				var e struct {
					Error  string `json:"error"`
					Status int    `json:"status"`
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil || status != http.StatusBadRequest || e.Status != status {
					t.Fatalf("%s: %d %.300s, want a 400 JSON error", base, status, body)
				}
				if !strings.Contains(e.Error, tc.want) {
					t.Errorf("%s: error %q, want it to contain %q", base, e.Error, tc.want)
				}
				bodies = append(bodies, body)
			}
			if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
				t.Errorf("the stores disagree:\nmemory      %s\npostgis     %s\nunreachable %s", bodies[0], bodies[1], bodies[2])
			}
		})
	}

	// Within the budget, the same requests are answered, alike by both
	// stores, and the unreachable one gets as far as its database.
	for _, path := range []string{
		items + filter(strings.Repeat("households > 0 AND ", 99)+"households > 0"),
		// name=value conditions do not eat into the filter's terms.
		items + "district_code=33.26.14&" + filter(strings.Repeat("households > 0 AND ", 99)+"households > 0"),
		items + filter(polygon(1000)) + "&limit=5",
		items + filter("households IN ("+strings.Join(values[:1000], ",")+")") + "&limit=5",
		"/api/stats?level=hexagon&res=10&fields=poverty_rate,households",
		"/api/stats?level=hexagon&res=10&bbox=109.6,-6.95,109.7,-6.85",
		"/api/stats?level=village&bbox=109.6,-6.95,109.7,-6.85",
	} {
		ms, mb := getRaw(t, memAPI.URL+path)
		ps, pb := getRaw(t, pgAPI.URL+path)
		// Links name the server, and a page is stamped with its second.
		mb = stamp.ReplaceAllString(strings.ReplaceAll(mb, memAPI.URL, ""), "")
		pb = stamp.ReplaceAllString(strings.ReplaceAll(pb, pgAPI.URL, ""), "")
		if ms != http.StatusOK || ps != http.StatusOK || mb != pb {
			t.Errorf("%.120s: memory %d, postgis %d; bodies equal: %v\n%.300s\n%.300s", path, ms, ps, mb == pb, mb, pb)
		}
		if ds, db := getRaw(t, deadAPI.URL+path); ds != http.StatusServiceUnavailable {
			t.Errorf("%.120s from the unreachable store: %d %.200s, want 503", path, ds, db)
		}
	}
}

var stamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

// getRaw fetches a URL whose query is sent exactly as written.
func getRaw(t *testing.T, raw string) (int, string) {
	t.Helper()
	resp, err := http.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
