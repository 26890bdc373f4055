package geo

import (
	"fmt"
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// Intersection tests in the sense of PostGIS ST_Intersects: two geometries
// intersect when they share at least one point, so boundaries that only touch
// count. Orientation is decided exactly (a floating-point filter with an
// exact rational fallback), as GEOS does with its robust predicates, so a
// vertex lying exactly on the other polygon's edge is found to touch it.

// Intersects reports whether two multipolygons share any point: some pair of
// their edges touches or crosses, or one polygon lies inside the other. A
// polygon inside a hole of the other, without touching the hole's edge, does
// not intersect it.
func Intersects(a, b orb.MultiPolygon) bool {
	for _, pa := range a {
		if len(pa) == 0 || len(pa[0]) == 0 {
			continue
		}
		ba := pa[0].Bound()
		for _, pb := range b {
			if len(pb) == 0 || len(pb[0]) == 0 || !ba.Intersects(pb[0].Bound()) {
				continue
			}
			if polygonsIntersect(pa, pb) {
				return true
			}
		}
	}
	return false
}

// IntersectsBound reports whether the multipolygon shares any point with the
// rectangle b (its edges included). Polygons whose box misses b are skipped
// without looking at their edges, and a polygon whose box lies inside b is
// accepted without looking at them either.
func IntersectsBound(a orb.MultiPolygon, b orb.Bound) bool {
	if b.IsEmpty() {
		return false
	}
	rect := b.ToPolygon()
	for _, p := range a {
		if len(p) == 0 || len(p[0]) == 0 {
			continue
		}
		pb := p[0].Bound()
		if !pb.Intersects(b) {
			continue
		}
		if b.Contains(pb.Min) && b.Contains(pb.Max) {
			return true
		}
		if polygonsIntersect(p, rect) {
			return true
		}
	}
	return false
}

// IntersectsPoint reports whether the point lies inside the multipolygon or
// on its boundary, including the boundary of a hole.
func IntersectsPoint(a orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range a {
		if polygonLocate(poly, p) >= 0 {
			return true
		}
	}
	return false
}

// ValidateMultiPolygon reports the first reason mp is not a valid
// multipolygon in a sense slightly stricter than OGC's, where nothing may
// even touch: every polygon passes ValidatePolygon, each hole lies inside
// its outer ring without touching it or another hole, and no two polygons
// share a point. GEOS, behind PostGIS ST_Intersects, may fail with a
// topology error on geometry that breaks these rules.
func ValidateMultiPolygon(mp orb.MultiPolygon) error {
	where := func(i int) string {
		if len(mp) == 1 {
			return ""
		}
		return fmt.Sprintf("polygon %d: ", i+1)
	}
	for i, p := range mp {
		if err := ValidatePolygon(p); err != nil {
			return fmt.Errorf("%s%w", where(i), err)
		}
		shell := p[0]
		for h, hole := range p[1:] {
			switch {
			case shell.Bound().Intersects(hole.Bound()) && ringsTouch(hole, shell):
				return fmt.Errorf("%shole %d touches the outer ring", where(i), h+1)
			case ringLocate(shell, hole[0]) != 1:
				return fmt.Errorf("%shole %d lies outside the outer ring", where(i), h+1)
			}
			for k, other := range p[1+h+1:] {
				if hole.Bound().Intersects(other.Bound()) &&
					(ringsTouch(hole, other) || ringLocate(other, hole[0]) >= 0 || ringLocate(hole, other[0]) >= 0) {
					return fmt.Errorf("%sholes %d and %d overlap or touch", where(i), h+1, h+k+2)
				}
			}
		}
	}
	for i := range mp {
		for j := i + 1; j < len(mp); j++ {
			if Intersects(mp[i:i+1], mp[j:j+1]) {
				return fmt.Errorf("polygons %d and %d overlap or touch", i+1, j+1)
			}
		}
	}
	return nil
}

// polygonsIntersect tests two polygons whose outer boxes overlap. If no edge
// of one touches an edge of the other, the polygons either are disjoint or
// one contains a whole ring of the other, and then it contains that ring's
// first vertex.
func polygonsIntersect(a, b orb.Polygon) bool {
	for _, ra := range a {
		rba := ra.Bound()
		for _, rb := range b {
			if rba.Intersects(rb.Bound()) && ringsTouch(ra, rb) {
				return true
			}
		}
	}
	for _, rb := range b {
		if len(rb) > 0 && polygonLocate(a, rb[0]) >= 0 {
			return true
		}
	}
	for _, ra := range a {
		if len(ra) > 0 && polygonLocate(b, ra[0]) >= 0 {
			return true
		}
	}
	return false
}

// ringsTouch reports whether any edge of r touches or crosses any edge of s.
// Edges of r far from s's box are skipped before the inner loop.
func ringsTouch(r, s orb.Ring) bool {
	sb := s.Bound()
	ne, ns := ringEdges(r), ringEdges(s)
	for i := 0; i < ne; i++ {
		p1, p2 := ringEdge(r, i)
		eb := orb.Bound{Min: orb.Point{min(p1[0], p2[0]), min(p1[1], p2[1])}, Max: orb.Point{max(p1[0], p2[0]), max(p1[1], p2[1])}}
		if !eb.Intersects(sb) {
			continue
		}
		for j := 0; j < ns; j++ {
			q1, q2 := ringEdge(s, j)
			if max(q1[0], q2[0]) < eb.Min[0] || min(q1[0], q2[0]) > eb.Max[0] ||
				max(q1[1], q2[1]) < eb.Min[1] || min(q1[1], q2[1]) > eb.Max[1] {
				continue
			}
			if segmentsTouch(p1, p2, q1, q2) {
				return true
			}
		}
	}
	return false
}

// ringEdges is the number of edges of a ring; a ring that is not closed gets
// a closing edge from its last position back to its first.
func ringEdges(r orb.Ring) int {
	switch {
	case len(r) == 0:
		return 0
	case len(r) == 1:
		return 1 // a single position, treated as a degenerate edge
	case r[0] == r[len(r)-1]:
		return len(r) - 1
	}
	return len(r)
}

func ringEdge(r orb.Ring, i int) (orb.Point, orb.Point) {
	return r[i], r[(i+1)%len(r)]
}

// polygonLocate returns 1 when p is in the polygon's interior, 0 when it is
// on the boundary of the outer ring or of a hole, -1 when outside (including
// strictly inside a hole).
func polygonLocate(poly orb.Polygon, p orb.Point) int {
	if len(poly) == 0 {
		return -1
	}
	loc := ringLocate(poly[0], p)
	if loc <= 0 {
		return loc
	}
	for _, hole := range poly[1:] {
		switch ringLocate(hole, p) {
		case 1:
			return -1
		case 0:
			return 0
		}
	}
	return 1
}

// ringLocate returns 1 when p is inside the ring, 0 on it, -1 outside. It
// counts crossings of a ray from p towards +x, deciding each side test
// exactly.
func ringLocate(r orb.Ring, p orb.Point) int {
	n := ringEdges(r)
	if n == 0 {
		return -1
	}
	inside := false
	for i := 0; i < n; i++ {
		a, b := ringEdge(r, i)
		if (a[1] > p[1]) == (b[1] > p[1]) {
			// The edge does not straddle the ray's line; p may still lie on it.
			if a[1] == p[1] && b[1] == p[1] && min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) {
				return 0
			}
			if a == p || b == p {
				return 0
			}
			continue
		}
		o := orientSign(a, b, p)
		if o == 0 {
			return 0 // on the edge's line and within its y-range: on the edge
		}
		// Upward edge with p on its left, or downward edge with p on its
		// right, crosses the ray to the right of p.
		if (b[1] > a[1]) == (o > 0) {
			inside = !inside
		}
	}
	if inside {
		return 1
	}
	return -1
}

