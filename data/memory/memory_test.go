package memory

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/demo"

	"github.com/paulmach/orb"
)

func square(lon, lat, size float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}, {lon, lat}}}}
}

const (
	codeA = "33.26.14.2009" // Kertijayan, in the zone
	codeB = "33.26.14.2001"
)

type hh struct {
	id                   string
	round                data.Round
	village              string
	members              int
	status               data.PovertyStatus
	causes               []string
	uninhab, repaired    data.Flag
	latrine              data.Latrine
	water                string
	elec                 data.Flag
	ill, treated         int
	disabled, assisted   int
	schoolAge, outSchool int
}

// fixture is small enough to compute every indicator by hand; the expected
// figures in TestStatsFixture are worked out in the comments there.
func fixture() data.Dataset {
	const r1, r2 = data.Round("2017-12-01"), data.Round("2019-06-01")
	Y, N, U := data.FlagYes, data.FlagNo, data.FlagUnknown
	rows := []hh{
		{"a1", r1, codeA, 4, data.Extreme, []string{"low_income", "illness"}, Y, N, data.LatrineNone, "river", Y, 1, 0, 0, 0, 2, 1},
		{"a2", r1, codeA, 3, data.Poor, []string{"low_income"}, N, N, data.LatrineShared, "piped", Y, 0, 0, 1, 0, 1, 0},
		{"a3", r1, codeA, 5, data.Poor, []string{"illness", "debt"}, Y, N, data.LatrineNone, "unprotected_well", N, 2, 1, 0, 0, 3, 2},
		{"a4", r1, codeA, 2, data.Vulnerable, nil, N, N, data.LatrineOwn, "piped", Y, 0, 0, 0, 0, 0, 0},
		{"a5", r1, codeA, 4, data.NonPoor, nil, N, N, data.LatrineOwn, "protected_well", Y, 0, 0, 0, 0, 2, 0},
		{"a6", r1, codeA, 1, data.NonPoor, nil, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},
		{"b1", r1, codeB, 3, data.Poor, []string{"no_land"}, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},
		{"b2", r1, codeB, 3, data.NonPoor, nil, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},
		{"b3", r1, codeB, 3, data.Extreme, []string{"no_land"}, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},

		{"a1", r2, codeA, 4, data.Poor, []string{"illness"}, N, Y, data.LatrineOwn, "river", Y, 1, 1, 0, 0, 2, 0},
		{"a2", r2, codeA, 3, data.NonPoor, nil, N, N, data.LatrineShared, "piped", Y, 0, 0, 1, 1, 1, 0},
		{"a3", r2, codeA, 5, data.Vulnerable, nil, Y, N, data.LatrineNone, "unprotected_well", N, 2, 2, 0, 0, 3, 1},
		{"a4", r2, codeA, 2, data.Poor, []string{"unemployment"}, N, N, data.LatrineOwn, "piped", Y, 0, 0, 0, 0, 0, 0},
		{"a5", r2, codeA, 4, data.NonPoor, nil, N, N, data.LatrineOwn, "protected_well", Y, 0, 0, 0, 0, 2, 0},
		{"a6", r2, codeA, 1, data.NonPoor, nil, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},
		{"b1", r2, codeB, 3, data.Poor, []string{"no_land"}, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},
		{"b2", r2, codeB, 3, data.NonPoor, nil, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},
		{"b3", r2, codeB, 3, data.NonPoor, nil, U, U, data.LatrineUnknown, "", U, 0, 0, 0, 0, 0, 0},
	}
	ds := data.Dataset{
		Villages: []data.Village{
			{Code: codeA, Name: "Kertijayan", DistrictCode: "33.26.14", Geometry: square(109.66, -6.94, 0.01)},
			{Code: codeB, Name: "Buaran", DistrictCode: "33.26.14", Geometry: square(109.67, -6.94, 0.01)},
		},
		Districts: []data.District{{Code: "33.26.14", Name: "Buaran"}},
		Zones:     []data.Zone{{ID: "urban-kertijayan", Name: "Lab Kertijayan", Kind: data.ZoneUrban, VillageCodes: []string{codeA}}},
	}
	for i, r := range rows {
		lon := 109.6605 + float64(i%6)*0.0015
		if r.village == codeB {
			lon += 0.01
		}
		ds.Households = append(ds.Households, data.Household{
			ID: r.id, Round: r.round, Loc: orb.Point{lon, -6.935}, Members: r.members, Status: r.status,
			VillageCode: r.village, Causes: r.causes, HouseUninhabitable: r.uninhab, HouseRepaired: r.repaired,
			Latrine: r.latrine, WaterSource: r.water, Electricity: r.elec, ChronicIll: r.ill, ChronicIllTreated: r.treated,
			Disabled: r.disabled, DisabledAssisted: r.assisted, ChildrenSchoolAge: r.schoolAge, ChildrenOutOfSchool: r.outSchool,
			HealthKm: -1,
		})
	}
	data.FillBaseline(ds.Households)
	return ds
}

