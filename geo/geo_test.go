package geo

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

func TestCellsMatchH3(t *testing.T) {
	pts := []orb.Point{{109.66, -6.93}, {109.48, -7.245}, {109.8, -6.84}, {0, 0}, {-122.4, 37.7}}
	for _, p := range pts {
		cs := Cells(p)
		for _, r := range Resolutions {
			want := uint64(h3.LatLngToCell(h3.LatLng{Lat: p.Lat(), Lng: p.Lon()}, r))
			if got := cs[r-MinRes]; got != want || Resolution(got) != r {
				t.Errorf("Cells(%v)[%d] = %x (res %d), want %x", p, r, got, Resolution(got), want)
			}
		}
	}
}

func TestPolygonIndex(t *testing.T) {
	sq := func(x, y float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}, {x, y}}}}
	}
	var polys []orb.MultiPolygon
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			polys = append(polys, sq(float64(x), float64(y)))
		}
	}
	idx := NewPolygonIndex(polys)
	tests := []struct {
		p    orb.Point
		want int
	}{
		{orb.Point{0.5, 0.5}, 0},
		{orb.Point{9.5, 9.5}, 99},
		{orb.Point{3.2, 7.9}, 73},
		{orb.Point{-1, 5}, -1},
		{orb.Point{10.5, 5}, -1},
	}
	for _, tc := range tests {
		if got := idx.Find(tc.p); got != tc.want {
			t.Errorf("Find(%v) = %d, want %d", tc.p, got, tc.want)
		}
	}
}

func TestValidatePolygon(t *testing.T) {
	tests := []struct {
		name string
		p    orb.Polygon
		want string
	}{
		{"square", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, ""},
		{"unclosed", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, "not closed"},
		{"bow tie", orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}, "intersects itself"},
		{"too short", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, "at least 4"},
		{"spike back on itself", orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {1, 2}, {1, 3}, {1, 1}, {0, 1}, {0, 0}}}, "intersects itself"},
		{"bad hole", orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}}}, "hole 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePolygon(tc.p)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func BenchmarkCells(b *testing.B) {
	p := orb.Point{109.66, -6.93}
	for i := 0; b.Loop(); i++ {
		p[0] = 109.48 + float64(i%1000)*0.0003
		_ = Cells(p)
	}
}
