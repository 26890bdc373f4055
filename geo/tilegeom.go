package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"
)

// TileClipper cuts polygons to a tile's buffered box and snaps them to the
// integer tile grid with GEOS, the way PostGIS's ST_AsMVTGeom does
// (rectangle clipping, then snap-rounding that yields valid output). It is
// not safe for concurrent use: make one per tile.
type TileClipper struct {
	ctx *geos.Context
	box orb.Bound
}

// NewTileClipper returns a clipper for box, in tile coordinates.
func NewTileClipper(box orb.Bound) *TileClipper {
	return &TileClipper{ctx: geos.NewContext(), box: box}
}

// Clip returns the part of mp (tile coordinates, valid) inside the box,
// snapped to the integer grid: valid polygons whose exteriors have a
// positive shoelace area (clockwise on screen with y down) and holes the
// other way. An area that meets the box but collapses on the grid comes back
// as a 1x1 square at a point inside it, so it stays visible; nil means the
// area does not meet the box.
func (c *TileClipper) Clip(mp orb.MultiPolygon) (out orb.MultiPolygon, err error) {
	b := mp.Bound()
	if len(mp) == 0 || !c.box.Intersects(b) {
		return nil, nil
	}
	defer func() {
		// go-geos panics on a GEOS exception; a tile must not take the
		// server down, so it becomes an error naming the cause.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("clip to tile: %v", r)
		}
	}()
	g := c.geom(mp)
	if !(b.Min[0] >= c.box.Min[0] && b.Min[1] >= c.box.Min[1] && b.Max[0] <= c.box.Max[0] && b.Max[1] <= c.box.Max[1]) {
		g = g.ClipByRect(c.box.Min[0], c.box.Min[1], c.box.Max[0], c.box.Max[1])
		if g.IsEmpty() {
			return nil, nil
		}
	}
	if out, ok := roundClipped(g, c.box); ok {
		return out, nil
	}
	snapped := c.snap(g)
	if snapped != nil && !snapped.IsEmpty() {
		if out = tileParts(snapped); len(out) > 0 {
			return out, nil
		}
	}
	return c.square(g), nil
}

// ClipGrid is Clip for an outline already on the grid and valid, as
// GridPolygons makes it: when it lies wholly inside the box it is returned
// as it is, with no GEOS work, which is most areas of most tiles.
func (c *TileClipper) ClipGrid(mp orb.MultiPolygon) (orb.MultiPolygon, error) {
	b := mp.Bound()
	if len(mp) > 0 && b.Min[0] >= c.box.Min[0] && b.Min[1] >= c.box.Min[1] && b.Max[0] <= c.box.Max[0] && b.Max[1] <= c.box.Max[1] {
		return mp, nil
	}
	return c.Clip(mp)
}

// GridPolygons rounds an outline to the integer grid once for all tiles of
// a zoom (tile origins are whole multiples of the grid, so rounding in
// world coordinates is rounding in every tile's), with exteriors of
// positive shoelace area and holes negative, and drops the parts that
// collapse. Vertices are rounded one by one, so neighbours that share an
// edge still share it; an outline that rounding makes invalid is
// snap-rounded by GEOS instead (SetPrecision with valid output), which
// moves it no more than rounding would.
func GridPolygons(mp orb.MultiPolygon) (out orb.MultiPolygon, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("round to the tile grid: %v", r)
		}
	}()
	for _, p := range mp {
		var poly orb.Polygon
		for k, r := range p {
			q := make(orb.Ring, 0, len(r))
			for _, pt := range r {
				q = append(q, orb.Point{math.Round(pt[0]), math.Round(pt[1])})
			}
			q = dedupe(q)
			a := SignedArea(q)
			if len(q) < 4 || a == 0 || q[0] != q[len(q)-1] {
				if k == 0 {
					break
				}
				continue
			}
			if (a > 0) != (k == 0) {
				slices.Reverse(q)
			}
			poly = append(poly, q)
		}
		if len(poly) > 0 {
			out = append(out, poly)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	c := &TileClipper{ctx: geos.NewContext()}
	if c.geom(out).IsValid() {
		return out, nil
	}
	g := c.geom(mp)
	if !g.IsValid() {
		g = polygonal(c.ctx, g.MakeValid())
	}
	return tileParts(g.SetPrecision(1, geos.PrecisionRuleValidOutput)), nil
}

// Square is the 1x1 grid square holding p, moved inside the box: the
// smallest valid shape that keeps an area visible where it is.
func (c *TileClipper) Square(p orb.Point) orb.MultiPolygon {
	if !c.box.Contains(p) {
		return nil
	}
	x := math.Min(math.Floor(p[0]), c.box.Max[0]-1)
	y := math.Min(math.Floor(p[1]), c.box.Max[1]-1)
	// Clockwise on screen: positive shoelace area with y pointing down.
	return orb.MultiPolygon{{{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}, {x, y}}}}
}

