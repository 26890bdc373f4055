package demo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Kilometres per degree near 7° S, for planar distances in the regency.
const (
	kmPerDegLat = 110.6
	kmPerDegLon = 110.5
)

// distKm is the planar distance between two points in the regency.
func distKm(a, b orb.Point) float64 {
	dx := (a[0] - b[0]) * kmPerDegLon
	dy := (a[1] - b[1]) * kmPerDegLat
	return math.Sqrt(dx*dx + dy*dy)
}

// segmentKm is the planar distance from p to the segment ab.
func segmentKm(p, a, b orb.Point) float64 {
	ax, ay := (a[0]-p[0])*kmPerDegLon, (a[1]-p[1])*kmPerDegLat
	bx, by := (b[0]-p[0])*kmPerDegLon, (b[1]-p[1])*kmPerDegLat
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = min(1, max(0, -(ax*dx+ay*dy)/l2))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

// lineKm is the planar distance from p to the nearest point of ls.
func lineKm(p orb.Point, ls orb.LineString) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(ls); i++ {
		best = min(best, segmentKm(p, ls[i], ls[i+1]))
	}
	return best
}

// shape is a village's raw polygon with the bounds of its rings, so that
// most point-in-polygon tests end at a bound.
type shape struct {
	mp    orb.MultiPolygon
	bound orb.Bound
	rings [][]orb.Bound // per polygon, per ring
}

func newShape(mp orb.MultiPolygon) shape {
	s := shape{mp: mp, bound: mp.Bound(), rings: make([][]orb.Bound, len(mp))}
	for i, p := range mp {
		s.rings[i] = make([]orb.Bound, len(p))
		for k, r := range p {
			s.rings[i][k] = r.Bound()
		}
	}
	return s
}

// contains reports whether p lies inside the polygon, as
// planar.MultiPolygonContains decides it.
func (s *shape) contains(p orb.Point) bool {
	if !s.bound.Contains(p) {
		return false
	}
	for i := range s.mp {
		if s.partHolds(i, p) {
			return true
		}
	}
	return false
}

// parts counts the polygons of the MultiPolygon that hold p: more than one
// where the file nests or overlaps its own parts.
func (s *shape) parts(p orb.Point) int {
	if !s.bound.Contains(p) {
		return 0
	}
	n := 0
	for i := range s.mp {
		if s.partHolds(i, p) {
			n++
		}
	}
	return n
}

// partHolds is planar.PolygonContains for polygon i, with the precomputed
// ring bounds turning most points away before orb walks a ring: inside the
// shell (its edge included) and inside no hole.
func (s *shape) partHolds(i int, p orb.Point) bool {
	poly := s.mp[i]
	if !s.rings[i][0].Contains(p) || !planar.RingContains(poly[0], p) {
		return false
	}
	for k := 1; k < len(poly); k++ {
		if s.rings[i][k].Contains(p) && planar.RingContains(poly[k], p) {
			return false
		}
	}
	return true
}

// areaKm2 is the area of the polygon: shells minus holes.
func (s *shape) areaKm2() float64 {
	a := 0.0
	for _, p := range s.mp {
		for k, r := range p {
			ra := math.Abs(planar.Area(r))
			if k > 0 {
				ra = -ra
			}
			a += ra
		}
	}
	return a * kmPerDegLat * kmPerDegLon
}

// nearKm reports whether the two polygons share a point or come within
// km of each other. Shared borders and overlaps put a vertex of one within
// reach of the other's edges, and crossing edges share a point, so vertices
// against edges, both ways, and one containment test decide it.
func (s *shape) nearKm(o *shape, km float64) bool {
	pad := orb.Bound{Min: orb.Point{s.bound.Min[0] - km/kmPerDegLon, s.bound.Min[1] - km/kmPerDegLat},
		Max: orb.Point{s.bound.Max[0] + km/kmPerDegLon, s.bound.Max[1] + km/kmPerDegLat}}
	if !pad.Intersects(o.bound) {
		return false
	}
	if vertexNear(s.mp, o.mp, km) || vertexNear(o.mp, s.mp, km) {
		return true
	}
	// One inside the other without a vertex near an edge.
	return o.contains(s.mp[0][0][0]) || s.contains(o.mp[0][0][0])
}

// vertexNear reports whether a vertex of a lies within km of an edge of b.
func vertexNear(a, b orb.MultiPolygon, km float64) bool {
	for _, p := range a {
		for _, r := range p {
			for _, v := range r {
				for _, q := range b {
					for _, s := range q {
						for i := 0; i+1 < len(s); i++ {
							if segmentKm(v, s[i], s[i+1]) <= km {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// northernEdge samples the northernmost boundary of a set of polygons: for
// every step of longitude across their bound, the largest latitude at which
// a village edge crosses that meridian. A longitude no polygon spans is
// NaN.
func northernEdge(shapes []shape, step float64) (lons, lats []float64) {
	var b orb.Bound
	for i, s := range shapes {
		if i == 0 {
			b = s.bound
		} else {
			b = b.Union(s.bound)
		}
	}
	for lon := b.Min[0] + step/2; lon < b.Max[0]; lon += step {
		top := math.NaN()
		for _, s := range shapes {
			if lon < s.bound.Min[0] || lon > s.bound.Max[0] || s.bound.Max[1] <= top {
				continue
			}
			for _, p := range s.mp {
				for _, r := range p {
					for i := 0; i+1 < len(r); i++ {
						a, c := r[i], r[i+1]
						if (a[0] < lon) == (c[0] < lon) {
							continue
						}
						lat := a[1] + (lon-a[0])*(c[1]-a[1])/(c[0]-a[0])
						if math.IsNaN(top) || lat > top {
							top = lat
						}
					}
				}
			}
		}
		lons, lats = append(lons, lon), append(lats, top)
	}
	return lons, lats
}
