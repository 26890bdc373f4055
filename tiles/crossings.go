package tiles

import (
	"math"

	"github.com/paulmach/orb"
)

// maxRepairRounds bounds the rounds of crossing repair; each round restores
// at least one arc to all its points, and original arcs never cross.
const maxRepairRounds = 8

// repairCrossings restores, round after round, the original points of
// every simplified arc that crosses or overlaps another arc (or itself):
// Douglas-Peucker keeps each arc within the tolerance of its original but
// knows nothing of its neighbours, so near a node two arcs can cross, and
// the villages on either side would overlap. Mapshaper repairs the same way.
// orig are the arcs at full detail in the same world coordinates.
func repairCrossings(simp, orig [][]orb.Point) {
	for round := 0; round < maxRepairRounds; round++ {
		bad := crossingArcs(simp)
		if len(bad) == 0 {
			return
		}
		for i := range bad {
			simp[i] = orig[i]
		}
	}
}

type segment struct {
	arc  int
	a, b orb.Point
}

// crossingArcs finds the arcs with a segment that meets a segment of
// another arc, or a non-adjacent one of its own, anywhere but at an end
// point the two segments share. Segments are bucketed on a grid so that
// only near ones are compared.
func crossingArcs(arcs [][]orb.Point) map[int]bool {
	var segs []segment
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for i, a := range arcs {
		for k := 0; k+1 < len(a); k++ {
			if a[k] == a[k+1] {
				continue
			}
			segs = append(segs, segment{i, a[k], a[k+1]})
			b = b.Extend(a[k]).Extend(a[k+1])
		}
	}
	if len(segs) < 2 {
		return nil
	}
	n := int(math.Max(1, math.Min(512, math.Sqrt(float64(len(segs))/2))))
	w := math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]) / float64(n)
	if w == 0 {
		w = 1
	}
	cell := func(v, lo float64) int { return min(n-1, max(0, int((v-lo)/w))) }
	grid := make(map[int][]int32)
	for i, s := range segs {
		x0, x1 := cell(math.Min(s.a[0], s.b[0]), b.Min[0]), cell(math.Max(s.a[0], s.b[0]), b.Min[0])
		y0, y1 := cell(math.Min(s.a[1], s.b[1]), b.Min[1]), cell(math.Max(s.a[1], s.b[1]), b.Min[1])
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				grid[x*n+y] = append(grid[x*n+y], int32(i))
			}
		}
	}
	bad := map[int]bool{}
	for _, ids := range grid {
		for i := 0; i < len(ids); i++ {
			s := segs[ids[i]]
			for j := i + 1; j < len(ids); j++ {
				t := segs[ids[j]]
				if (bad[s.arc] && bad[t.arc]) || !conflict(s.a, s.b, t.a, t.b) {
					continue
				}
				bad[s.arc], bad[t.arc] = true, true
			}
		}
	}
	return bad
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// conflict reports whether segments ab and cd meet other than at one shared
// end point: a crossing, a touch, or a collinear overlap.
func conflict(a, b, c, d orb.Point) bool {
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return false
	}
	shared := 0
	for _, p := range []orb.Point{a, b} {
		if p == c || p == d {
			shared++
		}
	}
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if shared > 0 {
		if shared == 2 {
			return true // the same segment twice
		}
		// Joined at one end: a conflict only when they run over each
		// other, collinear and pointing the same way from the joint.
		if o1 != 0 || o2 != 0 {
			return false
		}
		var j, p, q orb.Point // joint, the far ends
		switch {
		case a == c:
			j, p, q = a, b, d
		case a == d:
			j, p, q = a, b, c
		case b == c:
			j, p, q = b, a, d
		default:
			j, p, q = b, a, c
		}
		return (p[0]-j[0])*(q[0]-j[0])+(p[1]-j[1])*(q[1]-j[1]) > 0
	}
	if ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) {
		return true
	}
	return o1 == 0 && onSegment(a, b, c) || o2 == 0 && onSegment(a, b, d) ||
		o3 == 0 && onSegment(c, d, a) || o4 == 0 && onSegment(c, d, b)
}