// segmentsTouch reports whether the closed segments p1p2 and q1q2 share a point.
func segmentsTouch(p1, p2, q1, q2 orb.Point) bool {
	d1, d2 := orientSign(q1, q2, p1), orientSign(q1, q2, p2)
	d3, d4 := orientSign(p1, p2, q1), orientSign(p1, p2, q2)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return (d1 == 0 && inBox(q1, q2, p1)) || (d2 == 0 && inBox(q1, q2, p2)) ||
		(d3 == 0 && inBox(p1, p2, q1)) || (d4 == 0 && inBox(p1, p2, q2))
}

func inBox(a, b, p orb.Point) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) &&
		min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

// orientErrBound is Shewchuk's bound on the rounding error of the floating
// orientation determinant, relative to the magnitudes of its two products.
const orientErrBound = (3 + 16*0x1p-53) * 0x1p-53

// orientSign returns +1 when c lies to the left of the directed line a→b,
// -1 to the right and 0 on it, computed exactly: the floating-point
// determinant is trusted only when it clears its error bound, otherwise the
// determinant is recomputed in rationals.
func orientSign(a, b, c orb.Point) int {
	l := (b[0] - a[0]) * (c[1] - a[1])
	r := (b[1] - a[1]) * (c[0] - a[0])
	det := l - r
	bound := orientErrBound * (math.Abs(l) + math.Abs(r))
	switch {
	case det > bound:
		return 1
	case -det > bound:
		return -1
	}
	for _, v := range [...]float64{a[0], a[1], b[0], b[1], c[0], c[1]} {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return 0
		}
	}
	rat := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	sub := func(x, y float64) *big.Rat { return new(big.Rat).Sub(rat(x), rat(y)) }
	el := new(big.Rat).Mul(sub(b[0], a[0]), sub(c[1], a[1]))
	er := new(big.Rat).Mul(sub(b[1], a[1]), sub(c[0], a[0]))
	return el.Cmp(er)
}
