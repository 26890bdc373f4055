package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"sync"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

func TestResForZoom(t *testing.T) {
	for _, tc := range []struct{ z, res int }{{0, 6}, {8, 6}, {9, 7}, {10, 7}, {11, 8}, {12, 8}, {13, 9}, {14, 10}, {16, 10}, {22, 10}} {
		if got := ResForZoom(tc.z); got != tc.res {
			t.Errorf("ResForZoom(%d) = %d, want %d", tc.z, got, tc.res)
		}
	}
}

func TestParseLayersAndValidate(t *testing.T) {
	if ls, err := ParseLayers("villages,zones,villages"); err != nil || len(ls) != 2 || ls[1].Name != "zones" {
		t.Errorf("ParseLayers = %v, %v", ls, err)
	}
	if _, err := ParseLayers("villages,rivers"); err == nil {
		t.Error("unknown layer accepted")
	}
	v := func(name string, r Request, ok bool) {
		t.Helper()
		if err := r.Validate(); (err == nil) != ok {
			t.Errorf("%s: Validate = %v, want ok=%v", name, err, ok)
		}
	}
	v("origin", Request{Z: 0}, true)
	v("x past the edge", Request{Z: 3, X: 8}, false)
	v("negative y", Request{Z: 3, Y: -1}, false)
	v("zoom 23", Request{Z: 23}, false)
	v("bad res", Request{Z: 5, Res: 11}, false)
	v("bad property", Request{Z: 5, Properties: []string{"wealth"}}, false)
	v("good property", Request{Z: 5, Properties: []string{"poverty_rate"}}, true)
}

func TestCache(t *testing.T) {
	c := NewCache(3 * (100 + 64 + 2))
	// 2×50 raw and gzip, as charged, + 2 ETag + 64 = 166 bytes a tile.
	tile := func() *Cached { return &Cached{Raw: make([]byte, 50), ETag: "ab"} }
	for _, k := range []string{"a", "b", "c"} {
		c.Put(k, tile())
	}
	c.Get("a") // a is now the most recent; b is the oldest
	c.Put("d", tile())
	if _, ok := c.Get("b"); ok {
		t.Error("least recently used tile not evicted")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("tile %s evicted", k)
		}
	}
	if n, b := c.Stats(); n != 3 || b > 3*(100+64+2) {
		t.Errorf("stats %d tiles %d bytes", n, b)
	}
	off := NewCache(0)
	off.Put("a", tile())
	if _, ok := off.Get("a"); ok {
		t.Error("a disabled cache kept a tile")
	}
}

// TestCachedGzip checks that the gzip body, made on first use, decodes to
// the tile and is made once.
func TestCachedGzip(t *testing.T) {
	raw := bytes.Repeat([]byte("labmap tile "), 100)
	c := &Cached{Raw: raw, ETag: `"1-ab"`}
	gz := c.Gzip()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(back, raw) {
		t.Fatalf("gzip body decodes to %d bytes (%v), want the %d raw bytes", len(back), err, len(raw))
	}
	if again := c.Gzip(); &again[0] != &gz[0] {
		t.Error("gzip body compressed twice")
	}
	if len(gz) > c.size()-len(raw)-len(c.ETag)-64 {
		t.Errorf("gzip body of %d bytes exceeds what the cache charged for it", len(gz))
	}
}

// demoStore is a small synthetic regency shared by the tile tests.
var demoStore = sync.OnceValues(func() (*memory.Store, error) {
	ds, err := demo.Generate(demo.Options{Households: 3000, Seed: 3})
	if err != nil {
		return nil, err
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		return nil, err
	}
	return memory.New(ds, memory.Options{})
})

