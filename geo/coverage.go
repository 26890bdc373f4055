package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"
)

// Coverage cleaning turns a boundary file as people have it (real village
// files overlap their neighbours by metres here and there, leave slivers
// between them and now and then hold an invalid MultiPolygon) into a
// partition: every point in at most one area. It runs on GEOS (OverlayNG with
// a fixed precision grid, so that results are valid and robust).
//
// The rules, in order; "order" always means the areas' keys (village codes)
// in ascending order, so the result never depends on the file's order:
//
//  1. Repair. An area that GEOS finds invalid (IsValidReason: self-
//     intersection, nested shells, a hole outside its shell...) is made valid
//     with MakeValid's "structure" method, as PostGIS's
//     ST_MakeValid(g, 'method=structure'): every ring is made valid, shells
//     are unioned (nested shells of a MultiPolygon become their union, not a
//     ring with a hole) and holes are subtracted; parts that collapse to
//     lines or points are dropped. Each repair is reported with the reason.
//  2. Snap. Coordinates are rounded to a grid of GridSize degrees (1e-7,
//     about 1 cm) with GEOS SetPrecision, and every later operation works on
//     that grid, so results are valid for GEOS (PostGIS ST_IsValid) and for
//     ValidatePolygon. An area that nothing else changes keeps the file's
//     coordinates exactly.
//  3. Overlaps. Every pair of areas whose interiors overlap is reported with
//     the area of the overlap. Overlaps are cut out of both areas and each
//     connected piece goes to the area, among those that claimed it, whose
//     remaining polygon shares the longest boundary with the piece (the
//     piece is "more part of" that area); ties go to the lower key. A piece
//     claimed by three areas is decided by the first pair in order.
//  4. Gaps. A hole of the union of all areas that is not the hole of one
//     area (a lake or an enclave inside one village is left alone) is a gap.
//     A gap of at most MaxGapArea square metres (default 1 ha) is a sliver
//     between neighbours and goes to the area that shares the longest
//     boundary with it (ties: lower key); a larger gap stays and is reported.
//
// Areas are measured in square metres on a local equirectangular projection
// at the piece's latitude (accurate to well under 1% at village scale).

// DefaultGridSize is the precision grid of cleaned coverages, in degrees:
// 1e-7° is about 1 cm, finer than any boundary survey.
const DefaultGridSize = 1e-7

// DefaultMaxGapArea is the largest gap, in square metres, that cleaning
// closes: 1 ha. Gaps between real neighbouring villages are slivers of a
// few hundred square metres; anything bigger may be a lake, a reservoir or
// land that belongs to no village, and is left for a person to judge.
const DefaultMaxGapArea = 10_000

// CoverageOptions tunes CleanCoverage; the zero value means the defaults.
type CoverageOptions struct {
	GridSize   float64 // degrees; default DefaultGridSize
	MaxGapArea float64 // square metres; default DefaultMaxGapArea
}

// Repair is one area that was invalid and was made valid.
type Repair struct {
	Key    string
	Reason string // GEOS IsValidReason, e.g. "Nested shells[109.5 -7.1]"
}

// Overlap is the overlap of two areas' interiors in the input.
type Overlap struct {
	A, B string  // keys, A < B
	Area float64 // square metres
	// KeptByA is the part of the overlap that went to A, in square metres;
	// the rest went to B (or, in a triple overlap, to a third area).
	KeptByA float64
}

// Gap is a hole between areas that no single area explains.
type Gap struct {
	Area float64   // square metres
	At   orb.Point // a point inside the gap
	To   string    // key of the area that got it; "" when it was left open
}

// CoverageReport tells what cleaning did. Overlaps are ordered by area,
// largest first; Repairs by key; Gaps by area, largest first.
type CoverageReport struct {
	Repairs  []Repair
	Overlaps []Overlap
	Gaps     []Gap
	// Changed lists the keys of areas whose geometry cleaning changed.
	Changed []string
}

// OverlapArea is the total area of the overlaps, in square metres.
func (r CoverageReport) OverlapArea() float64 {
	s := 0.0
	for _, o := range r.Overlaps {
		s += o.Area
	}
	return s
}

// ClosedGaps counts the gaps that went to a neighbour and their total area
// in square metres; the others were left open.
func (r CoverageReport) ClosedGaps() (n int, area float64) {
	for _, g := range r.Gaps {
		if g.To != "" {
			n++
			area += g.Area
		}
	}
	return n, area
}

