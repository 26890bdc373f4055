package geo

import (
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geos"
)

// readVillages reads a gzipped village GeoJSON of the repository.
func readVillages(t testing.TB, path string) ([]string, []orb.MultiPolygon) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var fc geojson.FeatureCollection
	if err := json.NewDecoder(zr).Decode(&fc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var polys []orb.MultiPolygon
	for _, ft := range fc.Features {
		keys = append(keys, ft.Properties.MustString("code"))
		switch g := ft.Geometry.(type) {
		case orb.Polygon:
			polys = append(polys, orb.MultiPolygon{g})
		case orb.MultiPolygon:
			polys = append(polys, g)
		default:
			t.Fatalf("%s: %T", keys[len(keys)-1], g)
		}
	}
	return keys, polys
}

// sameArea reports whether a and b cover the same ground, within a square
// metre.
func sameArea(t *testing.T, a, b orb.MultiPolygon) bool {
	t.Helper()
	ctx := geos.NewContext()
	c := &cleaner{ctx: ctx, grid: DefaultGridSize}
	return areaM2(c.toGEOS(a).SymDifference(c.toGEOS(b))) < 1
}

func TestCleanCoverageRules(t *testing.T) {
	// About 1.1 km squares near Pekalongan's latitude (0.01°).
	square := rect(0, 0, 0.01, 0.01)
	right := rect(0.01, 0, 0.02, 0.01)
	// B with a lobe reaching 0.002° into A: A surrounds it on three sides.
	lobed := orb.Polygon{{{0.01, 0}, {0.02, 0}, {0.02, 0.01}, {0.01, 0.01}, {0.01, 0.006}, {0.008, 0.006}, {0.008, 0.004}, {0.01, 0.004}, {0.01, 0}}}
	notched := func(depth, y0, y1 float64) orb.Polygon {
		x := 0.01 - depth
		return orb.Polygon{{{0, 0}, {0.01, 0}, {0.01, y0}, {x, y0}, {x, y1}, {0.01, y1}, {0.01, 0.01}, {0, 0.01}, {0, 0}}}
	}
	lake := orb.Polygon{square[0], {{0.004, 0.004}, {0.004, 0.006}, {0.006, 0.006}, {0.006, 0.004}, {0.004, 0.004}}}
	tests := []struct {
		name     string
		keys     []string
		areas    []orb.MultiPolygon
		want     []orb.MultiPolygon // nil: unchanged
		repairs  []string           // key: reason prefix
		overlaps []Overlap          // areas compared to 1%
		gaps     []Gap              // To and area (1%)
	}{
		{
			name:  "a partition is left as it is",
			keys:  []string{"A", "B"},
			areas: []orb.MultiPolygon{{square}, {right}},
			want:  []orb.MultiPolygon{nil, nil},
		},
		{
			name:     "a strip both claim equally goes to the lower code",
			keys:     []string{"B", "A"},
			areas:    []orb.MultiPolygon{{rect(0.009, 0, 0.019, 0.01)}, {square}},
			want:     []orb.MultiPolygon{{rect(0.01, 0, 0.019, 0.01)}, nil},
			overlaps: []Overlap{{A: "A", B: "B", Area: 0.001 * 0.01 * 110574 * 111320, KeptByA: 0.001 * 0.01 * 110574 * 111320}},
		},
		{
			name:     "a lobe goes to the village around it",
			keys:     []string{"A", "B"},
			areas:    []orb.MultiPolygon{{square}, {lobed}},
			want:     []orb.MultiPolygon{nil, {right}},
			overlaps: []Overlap{{A: "A", B: "B", Area: 0.002 * 0.002 * 110574 * 111320, KeptByA: 0.002 * 0.002 * 110574 * 111320}},
		},
		{
			name:    "nested shells become their union",
			keys:    []string{"A"},
			areas:   []orb.MultiPolygon{{square, rect(0.002, 0.002, 0.004, 0.004)}},
			want:    []orb.MultiPolygon{{square}},
			repairs: []string{"A: Nested shells"},
		},
		{
			name:    "a bow tie becomes two triangles",
			keys:    []string{"A"},
			areas:   []orb.MultiPolygon{{{{{0, 0}, {0.01, 0.01}, {0.01, 0}, {0, 0.01}, {0, 0}}}}},
			want:    []orb.MultiPolygon{{{{{0, 0}, {0.005, 0.005}, {0, 0.01}, {0, 0}}}, {{{0.01, 0}, {0.01, 0.01}, {0.005, 0.005}, {0.01, 0}}}}},
			repairs: []string{"A: Self-intersection"},
		},
		{
			name:  "a small gap goes to the neighbour with the longest shared boundary",
			keys:  []string{"A", "B"},
			areas: []orb.MultiPolygon{{notched(0.0005, 0.004, 0.005)}, {right}},
			want:  []orb.MultiPolygon{{square}, nil},
			gaps:  []Gap{{Area: 0.0005 * 0.001 * 110574 * 111320, To: "A"}},
		},
		{
			name:  "a large gap stays open and is reported",
			keys:  []string{"A", "B"},
			areas: []orb.MultiPolygon{{notched(0.005, 0.002, 0.008)}, {right}},
			want:  []orb.MultiPolygon{nil, nil},
			gaps:  []Gap{{Area: 0.005 * 0.006 * 110574 * 111320}},
		},
		{
			name:  "a village's own hole is no gap",
			keys:  []string{"A", "B"},
			areas: []orb.MultiPolygon{{lake}, {right}},
			want:  []orb.MultiPolygon{nil, nil},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rep, err := CleanCoverage(tc.keys, tc.areas, CoverageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				// Every area of a coverage that needed cleaning is rebuilt
				// on the shared grid; only those whose ground changed are
				// reported as changed.
				changed := slices.Contains(rep.Changed, tc.keys[i])
				if rep.Clean() && got[i] != nil {
					t.Errorf("%s rebuilt although the coverage is clean", tc.keys[i])
				}
				mp, want := got[i], tc.want[i]
				if mp == nil {
					mp = tc.areas[i]
				}
				if want == nil {
					want = tc.areas[i]
				}
				switch {
				case tc.want[i] == nil && changed:
					t.Errorf("%s reported changed", tc.keys[i])
				case tc.want[i] != nil && !changed:
					t.Errorf("%s not reported changed", tc.keys[i])
				}
				if !sameArea(t, mp, want) {
					t.Errorf("%s = %v, want %v", tc.keys[i], mp, want)
				}
				for _, p := range mp {
					if err := ValidatePolygon(p); err != nil {
						t.Errorf("%s: %v", tc.keys[i], err)
					}
				}
			}
			if len(rep.Repairs) != len(tc.repairs) {
				t.Fatalf("repairs %v, want %v", rep.Repairs, tc.repairs)
			}
			for i, r := range rep.Repairs {
				if s := r.Key + ": " + r.Reason; !strings.HasPrefix(s, tc.repairs[i]) {
					t.Errorf("repair %q, want %q…", s, tc.repairs[i])
				}
			}
			near := func(a, b float64) bool { return math.Abs(a-b) <= 0.01*math.Max(math.Abs(b), 1) }
			if len(rep.Overlaps) != len(tc.overlaps) {
				t.Fatalf("overlaps %+v, want %+v", rep.Overlaps, tc.overlaps)
			}
			for i, o := range rep.Overlaps {
				w := tc.overlaps[i]
				if o.A != w.A || o.B != w.B || !near(o.Area, w.Area) || !near(o.KeptByA, w.KeptByA) {
					t.Errorf("overlap %+v, want %+v", o, w)
				}
			}
			if len(rep.Gaps) != len(tc.gaps) {
				t.Fatalf("gaps %+v, want %+v", rep.Gaps, tc.gaps)
			}
			for i, g := range rep.Gaps {
				if g.To != tc.gaps[i].To || !near(g.Area, tc.gaps[i].Area) {
					t.Errorf("gap %+v, want %+v", g, tc.gaps[i])
				}
			}
		})
	}
}