func store(t testing.TB) *memory.Store {
	t.Helper()
	s, err := demoStore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decode(t testing.TB, b []byte) map[string]*mvt.Layer {
	t.Helper()
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("tile does not decode: %v", err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range layers {
		out[l.Name] = l
	}
	return out
}

func villageByName(t *testing.T, s *memory.Store, code string) data.Area {
	t.Helper()
	areas, err := s.Areas(context.Background(), data.AreaQuery{StatsQuery: data.StatsQuery{Level: data.LevelVillage},
		Bound: orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas {
		if a.Code == code {
			return a
		}
	}
	t.Fatalf("no village %s", code)
	return data.Area{}
}

func TestRenderVillages(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	kert := villageByName(t, s, "33.26.14.2009")
	botosari := villageByName(t, s, "33.26.02.2008")
	stats, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelVillage})
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]data.AreaStats{}
	for _, a := range stats {
		byCode[a.Code] = a
	}
	center, _ := planar.CentroidArea(kert.Geometry)
	for _, z := range []int{8, 11, 13} {
		tile := maptile.At(center, maptile.Zoom(z))
		b, err := Render(ctx, s, Request{Layers: []Layer{Layers[1], Layers[3]}, Z: z, X: int(tile.X), Y: int(tile.Y)})
		if err != nil {
			t.Fatal(err)
		}
		layers := decode(t, b)
		villages, zones := layers["villages"], layers["zones"]
		if villages == nil || zones == nil {
			t.Fatalf("z%d: composite tile lacks a layer: %v", z, layers)
		}
		if villages.Extent != Extent || villages.Version != 2 {
			t.Errorf("z%d: extent %d version %d", z, villages.Extent, villages.Version)
		}
		found := map[string]bool{}
		for _, f := range villages.Features {
			code := f.Properties["code"].(string)
			found[code] = true
			want := byCode[code]
			if f.Properties["suppressed"] != want.Suppressed {
				t.Fatalf("z%d %s: suppressed %v, want %v", z, code, f.Properties["suppressed"], want.Suppressed)
			}
			if want.Suppressed {
				if _, ok := f.Properties["households"]; ok {
					t.Errorf("z%d %s: suppressed village carries figures", z, code)
				}
			} else {
				if f.Properties["households"] != float64(want.Households) {
					t.Errorf("z%d %s: households %v, want %d", z, code, f.Properties["households"], want.Households)
				}
				for i, ind := range data.Indicators {
					got, ok := f.Properties[ind.Key]
					v := want.Values[i]
					switch {
					case !v.Valid:
						if ok {
							t.Errorf("z%d %s: %s = %v, want absent", z, code, ind.Key, got)
						}
					case ind.Kind == data.KindCategory:
						if got != v.Text {
							t.Errorf("z%d %s: %s = %v, want %v", z, code, ind.Key, got, v.Text)
						}
					default:
						if got != v.Number {
							t.Errorf("z%d %s: %s = %v, want %v", z, code, ind.Key, got, v.Number)
						}
					}
				}
			}
			checkGeometry(t, f.Geometry)
		}
		if !found[kert.Code] {
			t.Errorf("z%d: Kertijayan is not in the tile over its centre", z)
		}
		if z >= 11 && found[botosari.Code] {
			t.Errorf("z%d: Botosari, 25 km away, is in Kertijayan's tile", z)
		}
		if len(zones.Features) == 0 {
			t.Errorf("z%d: no lab zone in the tile over Kertijayan", z)
		}
	}
}

// checkGeometry requires quantised, in-bounds, valid polygons with MVT 2.1 winding.
func checkGeometry(t *testing.T, g orb.Geometry) {
	t.Helper()
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = append(polys, g)
	case orb.MultiPolygon:
		polys = append(polys, g...)
	default:
		t.Fatalf("geometry %T", g)
	}
	for _, p := range polys {
		for ri, r := range p {
			for _, pt := range r {
				if pt[0] < -Buffer || pt[0] > Extent+Buffer || pt[1] < -Buffer || pt[1] > Extent+Buffer {
					t.Fatalf("point %v outside the tile and its buffer", pt)
				}
			}
			// Decoded rings: orb returns them as drawn; exterior positive area.
			if (ri == 0) != (r.Orientation() == orb.CCW) {
				t.Fatalf("ring %d has the wrong winding", ri)
			}
		}
		if err := geo.ValidatePolygon(p); err != nil {
			t.Fatalf("invalid polygon after quantisation: %v", err)
		}
	}
}

