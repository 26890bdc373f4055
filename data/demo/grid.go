package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"labmap/geo"
)

// cellRes is the H3 resolution villages are built from: about 0.1 km² a
// cell, so an urban kelurahan has a handful of cells and a forest desa some
// hundred.
const cellRes = 9

// grid is the regency as H3 cells with their neighbours resolved to
// positions, so growing districts and villages never calls into H3.
type grid struct {
	cells  []uint64 // sorted, so every walk over them is deterministic
	centre []orb.Point
	// inner is the radius of the circle, in planar degrees, around centre
	// that lies inside the cell: points drawn within it are inside the cell
	// and hence inside its village polygon.
	inner []float64
	nbr   [][6]int32 // -1 where the neighbour is outside the regency
	index map[uint64]int32
}

// newGrid covers the ring with cells whose centres lie inside it and keeps
// the largest edge-connected piece, so every district can reach every cell.
func newGrid(ring orb.Ring) (*grid, error) {
	poly := orb.Polygon{ring}
	all := geo.CoverBound(ring.Bound(), cellRes)
	slices.Sort(all)
	var inside []uint64
	for _, c := range all {
		if planar.PolygonContains(poly, geo.CellCenter(c)) {
			inside = append(inside, c)
		}
	}
	if len(inside) == 0 {
		return nil, fmt.Errorf("demo: outline covers no H3 cells")
	}
	g := buildGrid(inside)
	keep := g.largestComponent()
	if len(keep) != len(g.cells) {
		g = buildGrid(keep)
	}
	g.inner = make([]float64, len(g.cells))
	for i, c := range g.cells {
		g.inner[i] = inscribedRadius(g.centre[i], geo.CellPolygon(c)[0])
	}
	return g, nil
}

func buildGrid(cells []uint64) *grid {
	g := &grid{cells: cells, centre: make([]orb.Point, len(cells)), nbr: make([][6]int32, len(cells)),
		index: make(map[uint64]int32, len(cells))}
	for i, c := range cells {
		g.index[c] = int32(i)
		g.centre[i] = geo.CellCenter(c)
	}
	for i, c := range cells {
		n := [6]int32{-1, -1, -1, -1, -1, -1}
		k := 0
		for _, nc := range geo.Neighbors(c) {
			if j, ok := g.index[nc]; ok && k < 6 {
				n[k] = j
				k++
			}
		}
		g.nbr[i] = n
	}
	return g
}

func (g *grid) largestComponent() []uint64 {
	comp := make([]int32, len(g.cells))
	for i := range comp {
		comp[i] = -1
	}
	var best []int32
	var queue []int32
	for s := range g.cells {
		if comp[s] >= 0 {
			continue
		}
		queue = append(queue[:0], int32(s))
		comp[s] = int32(s)
		for h := 0; h < len(queue); h++ {
			for _, j := range g.nbr[queue[h]] {
				if j >= 0 && comp[j] < 0 {
					comp[j] = int32(s)
					queue = append(queue, j)
				}
			}
		}
		if len(queue) > len(best) {
			best = slices.Clone(queue)
		}
	}
	out := make([]uint64, len(best))
	for i, c := range best {
		out[i] = g.cells[c]
	}
	slices.Sort(out)
	return out
}

// nearest returns the cell whose centre is closest to p.
func (g *grid) nearest(p orb.Point) int32 {
	if i, ok := g.index[geo.Cell(p, cellRes)]; ok {
		return i
	}
	best, bestD := int32(0), math.Inf(1)
	for i, c := range g.centre {
		if d := distKm(p, c); d < bestD {
			best, bestD = int32(i), d
		}
	}
	return best
}

// walk returns the cells crossed by the path through pts, in order, stopping
// at the first point that falls outside the grid. Steps are short enough that
// consecutive cells always share an edge (in a hexagon grid the cells around a
// vertex are pairwise adjacent), so the result is a connected chain.
func (g *grid) walk(pts []orb.Point) []int32 {
	var out []int32
	for k := 0; k+1 < len(pts); k++ {
		a, b := pts[k], pts[k+1]
		steps := int(distKm(a, b)/0.02) + 1
		for s := 0; s <= steps; s++ {
			t := float64(s) / float64(steps)
			p := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			i, ok := g.index[geo.Cell(p, cellRes)]
			if !ok {
				return out
			}
			if len(out) == 0 || out[len(out)-1] != i {
				out = append(out, i)
			}
		}
	}
	return out
}