// TestCleanCoverageRealVillages cleans the two real boundary files of the
// repository (converted from cahyadsn/wilayah_boundaries) and checks the
// result is a partition: valid by GEOS and by ValidatePolygon, no two
// villages overlapping, no sliver gap left.
func TestCleanCoverageRealVillages(t *testing.T) {
	tests := []struct {
		file         string
		minOverlaps  int
		minGapsShut  int
		overlapHaMin float64
	}{
		{"../data/demo/pekalongan-villages.geojson.gz", 500, 800, 30},
		{"../data/testdata/kota-pekalongan-villages.geojson.gz", 35, 60, 2},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			keys, areas := readVillages(t, tc.file)
			got, rep, err := CleanCoverage(keys, areas, CoverageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			shut, _ := rep.ClosedGaps()
			t.Logf("%d repairs, %d overlaps (%.2f ha), %d gaps (%d closed), %d villages changed",
				len(rep.Repairs), len(rep.Overlaps), rep.OverlapArea()/1e4, len(rep.Gaps), shut, len(rep.Changed))
			if len(rep.Overlaps) < tc.minOverlaps || rep.OverlapArea()/1e4 < tc.overlapHaMin || shut < tc.minGapsShut {
				t.Errorf("report %d overlaps, %.2f ha, %d gaps closed; want at least %d, %g ha, %d",
					len(rep.Overlaps), rep.OverlapArea()/1e4, shut, tc.minOverlaps, tc.overlapHaMin, tc.minGapsShut)
			}
			ctx := geos.NewContext()
			c := &cleaner{ctx: ctx, grid: DefaultGridSize}
			gs := make([]*geos.Geom, len(areas))
			for i := range areas {
				mp := areas[i]
				if got[i] != nil {
					mp = got[i]
				}
				for _, p := range mp {
					if err := ValidatePolygon(p); err != nil {
						t.Errorf("%s: %v", keys[i], err)
					}
				}
				gs[i] = c.toGEOS(mp)
				if !gs[i].IsValid() {
					t.Errorf("%s: GEOS: %s", keys[i], gs[i].IsValidReason())
				}
			}
			total := 0.0
			for i := range gs {
				for j := i + 1; j < len(gs); j++ {
					if gs[i].Intersects(gs[j]) {
						total += areaM2(gs[i].Intersection(gs[j]))
					}
				}
			}
			if total > 1 {
				t.Errorf("villages still overlap by %.3f m² in all", total)
			}
			u := ctx.NewCollection(geos.TypeIDGeometryCollection, gs).UnaryUnion()
			for _, p := range parts(u) {
				for k := 0; k < p.NumInteriorRings(); k++ {
					h := ctx.NewPolygon([][][]float64{p.InteriorRing(k).CoordSeq().ToCoords()})
					if a := areaM2(h); a <= DefaultMaxGapArea {
						t.Errorf("a gap of %.1f m² at %v is left", a, pointOf(h.PointOnSurface()))
					}
				}
			}
		})
	}
}

func BenchmarkCleanCoverage(b *testing.B) {
	keys, areas := readVillages(b, "../data/demo/pekalongan-villages.geojson.gz")
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := CleanCoverage(keys, areas, CoverageOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDissolve(b *testing.B) {
	keys, areas := readVillages(b, "../data/demo/pekalongan-villages.geojson.gz")
	got, _, err := CleanCoverage(keys, areas, CoverageOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range got {
		if got[i] != nil {
			areas[i] = got[i]
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Dissolve(areas); err != nil {
			b.Fatal(err)
		}
	}
}
