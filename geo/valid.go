package geo

import (
	"fmt"
	"slices"

	"github.com/paulmach/orb"
)

// ValidatePolygon reports the first reason the polygon is not a valid simple
// polygon: a ring with fewer than four positions, a ring that is not closed,
// or a ring that crosses itself. Village files are repaired instead by
// CleanCoverage, with a report; this check is what cleaned villages, tiles
// and filters must pass.
func ValidatePolygon(p orb.Polygon) error {
	if err := ValidateRings(p); err != nil {
		return err
	}
	for i, r := range p {
		if a, b, ok := selfIntersection(r); ok {
			return fmt.Errorf("%s intersects itself: segment %d crosses segment %d", ringName(i), a+1, b+1)
		}
	}
	return nil
}

// ValidateRings reports the first reason the polygon cannot be meant as a
// polygon at all, so that no repair could be trusted: no rings, a ring with
// fewer than four positions, or a ring that is not closed. A ring that
// crosses itself passes: CleanCoverage repairs it and reports the repair.
func ValidateRings(p orb.Polygon) error {
	if len(p) == 0 {
		return fmt.Errorf("polygon has no rings")
	}
	for i, r := range p {
		if len(r) < 4 {
			return fmt.Errorf("%s has %d positions, needs at least 4", ringName(i), len(r))
		}
		if !r.Closed() {
			return fmt.Errorf("%s is not closed: first position %v differs from last %v", ringName(i), r[0], r[len(r)-1])
		}
	}
	return nil
}

func ringName(i int) string {
	if i == 0 {
		return "outer ring"
	}
	return fmt.Sprintf("hole %d", i)
}

// selfIntersection finds two non-adjacent segments of a closed ring that touch.
// Segments are swept by their minimum x so that only segments whose x-ranges
// overlap are compared; real boundaries with thousands of vertices stay fast.
func selfIntersection(r orb.Ring) (int, int, bool) {
	n := len(r) - 1 // segments
	if n <= 12 {
		// Small rings, the usual case in a tile, are cheaper to check pair
		// by pair than to sort.
		for i := 0; i < n; i++ {
			for j := i + 2; j < n; j++ {
				if i == 0 && j == n-1 {
					continue
				}
				if segmentsIntersect(r[i], r[i+1], r[j], r[j+1]) {
					return i, j, true
				}
			}
		}
		return 0, 0, false
	}
	type seg struct {
		i          int
		minX, maxX float64
	}
	segs := make([]seg, n)
	for i := 0; i < n; i++ {
		a, b := r[i], r[i+1]
		segs[i] = seg{i, min(a[0], b[0]), max(a[0], b[0])}
	}
	slices.SortFunc(segs, func(a, b seg) int {
		switch {
		case a.minX < b.minX:
			return -1
		case a.minX > b.minX:
			return 1
		}
		return 0
	})
	for x := 0; x < n; x++ {
		s := segs[x]
		for y := x + 1; y < n && segs[y].minX <= s.maxX; y++ {
			t := segs[y]
			i, j := min(s.i, t.i), max(s.i, t.i)
			if j == i+1 || (i == 0 && j == n-1) {
				continue // neighbours share an endpoint by construction
			}
			if segmentsIntersect(r[i], r[i+1], r[j], r[j+1]) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p orb.Point) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) &&
		min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

func segmentsIntersect(p1, p2, q1, q2 orb.Point) bool {
	d1, d2 := orient(q1, q2, p1), orient(q1, q2, p2)
	d3, d4 := orient(p1, p2, q1), orient(p1, p2, q2)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(q1, q2, p1)) || (d2 == 0 && onSegment(q1, q2, p2)) ||
		(d3 == 0 && onSegment(p1, p2, q1)) || (d4 == 0 && onSegment(p1, p2, q2))
}
