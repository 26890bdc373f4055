package tiles

import (
	"math"

	"labmap/data"
	"labmap/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
)

// areaKey names one outline of the topology.
type areaKey struct {
	level data.Level
	code  string
}

// arcRef is one arc of a ring, walked backwards when reversed.
type arcRef struct {
	arc      int
	reversed bool
}

// topology is the outlines of villages, districts and zones as shared arcs,
// in Web Mercator scaled to [0, 1) with y pointing down. A ring is cut at
// every node, a vertex where other than two boundary edges meet, so the
// boundary between two neighbours is one arc whichever side walks it, and
// simplifying each arc once keeps neighbours touching with no gap and no
// overlap. Districts and zones are dissolved from the cleaned villages, so
// their boundaries have the villages' vertices and share the same arcs.
type topology struct {
	arcs    [][]orb.Point
	areas   map[areaKey][][][]arcRef // polygons, rings, arcs
	anchors map[areaKey]orb.Point    // a point inside the area, for when it shrinks below a grid cell
	points  int
}

// mercator projects lon/lat to Web Mercator scaled to [0, 1), y down.
func mercator(p orb.Point) orb.Point {
	lat := p[1] * math.Pi / 180
	return orb.Point{(p[0] + 180) / 360, (1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2}
}

type edge [2]orb.Point

func newEdge(a, b orb.Point) edge {
	if a[0] < b[0] || a[0] == b[0] && a[1] < b[1] {
		return edge{a, b}
	}
	return edge{b, a}
}

func less(a, b orb.Point) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

// buildTopology cuts the outlines into shared arcs. Vertices match exactly:
// cleaned villages share their vertices (geo.CleanCoverage), and Mercator is
// a function, so equal positions project to equal points.
func buildTopology(outlines map[areaKey]orb.MultiPolygon) *topology {
	t := &topology{areas: map[areaKey][][][]arcRef{}, anchors: map[areaKey]orb.Point{}}
	type ringPts struct {
		key         areaKey
		poly, index int
		pts         []orb.Point // open: the closing point dropped
	}
	var rings []ringPts
	edges := map[edge]struct{}{}
	for key, mp := range outlines {
		if p, ok := geo.PointOnSurface(mp); ok {
			t.anchors[key] = mercator(p)
		}
		for pi, poly := range mp {
			for ri, r := range poly {
				pts := make([]orb.Point, 0, len(r))
				for _, p := range r {
					q := mercator(p)
					if n := len(pts); n > 0 && pts[n-1] == q {
						continue
					}
					pts = append(pts, q)
				}
				if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
					pts = pts[:len(pts)-1]
				}
				if len(pts) < 3 {
					continue
				}
				for i := range pts {
					edges[newEdge(pts[i], pts[(i+1)%len(pts)])] = struct{}{}
				}
				rings = append(rings, ringPts{key, pi, ri, pts})
			}
		}
	}
	degree := make(map[orb.Point]int, len(edges))
	for e := range edges {
		degree[e[0]]++
		degree[e[1]]++
	}
	arcIndex := map[edge]int{} // keyed by an arc's first edge in its stored direction
	addArc := func(pts []orb.Point) arcRef {
		// The same chain walked from either end gets one key: the
		// smaller of its two first edges, taken as directed pairs.
		fwd := edge{pts[0], pts[1]}
		rev := edge{pts[len(pts)-1], pts[len(pts)-2]}
		reversed := less(rev[0], fwd[0]) || rev[0] == fwd[0] && less(rev[1], fwd[1])
		k := fwd
		if reversed {
			k = rev
		}
		if i, ok := arcIndex[k]; ok {
			return arcRef{i, reversed}
		}
		stored := append([]orb.Point(nil), pts...)
		if reversed {
			for i, j := 0, len(stored)-1; i < j; i, j = i+1, j-1 {
				stored[i], stored[j] = stored[j], stored[i]
			}
		}
		t.arcs = append(t.arcs, stored)
		t.points += len(stored)
		arcIndex[k] = len(t.arcs) - 1
		return arcRef{len(t.arcs) - 1, reversed}
	}
	for _, r := range rings {
		pts := r.pts
		n := len(pts)
		start := -1
		for i, p := range pts {
			if degree[p] != 2 {
				start = i
				break
			}
		}
		var refs []arcRef
		if start < 0 {
			// No node: the ring is one closed arc, shared only with a ring
			// of the same points (an enclave and its hole). Start it at its
			// smallest point so both walk it the same way round.
			start = 0
			for i, p := range pts {
				if less(p, pts[start]) {
					start = i
				}
			}
			closed := make([]orb.Point, 0, n+1)
			for i := 0; i <= n; i++ {
				closed = append(closed, pts[(start+i)%n])
			}
			refs = append(refs, addArc(closed))
		} else {
			chain := []orb.Point{pts[start]}
			for i := 1; i <= n; i++ {
				p := pts[(start+i)%n]
				chain = append(chain, p)
				if degree[p] != 2 {
					refs = append(refs, addArc(chain))
					chain = []orb.Point{p}
				}
			}
		}
		polys := t.areas[r.key]
		for len(polys) <= r.poly {
			polys = append(polys, nil)
		}
		for len(polys[r.poly]) <= r.index {
			polys[r.poly] = append(polys[r.poly], nil)
		}
		polys[r.poly][r.index] = refs
		t.areas[r.key] = polys
	}
	return t
}