func TestRenderHexagonsAndOptions(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	kert := villageByName(t, s, "33.26.14.2009")
	center, _ := planar.CentroidArea(kert.Geometry)
	tile := maptile.At(center, 12)
	r := Request{Layers: []Layer{Layers[0]}, Z: 12, X: int(tile.X), Y: int(tile.Y)}
	layers := decode(t, mustRender(t, s, r))
	hex := layers["hexagons"]
	if hex == nil || len(hex.Features) == 0 {
		t.Fatal("no hexagons over Kertijayan")
	}
	for _, f := range hex.Features {
		if f.Properties["res"] != 8.0 {
			t.Fatalf("z12 hexagon at res %v, want 8", f.Properties["res"])
		}
		checkGeometry(t, f.Geometry)
	}
	r.Res = 9
	for _, f := range decode(t, mustRender(t, s, r))["hexagons"].Features {
		if f.Properties["res"] != 9.0 {
			t.Fatalf("?res=9 gave res %v", f.Properties["res"])
		}
	}
	// properties= keeps identity and the named figures only.
	r = Request{Layers: []Layer{Layers[1]}, Z: 12, X: int(tile.X), Y: int(tile.Y), Properties: []string{"poverty_rate"}}
	for _, f := range decode(t, mustRender(t, s, r))["villages"].Features {
		for k := range f.Properties {
			switch k {
			case "code", "name", "suppressed", "households", "district_code", "poverty_rate":
			default:
				t.Fatalf("property %s despite properties=poverty_rate", k)
			}
		}
	}
	// A zone filter keeps only that zone's villages.
	r = Request{Layers: []Layer{Layers[1]}, Z: 12, X: int(tile.X), Y: int(tile.Y), Zone: "urban-kertijayan"}
	zs, _ := s.Zones(ctx)
	inZone := map[string]bool{}
	for _, z := range zs {
		if z.ID == "urban-kertijayan" {
			for _, c := range z.VillageCodes {
				inZone[c] = true
			}
		}
	}
	for _, f := range decode(t, mustRender(t, s, r))["villages"].Features {
		if !inZone[f.Properties["code"].(string)] {
			t.Fatalf("village %v outside the zone in a zone-filtered tile", f.Properties["code"])
		}
	}
	// An empty tile still has its layer, so it is never zero bytes.
	b := mustRender(t, s, Request{Layers: []Layer{Layers[1]}, Z: 10, X: 0, Y: 0})
	if len(b) == 0 || len(decode(t, b)["villages"].Features) != 0 {
		t.Fatalf("empty tile: %d bytes", len(b))
	}
}

