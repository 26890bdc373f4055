package api

import (
	"math"
	"strconv"

	"github.com/paulmach/orb"

	"labmap/data"
)

// The CRSs of OGC API Features Part 2. EPSG:4326 puts latitude first, as
// its definition says; CRS84 is the same datum with longitude first.
const (
	crs84       = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	crsEPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
	crsEPSG3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
)

const earthRadius = 6378137.0

// parseCRS accepts a CRS URI (or its common short forms).
func parseCRS(s string) (string, bool) {
	switch s {
	case "", crs84, "CRS84", "OGC:CRS84", "[OGC:CRS84]":
		return crs84, true
	case crsEPSG4326, "EPSG:4326", "[EPSG:4326]":
		return crsEPSG4326, true
	case crsEPSG3857, "EPSG:3857", "[EPSG:3857]":
		return crsEPSG3857, true
	}
	return "", false
}

// toCRS maps a lon/lat point to the output CRS's axis order and units.
func toCRS(crs string, p orb.Point) (float64, float64) {
	switch crs {
	case crsEPSG4326:
		return p[1], p[0]
	case crsEPSG3857:
		x := p[0] * math.Pi / 180 * earthRadius
		y := math.Log(math.Tan(math.Pi/4+p[1]*math.Pi/360)) * earthRadius
		return x, y
	}
	return p[0], p[1]
}

// fromCRS maps a point given in crs back to lon/lat.
func fromCRS(crs string, a, b float64) orb.Point {
	switch crs {
	case crsEPSG4326:
		return orb.Point{b, a}
	case crsEPSG3857:
		lon := a / earthRadius * 180 / math.Pi
		lat := (2*math.Atan(math.Exp(b/earthRadius)) - math.Pi/2) * 180 / math.Pi
		return orb.Point{lon, lat}
	}
	return orb.Point{a, b}
}

// appendCoord writes one position; metres get centimetres, degrees 1e-7.
func appendCoord(buf []byte, crs string, p orb.Point) []byte {
	x, y := toCRS(crs, p)
	prec := 7
	if crs == crsEPSG3857 {
		prec = 2
	}
	buf = append(buf, '[')
	buf = strconv.AppendFloat(buf, roundTo(x, prec), 'f', -1, 64)
	buf = append(buf, ',')
	buf = strconv.AppendFloat(buf, roundTo(y, prec), 'f', -1, 64)
	return append(buf, ']')
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7}

func roundTo(v float64, digits int) float64 {
	p := pow10[digits]
	return math.Round(v*p) / p
}

// appendGeoJSONGeometry writes a multipolygon (a polygon when it has one part).
func appendGeoJSONGeometry(buf []byte, crs string, mp orb.MultiPolygon) []byte {
	if len(mp) == 0 {
		return append(buf, "null"...)
	}
	poly := func(buf []byte, p orb.Polygon) []byte {
		buf = append(buf, '[')
		for i, r := range p {
			if i > 0 {
				buf = append(buf, ',')
			}
			// RFC 7946: exterior rings counter-clockwise, holes clockwise, in
			// longitude/latitude whatever the output CRS's axis order.
			backwards := !data.WoundRFC7946(r, i > 0)
			buf = append(buf, '[')
			for j := range r {
				if j > 0 {
					buf = append(buf, ',')
				}
				k := j
				if backwards {
					k = len(r) - 1 - j
				}
				buf = appendCoord(buf, crs, r[k])
			}
			buf = append(buf, ']')
		}
		return append(buf, ']')
	}
	if len(mp) == 1 {
		buf = append(buf, `{"type":"Polygon","coordinates":`...)
		buf = poly(buf, mp[0])
		return append(buf, '}')
	}
	buf = append(buf, `{"type":"MultiPolygon","coordinates":[`...)
	for i, p := range mp {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = poly(buf, p)
	}
	return append(buf, "]}"...)
}

// appendWKT writes a multipolygon as WKT in crs.
func appendWKT(buf []byte, crs string, mp orb.MultiPolygon) []byte {
	if len(mp) == 0 {
		return buf
	}
	buf = append(buf, "MULTIPOLYGON("...)
	for i, p := range mp {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '(')
		for j, r := range p {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '(')
			for k, pt := range r {
				if k > 0 {
					buf = append(buf, ',')
				}
				x, y := toCRS(crs, pt)
				buf = strconv.AppendFloat(buf, roundTo(x, 7), 'f', -1, 64)
				buf = append(buf, ' ')
				buf = strconv.AppendFloat(buf, roundTo(y, 7), 'f', -1, 64)
			}
			buf = append(buf, ')')
		}
		buf = append(buf, ')')
	}
	return append(buf, ')')
}
