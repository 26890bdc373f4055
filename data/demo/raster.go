package demo

import (
	"math"

	"github.com/paulmach/orb"
)

// rasterSize is the number of cells a side of a village's raster: about 15
// m cells for a town kelurahan, 80 m for a large forest desa, so that four
// in five cells lie clear of every boundary.
const rasterSize = 64

// Cell states of a raster.
const (
	cellMixed     uint8 = iota // a boundary passes near: test the point itself
	cellExclusive              // every point belongs to the village alone
	cellElsewhere              // no point belongs to the village alone
)

// raster answers geography.exclusive for most points of a village's bound
// without a point-in-polygon test. Cells that no edge of the village or of
// its rivals comes near lie wholly on one side of every boundary, so one
// test decides a whole connected group of them.
type raster struct {
	bound orb.Bound
	w, h  float64 // cell size in degrees
	cells [rasterSize * rasterSize]uint8
}

// newRaster marks the cells every edge of village vi and of its rivals may
// touch (the cells of the edge's bound: cell indices grow with the
// coordinates, so every point of the edge falls in one of them) and gives
// each connected group of the other cells the answer of its first cell's
// centre.
func (gy *geography) newRaster(vi int) *raster {
	v := &gy.villages[vi]
	r := &raster{bound: v.shape.bound}
	r.w = (r.bound.Max[0] - r.bound.Min[0]) / rasterSize
	r.h = (r.bound.Max[1] - r.bound.Min[1]) / rasterSize
	if r.w <= 0 || r.h <= 0 {
		return r // degenerate: every cell stays mixed
	}
	mark := func(mp orb.MultiPolygon) {
		for _, p := range mp {
			for _, ring := range p {
				for i := 0; i+1 < len(ring); i++ {
					a, b := ring[i], ring[i+1]
					x0, y0 := r.index(min(a[0], b[0]), min(a[1], b[1]))
					x1, y1 := r.index(max(a[0], b[0]), max(a[1], b[1]))
					if x1 < -1 || y1 < -1 || x0 > rasterSize || y0 > rasterSize {
						continue
					}
					for y := max(0, y0); y <= min(rasterSize-1, y1); y++ {
						for x := max(0, x0); x <= min(rasterSize-1, x1); x++ {
							r.cells[y*rasterSize+x] = cellMixed
						}
					}
				}
			}
		}
	}
	const unknown = 255
	for i := range r.cells {
		r.cells[i] = unknown
	}
	mark(v.Geometry)
	for _, j := range v.rivals {
		mark(gy.villages[j].Geometry)
	}
	var queue []int
	for start := range r.cells {
		if r.cells[start] != unknown {
			continue
		}
		x, y := start%rasterSize, start/rasterSize
		state := cellElsewhere
		if gy.exclusiveSlow(vi, orb.Point{r.bound.Min[0] + (float64(x)+0.5)*r.w, r.bound.Min[1] + (float64(y)+0.5)*r.h}) {
			state = cellExclusive
		}
		r.cells[start] = state
		queue = append(queue[:0], start)
		for len(queue) > 0 {
			c := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			cx, cy := c%rasterSize, c/rasterSize
			for _, n := range [4][2]int{{cx - 1, cy}, {cx + 1, cy}, {cx, cy - 1}, {cx, cy + 1}} {
				if n[0] < 0 || n[1] < 0 || n[0] >= rasterSize || n[1] >= rasterSize {
					continue
				}
				if k := n[1]*rasterSize + n[0]; r.cells[k] == unknown {
					r.cells[k] = state
					queue = append(queue, k)
				}
			}
		}
	}
	return r
}

// index is the cell of p, which may lie outside the raster.
func (r *raster) index(x, y float64) (int, int) {
	return int(math.Floor((x - r.bound.Min[0]) / r.w)), int(math.Floor((y - r.bound.Min[1]) / r.h))
}

// state is the cell state of p; points outside the bound are elsewhere.
func (r *raster) state(p orb.Point) uint8 {
	if !r.bound.Contains(p) {
		return cellElsewhere
	}
	x, y := r.index(p[0], p[1])
	if x < 0 || y < 0 || x >= rasterSize || y >= rasterSize {
		return cellMixed // on the bound's far edge
	}
	return r.cells[y*rasterSize+x]
}
