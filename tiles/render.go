package tiles

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"labmap/data"
	"labmap/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// Extent is the MVT coordinate range of a tile; Buffer is how far outside
// it geometry is kept, so that polygon edges and outlines join seamlessly.
const (
	Extent = 4096
	Buffer = 64
	// tolerance of the Douglas-Peucker simplification in tile units: a
	// quarter of a pixel on a 512-pixel tile, invisible yet enough to keep
	// low-zoom tiles small.
	tolerance = 2.0
)

// Request is one tile: its layers, position and the figures it shows.
type Request struct {
	Layers     []Layer
	Z, X, Y    int
	Round      data.Round
	Zone       string
	Res        int      // H3 resolution of the hexagon layer; 0 follows the zoom
	Properties []string // indicator keys to include; nil means all
}

// Validate checks the tile position and parameters.
func (r Request) Validate() error {
	if r.Z < MinZoom || r.Z > 22 {
		return fmt.Errorf("z %d is outside 0..22", r.Z)
	}
	n := 1 << r.Z
	if r.X < 0 || r.X >= n || r.Y < 0 || r.Y >= n {
		return fmt.Errorf("x %d, y %d are outside 0..%d at zoom %d", r.X, r.Y, n-1, r.Z)
	}
	if r.Res != 0 && (r.Res < geo.MinRes || r.Res > geo.MaxRes) {
		return fmt.Errorf("res %d is not an H3 resolution from %d to %d", r.Res, geo.MinRes, geo.MaxRes)
	}
	for _, p := range r.Properties {
		if data.IndicatorIndex(p) < 0 {
			return fmt.Errorf("properties: %q is not an indicator", p)
		}
	}
	return nil
}

// Key identifies the tile's content for a dataset version: equal keys,
// equal bytes.
func (r Request) Key(version int64) string {
	var b strings.Builder
	for i, l := range r.Layers {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
	}
	fmt.Fprintf(&b, "/%d/%d/%d?v=%d&round=%s&zone=%s&res=%d&p=%s", r.Z, r.X, r.Y, version, r.Round, r.Zone, r.res(), strings.Join(r.Properties, ","))
	return b.String()
}

func (r Request) res() int {
	if r.Res != 0 {
		return r.Res
	}
	return ResForZoom(r.Z)
}

// Render builds the tile: for each layer, the areas whose outline meets the
// tile (plus buffer), clipped, simplified, quantised to the tile grid and
// encoded with their figures. Every requested layer is present, even when it
// has no features, so that no tile is zero bytes (GDAL cannot open those).
func Render(ctx context.Context, store data.Store, r Request) ([]byte, error) {
	return render(ctx, store, r, nil)
}

// render is Render with an optional cache of simplified outlines; the cache
// changes only the speed, never the bytes.
func render(ctx context.Context, store data.Store, r Request, outlines *outlineCache) ([]byte, error) {
	tile := maptile.New(uint32(r.X), uint32(r.Y), maptile.Zoom(r.Z))
	tb := tile.Bound()
	padX := (tb.Max[0] - tb.Min[0]) * Buffer / Extent
	padY := (tb.Max[1] - tb.Min[1]) * Buffer / Extent
	query := orb.Bound{Min: orb.Point{tb.Min[0] - padX, tb.Min[1] - padY}, Max: orb.Point{tb.Max[0] + padX, tb.Max[1] + padY}}
	proj := newProjection(r.Z, r.X, r.Y)
	clipBox := orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}

	var props []int
	if r.Properties == nil {
		props = make([]int, len(data.Indicators))
		for i := range props {
			props[i] = i
		}
	} else {
		for _, p := range r.Properties {
			props = append(props, data.IndicatorIndex(p))
		}
	}

	layers := make(mvt.Layers, 0, len(r.Layers))
	for _, l := range r.Layers {
		q := data.AreaQuery{StatsQuery: data.StatsQuery{Level: l.Level, Round: r.Round, Zone: r.Zone}, Bound: query}
		if l.Level == data.LevelHexagon {
			q.Res = r.res()
		}
		areas, err := store.Areas(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("tile %d/%d/%d layer %s: %w", r.Z, r.X, r.Y, l.Name, err)
		}
		layer := &mvt.Layer{Name: l.Name, Version: 2, Extent: Extent}
		for i := range areas {
			a := &areas[i]
			var world orb.MultiPolygon
			if l.Level == data.LevelHexagon || outlines == nil {
				// A hexagon has seven corners: caching it costs more than it saves.
				world = worldOutline(a.Geometry, r.Z)
			} else {
				world = outlines.get(l.Level, a.Code, r.Z, a.Geometry)
			}
			g := tileGeometry(world, proj, clipBox)
			if g == nil {
				continue
			}
			f := geojson.NewFeature(g)
			f.Properties = properties(a, l, q.Res, props)
			layer.Features = append(layer.Features, f)
		}
		layers = append(layers, layer)
	}
	return mvt.Marshal(layers)
}