// want maps indicator keys to expected values; nil means withheld or undefined.
type want map[string]any

func checkValues(t *testing.T, a data.AreaStats, w want) {
	t.Helper()
	if len(w) != len(data.Indicators) {
		t.Fatalf("test expects %d indicators, registry has %d", len(w), len(data.Indicators))
	}
	for i, ind := range data.Indicators {
		exp, ok := w[ind.Key]
		if !ok {
			t.Errorf("%s %s: no expectation for %s", a.Level, a.Code, ind.Key)
			continue
		}
		got := a.Values[i]
		switch e := exp.(type) {
		case nil:
			if got.Valid {
				t.Errorf("%s %s %s = %v, want withheld", a.Level, a.Code, ind.Key, got)
			}
		case string:
			if !got.Valid || got.Text != e {
				t.Errorf("%s %s %s = %v, want %q", a.Level, a.Code, ind.Key, got, e)
			}
		case float64:
			if !got.Valid || math.Abs(got.Number-e) > 1e-6 {
				t.Errorf("%s %s %s = %v, want %v", a.Level, a.Code, ind.Key, got, e)
			}
		default:
			t.Fatalf("bad expectation %T", exp)
		}
	}
}

func TestStatsFixture(t *testing.T) {
	ctx := context.Background()
	// Village A, round 2019-06-01, worked by hand:
	// poor a1,a4 of 6; baseline poor a1,a2,a3, of which a2,a3 lifted; RTLH a3,
	// repaired a1 of {a1,a3}; latrine known a1-a5, access a1,a2,a4,a5, none a3;
	// ill 1+2 treated 1+2; disabled 1 assisted 1; school age 2+1+3+2=8, out 1;
	// water safe a2,a4,a5 of 5 known; electricity a1,a2,a4,a5 of 5 known;
	// causes among poor: illness 1, unemployment 1 -> tie -> illness.
	villageA2 := want{
		"households": 6.0, "members": 19.0, "poor": 2.0, "extreme": 0.0, "poverty_rate": 0.333333,
		"lifted": 2.0, "lifted_rate": 0.666667, "rtlh": 1.0, "rtlh_repaired_rate": 0.5,
		"latrine_access_rate": 0.8, "open_defecation": 1.0, "chronic_ill": 3.0, "chronic_ill_treated_rate": 1.0,
		"disabled": 1.0, "disabled_assisted_rate": 1.0, "out_of_school": 1.0, "out_of_school_rate": 0.125,
		"safe_water_rate": 0.6, "electricity_rate": 0.8, "dominant_cause": "illness",
	}
	// Village A at the baseline: poor a1,a2,a3 (a1 extreme); nobody lifted yet;
	// RTLH a1,a3 none repaired; latrine access a2,a4,a5 of 5; ill 3 treated 1;
	// out of school 1+2 of 8; causes low_income 2, illness 2, debt 1 -> illness.
	villageA1 := want{
		"households": 6.0, "members": 19.0, "poor": 3.0, "extreme": 1.0, "poverty_rate": 0.5,
		"lifted": 0.0, "lifted_rate": 0.0, "rtlh": 2.0, "rtlh_repaired_rate": 0.0,
		"latrine_access_rate": 0.6, "open_defecation": 2.0, "chronic_ill": 3.0, "chronic_ill_treated_rate": 0.333333,
		"disabled": 1.0, "disabled_assisted_rate": 0.0, "out_of_school": 3.0, "out_of_school_rate": 0.375,
		"safe_water_rate": 0.6, "electricity_rate": 0.8, "dominant_cause": "illness",
	}
	// Village B, round 2: b1 poor, b3 lifted from extreme; nothing else recorded.
	villageB2 := want{
		"households": 3.0, "members": 9.0, "poor": 1.0, "extreme": 0.0, "poverty_rate": 0.333333,
		"lifted": 1.0, "lifted_rate": 0.5, "rtlh": 0.0, "rtlh_repaired_rate": nil,
		"latrine_access_rate": nil, "open_defecation": 0.0, "chronic_ill": 0.0, "chronic_ill_treated_rate": nil,
		"disabled": 0.0, "disabled_assisted_rate": nil, "out_of_school": 0.0, "out_of_school_rate": nil,
		"safe_water_rate": nil, "electricity_rate": nil, "dominant_cause": "no_land",
	}
	// The district is A and B together at round 2.
	district2 := want{
		"households": 9.0, "members": 28.0, "poor": 3.0, "extreme": 0.0, "poverty_rate": 0.333333,
		"lifted": 3.0, "lifted_rate": 0.6, "rtlh": 1.0, "rtlh_repaired_rate": 0.5,
		"latrine_access_rate": 0.8, "open_defecation": 1.0, "chronic_ill": 3.0, "chronic_ill_treated_rate": 1.0,
		"disabled": 1.0, "disabled_assisted_rate": 1.0, "out_of_school": 1.0, "out_of_school_rate": 0.125,
		"safe_water_rate": 0.6, "electricity_rate": 0.8, "dominant_cause": "illness",
	}
	// With k=3 A's disability figures (1 person) are withheld; its 3 ill,
	// all treated, are not: 3 ill, 3 treated and 0 untreated are each 0 or
	// at least k.
	villageA2k3 := want{}
	for k, v := range villageA2 {
		villageA2k3[k] = v
	}
	for _, k := range []string{"disabled", "disabled_assisted_rate"} {
		villageA2k3[k] = nil
	}

	tests := []struct {
		name       string
		k          int
		q          data.StatsQuery
		code       string
		suppressed bool
		want       want
		rows       int
	}{
		{"village A latest", 1, data.StatsQuery{Level: data.LevelVillage}, codeA, false, villageA2, 2},
		{"village A baseline", 1, data.StatsQuery{Level: data.LevelVillage, Round: "2017-12-01"}, codeA, false, villageA1, 2},
		{"village B latest", 1, data.StatsQuery{Level: data.LevelVillage, Round: "2019-06-01"}, codeB, false, villageB2, 2},
		{"district", 1, data.StatsQuery{Level: data.LevelDistrict}, "33.26.14", false, district2, 1},
		{"regency equals district", 1, data.StatsQuery{Level: data.LevelRegency}, "33.26", false, district2, 1},
		{"zone is village A", 1, data.StatsQuery{Level: data.LevelZone}, "urban-kertijayan", false, villageA2, 1},
		{"zone filter on villages", 1, data.StatsQuery{Level: data.LevelVillage, Zone: "urban-kertijayan"}, codeA, false, villageA2, 1},
		{"k=3 withholds sensitive counts", 3, data.StatsQuery{Level: data.LevelVillage}, codeA, false, villageA2k3, 2},
		{"k=5 hides village A too: district minus A would give B", 5, data.StatsQuery{Level: data.LevelVillage}, codeA, true, nil, 2},
		{"k=5 suppresses small village", 5, data.StatsQuery{Level: data.LevelVillage}, codeB, true, nil, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(fixture(), Options{MinHouseholds: tc.k})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.Stats(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows {
				t.Fatalf("got %d rows, want %d", len(rows), tc.rows)
			}
			for _, a := range rows {
				if a.Code != tc.code {
					continue
				}
				if a.Suppressed != tc.suppressed {
					t.Fatalf("suppressed = %v, want %v", a.Suppressed, tc.suppressed)
				}
				if tc.suppressed {
					if a.Households != 0 || a.Values != nil {
						t.Fatalf("suppressed area carries figures: %+v", a)
					}
					return
				}
				checkValues(t, a, tc.want)
				return
			}
			t.Fatalf("no row for %s in %+v", tc.code, rows)
		})
	}
}

