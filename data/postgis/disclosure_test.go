package postgis_test

import (
	"context"
	"fmt"
	"testing"

	"labmap/data"
	"labmap/data/cql"
	"labmap/data/disclosuretest"
	"labmap/data/memory"
)

// TestDisclosure plays the differencing attacks on what the PostGIS store
// publishes, and checks that its SQL filters see exactly the published
// values: an area or figure hidden by complementary suppression (decided in
// Go, passed to SQL as parameters) never matches a filter on its value.
func TestDisclosure(t *testing.T) {
	ctx := context.Background()
	_, pg, _, _ := bothStores(t)
	ds, err := data.LoadFiles(ctx, files(t), data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := memory.New(ds, memory.Options{MinHouseholds: 1, PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	disclosuretest.Attacks(t, ds, pg, truth, 100)

	for _, q := range []data.StatsQuery{
		{Level: data.LevelVillage}, {Level: data.LevelDistrict},
		{Level: data.LevelHexagon, Res: 8}, {Level: data.LevelHexagon, Res: 10},
		{Level: data.LevelHexagon, Res: 9, Zone: "urban-kertijayan"},
	} {
		stats, err := pg.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			filter string
			want   func(a data.AreaStats) bool
		}{
			{"households < 5", func(a data.AreaStats) bool { return false }},
			{"chronic_ill = 2", func(a data.AreaStats) bool { return false }},
			{"households >= 5", func(a data.AreaStats) bool { return !a.Suppressed }},
			{"suppressed = true", func(a data.AreaStats) bool { return a.Suppressed }},
			{"chronic_ill >= 0", func(a data.AreaStats) bool {
				return !a.Suppressed && a.Values[data.IndicatorIndex("chronic_ill")].Valid
			}},
			{"chronic_ill_treated_rate >= 0", func(a data.AreaStats) bool {
				return !a.Suppressed && a.Values[data.IndicatorIndex("chronic_ill_treated_rate")].Valid
			}},
		} {
			name := fmt.Sprintf("%s r%d %s: %s", q.Level, q.Res, q.Zone, tc.filter)
			want := 0
			for _, a := range stats {
				if tc.want(a) {
					want++
				}
			}
			f, err := cql.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			matched, err := pg.Features(ctx, data.FeatureQuery{StatsQuery: q, Filter: f,
				SortBy: []data.SortKey{{Property: "chronic_ill"}}}, func(a *data.Area) error {
				got++
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if matched != want || got != want {
				t.Errorf("%s: %d matched, %d sent, the published figures give %d", name, matched, got, want)
			}
		}
	}
}
