package geo

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestTileClipper(t *testing.T) {
	box := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{100, 100}}
	// A U open to the bottom whose arms cross the box's lower edge: a
	// concave shape orb's clipper used to join with degenerate edges.
	u := orb.MultiPolygon{{{{10, 50}, {90, 50}, {90, 150}, {70, 150}, {70, 70}, {30, 70}, {30, 150}, {10, 150}, {10, 50}}}}
	// A square with a hole, half outside.
	holed := orb.MultiPolygon{{{{-50, 10}, {60, 10}, {60, 90}, {-50, 90}, {-50, 10}}, {{20, 30}, {20, 60}, {40, 60}, {40, 30}, {20, 30}}}}
	// A bow tie: invalid input, repaired rather than refused.
	bowtie := orb.MultiPolygon{{{{10, 10}, {40, 40}, {40, 10}, {10, 40}, {10, 10}}}}
	tests := []struct {
		name  string
		in    orb.MultiPolygon
		parts int
		holes int
		area  float64
	}{
		{"concave U cut into two arms and a bridge", u, 1, 0, 80*20 + 2*20*30},
		{"hole kept", holed, 1, 1, 60*80 - 20*30},
		{"off-grid sliver collapses to one square", orb.MultiPolygon{{{{50.1, 50.1}, {50.4, 50.2}, {50.2, 50.4}, {50.1, 50.1}}}}, 1, 0, 1},
		{"outside the box", orb.MultiPolygon{{{{200, 200}, {210, 200}, {210, 210}, {200, 200}}}}, 0, 0, 0},
		{"bow tie repaired", bowtie, 2, 0, 450},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewTileClipper(box).Clip(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.parts {
				t.Fatalf("%d parts, want %d: %v", len(got), tc.parts, got)
			}
			holes, area := 0, 0.0
			for _, p := range got {
				if err := ValidatePolygon(p); err != nil {
					t.Errorf("invalid: %v", err)
				}
				if SignedArea(p[0]) <= 0 {
					t.Errorf("exterior %v is not clockwise on screen (positive shoelace, y down)", p[0])
				}
				for _, h := range p[1:] {
					if SignedArea(h) >= 0 {
						t.Errorf("hole %v winds like an exterior", h)
					}
				}
				for _, r := range p {
					for _, pt := range r {
						if pt[0] != float64(int(pt[0])) || pt[1] != float64(int(pt[1])) || !box.Contains(pt) {
							t.Fatalf("point %v is off the grid or outside the box", pt)
						}
					}
				}
				holes += len(p) - 1
				area += planar.Area(p)
			}
			if holes != tc.holes || area != tc.area {
				t.Errorf("%d holes, area %g; want %d, %g", holes, area, tc.holes, tc.area)
			}
		})
	}
}

func TestPointOnSurface(t *testing.T) {
	// A C shape whose bounding-box centre is outside it.
	c := orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 2}, {2, 2}, {2, 8}, {10, 8}, {10, 10}, {0, 10}, {0, 0}}}}
	p, ok := PointOnSurface(c)
	if !ok || !multiPolygonCovers(c, p) {
		t.Errorf("point %v (ok %v) is not inside the C", p, ok)
	}
	if _, ok := PointOnSurface(nil); ok {
		t.Error("an empty outline has a point")
	}
}
