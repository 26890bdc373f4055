package postgis_test

import (
	"bytes"
	"net/url"
	"regexp"
	"testing"
)

// TestFeaturesDifferential asks both stores' OGC API the same items queries
// — filters (CQL2 and property), sortby, bbox, CRS, paging, formats — and
// requires the same bodies, so the SQL translation of filters agrees with
// the Go evaluation.
func TestFeaturesDifferential(t *testing.T) {
	_, _, memAPI, pgAPI := bothStores(t)

	q := url.QueryEscape
	paths := []string{
		"/collections/villages/items?limit=40",
		"/collections/villages/items?limit=40&offset=80",
		"/collections/villages/items?limit=300&round=2017-12-01&sortby=-poverty_rate,name",
		"/collections/villages/items?limit=300&sortby=dominant_cause,-households",
		"/collections/villages/items?filter=" + q("poverty_rate > 0.1 AND lifted_rate >= 0.2"),
		"/collections/villages/items?filter=" + q("zone = 'coastal-mulyorejo' OR name LIKE 'Kar%'"),
		"/collections/villages/items?filter=" + q("chronic_ill IS NULL AND suppressed = FALSE"),
		"/collections/villages/items?filter=" + q("households BETWEEN 5 AND 12 OR district_code IN ('33.26.02', '33.26.14')"),
		"/collections/villages/items?filter=" + q("S_INTERSECTS(geometry, BBOX(109.6, -7.0, 109.65, -6.95))"),
		"/collections/villages/items?filter=" + q("S_INTERSECTS(geometry, POINT(109.66 -6.935))"),
		"/collections/villages/items?bbox=109.64,-6.95,109.68,-6.92&crs=" + q("http://www.opengis.net/def/crs/EPSG/0/3857"),
		"/collections/villages/items?zone=forest-botosari&f=csv",
		"/collections/districts/items?sortby=-out_of_school_rate&filter=" + q("zone IS NOT NULL"),
		"/collections/zones/items?datetime=2019-06-01",
		"/collections/hexagons_r8/items?limit=500&sortby=-households&filter=" + q("suppressed = FALSE"),
		"/collections/hexagons_r10/items?limit=1000&zone=urban-kertijayan",
		"/collections/hexagons_r7/items?f=csv&properties=code,poverty_rate",
		"/collections/villages/items/33.26.14.2009?round=2017-12-01",
		// zones, the areas' lab zones, from each store's own membership.
		"/collections/hexagons_r9/items?limit=all&properties=code,zones&datetime=" + q("2019-06-01T/2019-06-01T"),
		"/collections/districts/items?f=csv&properties=code,zones",
		"/collections/villages/items?f=csv&limit=all&properties=code,zones,poverty_rate",
	}
	stamp := regexp.MustCompile(`"timeStamp":"[^"]*"`)
	for _, p := range paths {
		a := bytes.ReplaceAll(get(t, memAPI.URL+p), []byte(memAPI.URL), nil)
		b := bytes.ReplaceAll(get(t, pgAPI.URL+p), []byte(pgAPI.URL), nil)
		a, b = stamp.ReplaceAll(a, nil), stamp.ReplaceAll(b, nil)
		if !bytes.Equal(a, b) {
			n := min(len(a), len(b))
			i := 0
			for i < n && a[i] == b[i] {
				i++
			}
			t.Errorf("%s: bodies differ at byte %d:\n memory  ...%s\n postgis ...%s", p, i,
				a[max(i-80, 0):min(i+80, len(a))], b[max(i-80, 0):min(i+80, len(b))])
		}
	}
}