// simplifyArc is the arc in world coordinates of a zoom (scale units per
// world), simplified with Douglas-Peucker: the ends never move, so arcs
// still meet at their nodes. A closed arc is cut at its farthest point so
// that it keeps at least a triangle while it is large enough to have one.
func simplifyArc(arc []orb.Point, scale float64) []orb.Point {
	ls := make(orb.LineString, len(arc))
	for i, p := range arc {
		ls[i] = orb.Point{p[0] * scale, p[1] * scale}
	}
	dp := simplify.DouglasPeucker(tolerance)
	if len(ls) > 3 && ls[0] == ls[len(ls)-1] {
		far, d := 0, -1.0
		for i, p := range ls {
			dx, dy := p[0]-ls[0][0], p[1]-ls[0][1]
			if dx*dx+dy*dy > d {
				far, d = i, dx*dx+dy*dy
			}
		}
		a := dp.LineString(ls[:far+1].Clone())
		b := dp.LineString(ls[far:].Clone())
		return append(a, b[1:]...)
	}
	return dp.LineString(ls)
}

// world rebuilds every outline from its simplified arcs at zoom z, in world
// coordinates (the world spans 2^z * Extent), rounded to the tile grid
// (geo.GridPolygons). The second result estimates the bytes held.
func (t *topology) world(z int) (map[areaKey]orb.MultiPolygon, int) {
	scale := float64(uint64(1)<<z) * Extent
	arcs := make([][]orb.Point, len(t.arcs))
	full := make([][]orb.Point, len(t.arcs))
	for i, a := range t.arcs {
		arcs[i] = simplifyArc(a, scale)
		full[i] = make([]orb.Point, len(a))
		for k, p := range a {
			full[i][k] = orb.Point{p[0] * scale, p[1] * scale}
		}
	}
	repairCrossings(arcs, full)
	out := make(map[areaKey]orb.MultiPolygon, len(t.areas))
	size := 0
	for key, polys := range t.areas {
		mp := make(orb.MultiPolygon, 0, len(polys))
		for _, rings := range polys {
			var poly orb.Polygon
			for _, refs := range rings {
				var r orb.Ring
				for _, ref := range refs {
					a := arcs[ref.arc]
					for k := range a {
						p := a[k]
						if ref.reversed {
							p = a[len(a)-1-k]
						}
						if n := len(r); n > 0 && r[n-1] == p {
							continue
						}
						r = append(r, p)
					}
				}
				if len(r) > 0 && r[0] != r[len(r)-1] {
					r = append(r, r[0])
				}
				if len(r) < 4 {
					if len(poly) == 0 {
						break // the exterior collapsed: so has the polygon
					}
					continue
				}
				poly = append(poly, r)
			}
			if len(poly) > 0 {
				mp = append(mp, poly)
			}
		}
		if grid, err := geo.GridPolygons(mp); err == nil {
			mp = grid
		}
		for _, p := range mp {
			for _, r := range p {
				size += 16*len(r) + 24
			}
		}
		out[key] = mp
		size += 64 + len(key.code)
	}
	return out, size
}

// anchor is the area's inside point in world coordinates at zoom z.
func (t *topology) anchor(key areaKey, z int) (orb.Point, bool) {
	p, ok := t.anchors[key]
	scale := float64(uint64(1)<<z) * Extent
	return orb.Point{p[0] * scale, p[1] * scale}, ok
}