// Clean reports whether cleaning found nothing to change.
func (r CoverageReport) Clean() bool {
	return len(r.Repairs) == 0 && len(r.Overlaps) == 0 && len(r.Gaps) == 0
}

// CoverageError is an area that cannot be cleaned: nothing polygonal is left
// after repair or after snapping to the grid.
type CoverageError struct {
	Key string
	Msg string
}

func (e *CoverageError) Error() string { return e.Key + ": " + e.Msg }

// CleanCoverage applies the rules above to areas, whose keys must be unique.
// It returns the cleaned geometries in the order of areas, with nil for an
// area that kept its geometry, and the report. The error is a *CoverageError
// for an area that cannot be cleaned, or a GEOS failure.
func CleanCoverage(keys []string, areas []orb.MultiPolygon, opt CoverageOptions) (cleaned []orb.MultiPolygon, rep CoverageReport, err error) {
	if len(keys) != len(areas) {
		return nil, rep, fmt.Errorf("clean coverage: %d keys for %d areas", len(keys), len(areas))
	}
	if opt.GridSize <= 0 {
		opt.GridSize = DefaultGridSize
	}
	if opt.MaxGapArea <= 0 {
		opt.MaxGapArea = DefaultMaxGapArea
	}
	defer func() {
		// go-geos panics on GEOS exceptions; a file must never crash the server.
		if v := recover(); v != nil {
			cleaned, err = nil, fmt.Errorf("clean coverage: GEOS: %v", v)
		}
	}()
	c := &cleaner{ctx: geos.NewContext(), grid: opt.GridSize, maxGap: opt.MaxGapArea, keys: keys}
	return c.run(areas)
}

type cleaner struct {
	ctx    *geos.Context
	grid   float64
	maxGap float64
	keys   []string
	areas  []orb.MultiPolygon // as the file gave them
	order  []int              // indexes sorted by key
	rank   []int              // position of each index in order

	geoms   []*geos.Geom // snapped, valid
	bounds  []orb.Bound
	changed []bool
}

