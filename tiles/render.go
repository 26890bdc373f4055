package tiles

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"labmap/data"
	"labmap/geo"

	"github.com/paulmach/orb"
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
	// Unsuppressed renders every figure as it is (the analyst role). Such
	// a tile never enters the cache, so no key mix-up can hand it to the
	// public.
	Unsuppressed bool
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
	// Built by appending rather than fmt, into one allocation: a warm tile
	// is little more than this key and a map lookup, so its cost shows in
	// every cached answer.
	var sb strings.Builder
	sb.Grow(96 + len(r.Zone) + 24*len(r.Properties))
	var num [20]byte
	writeInt := func(n int64) { sb.Write(strconv.AppendInt(num[:0], n, 10)) }
	for i, l := range r.Layers {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(l.Name)
	}
	sb.WriteByte('/')
	writeInt(int64(r.Z))
	sb.WriteByte('/')
	writeInt(int64(r.X))
	sb.WriteByte('/')
	writeInt(int64(r.Y))
	sb.WriteString("?v=")
	writeInt(version)
	sb.WriteString("&round=")
	sb.WriteString(string(r.Round))
	sb.WriteString("&zone=")
	sb.WriteString(r.Zone)
	sb.WriteString("&res=")
	writeInt(int64(r.res()))
	sb.WriteString("&p=")
	for i, p := range r.Properties {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(p)
	}
	return sb.String()
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
// changes only the speed, never the bytes: without one, the outlines are
// built for this tile alone.
func render(ctx context.Context, store data.Store, r Request, outlines *outlineCache) ([]byte, error) {
	query := QueryBound(r.Z, r.X, r.Y)
	proj := newProjection(r.Z, r.X, r.Y)
	clipper := geo.NewTileClipper(orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}})
	if outlines == nil {
		outlines = &outlineCache{}
		outlines.reset(0)
	}

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

	var (
		topo  *topology
		world map[areaKey]orb.MultiPolygon
	)
	layers := make(mvt.Layers, 0, len(r.Layers))
	for _, l := range r.Layers {
		q := data.AreaQuery{StatsQuery: data.StatsQuery{Level: l.Level, Round: r.Round, Zone: r.Zone, Unsuppressed: r.Unsuppressed}, Bound: query}
		if l.Level == data.LevelHexagon {
			q.Res = r.res()
		}
		areas, err := store.Areas(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("tile %d/%d/%d layer %s: %w", r.Z, r.X, r.Y, l.Name, err)
		}
		if l.Level != data.LevelHexagon && world == nil && len(areas) > 0 {
			if topo, world, err = outlines.world(ctx, store, r.Round, r.Z); err != nil {
				return nil, fmt.Errorf("tile %d/%d/%d layer %s: %w", r.Z, r.X, r.Y, l.Name, err)
			}
		}
		layer := &mvt.Layer{Name: l.Name, Version: 2, Extent: Extent}
		for i := range areas {
			a := &areas[i]
			key := areaKey{l.Level, a.Code}
			w, shared := world[key]
			if !shared {
				// Hexagons (seven corners, nothing to share), and an area
				// the topology does not hold, are simplified alone.
				w = worldOutline(a.Geometry, r.Z)
			}
			g, err := clipper.ClipGrid(proj.place(w))
			if err != nil {
				return nil, fmt.Errorf("tile %d/%d/%d layer %s area %s: %w", r.Z, r.X, r.Y, l.Name, a.Code, err)
			}
			if g == nil && len(w) == 0 {
				// The whole area is smaller than the simplification
				// tolerance at this zoom: a grid square where it lies.
				if p, ok := collapsedAt(topo, key, shared, a.Geometry, r.Z); ok {
					g = clipper.Square(orb.Point{p[0] - proj.x0, p[1] - proj.y0})
				}
			}
			if len(g) == 0 {
				continue
			}
			f := geojson.NewFeature(orb.Geometry(g))
			if len(g) == 1 {
				f = geojson.NewFeature(g[0])
			}
			f.Properties = properties(a, l, q.Res, props)
			layer.Features = append(layer.Features, f)
		}
		layers = append(layers, layer)
	}
	return mvt.Marshal(layers)
}

// QueryBound is the lon/lat bound a tile's areas are read for: the tile
// and its buffer. A tile's bytes depend on the areas that meet it and on
// nothing else (but the outlines their shared arcs come from).
func QueryBound(z, x, y int) orb.Bound {
	tb := maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound()
	padX := (tb.Max[0] - tb.Min[0]) * Buffer / Extent
	padY := (tb.Max[1] - tb.Min[1]) * Buffer / Extent
	return orb.Bound{Min: orb.Point{tb.Min[0] - padX, tb.Min[1] - padY}, Max: orb.Point{tb.Max[0] + padX, tb.Max[1] + padY}}
}

// collapsedAt is where an area that simplification made vanish at zoom z is
// drawn, in world coordinates: the topology's anchor for a shared outline,
// else (a hexagon, convex) the mean of its corners.
func collapsedAt(topo *topology, key areaKey, shared bool, mp orb.MultiPolygon, z int) (orb.Point, bool) {
	if shared {
		return topo.anchor(key, z)
	}
	if len(mp) == 0 || len(mp[0]) == 0 || len(mp[0][0]) < 4 {
		return orb.Point{}, false
	}
	ring := mp[0][0]
	var sum orb.Point
	n := len(ring) - 1 // the closing corner repeats the first
	for _, pt := range ring[:n] {
		m := mercator(pt)
		sum[0] += m[0]
		sum[1] += m[1]
	}
	scale := float64(uint64(1)<<z) * Extent
	return orb.Point{sum[0] / float64(n) * scale, sum[1] / float64(n) * scale}, true
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

// place moves a world outline onto the tile's grid.
func (p projection) place(world orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(world))
	for i, poly := range world {
		out[i] = make(orb.Polygon, len(poly))
		for k, ring := range poly {
			r := make(orb.Ring, len(ring))
			for j, pt := range ring {
				r[j] = orb.Point{pt[0] - p.x0, pt[1] - p.y0}
			}
			out[i][k] = r
		}
	}
	return out
}

// worldOutline projects an outline that is not part of the shared topology
// (a hexagon) to world coordinates at zoom z and simplifies it there
// (Douglas-Peucker, a quarter pixel).
func worldOutline(mp orb.MultiPolygon, z int) orb.MultiPolygon {
	scale := float64(uint64(1)<<z) * Extent
	out := make(orb.MultiPolygon, 0, len(mp))
	for _, poly := range mp {
		pp := make(orb.Polygon, 0, len(poly))
		for _, ring := range poly {
			r := make(orb.Ring, len(ring))
			for i, pt := range ring {
				m := mercator(pt)
				r[i] = orb.Point{m[0] * scale, m[1] * scale}
			}
			if r = simplify.DouglasPeucker(tolerance).Ring(r); len(r) < 4 {
				if len(pp) == 0 {
					break
				}
				continue
			}
			pp = append(pp, r)
		}
		if len(pp) > 0 {
			out = append(out, pp)
		}
	}
	if grid, err := geo.GridPolygons(out); err == nil {
		return grid
	}
	return out
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
