package api

import (
	"math"
	"strings"
	"testing"
)

// firstLoadBudget is the target for the bytes a first visit
// transfers.
const firstLoadBudget = 450 * 1024

// TestFirstLoadBytes measures what a browser's first visit to the built map
// transfers, the way the old server sent it (identity bodies, every
// indicator in /api/stats; tiles were already gzipped) and the way it does
// now (gzip, fields=), and holds the second to the budget. It reports the
// numbers; run with -v to see them per request.
func TestFirstLoadBytes(t *testing.T) {
	builtWeb(t)
	srv, store := demoServer(t)
	page := fetch(t, srv.URL+"/", "Accept", "text/html")
	var assets []string
	for _, m := range hashedRef.FindAllStringSubmatch(string(page.body), -1) {
		assets = append(assets, m[1])
	}
	if len(assets) == 0 {
		t.Fatal("the page names no /web/ files")
	}
	// The first view: the whole regency at zoom 10 (MapLibre's 512 px tiles
	// at a 1280 px wide window), every layer the map draws.
	rounds, err := store.Rounds(t.Context())
	if err != nil || len(rounds) == 0 {
		t.Fatalf("rounds: %v", err)
	}
	var tilesURLs []string
	x0, y0 := tileXY(10, 109.45, -6.85)
	x1, y1 := tileXY(10, 109.85, -7.20)
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			tilesURLs = append(tilesURLs, "/tiles/hexagons,villages,districts,zones/10/"+itoa(x)+"/"+itoa(y)+".mvt?round="+string(rounds[len(rounds)-1].Round))
		}
	}
	common := append([]string{"/web/config.json", "/api/indicators?lang=id", "/api/rounds", "/api/zones",
		"/tiles/hexagons,villages,districts,zones.json", "/fonts/Go%20Regular/0-255.pbf", "/fonts/Go%20Bold/0-255.pbf"}, assets...)
	before := append(append([]string{}, common...), "/api/stats?level=village", "/api/stats?level=regency")
	after := append(append([]string{}, common...), "/api/stats?level=village&fields=poverty_rate,households", "/api/stats?level=regency&fields=poverty_rate,households")

	total := func(name string, paths []string, gzip bool) int {
		sum := 0
		enc := ""
		if gzip {
			enc = "gzip"
		}
		for _, p := range append([]string{"/"}, paths...) {
			f := fetch(t, srv.URL+p, "Accept", "text/html", "Accept-Encoding", enc)
			if f.status != 200 {
				t.Fatalf("%s: status %d", p, f.status)
			}
			sum += len(f.body)
			t.Logf("%s %-70s %8d", name, p, len(f.body))
		}
		for _, p := range tilesURLs {
			sum += len(fetch(t, srv.URL+p, "Accept-Encoding", "gzip").body)
		}
		return sum
	}
	b := total("before", before, false)
	a := total("after", after, true)
	t.Logf("first load, %d tiles included: before %d bytes (%.0f KB), after %d bytes (%.0f KB), %.1f× smaller",
		len(tilesURLs), b, float64(b)/1024, a, float64(a)/1024, float64(b)/float64(a))
	if a > firstLoadBudget {
		t.Errorf("first load %d bytes, over the %d-byte budget", a, firstLoadBudget)
	}
	if a*2 > b {
		t.Errorf("first load %d bytes against %d before: gzip and fields= should at least halve it", a, b)
	}
	if !strings.Contains(page.header.Get("Cache-Control"), "no-cache") {
		t.Errorf("page Cache-Control %q", page.header.Get("Cache-Control"))
	}
}

// tileXY is the Web Mercator tile holding a point at zoom z.
func tileXY(z int, lon, lat float64) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Asinh(math.Tan(r))/math.Pi) / 2 * n)
	return x, y
}