// inscribedRadius is the distance from c to the nearest edge of ring, in
// planar degrees, which is what point-in-polygon tests measure in.
func inscribedRadius(c orb.Point, ring orb.Ring) float64 {
	r := math.Inf(1)
	for i := 0; i+1 < len(ring); i++ {
		a, b := ring[i], ring[i+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		d := math.Abs(dx*(c[1]-a[1])-dy*(c[0]-a[0])) / l
		r = min(r, d)
	}
	return r
}

// terrain is a smooth random field over the regency. Growth pays more to
// cross high ground, so borders wander like real ones instead of running
// straight between centres.
type terrain [8]struct{ kx, ky, phase, amp float64 }

func newTerrain(rnd *rand.Rand) terrain {
	var t terrain
	sum := 0.0
	for i := range t {
		// Wavelengths of 2 to 9 km in any direction.
		wl := (2 + 7*rnd.Float64()) / kmPerDegLat
		ang := 2 * math.Pi * rnd.Float64()
		k := 2 * math.Pi / wl
		t[i].kx, t[i].ky = k*math.Cos(ang), k*math.Sin(ang)
		t[i].phase = 2 * math.Pi * rnd.Float64()
		t[i].amp = 0.5 + rnd.Float64()
		sum += t[i].amp
	}
	for i := range t {
		t[i].amp /= sum
	}
	return t
}

func (t *terrain) at(p orb.Point) float64 {
	v := 0.0
	for _, w := range t {
		v += w.amp * math.Sin(w.kx*p[0]+w.ky*p[1]+w.phase)
	}
	return v
}

// grower runs a multi-source Dijkstra over the grid in which each group
// (district or village) advances at its own speed. A cell is claimed only
// from a cell its group already holds, so every group is one connected piece,
// and no cell is left out, so groups tile the region without gaps.
type grower struct {
	g    *grid
	cost []float64
	dist []float64
	heap growHeap
}

func newGrower(g *grid, t *terrain) *grower {
	gw := &grower{g: g, cost: make([]float64, len(g.cells)), dist: make([]float64, len(g.cells))}
	for i, c := range g.centre {
		gw.cost[i] = math.Exp(1.3 * t.at(c))
	}
	return gw
}

// grow assigns owner[i] for every cell i in cells (all with region[i] == reg)
// to one of the seed groups and returns how many cells each group got. Seed
// cells are claimed first, in group order.
func (gw *grower) grow(cells []int32, region []int32, reg int32, seeds [][]int32, speed []float64, owner []int32) []int {
	for _, i := range cells {
		owner[i] = -1
		gw.dist[i] = math.Inf(1)
	}
	count := make([]int, len(seeds))
	h := &gw.heap
	h.items = h.items[:0]
	for grp, ss := range seeds {
		for _, c := range ss {
			if owner[c] < 0 {
				owner[c] = int32(grp)
				count[grp]++
				gw.dist[c] = 0
			}
		}
	}
	for grp, ss := range seeds {
		for _, c := range ss {
			if owner[c] == int32(grp) {
				gw.relax(c, 0, int32(grp), region, reg, speed, owner)
			}
		}
	}
	for len(h.items) > 0 {
		it := h.pop()
		if owner[it.cell] >= 0 {
			continue
		}
		owner[it.cell] = it.grp
		count[it.grp]++
		gw.relax(it.cell, it.d, it.grp, region, reg, speed, owner)
	}
	return count
}

func (gw *grower) relax(c int32, d float64, grp int32, region []int32, reg int32, speed []float64, owner []int32) {
	for _, j := range gw.g.nbr[c] {
		if j < 0 || region[j] != reg || owner[j] >= 0 {
			continue
		}
		nd := d + 0.5*(gw.cost[c]+gw.cost[j])/speed[grp]
		if nd < gw.dist[j] {
			gw.dist[j] = nd
			gw.heap.push(growItem{nd, j, grp})
		}
	}
}

// growSized repeats grow, adjusting each group's speed until group sizes come
// close to target; it keeps the best assignment seen.
func (gw *grower) growSized(cells []int32, region []int32, reg int32, seeds [][]int32, target []float64, rounds int, owner []int32) {
	speed := make([]float64, len(seeds))
	for i, t := range target {
		speed[i] = math.Sqrt(t)
	}
	best := make([]int32, len(owner))
	bestErr := math.Inf(1)
	for r := 0; r < rounds; r++ {
		count := gw.grow(cells, region, reg, seeds, speed, owner)
		e := 0.0
		for i, n := range count {
			l := math.Log(float64(n) / target[i])
			e += l * l
		}
		if e < bestErr {
			bestErr = e
			for _, i := range cells {
				best[i] = owner[i]
			}
		}
		for i, n := range count {
			speed[i] *= math.Pow(target[i]/float64(n), 0.35)
		}
	}
	for _, i := range cells {
		owner[i] = best[i]
	}
}

type growItem struct {
	d    float64
	cell int32
	grp  int32
}

// less orders by distance, then cell and group, so ties never depend on
// heap history.
func (a growItem) less(b growItem) bool {
	if a.d != b.d {
		return a.d < b.d
	}
	if a.cell != b.cell {
		return a.cell < b.cell
	}
	return a.grp < b.grp
}

type growHeap struct{ items []growItem }

func (h *growHeap) push(it growItem) {
	h.items = append(h.items, it)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.items[i].less(h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *growHeap) pop() growItem {
	top := h.items[0]
	n := len(h.items) - 1
	h.items[0] = h.items[n]
	h.items = h.items[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.items[l].less(h.items[m]) {
			m = l
		}
		if r < n && h.items[r].less(h.items[m]) {
			m = r
		}
		if m == i {
			return top
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
}
