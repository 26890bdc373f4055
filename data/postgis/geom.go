package postgis

import (
	"fmt"

	"github.com/paulmach/orb"
	orbwkb "github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// PostGIS reads EWKB in its binary protocol, so geometries go into COPY as
// EWKB bytes with SRID 4326 (written with go-geom) and come back as WKB from
// ST_AsBinary.

func pointEWKB(p orb.Point) ([]byte, error) {
	g := geom.NewPointFlat(geom.XY, []float64{p[0], p[1]}).SetSRID(4326)
	return ewkb.Marshal(g, ewkb.NDR)
}

func polygonFlat(p orb.Polygon) ([]float64, []int) {
	var flat []float64
	var ends []int
	for _, ring := range p {
		for _, pt := range ring {
			flat = append(flat, pt[0], pt[1])
		}
		ends = append(ends, len(flat))
	}
	return flat, ends
}

func polygonEWKB(p orb.Polygon) ([]byte, error) {
	flat, ends := polygonFlat(p)
	return ewkb.Marshal(geom.NewPolygonFlat(geom.XY, flat, ends).SetSRID(4326), ewkb.NDR)
}

// multiPolygonEWKB returns nil for an empty geometry, which COPY stores as NULL.
func multiPolygonEWKB(mp orb.MultiPolygon) ([]byte, error) {
	if len(mp) == 0 {
		return nil, nil
	}
	out := geom.NewMultiPolygon(geom.XY).SetSRID(4326)
	for _, p := range mp {
		flat, ends := polygonFlat(p)
		if err := out.Push(geom.NewPolygonFlat(geom.XY, flat, ends)); err != nil {
			return nil, err
		}
	}
	return ewkb.Marshal(out, ewkb.NDR)
}

// multiPolygonFromWKB decodes with orb's WKB reader straight into the
// geometry the tile pipeline uses: on a cold tile this runs for every area.
func multiPolygonFromWKB(b []byte) (orb.MultiPolygon, error) {
	g, err := orbwkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %w", err)
	}
	switch t := g.(type) {
	case orb.MultiPolygon:
		return t, nil
	case orb.Polygon:
		return orb.MultiPolygon{t}, nil
	}
	return nil, fmt.Errorf("decode WKB: %T is not a polygon", g)
}
