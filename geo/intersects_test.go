package geo

import (
	"math/big"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func rect(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func TestIntersects(t *testing.T) {
	// A 10×10 square with a 4×4 hole from (3,3) to (7,7).
	donut := orb.Polygon{rect(0, 0, 10, 10)[0], {{3, 3}, {3, 7}, {7, 7}, {7, 3}, {3, 3}}}
	tests := []struct {
		name string
		a, b orb.MultiPolygon
		want bool
	}{
		{"overlap", orb.MultiPolygon{rect(0, 0, 2, 2)}, orb.MultiPolygon{rect(1, 1, 3, 3)}, true},
		{"touch along an edge", orb.MultiPolygon{rect(0, 0, 1, 1)}, orb.MultiPolygon{rect(1, 0, 2, 1)}, true},
		{"touch at a corner", orb.MultiPolygon{rect(0, 0, 1, 1)}, orb.MultiPolygon{rect(1, 1, 2, 2)}, true},
		{"vertex on the middle of an edge", orb.MultiPolygon{rect(0, 0, 2, 2)},
			orb.MultiPolygon{{{{2, 1}, {3, 0}, {3, 2}, {2, 1}}}}, true},
		{"vertex on an edge, decimal coordinates", orb.MultiPolygon{{{{0.1, 0.1}, {0.3, 0.3}, {0.1, 0.3}, {0.1, 0.1}}}},
			orb.MultiPolygon{{{{0.2, 0.2}, {0.4, 0.1}, {0.4, 0.0}, {0.2, 0.2}}}}, true},
		{"a inside b", orb.MultiPolygon{rect(4, 4, 5, 5)}, orb.MultiPolygon{rect(0, 0, 10, 10)}, true},
		{"b inside a", orb.MultiPolygon{rect(0, 0, 10, 10)}, orb.MultiPolygon{rect(4, 4, 5, 5)}, true},
		{"inside a hole", orb.MultiPolygon{rect(4, 4, 5, 5)}, orb.MultiPolygon{donut}, false},
		{"inside a hole, reversed", orb.MultiPolygon{donut}, orb.MultiPolygon{rect(4, 4, 5, 5)}, false},
		{"touching the hole's edge", orb.MultiPolygon{rect(4, 4, 7, 5)}, orb.MultiPolygon{donut}, true},
		{"covering the hole", orb.MultiPolygon{rect(2, 2, 8, 8)}, orb.MultiPolygon{donut}, true},
		{"disjoint", orb.MultiPolygon{rect(0, 0, 1, 1)}, orb.MultiPolygon{rect(2, 2, 3, 3)}, false},
		{"disjoint, boxes overlap", orb.MultiPolygon{{{{0, 0}, {4, 0}, {0, 4}, {0, 0}}}},
			orb.MultiPolygon{{{{4, 4}, {4, 2.1}, {2.1, 4}, {4, 4}}}}, false},
		{"second part overlaps", orb.MultiPolygon{rect(0, 0, 1, 1), rect(5, 5, 6, 6)}, orb.MultiPolygon{rect(5.5, 5.5, 7, 7)}, true},
		{"empty", nil, orb.MultiPolygon{rect(0, 0, 1, 1)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Intersects(tc.a, tc.b); got != tc.want {
				t.Errorf("Intersects(a, b) = %v, want %v", got, tc.want)
			}
			if got := Intersects(tc.b, tc.a); got != tc.want {
				t.Errorf("Intersects(b, a) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIntersectsBound(t *testing.T) {
	donut := orb.MultiPolygon{{rect(0, 0, 10, 10)[0], {{3, 3}, {3, 7}, {7, 7}, {7, 3}, {3, 3}}}}
	tri := orb.MultiPolygon{{{{0, 0}, {4, 0}, {0, 4}, {0, 0}}}}
	bound := func(x0, y0, x1, y1 float64) orb.Bound {
		return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	tests := []struct {
		name string
		a    orb.MultiPolygon
		b    orb.Bound
		want bool
	}{
		{"polygon inside the box", tri, bound(-1, -1, 5, 5), true},
		{"box inside the polygon", tri, bound(0.5, 0.5, 1, 1), true},
		{"box crosses an edge", tri, bound(1, 1, 3, 3), true},
		{"box touches the hypotenuse at a corner", tri, bound(2, 2, 3, 3), true},
		{"box in the triangle's empty corner", tri, bound(2.1, 2.1, 3, 3), false},
		{"box in the hole", donut, bound(4, 4, 6, 6), false},
		{"box on the hole's edge", donut, bound(4, 4, 7, 6), true},
		{"box far away", tri, bound(10, 10, 11, 11), false},
		{"inverted box", tri, bound(1, 1, 0, 0), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IntersectsBound(tc.a, tc.b); got != tc.want {
				t.Errorf("IntersectsBound = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIntersectsPoint(t *testing.T) {
	donut := orb.MultiPolygon{{rect(0, 0, 10, 10)[0], {{3, 3}, {3, 7}, {7, 7}, {7, 3}, {3, 3}}}}
	tests := []struct {
		name string
		p    orb.Point
		want bool
	}{
		{"inside", orb.Point{1, 1}, true},
		{"on the outer edge", orb.Point{10, 5}, true},
		{"on a vertex", orb.Point{0, 0}, true},
		{"in the hole", orb.Point{5, 5}, false},
		{"on the hole's edge", orb.Point{3, 5}, true},
		{"on the hole's vertex", orb.Point{7, 7}, true},
		{"outside", orb.Point{11, 5}, false},
		{"outside level with a vertex", orb.Point{-1, 10}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IntersectsPoint(donut, tc.p); got != tc.want {
				t.Errorf("IntersectsPoint(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestOrientSignExact(t *testing.T) {
	// Near-degenerate triples around the line y = x through (12, 12) and
	// (24, 24): the float determinant is unreliable there, the result must
	// still be the exact sign.
	exact := func(a, b, c orb.Point) int {
		r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
		l := new(big.Rat).Mul(new(big.Rat).Sub(r(b[0]), r(a[0])), new(big.Rat).Sub(r(c[1]), r(a[1])))
		m := new(big.Rat).Mul(new(big.Rat).Sub(r(b[1]), r(a[1])), new(big.Rat).Sub(r(c[0]), r(a[0])))
		return l.Cmp(m)
	}
	q, r := orb.Point{12, 12}, orb.Point{24, 24}
	zeros := 0
	for i := range 64 {
		for j := range 64 {
			p := orb.Point{0.5 + float64(i)*0x1p-53, 0.5 + float64(j)*0x1p-53}
			want := exact(p, q, r)
			if want == 0 {
				zeros++
			}
			if got := orientSign(p, q, r); got != want {
				t.Fatalf("orientSign(%v, %v, %v) = %d, want %d", p, q, r, got, want)
			}
			if got := orientSign(q, p, r); got != -want {
				t.Fatalf("orientSign(%v, %v, %v) = %d, want %d", q, p, r, got, -want)
			}
		}
	}
	if zeros == 0 {
		t.Error("no exactly collinear triple in the grid")
	}
	if s := orientSign(orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{0.5, 1e-300}); s != 1 {
		t.Errorf("tiny left offset gives %d", s)
	}
}

func TestValidateMultiPolygon(t *testing.T) {
	outer := rect(0, 0, 10, 10)[0]
	hole := func(x0, y0, x1, y1 float64) orb.Ring { return rect(x0, y0, x1, y1)[0] }
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		want string
	}{
		{"square", orb.MultiPolygon{rect(0, 0, 1, 1)}, ""},
		{"square with two holes", orb.MultiPolygon{{outer, hole(1, 1, 2, 2), hole(3, 3, 4, 4)}}, ""},
		{"two separate squares", orb.MultiPolygon{rect(0, 0, 1, 1), rect(2, 2, 3, 3)}, ""},
		{"square inside another's hole", orb.MultiPolygon{{outer, hole(2, 2, 8, 8)}, rect(3, 3, 4, 4)}, ""},
		{"unclosed ring", orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}, "outer ring is not closed"},
		{"bad ring in the second polygon", orb.MultiPolygon{rect(0, 0, 1, 1), {{{5, 5}, {6, 6}, {6, 5}, {5, 6}, {5, 5}}}},
			"polygon 2: outer ring intersects itself"},
		{"hole outside", orb.MultiPolygon{{outer, hole(20, 20, 21, 21)}}, "hole 1 lies outside the outer ring"},
		{"hole touching the outer ring", orb.MultiPolygon{{outer, hole(0, 2, 3, 3)}}, "hole 1 touches the outer ring"},
		{"hole crossing the outer ring", orb.MultiPolygon{{outer, hole(8, 8, 12, 9)}}, "hole 1 touches the outer ring"},
		{"overlapping holes", orb.MultiPolygon{{outer, hole(1, 1, 3, 3), hole(2, 2, 4, 4)}}, "holes 1 and 2 overlap or touch"},
		{"nested holes", orb.MultiPolygon{{outer, hole(1, 1, 5, 5), hole(2, 2, 3, 3)}}, "holes 1 and 2 overlap or touch"},
		{"overlapping polygons", orb.MultiPolygon{rect(0, 0, 2, 2), rect(1, 1, 3, 3)}, "polygons 1 and 2 overlap or touch"},
		{"polygons sharing an edge", orb.MultiPolygon{rect(0, 0, 1, 1), rect(5, 5, 6, 6), rect(1, 0, 2, 1)}, "polygons 1 and 3 overlap or touch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateMultiPolygon(tc.mp)
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