func TestStatsHexagons(t *testing.T) {
	ctx := context.Background()
	s, err := New(fixture(), Options{MinHouseholds: 1})
	if err != nil {
		t.Fatal(err)
	}
	prev := 0
	for res := 6; res <= 10; res++ {
		rows, err := s.Stats(ctx, data.StatsQuery{Level: data.LevelHexagon, Res: res})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, a := range rows {
			total += a.Households
		}
		if total != 9 {
			t.Errorf("res %d: hexagons hold %d households, want 9", res, total)
		}
		// Finer resolutions split areas, never merge them.
		if len(rows) < prev {
			t.Errorf("res %d: %d cells, fewer than %d at res %d", res, len(rows), prev, res-1)
		}
		prev = len(rows)
	}
}

func TestStatsErrors(t *testing.T) {
	ctx := context.Background()
	s, err := New(fixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []data.StatsQuery{
		{Level: data.LevelVillage, Round: "2018-01-01"},
		{Level: data.LevelVillage, Zone: "nowhere"},
		{Level: "kabupaten"},
		{Level: data.LevelHexagon, Res: 11},
	} {
		if _, err := s.Stats(ctx, q); !errors.Is(err, data.ErrInvalidQuery) {
			t.Errorf("%+v: err = %v, want ErrInvalidQuery", q, err)
		}
	}
}

func TestStatusAndRounds(t *testing.T) {
	ctx := context.Background()
	s, err := New(fixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := s.Status(ctx)
	if st.Households != 9 || st.Store != "memory" || st.DatasetVersion != 1 {
		t.Errorf("status = %+v", st)
	}
	rounds, _ := s.Rounds(ctx)
	if len(rounds) != 2 || rounds[0].Round != "2017-12-01" || !rounds[0].Baseline || rounds[1].Households != 9 {
		t.Errorf("rounds = %+v", rounds)
	}
	if err := s.Replace(fixture()); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status(ctx); st.DatasetVersion != 2 {
		t.Errorf("version after Replace = %d, want 2", st.DatasetVersion)
	}
}

// TestRefusesTooLarge checks the memory store's bound: over MaxHouseholds
// rows it refuses the dataset, names the limit and points to PostGIS, and
// a Replace that is refused leaves the served dataset as it was.
func TestRefusesTooLarge(t *testing.T) {
	ds, err := demo.Generate(demo.Options{Households: 300, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		t.Fatal(err)
	}
	n := len(ds.Households)
	for _, tc := range []struct {
		max int
		ok  bool
	}{{n, true}, {n - 1, false}, {-1, true}, {0, true}} {
		_, err := New(ds, Options{MaxHouseholds: tc.max})
		if (err == nil) != tc.ok {
			t.Errorf("max %d with %d rows: err %v", tc.max, n, err)
		}
		if err != nil && (!errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "--database-url") || !strings.Contains(err.Error(), strconv.Itoa(tc.max))) {
			t.Errorf("max %d: the error does not name the limit and PostGIS: %v", tc.max, err)
		}
	}
	st, err := New(ds, Options{MaxHouseholds: n})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := st.Version(context.Background())
	bigger := ds
	bigger.Households = append(slices.Clone(ds.Households), ds.Households[0])
	bigger.Households[n].ID = "extra"
	if err := st.Replace(bigger); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Replace over the limit: %v", err)
	}
	if w, _ := st.Version(context.Background()); w != v {
		t.Errorf("a refused Replace moved the version from %d to %d", v, w)
	}
}