func (c *cleaner) run(areas []orb.MultiPolygon) ([]orb.MultiPolygon, CoverageReport, error) {
	var rep CoverageReport
	n := len(areas)
	c.areas = areas
	c.order = make([]int, n)
	for i := range c.order {
		c.order[i] = i
	}
	slices.SortFunc(c.order, func(a, b int) int { return cmp.Compare(c.keys[a], c.keys[b]) })
	c.rank = make([]int, n)
	for r, i := range c.order {
		c.rank[i] = r
	}
	c.geoms = make([]*geos.Geom, n)
	c.bounds = make([]orb.Bound, n)
	c.changed = make([]bool, n)

	// 1 and 2: repair, snap.
	for _, i := range c.order {
		g := c.toGEOS(areas[i])
		if !g.IsValid() {
			rep.Repairs = append(rep.Repairs, Repair{Key: c.keys[i], Reason: g.IsValidReason()})
			g = polygonal(c.ctx, g.MakeValidWithParams(geos.MakeValidStructure, geos.MakeValidDiscardCollapsed))
			c.changed[i] = true
			if g.IsEmpty() {
				return nil, rep, &CoverageError{Key: c.keys[i], Msg: "the polygon has no area left once made valid; check its rings"}
			}
		}
		s := polygonal(c.ctx, g.SetPrecision(c.grid, geos.PrecisionRuleValidOutput))
		if s.IsEmpty() {
			return nil, rep, &CoverageError{Key: c.keys[i], Msg: fmt.Sprintf("the polygon is smaller than the %g° precision grid", c.grid)}
		}
		c.geoms[i] = s
		c.bounds[i] = boundOf(s)
	}

	// 3: overlaps, decided piece by piece.
	// A point claimed by several areas belongs to the owner of the first
	// piece that holds it.
	type owned struct {
		g     *geos.Geom
		mp    orb.MultiPolygon
		b     orb.Bound
		owner int
	}
	var taken []owned
	for _, p := range c.candidatePairs() {
		a, b := p[0], p[1]
		if !c.geoms[a].Intersects(c.geoms[b]) {
			continue
		}
		inter := polygonal(c.ctx, c.geoms[a].IntersectionPrec(c.geoms[b], c.grid))
		if inter.IsEmpty() || inter.Area() == 0 {
			continue
		}
		piece := inter
		ib := boundOf(inter)
		var earlier []*geos.Geom
		for _, t := range taken {
			if t.b.Intersects(ib) && t.g.Intersects(inter) {
				earlier = append(earlier, t.g)
			}
		}
		if len(earlier) > 0 {
			piece = polygonal(c.ctx, piece.DifferencePrec(c.union(earlier), c.grid))
		}
		keptByA := 0.0
		for _, part := range parts(piece) {
			// The part's edges on b's boundary are those it shares with
			// what a keeps, and the other way round.
			on := c.sharedBoundary(part, p[:])
			to := a
			if on[0] > on[1] {
				to = b
			}
			if to == a {
				keptByA += areaM2(part)
			}
			taken = append(taken, owned{part, toOrb(part), boundOf(part), to})
		}
		rep.Overlaps = append(rep.Overlaps, Overlap{A: c.keys[a], B: c.keys[b], Area: areaM2(inter), KeptByA: keptByA})
	}
	slices.SortStableFunc(rep.Overlaps, func(x, y Overlap) int { return cmp.Compare(y.Area, x.Area) })

	// 4: faces. All boundaries are noded together on the grid and
	// polygonized: every face then lies in no area (a gap or an area's own
	// hole), in one, or in several (an overlap). Rebuilding each area from
	// its faces makes neighbours share their edges vertex for vertex, so
	// there is no overlap or sliver left even at the scale of the grid.
	lines := make([]*geos.Geom, n)
	snapped := make([]orb.MultiPolygon, n)
	for i, g := range c.geoms {
		lines[i] = g.Boundary()
		snapped[i] = toOrb(g)
	}
	noded := c.ctx.NewCollection(geos.TypeIDGeometryCollection, lines).UnaryUnionPrec(c.grid)
	faces := parts(c.ctx.Polygonize([]*geos.Geom{noded}))
	idx := NewPolygonIndex(snapped)
	shells := c.shellsWithHoles(snapped)
	owner := make([]int, len(faces))
	lostArea := make([]bool, n)
	for f, face := range faces {
		at := pointOf(face.PointOnSurface())
		var holders []int
		idx.FindAll(at, func(i int) {
			if multiPolygonCovers(snapped[i], at) {
				holders = append(holders, i)
			}
		})
		slices.SortFunc(holders, func(a, b int) int { return cmp.Compare(c.rank[a], c.rank[b]) })
		owner[f] = -1
		switch len(holders) {
		case 0:
			if shells.covers(at) {
				continue // an area's own hole: a lake, or around an enclave
			}
			gap := Gap{Area: areaM2(face), At: at}
			if gap.Area <= c.maxGap {
				fb := boundOf(face).Pad(2 * c.grid)
				best, bestLen := -1, 0.0
				var cands []int
				for _, i := range c.order {
					if c.bounds[i].Intersects(fb) {
						cands = append(cands, i)
					}
				}
				for k, l := range c.sharedBoundary(face, cands) {
					if l > bestLen {
						best, bestLen = cands[k], l
					}
				}
				if best >= 0 {
					owner[f] = best
					c.changed[best] = true
					gap.To = c.keys[best]
				}
			}
			rep.Gaps = append(rep.Gaps, gap)
		case 1:
			owner[f] = holders[0]
		default:
			owner[f] = holders[0]
			for _, t := range taken {
				if t.b.Contains(at) && slices.Contains(holders, t.owner) && multiPolygonCovers(t.mp, at) {
					owner[f] = t.owner
					break
				}
			}
			for _, h := range holders {
				if h != owner[f] {
					lostArea[h] = true
				}
			}
		}
	}
	slices.SortStableFunc(rep.Gaps, func(x, y Gap) int { return cmp.Compare(y.Area, x.Area) })

	touched := len(rep.Repairs) > 0 || len(rep.Overlaps) > 0
	for _, g := range rep.Gaps {
		touched = touched || g.To != ""
	}
	out := make([]orb.MultiPolygon, n)
	if !touched {
		return out, rep, nil
	}
	byArea := make([][]*geos.Geom, n)
	for f, o := range owner {
		if o >= 0 {
			byArea[o] = append(byArea[o], faces[f])
		}
	}
	for _, i := range c.order {
		if len(byArea[i]) == 0 {
			return nil, rep, &CoverageError{Key: c.keys[i], Msg: "the polygon lies entirely inside other villages; check for a duplicate"}
		}
		out[i] = toOrb(c.coverageUnion(byArea[i]))
		if c.changed[i] || lostArea[i] {
			rep.Changed = append(rep.Changed, c.keys[i])
		}
	}
	return out, rep, nil
}