func mustRender(t *testing.T, s data.Store, r Request) []byte {
	t.Helper()
	b, err := Render(context.Background(), s, r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSmallVillagesStayVisible renders the whole regency at low zoom: every
// village must still be drawn, however small it has become.
func TestSmallVillagesStayVisible(t *testing.T) {
	s := store(t)
	for _, z := range []int{6, 8} {
		ext, _ := s.Extent(context.Background())
		seen := map[string]bool{}
		min := maptile.At(orb.Point{ext.Min[0], ext.Max[1]}, maptile.Zoom(z))
		max := maptile.At(orb.Point{ext.Max[0], ext.Min[1]}, maptile.Zoom(z))
		for x := min.X; x <= max.X; x++ {
			for y := min.Y; y <= max.Y; y++ {
				b := mustRender(t, s, Request{Layers: []Layer{Layers[1]}, Z: z, X: int(x), Y: int(y)})
				if len(b) > 500<<10 {
					t.Errorf("z%d tile %d/%d is %d bytes", z, x, y, len(b))
				}
				for _, f := range decode(t, b)["villages"].Features {
					seen[f.Properties["code"].(string)] = true
					checkGeometry(t, f.Geometry)
				}
			}
		}
		if len(seen) != 285 {
			t.Errorf("z%d: %d of 285 villages drawn", z, len(seen))
		}
	}
}

func TestServiceVersioning(t *testing.T) {
	ctx := context.Background()
	ds, err := demo.Generate(demo.Options{Households: 1000, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		t.Fatal(err)
	}
	s, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(s, 1<<20)
	r := Request{Layers: []Layer{Layers[2]}, Z: 9, X: 411, Y: 265}
	a, err := svc.Tile(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := svc.Tile(ctx, r)
	if a != b {
		t.Error("second request was not served from the cache")
	}
	ds2, _ := demo.Generate(demo.Options{Households: 2000, Seed: 9})
	if err := data.CheckDataset(&ds2, "demo"); err != nil {
		t.Fatal(err)
	}
	if err := s.Replace(ds2); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Tile(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if c.ETag == a.ETag || string(c.Raw) == string(a.Raw) {
		t.Error("a new dataset version served the old tile")
	}
}

func TestLegendAndFormat(t *testing.T) {
	if got := FormatValue(0.125, data.UnitRatio, "id"); got != "12,5%" {
		t.Errorf("id format %q", got)
	}
	if got := FormatValue(0.125, data.UnitRatio, "en"); got != "12.5%" {
		t.Errorf("en format %q", got)
	}
	br := Breaks([]float64{0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9})
	if len(br) != 4 || br[0] != 0.2 || br[3] != 0.8 {
		t.Errorf("breaks %v", br)
	}
	ind := data.Indicators[data.IndicatorIndex("poverty_rate")]
	lg := Legend(ind, br, nil, "id")
	if len(lg) != 5 || lg[0].Colour != paletteBad[0] || lg[4].Colour != paletteBad[4] || lg[0].Label != "< 20%" || lg[2].Label != "40% – 60%" {
		t.Errorf("legend %+v", lg)
	}
	if Breaks(nil) != nil || len(Breaks([]float64{1, 1, 1})) != 0 {
		t.Error("constant values must give one class")
	}
}

// TestOutlineCacheChangesNothing: the service's cache of simplified outlines
// must give the same bytes as rendering from scratch.
func TestOutlineCacheChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	svc := NewService(s, 0)
	for _, z := range []int{8, 10, 12, 14} {
		tile := maptile.At(orb.Point{109.66, -6.93}, maptile.Zoom(z))
		r := Request{Layers: Layers, Z: z, X: int(tile.X), Y: int(tile.Y)}
		for range 2 {
			got, err := svc.Tile(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if want := mustRender(t, s, r); string(got.Raw) != string(want) {
				t.Fatalf("z%d: cached outlines changed the tile", z)
			}
		}
	}
}

// TestCollapsedHexagonsStayVisible renders res-6 and res-10 hexagons at
// zooms where they are far smaller than a grid cell: each must still be in
// a tile, as a 1x1 square where it lies.
func TestCollapsedHexagonsStayVisible(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	ext, _ := s.Extent(ctx)
	for _, tc := range []struct{ res, z int }{{6, 0}, {6, 3}, {10, 4}, {10, 7}} {
		areas, err := s.Areas(ctx, data.AreaQuery{StatsQuery: data.StatsQuery{Level: data.LevelHexagon, Res: tc.res}, Bound: outlineBound})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		lo := maptile.At(orb.Point{ext.Min[0], ext.Max[1]}, maptile.Zoom(tc.z))
		hi := maptile.At(orb.Point{ext.Max[0], ext.Min[1]}, maptile.Zoom(tc.z))
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				b := mustRender(t, s, Request{Layers: []Layer{Layers[0]}, Z: tc.z, X: int(x), Y: int(y), Res: tc.res})
				for _, f := range decode(t, b)["hexagons"].Features {
					seen[f.Properties["code"].(string)] = true
					checkGeometry(t, f.Geometry)
				}
			}
		}
		missing := 0
		for _, a := range areas {
			if !seen[a.Code] {
				missing++
			}
		}
		if len(areas) == 0 || missing > 0 {
			t.Errorf("res %d at z%d: %d of %d hexagons missing", tc.res, tc.z, missing, len(areas))
		}
	}
}