func (c *TileClipper) square(g *geos.Geom) orb.MultiPolygon {
	p := g.PointOnSurface()
	if p.IsEmpty() {
		return nil
	}
	return c.Square(orb.Point{p.X(), p.Y()})
}

// snap rounds to the unit grid. Vertices are rounded one by one, so two
// neighbours that share an edge round it the same way and still meet with
// no gap and no overlap (snap-rounding each polygon on its own would bend a
// shared edge towards the vertices of one side only). Only a polygon that
// rounding made invalid is snap-rounded instead (GEOS SetPrecision with
// valid output), which moves it no more than rounding would; MakeValid on
// the rounded rings would guess which side of a crossing is inside.
func (c *TileClipper) snap(g *geos.Geom) (s *geos.Geom) {
	defer func() {
		if r := recover(); r != nil {
			s = polygonal(c.ctx, g.MakeValid()).SetPrecision(1, geos.PrecisionRuleValidOutput)
		}
	}()
	s = g.SetPrecision(1, geos.PrecisionRulePointwise)
	if s.IsValid() {
		return s
	}
	return g.SetPrecision(1, geos.PrecisionRuleValidOutput)
}

func (c *TileClipper) geom(mp orb.MultiPolygon) *geos.Geom {
	polys := make([]*geos.Geom, 0, len(mp))
	for _, p := range mp {
		if len(p) == 0 || len(p[0]) < 4 {
			// An exterior that simplification collapsed: the polygon is gone.
			continue
		}
		rings := make([][][]float64, 0, len(p))
		for _, r := range p {
			if len(r) < 4 {
				continue
			}
			// One backing array per ring rather than one per point: this
			// conversion runs for every area cut by a tile's edge.
			flat := make([]float64, 2*len(r))
			cs := make([][]float64, len(r))
			for j, pt := range r {
				flat[2*j], flat[2*j+1] = pt[0], pt[1]
				cs[j] = flat[2*j : 2*j+2 : 2*j+2]
			}
			rings = append(rings, cs)
		}
		if len(rings) > 0 {
			polys = append(polys, c.ctx.NewPolygon(rings))
		}
	}
	return c.ctx.NewCollection(geos.TypeIDMultiPolygon, polys)
}

// tileParts converts polygonal output with exteriors of positive shoelace
// area and holes negative, dropping collinear points GEOS may leave.
func tileParts(g *geos.Geom) orb.MultiPolygon {
	var mp orb.MultiPolygon
	for _, p := range parts(g) {
		ext := dedupe(ring(p.ExteriorRing(), true))
		if len(ext) < 4 || SignedArea(ext) == 0 {
			continue
		}
		poly := orb.Polygon{ext}
		for k := 0; k < p.NumInteriorRings(); k++ {
			if h := dedupe(ring(p.InteriorRing(k), false)); len(h) >= 4 && SignedArea(h) != 0 {
				poly = append(poly, h)
			}
		}
		mp = append(mp, poly)
	}
	return mp
}

// PointOnSurface is a point inside mp (GEOS PointOnSurface): where an area
// is drawn when it has shrunk below one grid cell. ok is false for an empty
// or unusable outline.
func PointOnSurface(mp orb.MultiPolygon) (p orb.Point, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	c := &TileClipper{ctx: geos.NewContext()}
	g := c.geom(mp)
	if g.IsEmpty() {
		return orb.Point{}, false
	}
	if !g.IsValid() {
		g = polygonal(c.ctx, g.MakeValid())
	}
	s := g.PointOnSurface()
	if s.IsEmpty() {
		return orb.Point{}, false
	}
	return orb.Point{s.X(), s.Y()}, true
}