// coverageUnion joins faces that share their edges exactly, in linear
// time; snap-rounding union is the fallback should GEOS find them
// incorrectly noded.
func (c *cleaner) coverageUnion(faces []*geos.Geom) (u *geos.Geom) {
	if len(faces) == 1 {
		return faces[0]
	}
	defer func() {
		if recover() != nil {
			u = polygonal(c.ctx, c.ctx.NewCollection(geos.TypeIDGeometryCollection, cloneAll(faces)).UnaryUnionPrec(c.grid))
		}
	}()
	return polygonal(c.ctx, c.ctx.NewCollection(geos.TypeIDMultiPolygon, cloneAll(faces)).CoverageUnion())
}

// shellSet holds the outer rings of the areas that have holes: a face
// inside one of them that no area covers is that area's own hole.
type shellSet struct {
	rings  []orb.Ring
	bounds []orb.Bound
}

func (c *cleaner) shellsWithHoles(areas []orb.MultiPolygon) shellSet {
	var s shellSet
	for _, mp := range areas {
		for _, p := range mp {
			if len(p) > 1 {
				s.rings = append(s.rings, p[0])
				s.bounds = append(s.bounds, p[0].Bound())
			}
		}
	}
	return s
}

func (s shellSet) covers(p orb.Point) bool {
	for i, r := range s.rings {
		if s.bounds[i].Contains(p) && ringLocate(r, p) >= 0 {
			return true
		}
	}
	return false
}

// candidatePairs returns the pairs of areas whose bounding boxes intersect,
// each as (lower key, higher key), in key order: a sweep over x keeps this
// near-linear for a province of 8,500 villages.
func (c *cleaner) candidatePairs() [][2]int {
	byX := slices.Clone(c.order)
	slices.SortStableFunc(byX, func(a, b int) int { return cmp.Compare(c.bounds[a].Min[0], c.bounds[b].Min[0]) })
	var pairs [][2]int
	for x, i := range byX {
		for _, j := range byX[x+1:] {
			if c.bounds[j].Min[0] > c.bounds[i].Max[0] {
				break
			}
			if !c.bounds[i].Intersects(c.bounds[j]) {
				continue
			}
			if c.rank[i] < c.rank[j] {
				pairs = append(pairs, [2]int{i, j})
			} else {
				pairs = append(pairs, [2]int{j, i})
			}
		}
	}
	slices.SortFunc(pairs, func(p, q [2]int) int {
		return cmp.Or(cmp.Compare(c.rank[p[0]], c.rank[q[0]]), cmp.Compare(c.rank[p[1]], c.rank[q[1]]))
	})
	return pairs
}

// sharedBoundary measures, for each candidate, how much of piece's boundary
// (in metres) lies on the candidate's boundary in the file. The piece comes
// out of overlay operations on the grid, so an edge counts as shared when
// its midpoint lies within two grid cells of one of the candidate's edges.
// It works on the file's coordinates in Go: a piece has few edges, and
// GEOS calls for each would cost more than the arithmetic.
func (c *cleaner) sharedBoundary(piece *geos.Geom, cands []int) []float64 {
	out := make([]float64, len(cands))
	d := 2 * c.grid
	for _, p := range parts(piece) {
		rings := []*geos.Geom{p.ExteriorRing()}
		for k := 0; k < p.NumInteriorRings(); k++ {
			rings = append(rings, p.InteriorRing(k))
		}
		for _, r := range rings {
			cs := r.CoordSeq().ToCoords()
			for e := 1; e < len(cs); e++ {
				a, b := orb.Point{cs[e-1][0], cs[e-1][1]}, orb.Point{cs[e][0], cs[e][1]}
				m := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
				for k, i := range cands {
					if c.bounds[i].Pad(d).Contains(m) && nearBoundary(c.areas[i], m, d) {
						out[k] += distanceM(a, b)
					}
				}
			}
		}
	}
	return out
}

