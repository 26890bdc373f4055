package postgis_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"

	"github.com/paulmach/orb"
)

// twoRegencies writes one dataset of two regencies of one province: the
// demo regency (33.26) and a copy of it one degree to the west under the
// code 33.99, with its own household ids and zone ids.
func twoRegencies(t *testing.T) data.Files {
	t.Helper()
	ds, err := demo.Generate(demo.Options{Households: 1500, Rounds: 2, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	shift := func(mp orb.MultiPolygon) orb.MultiPolygon {
		out := mp.Clone()
		for _, p := range out {
			for _, r := range p {
				for i := range r {
					r[i][0] -= 1
				}
			}
		}
		return out
	}
	recode := func(code string) string { return "33.99" + strings.TrimPrefix(code, "33.26") }
	merged := ds
	merged.Region = data.Region{}
	merged.Villages = slices.Clone(ds.Villages)
	for _, v := range ds.Villages {
		v.Code, v.DistrictCode, v.Geometry, v.Source = recode(v.Code), recode(v.DistrictCode), shift(v.Geometry), nil
		merged.Villages = append(merged.Villages, v)
	}
	merged.Districts = slices.Clone(ds.Districts)
	for _, d := range ds.Districts {
		d.Code, d.Geometry = recode(d.Code), shift(d.Geometry)
		merged.Districts = append(merged.Districts, d)
	}
	merged.Zones = slices.Clone(ds.Zones)
	for _, z := range ds.Zones {
		z.ID, z.Geometry = "b-"+z.ID, shift(z.Geometry)
		z.VillageCodes = slices.Clone(z.VillageCodes)
		for i, c := range z.VillageCodes {
			z.VillageCodes[i] = recode(c)
		}
		merged.Zones = append(merged.Zones, z)
	}
	merged.Households = slices.Clone(ds.Households)
	for _, h := range ds.Households {
		h.ID, h.Loc = "B-"+h.ID, orb.Point{h.Loc[0] - 1, h.Loc[1]}
		if h.VillageCode != "" {
			h.VillageCode = recode(h.VillageCode)
		}
		merged.Households = append(merged.Households, h)
	}
	dir := t.TempDir()
	if err := demo.WriteFiles(context.Background(), merged, dir); err != nil {
		t.Fatal(err)
	}
	return data.Files{
		Households: filepath.Join(dir, demo.HouseholdsFile), Villages: filepath.Join(dir, demo.VillagesFile),
		Zones: filepath.Join(dir, demo.ZonesFile), Districts: filepath.Join(dir, demo.DistrictsFile),
	}
}

// csvTotals recomputes, straight from the households CSV and without
// labmap's reader, the households, members, poor and extreme-poor households
// per round and regency; the copied regency is told by its id prefix.
func csvTotals(t *testing.T, path string) map[[2]string][4]int64 {
	t.Helper()
	rows := readCSV(t, path)
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	out := map[[2]string][4]int64{}
	for _, r := range rows[1:] {
		regency := "33.26"
		if strings.HasPrefix(r[col["household_id"]], "B-") {
			regency = "33.99"
		}
		members, err := strconv.ParseInt(r[col["members"]], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		status := r[col["poverty_status"]]
		for _, key := range [][2]string{{r[col["round"]], regency}, {r[col["round"]], "33"}} {
			v := out[key]
			v[0]++
			v[1] += members
			if status == "poor" || status == "extreme" {
				v[2]++
			}
			if status == "extreme" {
				v[3]++
			}
			out[key] = v
		}
	}
	return out
}

// TestAdminLevelsAddUp checks the province and regency levels of a
// two-regency dataset in both stores: their rows are the same in both, every
// count of a province is the sum of its regencies', of a regency the sum of
// its districts' and of its villages', and households, members and the
// poor agree with a recomputation from the CSV itself.
func TestAdminLevelsAddUp(t *testing.T) {
	ctx := context.Background()
	f := twoRegencies(t)
	url := migrated(t)
	importFiles(t, url, f)
	pg := openStore(t, url)
	ds, err := data.LoadFiles(ctx, f, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := csvTotals(t, f.Households)
	counts := []int{data.IndicatorIndex("households"), data.IndicatorIndex("members"), data.IndicatorIndex("poor"), data.IndicatorIndex("extreme")}
	var countIdx []int
	for i, ind := range data.Indicators {
		if ind.Kind == data.KindCount {
			countIdx = append(countIdx, i)
		}
	}
	rounds, err := mem.Rounds(ctx)
	if err != nil || len(rounds) != 2 {
		t.Fatalf("rounds %v (err %v)", rounds, err)
	}
	for _, store := range []struct {
		name string
		s    data.Store
	}{{"memory", mem}, {"postgis", pg}} {
		for _, r := range rounds {
			get := func(level data.Level) []data.AreaStats {
				rows, err := store.s.Stats(ctx, data.StatsQuery{Level: level, Round: r.Round, Unsuppressed: true})
				if err != nil {
					t.Fatalf("%s %s %s: %v", store.name, level, r.Round, err)
				}
				return rows
			}
			provinces, regencies, districts, villages := get(data.LevelProvince), get(data.LevelRegency), get(data.LevelDistrict), get(data.LevelVillage)
			if len(provinces) != 1 || provinces[0].Code != "33" || provinces[0].Name != "Provinsi Jawa Tengah" {
				t.Fatalf("%s %s: provinces %+v", store.name, r.Round, provinces)
			}
			if len(regencies) != 2 || regencies[0].Code != "33.26" || regencies[1].Code != "33.99" || regencies[1].Parent != "33" {
				t.Fatalf("%s %s: regencies %+v", store.name, r.Round, regencies)
			}
			sum := func(rows []data.AreaStats, under string) []float64 {
				out := make([]float64, len(data.Indicators))
				for _, a := range rows {
					if strings.HasPrefix(a.Code, under+".") {
						for _, i := range countIdx {
							out[i] += a.Values[i].Number
						}
					}
				}
				return out
			}
			check := func(what string, parent data.AreaStats, parts []float64) {
				for _, i := range countIdx {
					if parent.Values[i].Number != parts[i] {
						t.Errorf("%s %s %s %s: %s %v, its %s add up to %v", store.name, r.Round, parent.Level, parent.Code,
							data.Indicators[i].Key, parent.Values[i].Number, what, parts[i])
					}
				}
			}
			check("regencies", provinces[0], sum(regencies, "33"))
			for _, reg := range regencies {
				check("districts", reg, sum(districts, reg.Code))
				check("villages", reg, sum(villages, reg.Code))
			}
			for _, a := range append(slices.Clone(provinces), regencies...) {
				w := want[[2]string{string(r.Round), a.Code}]
				for j, i := range counts {
					if a.Values[i].Number != float64(w[j]) {
						t.Errorf("%s %s %s: %s %v, the CSV gives %d", store.name, r.Round, a.Code, data.Indicators[i].Key, a.Values[i].Number, w[j])
					}
				}
			}
		}
	}
	// Public rows, outlines included, are the same in both stores.
	for _, level := range []data.Level{data.LevelProvince, data.LevelRegency} {
		q := data.AreaQuery{StatsQuery: data.StatsQuery{Level: level}, Bound: orb.Bound{Min: orb.Point{100, -10}, Max: orb.Point{120, 0}}}
		m, err1 := mem.Areas(ctx, q)
		p, err2 := pg.Areas(ctx, q)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(m) == 0 || len(m) != len(p) {
			t.Fatalf("%s: memory %d areas, postgis %d", level, len(m), len(p))
		}
		for i := range m {
			if m[i].Code != p[i].Code || m[i].Name != p[i].Name || m[i].Suppressed != p[i].Suppressed ||
				!slices.Equal(m[i].Values, p[i].Values) || !m[i].Geometry.Equal(p[i].Geometry) {
				t.Errorf("%s %s: memory and postgis differ", level, m[i].Code)
			}
		}
	}
}
