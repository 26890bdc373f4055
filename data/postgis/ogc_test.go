package postgis_test

import (
	"bytes"
	"context"
	"fmt"
	"labmap/data"
	"labmap/data/cql"
	"net/url"
	"reflect"
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

// TestFeaturesUnsuppressedDifferential asks both stores the analyst's
// view through filters and sort keys: the SQL path must read every value
// as it is, where the public path reads hidden ones as null.
func TestFeaturesUnsuppressedDifferential(t *testing.T) {
	ctx := context.Background()
	mem, pg, _, _ := bothStores(t)
	for _, tc := range []struct {
		level  data.Level
		res    int
		filter string
		sortBy []data.SortKey
	}{
		{data.LevelVillage, 0, "households < 5", nil},
		{data.LevelVillage, 0, "chronic_ill BETWEEN 1 AND 4", []data.SortKey{{Property: "chronic_ill_treated_rate", Desc: true}}},
		{data.LevelHexagon, 10, "suppressed = FALSE AND disabled > 0", []data.SortKey{{Property: "disabled"}}},
		{data.LevelHexagon, 9, "households < 5", []data.SortKey{{Property: "households", Desc: true}}},
	} {
		t.Run(fmt.Sprintf("%s r%d %s", tc.level, tc.res, tc.filter), func(t *testing.T) {
			expr, err := cql.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got [2][]data.AreaStats
			var matched [2]int
			for i, st := range []data.FeatureStore{mem, pg} {
				q := data.FeatureQuery{StatsQuery: data.StatsQuery{Level: tc.level, Res: tc.res, Unsuppressed: true}, Filter: expr, SortBy: tc.sortBy}
				matched[i], err = st.Features(ctx, q, func(a *data.Area) error {
					got[i] = append(got[i], a.AreaStats)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if matched[0] != matched[1] || !reflect.DeepEqual(got[0], got[1]) {
				t.Fatalf("memory matched %d, postgis %d; the lists differ", matched[0], matched[1])
			}
			// Each filter names figures the public view hides, so the
			// analyst's answer must reach areas the public's cannot.
			pub := 0
			q := data.FeatureQuery{StatsQuery: data.StatsQuery{Level: tc.level, Res: tc.res}, Filter: expr}
			if pub, err = pg.Features(ctx, q, func(*data.Area) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if matched[0] <= pub {
				t.Errorf("the analyst matched %d areas, the public %d: the filter saw no hidden figure", matched[0], pub)
			}
		})
	}
}
