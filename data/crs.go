package data

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// A GeoJSON file from before RFC 7946 may declare its CRS in a crs member.
// labmap transforms the projected CRSs that Indonesian boundary files come
// in — Web Mercator and the WGS 84 UTM zones — to longitude/latitude, and
// refuses any other, naming it and the ogr2ogr command that converts it.

// projection maps a file's positions to WGS84 longitude/latitude.
type projection struct {
	name    string // as the messages name it: "EPSG:32749 (WGS 84 / UTM zone 49S)"
	inverse func(x, y float64) orb.Point
	// valid tells positions of the CRS from others, such as degrees in a
	// file whose crs member is wrong.
	valid func(x, y float64) bool
}

const ogr2ogrFix = "ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"

// parseCRS reads the name of a crs member: "EPSG:3857",
// "urn:ogc:def:crs:EPSG::32749", "http://www.opengis.net/def/crs/EPSG/0/3857"
// and the like. wgs84 is true for longitude/latitude on WGS84, which needs
// nothing done; otherwise p is nil and msg says why when the CRS cannot be
// transformed.
func parseCRS(name string) (p *projection, wgs84 bool, msg string) {
	if isWGS84(name) {
		return nil, true, ""
	}
	code, ok := epsgCode(name)
	if !ok {
		return nil, false, fmt.Sprintf("%q is a CRS labmap does not know; reproject the file to WGS84 longitude/latitude: %s", name, ogr2ogrFix)
	}
	switch {
	case code == 3857 || code == 900913 || code == 3785 || code == 102100 || code == 102113:
		return &projection{name: fmt.Sprintf("EPSG:%d (Web Mercator)", code), inverse: webMercatorInverse,
			valid: func(x, y float64) bool {
				return math.Abs(x) <= 20037508.35 && math.Abs(y) <= 20037508.35 && math.Abs(x)+math.Abs(y) > 360
			}}, false, ""
	case code > 32600 && code <= 32660 || code > 32700 && code <= 32760:
		zone, south := code%100, code > 32700
		hemi := "N"
		if south {
			hemi = "S"
		}
		return &projection{name: fmt.Sprintf("EPSG:%d (WGS 84 / UTM zone %d%s)", code, zone, hemi),
			inverse: func(x, y float64) orb.Point { return utmInverse(zone, south, x, y) },
			// Eastings stay within a few hundred kilometres of 500,000.
			valid: func(x, y float64) bool { return x > 0 && x < 1000000 && y >= 0 && y <= 10000000 && x+y > 1000 }}, false, ""
	}
	return nil, false, fmt.Sprintf("%q (EPSG:%d) is not WGS84 longitude/latitude and labmap transforms only EPSG:3857 and the WGS 84 UTM zones (EPSG:326xx, 327xx); reproject the file: %s",
		name, code, ogr2ogrFix)
}

// isWGS84 accepts the names GIS tools write for longitude/latitude on WGS84.
func isWGS84(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasSuffix(n, "CRS84") || strings.HasSuffix(n, ":4326") || strings.HasSuffix(n, "/4326") ||
		n == "EPSG4326" || n == "WGS84"
}

// epsgCode finds the number of an EPSG (or ESRI, for 102100) CRS name.
func epsgCode(name string) (int, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.Contains(n, "EPSG") && !strings.Contains(n, "ESRI") {
		return 0, false
	}
	i := strings.LastIndexAny(n, ":/")
	code, err := strconv.Atoi(n[i+1:])
	return code, err == nil && code > 0
}

func webMercatorInverse(x, y float64) orb.Point {
	const r = 6378137.0
	return orb.Point{x / r * 180 / math.Pi, (2*math.Atan(math.Exp(y/r)) - math.Pi/2) * 180 / math.Pi}
}

// utmInverse converts UTM easting and northing on the WGS84 ellipsoid to
// longitude/latitude with Krüger's series to sixth order in n, as in Karney,
// "Transverse Mercator with an accuracy of a few nanometers" (2011): well
// under a millimetre within a zone and its neighbours.
func utmInverse(zone int, south bool, easting, northing float64) orb.Point {
	const (
		a  = 6378137.0
		f  = 1 / 298.257223563
		k0 = 0.9996
	)
	n := f / (2 - f)
	n2, n3 := n*n, n*n*n
	n4, n5, n6 := n2*n2, n2*n3, n3*n3
	bigA := a / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	beta := [6]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	if south {
		northing -= 10000000
	}
	xi := northing / (k0 * bigA)
	eta := (easting - 500000) / (k0 * bigA)
	xi1, eta1 := xi, eta
	for j, b := range beta {
		k := 2 * float64(j+1)
		xi1 -= b * math.Sin(k*xi) * math.Cosh(k*eta)
		eta1 -= b * math.Cos(k*xi) * math.Sinh(k*eta)
	}
	sinhEta, cosXi := math.Sinh(eta1), math.Cos(xi1)
	tauP := math.Sin(xi1) / math.Hypot(sinhEta, cosXi)
	lam := math.Atan2(sinhEta, cosXi)

	// τ from τ′ (conformal to geographic latitude) by Newton's method.
	e2 := f * (2 - f)
	e := math.Sqrt(e2)
	tau := tauP
	for range 5 {
		s1 := math.Hypot(1, tau)
		sigma := math.Sinh(e * math.Atanh(e*tau/s1))
		tauI := tau*math.Hypot(1, sigma) - sigma*s1
		d := (tauP - tauI) / math.Hypot(1, tauI) * (1 + (1-e2)*tau*tau) / ((1 - e2) * s1)
		tau += d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	lon0 := float64(zone*6 - 183)
	return orb.Point{lon0 + lam*180/math.Pi, math.Atan(tau) * 180 / math.Pi}
}

// positionFault explains a position that is not WGS84 longitude/latitude:
// [lat, lon] written the wrong way round, or metres of a projected CRS that
// the file does not declare (with the CRS they look like).
func positionFault(p orb.Point) string {
	lon, lat := p[0], p[1]
	pos := fmt.Sprintf("[%s, %s]", fmtCoord(lon), fmtCoord(lat))
	if (lat < -90 || lat > 90) && lon >= -90 && lon <= 90 && lat >= -180 && lat <= 180 {
		return fmt.Sprintf("position %s has latitude %s outside [-90, 90]: the positions are swapped, [lat, lon], and GeoJSON needs [lon, lat]: swap the two numbers of every position",
			pos, fmtCoord(lat))
	}
	guess, code := "a projected CRS", "XXXX"
	switch ax, ay := math.Abs(lon), math.Abs(lat); {
	case lon >= 100000 && lon <= 900000 && ay <= 10000000:
		guess, code = "UTM (Central Java is zone 49S, EPSG:32749)", "32749"
	case ax > 180 && ax <= 20037509 && ay <= 20037509:
		guess, code = "Web Mercator (EPSG:3857)", "3857"
	}
	return fmt.Sprintf("position %s is not longitude/latitude in degrees: the numbers look like metres of %s and the file has no crs member to say so; "+
		"reproject it, naming its CRS: ogr2ogr -s_srs EPSG:%s -t_srs EPSG:4326 out.geojson in.geojson", pos, guess, code)
}
