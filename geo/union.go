package geo

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// snap rounds coordinates to 1e-7 degrees (about 1 cm). Neighbouring H3 cells
// compute their shared vertices independently and can differ in the last
// bits; snapping makes them the same point so shared edges cancel exactly and
// adjacent unions share their boundary coordinates bit for bit.
func snap(v float64) float64 { return math.Round(v*1e7) / 1e7 }

type vertexKey struct{ x, y int64 }

func keyOf(p orb.Point) vertexKey {
	return vertexKey{int64(math.Round(p[0] * 1e7)), int64(math.Round(p[1] * 1e7))}
}

// UnionCells returns the union of a set of H3 cells of one resolution as a
// multipolygon: outer rings counter-clockwise, holes clockwise, every ring
// closed. Edges shared by two cells of the set cancel; what remains is chained
// into rings. Three hexagons meet at every vertex, so a vertex has at most one
// outgoing boundary edge and the chaining is unambiguous.
func UnionCells(cells []uint64) orb.MultiPolygon {
	type edge struct{ a, b vertexKey }
	pts := make(map[vertexKey]orb.Point)
	present := make(map[edge]bool)
	var order []edge
	for _, c := range cells {
		ring := CellPolygon(c)[0]
		for i := 0; i+1 < len(ring); i++ {
			a, b := keyOf(ring[i]), keyOf(ring[i+1])
			if a == b {
				continue
			}
			pts[a] = orb.Point{snap(ring[i][0]), snap(ring[i][1])}
			pts[b] = orb.Point{snap(ring[i+1][0]), snap(ring[i+1][1])}
			e := edge{a, b}
			if present[edge{b, a}] {
				delete(present, edge{b, a})
				continue
			}
			if !present[e] {
				present[e] = true
				order = append(order, e)
			}
		}
	}
	next := make(map[vertexKey]vertexKey, len(present))
	for _, e := range order {
		if present[e] {
			next[e.a] = e.b
		}
	}
	var outers []orb.Polygon
	var holes []orb.Ring
	for _, e := range order {
		if !present[e] {
			continue
		}
		if _, ok := next[e.a]; !ok {
			continue // already used in a ring
		}
		start := e.a
		ring := orb.Ring{pts[start]}
		cur := start
		for {
			n, ok := next[cur]
			if !ok {
				break
			}
			delete(next, cur)
			ring = append(ring, pts[n])
			cur = n
			if cur == start {
				break
			}
		}
		if len(ring) < 4 || cur != start {
			continue
		}
		ring = dropCollinear(ring)
		if ring.Orientation() == orb.CCW {
			outers = append(outers, orb.Polygon{ring})
		} else {
			holes = append(holes, ring)
		}
	}
	for _, h := range holes {
		for i := range outers {
			if planar.RingContains(outers[i][0], h[0]) || ringContainsAny(outers[i][0], h) {
				outers[i] = append(outers[i], h)
				break
			}
		}
	}
	// Deterministic output: largest polygon first.
	sort.SliceStable(outers, func(i, j int) bool {
		return math.Abs(planar.Area(outers[i][0])) > math.Abs(planar.Area(outers[j][0]))
	})
	return orb.MultiPolygon(outers)
}

func ringContainsAny(outer, r orb.Ring) bool {
	for _, p := range r {
		if planar.RingContains(outer, p) {
			return true
		}
	}
	return false
}

// dropCollinear removes vertices that lie on a straight line between their
// neighbours; unions of many cells have none in practice, but face-crossing
// H3 cells carry extra vertices that would otherwise survive.
func dropCollinear(r orb.Ring) orb.Ring {
	if len(r) < 5 {
		return r
	}
	pts := r[:len(r)-1]
	out := make(orb.Ring, 0, len(r))
	n := len(pts)
	for i := 0; i < n; i++ {
		p, c, q := pts[(i+n-1)%n], pts[i], pts[(i+1)%n]
		cross := (c[0]-p[0])*(q[1]-p[1]) - (c[1]-p[1])*(q[0]-p[0])
		if math.Abs(cross) < 1e-18 {
			continue
		}
		out = append(out, c)
	}
	if len(out) < 3 {
		return r
	}
	return append(out, out[0])
}
