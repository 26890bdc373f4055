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
			a := signedArea(q)
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
			cs := make([][]float64, len(r))
			for j, pt := range r {
				cs[j] = []float64{pt[0], pt[1]}
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
		if len(ext) < 4 || signedArea(ext) == 0 {
			continue
		}
		poly := orb.Polygon{ext}
		for k := 0; k < p.NumInteriorRings(); k++ {
			if h := dedupe(ring(p.InteriorRing(k), false)); len(h) >= 4 && signedArea(h) != 0 {
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
