package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// PolygonIndex answers "which polygon holds this point" without testing every
// polygon: polygons are bucketed by bounding box into a uniform grid, and a
// query tests only the few polygons whose boxes overlap the point's bucket.
type PolygonIndex struct {
	polys   []orb.MultiPolygon
	bounds  []orb.Bound
	all     orb.Bound
	nx, ny  int
	dx, dy  float64
	buckets [][]int32
}

// NewPolygonIndex builds an index over polys; Find returns positions in polys.
func NewPolygonIndex(polys []orb.MultiPolygon) *PolygonIndex {
	idx := &PolygonIndex{polys: polys, bounds: make([]orb.Bound, len(polys))}
	if len(polys) == 0 {
		return idx
	}
	for i, p := range polys {
		idx.bounds[i] = p.Bound()
		if i == 0 {
			idx.all = idx.bounds[i]
		} else {
			idx.all = idx.all.Union(idx.bounds[i])
		}
	}
	// About four buckets per polygon keeps candidate lists short.
	side := int(math.Ceil(math.Sqrt(float64(len(polys)) * 4)))
	idx.nx, idx.ny = side, side
	idx.dx = (idx.all.Max[0] - idx.all.Min[0]) / float64(side)
	idx.dy = (idx.all.Max[1] - idx.all.Min[1]) / float64(side)
	if idx.dx == 0 {
		idx.dx = 1
	}
	if idx.dy == 0 {
		idx.dy = 1
	}
	idx.buckets = make([][]int32, side*side)
	for i, b := range idx.bounds {
		x0, y0 := idx.bucket(b.Min)
		x1, y1 := idx.bucket(b.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				idx.buckets[y*idx.nx+x] = append(idx.buckets[y*idx.nx+x], int32(i))
			}
		}
	}
	return idx
}

func (idx *PolygonIndex) bucket(p orb.Point) (int, int) {
	x := int((p[0] - idx.all.Min[0]) / idx.dx)
	y := int((p[1] - idx.all.Min[1]) / idx.dy)
	return min(max(x, 0), idx.nx-1), min(max(y, 0), idx.ny-1)
}

// Find returns the position of the first polygon that contains p, or -1.
func (idx *PolygonIndex) Find(p orb.Point) int {
	if len(idx.polys) == 0 || !idx.all.Contains(p) {
		return -1
	}
	x, y := idx.bucket(p)
	for _, i := range idx.buckets[y*idx.nx+x] {
		if idx.bounds[i].Contains(p) && planar.MultiPolygonContains(idx.polys[i], p) {
			return int(i)
		}
	}
	return -1
}

// FindAll calls fn with the position of every polygon whose bounding box
// holds p; fn tests the polygon itself when it needs to.
func (idx *PolygonIndex) FindAll(p orb.Point, fn func(int)) {
	if len(idx.polys) == 0 || !idx.all.Contains(p) {
		return
	}
	x, y := idx.bucket(p)
	for _, i := range idx.buckets[y*idx.nx+x] {
		if idx.bounds[i].Contains(p) {
			fn(int(i))
		}
	}
}