// nearBoundary reports whether p lies within d degrees of an edge of mp.
func nearBoundary(mp orb.MultiPolygon, p orb.Point, d float64) bool {
	for _, poly := range mp {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if p[0] < min(a[0], b[0])-d || p[0] > max(a[0], b[0])+d || p[1] < min(a[1], b[1])-d || p[1] > max(a[1], b[1])+d {
					continue
				}
				if segmentDistance(a[0]-p[0], a[1]-p[1], b[0]-p[0], b[1]-p[1]) <= d {
					return true
				}
			}
		}
	}
	return false
}

// union joins small pieces that are already on the grid: a floating union
// is exact enough for them (the overlay that uses the result snaps to the
// grid again) and several times faster than snap-rounding.
func (c *cleaner) union(gs []*geos.Geom) *geos.Geom {
	if len(gs) == 1 {
		return gs[0]
	}
	return polygonal(c.ctx, c.ctx.NewCollection(geos.TypeIDGeometryCollection, cloneAll(gs)).UnaryUnion())
}

// cloneAll copies geometries for a collection, which takes ownership of its
// members.
func cloneAll(gs []*geos.Geom) []*geos.Geom {
	out := make([]*geos.Geom, len(gs))
	for i, g := range gs {
		out[i] = g.Clone()
	}
	return out
}

// Dissolve returns the union of areas as one valid polygon or multipolygon
// (shared boundaries gone, not a collection of the parts), on the grid of
// DefaultGridSize: the outline of a kecamatan, a zone or a whole regency.
func Dissolve(areas []orb.MultiPolygon) (mp orb.MultiPolygon, err error) {
	defer func() {
		if v := recover(); v != nil {
			mp, err = nil, fmt.Errorf("dissolve: GEOS: %v", v)
		}
	}()
	c := &cleaner{ctx: geos.NewContext(), grid: DefaultGridSize}
	gs := make([]*geos.Geom, 0, len(areas))
	for _, a := range areas {
		if len(a) > 0 {
			gs = append(gs, c.toGEOS(a))
		}
	}
	if len(gs) == 0 {
		return nil, nil
	}
	// Areas cleaned together share their edges exactly, so the linear
	// coverage union usually applies; anything else takes the full union.
	return toOrb(c.coverageUnion(gs)), nil
}

func (c *cleaner) toGEOS(mp orb.MultiPolygon) *geos.Geom {
	polys := make([]*geos.Geom, len(mp))
	for i, p := range mp {
		rings := make([][][]float64, len(p))
		for k, r := range p {
			rings[k] = make([][]float64, len(r))
			for j, pt := range r {
				rings[k][j] = []float64{pt[0], pt[1]}
			}
		}
		polys[i] = c.ctx.NewPolygon(rings)
	}
	return c.ctx.NewCollection(geos.TypeIDMultiPolygon, polys)
}

// polygonal keeps the polygons of g (MakeValid and overlays may return
// lines and points beside them) as a Polygon or MultiPolygon.
func polygonal(ctx *geos.Context, g *geos.Geom) *geos.Geom {
	switch g.TypeID() {
	case geos.TypeIDPolygon, geos.TypeIDMultiPolygon:
		return g
	}
	ps := parts(g)
	if len(ps) == 1 {
		return ps[0].Clone()
	}
	return ctx.NewCollection(geos.TypeIDMultiPolygon, cloneAll(ps))
}

// parts returns the non-empty polygons in g, however nested.
func parts(g *geos.Geom) []*geos.Geom {
	switch g.TypeID() {
	case geos.TypeIDPolygon:
		if g.IsEmpty() {
			return nil
		}
		return []*geos.Geom{g}
	case geos.TypeIDMultiPolygon, geos.TypeIDGeometryCollection:
		var out []*geos.Geom
		for k := 0; k < g.NumGeometries(); k++ {
			out = append(out, parts(g.Geometry(k))...)
		}
		return out
	}
	return nil
}

// toOrb converts a polygonal GEOS geometry to a multipolygon with outer
// rings counter-clockwise and holes clockwise (the GeoJSON right-hand rule).
func toOrb(g *geos.Geom) orb.MultiPolygon {
	var mp orb.MultiPolygon
	for _, p := range parts(g) {
		poly := orb.Polygon{ring(p.ExteriorRing(), true)}
		for k := 0; k < p.NumInteriorRings(); k++ {
			poly = append(poly, ring(p.InteriorRing(k), false))
		}
		mp = append(mp, poly)
	}
	return mp
}