// dedupe drops repeated consecutive points, which GEOS accepts in a valid
// ring and rounding leaves behind, but which make a zero-length segment.
func dedupe(r orb.Ring) orb.Ring {
	out := r[:0]
	for _, p := range r {
		if n := len(out); n > 0 && out[n-1] == p {
			continue
		}
		out = append(out, p)
	}
	return out
}

// roundClipped rounds a clipped outline whose vertices are on the grid
// except those the clipper added on the box's edges, and accepts the result
// only when it can prove it valid cheaply: rounding moved those added
// vertices by at most half a unit along the edge, so only the segments
// ending on the box's edges (where the clipper may also leave rings that
// touch) can be invalid, and each of them is checked against every other
// segment. Anything doubtful (a touch, a
// collapse, a flipped ring) is left to the snap-rounding path.
func roundClipped(g *geos.Geom, box orb.Bound) (orb.MultiPolygon, bool) {
	type seg struct {
		a, b      orb.Point
		ring, pos int
		last      bool // the ring's closing segment, next to its first
	}
	var (
		out   orb.MultiPolygon
		segs  []seg
		moved []int // indexes into segs
		rings int
	)
	addRing := func(raw orb.Ring, exterior bool) (orb.Ring, bool) {
		r := make(orb.Ring, 0, len(raw))
		mv := make([]bool, 0, len(raw))
		for _, p := range raw {
			q := orb.Point{math.Round(p[0]), math.Round(p[1])}
			if n := len(r); n > 0 && r[n-1] == q {
				mv[n-1] = true
				continue
			}
			r = append(r, q)
			mv = append(mv, q != p || p[0] == box.Min[0] || p[0] == box.Max[0] || p[1] == box.Min[1] || p[1] == box.Max[1])
		}
		if len(r) < 4 || r[0] != r[len(r)-1] {
			return nil, false
		}
		// The clipper turns a hole that touched its shell and is cut by
		// the box into part of the shell, which then touches itself.
		seen := make(map[orb.Point]struct{}, len(r))
		for _, q := range r[1:] {
			if _, dup := seen[q]; dup {
				return nil, false
			}
			seen[q] = struct{}{}
		}
		before, after := SignedArea(raw), SignedArea(r)
		if after == 0 || (before > 0) != (after > 0) {
			return nil, false
		}
		if (after > 0) != exterior {
			slices.Reverse(r)
			slices.Reverse(mv)
		}
		mv[0] = mv[0] || mv[len(mv)-1]
		rings++
		for i := 0; i+1 < len(r); i++ {
			if mv[i] || mv[i+1] {
				moved = append(moved, len(segs))
			}
			segs = append(segs, seg{r[i], r[i+1], rings, i, i+2 == len(r)})
		}
		return r, true
	}
	for _, p := range parts(g) {
		ext, ok := addRing(coords(p.ExteriorRing()), true)
		if !ok {
			return nil, false
		}
		poly := orb.Polygon{ext}
		for k := 0; k < p.NumInteriorRings(); k++ {
			h, ok := addRing(coords(p.InteriorRing(k)), false)
			if !ok {
				return nil, false
			}
			poly = append(poly, h)
		}
		out = append(out, poly)
	}
	if len(out) == 0 {
		return nil, false
	}
	for _, i := range moved {
		s := segs[i]
		for j, t := range segs {
			if j == i {
				continue
			}
			// Consecutive segments of a ring share one end and nothing
			// else; turning back along the same line is a fold.
			if s.ring == t.ring && (t.pos == s.pos+1 || s.pos == t.pos+1 || (s.pos == 0 && t.last) || (t.pos == 0 && s.last)) {
				if orient(s.a, s.b, t.a) != 0 || orient(s.a, s.b, t.b) != 0 ||
					(s.b[0]-s.a[0])*(t.b[0]-t.a[0])+(s.b[1]-s.a[1])*(t.b[1]-t.a[1]) > 0 {
					continue // a turn, or straight on
				}
				return nil, false
			}
			if segmentsIntersect(s.a, s.b, t.a, t.b) {
				return nil, false
			}
		}
	}
	return out, true
}

func coords(g *geos.Geom) orb.Ring {
	cs := g.CoordSeq().ToCoords()
	r := make(orb.Ring, len(cs))
	for i, xy := range cs {
		r[i] = orb.Point{xy[0], xy[1]}
	}
	return r
}
