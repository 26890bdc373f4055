package memory

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"labmap/data"
	"labmap/data/cql"
	"labmap/data/demo"

	"github.com/uber/h3-go/v4"
)

// zoneCells is the oracle for zones over hexagons, computed from the
// household rows with h3-go directly rather than through the store: per
// zone, round and resolution, the households of the zone's villages per H3
// cell; and per round, resolution and cell, the first zone (by zone order)
// with households there.
type zoneCells struct {
	counts map[string]map[data.Round][]map[string]int // zone -> round -> res-6 -> cell -> households
	first  map[data.Round][]map[string]string         // round -> res-6 -> cell -> zone
}

func zoneCellsOf(ds data.Dataset) zoneCells {
	out := zoneCells{counts: map[string]map[data.Round][]map[string]int{}, first: map[data.Round][]map[string]string{}}
	for _, z := range ds.Zones {
		out.counts[z.ID] = map[data.Round][]map[string]int{}
	}
	for _, h := range ds.Households {
		if out.first[h.Round] == nil {
			out.first[h.Round] = make([]map[string]string, 5)
			for r := range 5 {
				out.first[h.Round][r] = map[string]string{}
			}
		}
		for _, z := range ds.Zones {
			if !slices.Contains(z.VillageCodes, h.VillageCode) {
				continue
			}
			byRes := out.counts[z.ID][h.Round]
			if byRes == nil {
				byRes = make([]map[string]int, 5)
				for r := range 5 {
					byRes[r] = map[string]int{}
				}
				out.counts[z.ID][h.Round] = byRes
			}
			for r := range 5 {
				cell := h3.LatLngToCell(h3.LatLng{Lat: h.Loc[1], Lng: h.Loc[0]}, 6+r)
				byRes[r][cell.String()]++
				if _, ok := out.first[h.Round][r][cell.String()]; !ok {
					out.first[h.Round][r][cell.String()] = z.ID
				}
			}
		}
	}
	return out
}

// TestZoneHexagons checks that a zone's hexagons are its villages'
// households binned by cell, at every resolution: the coastal lab, smaller
// than a res-6 cell and with no cell centre inside it at res 6 to 8, has
// hexagons at all of them.
func TestZoneHexagons(t *testing.T) {
	ctx := context.Background()
	ds, err := demo.Generate(demo.Options{Households: 3000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	oracle := zoneCellsOf(ds)
	rounds, _ := s.Rounds(ctx)
	k := data.DefaultMinHouseholds
	sawEdge := false
	coastal := 0
	for _, z := range ds.Zones {
		for _, ri := range rounds {
			for res := 6; res <= 10; res++ {
				name := fmt.Sprintf("%s/%s/r%d", z.ID, ri.Round, res)
				want := oracle.counts[z.ID][ri.Round][res-6]
				got, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: ri.Round, Zone: z.ID})
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range got {
					if z.ID == "coastal-mulyorejo" && !a.Suppressed {
						coastal++
					}
				}
				// Complementary suppression may hide more cells.
				if len(got) > len(want) {
					t.Errorf("%s: %d hexagons, the households fill %d cells", name, len(got), len(want))
				}
				all, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: ri.Round})
				if err != nil {
					t.Fatal(err)
				}
				whole := map[string]int{}
				for _, a := range all {
					whole[a.Code] = a.Households
				}
				for _, a := range got {
					n, ok := want[a.Code]
					switch {
					case !ok:
						t.Errorf("%s: hexagon %s holds none of the zone's households", name, a.Code)
					case n < k && !a.Suppressed:
						t.Errorf("%s: hexagon %s has %d households, shown", name, a.Code, n)
					case !a.Suppressed && a.Households != n:
						t.Errorf("%s: hexagon %s shows %d households (suppressed %v), the zone has %d there", name, a.Code, a.Households, a.Suppressed, n)
					case !a.Suppressed && whole[a.Code] > n:
						sawEdge = true // the cell straddles the zone's edge: only the zone's part counts
					}
				}
			}
		}
	}
	if coastal == 0 {
		t.Error("the coastal lab has no published hexagon at any resolution")
	}
	if !sawEdge {
		t.Error("no hexagon counted fewer households for its zone than in all: zone figures are not the zone's own")
	}

	// The zone queryable of a hexagon is the first zone with households in it.
	filter, err := cql.Parse("zone = 'coastal-mulyorejo'")
	if err != nil {
		t.Fatal(err)
	}
	for _, ri := range rounds {
		for res := 6; res <= 10; res++ {
			var got []string
			_, err := s.Features(ctx, data.FeatureQuery{StatsQuery: data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: ri.Round}, Filter: filter},
				func(a *data.Area) error { got = append(got, a.Code); return nil })
			if err != nil {
				t.Fatal(err)
			}
			all, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelHexagon, Res: res, Round: ri.Round})
			if err != nil {
				t.Fatal(err)
			}
			published := map[string]bool{}
			for _, a := range all {
				published[a.Code] = true
			}
			var want []string
			for c, z := range oracle.first[ri.Round][res-6] {
				if z == "coastal-mulyorejo" && published[c] {
					want = append(want, c)
				}
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s r%d: hexagons with zone = coastal-mulyorejo: %v, want %v", ri.Round, res, got, want)
			}
		}
	}
}