func ring(g *geos.Geom, ccw bool) orb.Ring {
	cs := g.CoordSeq().ToCoords()
	r := make(orb.Ring, len(cs))
	for i, xy := range cs {
		r[i] = orb.Point{xy[0], xy[1]}
	}
	if (SignedArea(r) > 0) != ccw {
		slices.Reverse(r)
	}
	return r
}

// SignedArea is the ring's signed area (shoelace), positive when it runs
// counter-clockwise with y up; a closing position is not needed. It sums
// relative to the first position, so that coordinates far from 0 (degrees,
// world pixels at z14) keep their precision.
func SignedArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	o := r[0]
	sum := 0.0
	for i := 1; i+1 < len(r); i++ {
		sum += (r[i][0]-o[0])*(r[i+1][1]-o[1]) - (r[i+1][0]-o[0])*(r[i][1]-o[1])
	}
	return sum / 2
}

func boundOf(g *geos.Geom) orb.Bound {
	b := g.Bounds()
	return orb.Bound{Min: orb.Point{b.MinX, b.MinY}, Max: orb.Point{b.MaxX, b.MaxY}}
}

func pointOf(g *geos.Geom) orb.Point { return orb.Point{g.X(), g.Y()} }

// Metres per degree of latitude, and of longitude at the equator (WGS84,
// mean values): good to a fraction of a percent for areas and lengths that
// only need to be compared and reported.
const (
	metresPerDegLat = 110_574
	metresPerDegLon = 111_320
)

// areaM2 is g's area in square metres on the equirectangular projection at
// the latitude of its bounding box's centre.
func areaM2(g *geos.Geom) float64 {
	if g.IsEmpty() {
		return 0
	}
	b := boundOf(g)
	lat := (b.Min[1] + b.Max[1]) / 2
	return g.Area() * metresPerDegLat * metresPerDegLon * math.Cos(lat*math.Pi/180)
}

// lengthM is the length of g's linework in metres.
func lengthM(g *geos.Geom) float64 {
	switch g.TypeID() {
	case geos.TypeIDLineString, geos.TypeIDLinearRing:
		cs := g.CoordSeq().ToCoords()
		l := 0.0
		for i := 1; i < len(cs); i++ {
			l += distanceM(orb.Point{cs[i-1][0], cs[i-1][1]}, orb.Point{cs[i][0], cs[i][1]})
		}
		return l
	case geos.TypeIDMultiLineString, geos.TypeIDGeometryCollection:
		l := 0.0
		for k := 0; k < g.NumGeometries(); k++ {
			l += lengthM(g.Geometry(k))
		}
		return l
	}
	return 0
}

// distanceM is the distance between a and b in metres on the local
// equirectangular projection, fine for the short distances it measures.
func distanceM(a, b orb.Point) float64 {
	kx := metresPerDegLon * math.Cos((a[1]+b[1])/2*math.Pi/180)
	return math.Hypot((b[0]-a[0])*kx, (b[1]-a[1])*metresPerDegLat)
}

// DistanceOutside returns how far p lies outside mp, in metres: 0 when mp
// covers p, else the distance to its nearest edge (local equirectangular
// projection, good to a fraction of a percent at the kilometre scale it is
// used for).
func DistanceOutside(mp orb.MultiPolygon, p orb.Point) float64 {
	if mp.Bound().Contains(p) && multiPolygonCovers(mp, p) {
		return 0
	}
	kx := metresPerDegLon * math.Cos(p[1]*math.Pi/180)
	best := math.Inf(1)
	for _, poly := range mp {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				ax, ay := (r[i][0]-p[0])*kx, (r[i][1]-p[1])*metresPerDegLat
				bx, by := (r[i+1][0]-p[0])*kx, (r[i+1][1]-p[1])*metresPerDegLat
				best = min(best, segmentDistance(ax, ay, bx, by))
			}
		}
	}
	return best
}

// segmentDistance is the distance from the origin to the segment a-b.
func segmentDistance(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = min(max(-(ax*dx+ay*dy)/l2, 0), 1)
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func multiPolygonCovers(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		if polygonLocate(poly, p) >= 0 {
			return true
		}
	}
	return false
}