// properties are the feature attributes: identity always, figures only for
// areas that are not suppressed, and no attribute for a withheld figure (MVT
// has no null).
func properties(a *data.Area, l Layer, res int, props []int) geojson.Properties {
	p := geojson.Properties{"code": a.Code, "name": a.Name, "suppressed": a.Suppressed}
	switch l.Level {
	case data.LevelVillage:
		p["district_code"] = a.Parent
	case data.LevelZone:
		p["kind"] = a.Parent
	case data.LevelHexagon:
		p["res"] = res
	}
	if a.Suppressed {
		return p
	}
	// Counts go in as int64 so that orb encodes them as MVT integers: GDAL
	// and QGIS then type them Integer, and a float64 would read as Real.
	// Counts are sums of integers, carried in Value.Number as exact floats.
	p["households"] = int64(a.Households)
	for _, i := range props {
		v := a.Values[i]
		switch {
		case !v.Valid:
		case data.Indicators[i].Kind == data.KindCategory:
			p[data.Indicators[i].Key] = v.Text
		case data.Indicators[i].Kind == data.KindCount:
			p[data.Indicators[i].Key] = int64(math.Round(v.Number))
		default:
			p[data.Indicators[i].Key] = v.Number
		}
	}
	return p
}

// projection places world coordinates of one zoom (Web Mercator scaled so
// the world spans 2^z * Extent, y pointing down) on one tile's grid.
type projection struct {
	x0, y0 float64
}

func newProjection(z, x, y int) projection {
	return projection{x0: float64(x) * Extent, y0: float64(y) * Extent}
}

// worldOutline projects an outline to world coordinates at zoom z and
// simplifies it there (Douglas-Peucker, a quarter pixel). Doing this per
// zoom rather than per tile lets every tile of the zoom share the work, and
// it gives the same lines on both sides of a tile edge.
func worldOutline(mp orb.MultiPolygon, z int) orb.MultiPolygon {
	scale := float64(uint64(1)<<z) * Extent
	out := make(orb.MultiPolygon, 0, len(mp))
	for _, poly := range mp {
		pp := make(orb.Polygon, 0, len(poly))
		for _, ring := range poly {
			r := make(orb.Ring, len(ring))
			for i, pt := range ring {
				lat := pt[1] * math.Pi / 180
				r[i] = orb.Point{
					(pt[0] + 180) / 360 * scale,
					(1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * scale,
				}
			}
			pp = append(pp, simplify.DouglasPeucker(tolerance).Ring(r))
		}
		out = append(out, pp)
	}
	return out
}

// tileGeometry places a world outline on the tile, clips and quantises it.
// It returns nil when nothing of it is in the tile. A part that lies in the
// tile but would shrink below a grid cell is kept as a small square, so that
// small villages do not vanish at low zoom.
func tileGeometry(world orb.MultiPolygon, proj projection, box orb.Bound) orb.Geometry {
	var out orb.MultiPolygon
	for _, poly := range world {
		b := poly.Bound()
		b.Min[0] -= proj.x0
		b.Max[0] -= proj.x0
		b.Min[1] -= proj.y0
		b.Max[1] -= proj.y0
		if !box.Intersects(b) {
			continue
		}
		pp := make(orb.Polygon, 0, len(poly))
		for _, ring := range poly {
			r := make(orb.Ring, len(ring))
			for i, pt := range ring {
				r[i] = orb.Point{pt[0] - proj.x0, pt[1] - proj.y0}
			}
			pp = append(pp, r)
		}
		pp = clip.Polygon(box, pp)
		if len(pp) == 0 || len(pp[0]) < 4 {
			continue
		}
		if q := quantisePolygon(pp); q != nil {
			out = append(out, q)
		} else if dot := dotFor(pp[0]); dot != nil {
			out = append(out, orb.Polygon{dot})
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// quantisePolygon simplifies, rounds to the grid and cleans a projected
// polygon, and makes it valid for MVT 2.1: exterior ring clockwise on screen
// (positive area in tile coordinates), holes the other way, no ring that
// crosses itself. It returns nil when the exterior collapses.
func quantisePolygon(p orb.Polygon) orb.Polygon {
	outer := cleanRing(p[0], true)
	if outer == nil {
		return nil
	}
	out := orb.Polygon{outer}
	for _, h := range p[1:] {
		if hr := cleanRing(h, false); hr != nil {
			out = append(out, hr)
		}
	}
	if geo.ValidatePolygon(out) == nil {
		return out
	}
	// Rounding made a ring cross itself: simplify harder and try again.
	out = orb.Polygon{cleanRing(simplify.DouglasPeucker(4*tolerance).Ring(p[0].Clone()), true)}
	if out[0] != nil && geo.ValidatePolygon(out) == nil {
		return out
	}
	// Its convex hull is valid and looks the same at this size.
	return orb.Polygon{hull(cleanRing(p[0], true))}
}

// cleanRing rounds to integers, drops repeated and collinear points and
// sets the winding; nil when fewer than three corners remain.
func cleanRing(r orb.Ring, exterior bool) orb.Ring {
	out := make(orb.Ring, 0, len(r))
	for _, pt := range r {
		q := orb.Point{math.Round(pt[0]), math.Round(pt[1])}
		if n := len(out); n > 0 && out[n-1] == q {
			continue
		}
		out = append(out, q)
	}
	if len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	// Drop collinear points (spikes and straight runs) until none remain.
	for changed := true; changed && len(out) >= 3; {
		changed = false
		for i := 0; i < len(out) && len(out) >= 3; i++ {
			a, b, c := out[(i+len(out)-1)%len(out)], out[i], out[(i+1)%len(out)]
			if (b[0]-a[0])*(c[1]-a[1])-(b[1]-a[1])*(c[0]-a[0]) == 0 {
				out = slices.Delete(out, i, i+1)
				changed = true
				i--
			}
		}
	}
	if len(out) < 3 {
		return nil
	}
	out = append(out, out[0])
	// In tile coordinates y points down, so a ring that is clockwise on
	// screen has a positive shoelace area, which orb calls CCW.
	if (out.Orientation() == orb.CCW) != exterior {
		out.Reverse()
	}
	return out
}

// dotFor is a 2x2 square at the centre of a ring that collapsed, when that
// centre is inside the tile.
func dotFor(r orb.Ring) orb.Ring {
	b := r.Bound()
	c := orb.Point{math.Round((b.Min[0] + b.Max[0]) / 2), math.Round((b.Min[1] + b.Max[1]) / 2)}
	if c[0] < 0 || c[0] > Extent || c[1] < 0 || c[1] > Extent {
		return nil
	}
	return orb.Ring{{c[0] - 1, c[1] - 1}, {c[0] + 1, c[1] - 1}, {c[0] + 1, c[1] + 1}, {c[0] - 1, c[1] + 1}, {c[0] - 1, c[1] - 1}}
}

// hull is the convex hull of a closed ring (Andrew's monotone chain), as a
// closed ring with positive area in tile coordinates.
func hull(r orb.Ring) orb.Ring {
	if len(r) < 4 {
		return r
	}
	pts := slices.Clone(r[:len(r)-1])
	slices.SortFunc(pts, func(a, b orb.Point) int {
		if a[0] != b[0] {
			return cmpFloat(a[0], b[0])
		}
		return cmpFloat(a[1], b[1])
	})
	cross := func(o, a, b orb.Point) float64 { return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0]) }
	var h []orb.Point
	for pass := 0; pass < 2; pass++ {
		start := len(h)
		for _, p := range pts {
			for len(h) >= start+2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
				h = h[:len(h)-1]
			}
			h = append(h, p)
		}
		h = h[:len(h)-1]
		slices.Reverse(pts)
	}
	out := orb.Ring(append(h, h[0]))
	if out.Orientation() != orb.CCW {
		out.Reverse()
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ParseProperties reads a properties parameter; empty means all indicators.
func ParseProperties(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// FormatZXY formats a tile position for messages.
func FormatZXY(z, x, y int) string {
	return strconv.Itoa(z) + "/" + strconv.Itoa(x) + "/" + strconv.Itoa(y)
}
