package demo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"labmap/data"
	"labmap/geo"
)

// smallHouseholds keeps most tests fast; the geography does not depend on it.
const smallHouseholds = 3000

var fixture struct {
	once sync.Once
	ds   data.Dataset
	gy   *geography
	err  error
}

// small returns the seed-1 dataset with smallHouseholds households a round,
// generated once for all tests, and its geography.
func small(t testing.TB) (data.Dataset, *geography) {
	t.Helper()
	fixture.once.Do(func() {
		opt, err := Options{Households: smallHouseholds}.withDefaults()
		if err == nil {
			fixture.gy, err = buildGeography(opt.Seed)
		}
		if err == nil {
			fixture.ds = fixture.gy.dataset(opt)
		}
		fixture.err = err
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.ds, fixture.gy
}

func villageIndex(ds data.Dataset) map[string]int {
	m := make(map[string]int, len(ds.Villages))
	for i, v := range ds.Villages {
		m[v.Code] = i
	}
	return m
}

func TestDeterministicFiles(t *testing.T) {
	write := func(seed uint64, procs int) string {
		// Villages are generated in parallel; the output must not depend on
		// how many run at once.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		ds, err := Generate(Options{Households: smallHouseholds, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := WriteFiles(context.Background(), ds, dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	a, b, other := write(1, 4), write(1, 1), write(2, 2)
	for _, name := range []string{HouseholdsFile, VillagesFile, ZonesFile, DistrictsFile} {
		fa, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		fb, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(fa) == 0 || !bytes.Equal(fa, fb) {
			t.Errorf("%s differs between two runs with the same seed (%d and %d bytes)", name, len(fa), len(fb))
		}
	}
	h1, _ := os.ReadFile(filepath.Join(a, HouseholdsFile))
	h2, _ := os.ReadFile(filepath.Join(other, HouseholdsFile))
	if bytes.Equal(h1, h2) {
		t.Error("seeds 1 and 2 gave the same households file")
	}
	entries, _ := os.ReadDir(a)
	if len(entries) != 4 {
		t.Errorf("WriteFiles left %d files, want 4 (no temporary files)", len(entries))
	}
}

func TestGeographyIgnoresHouseholdCount(t *testing.T) {
	ds, _ := small(t)
	big, err := Generate(Options{Households: 2 * smallHouseholds, Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ds.Villages {
		a, b := ds.Villages[i], big.Villages[i]
		if a.Code != b.Code || a.Name != b.Name || !orb.Equal(a.Geometry, b.Geometry) {
			t.Fatalf("village %d differs: %s %s vs %s %s", i, a.Code, a.Name, b.Code, b.Name)
		}
	}
}

func TestDistricts(t *testing.T) {
	ds, _ := small(t)
	tests := []struct {
		code, name          string
		villages, kelurahan int
	}{
		{"33.26.01", "Kandangserang", 14, 0}, {"33.26.02", "Paninggaran", 15, 0}, {"33.26.03", "Lebakbarang", 11, 0},
		{"33.26.04", "Petungkriyono", 9, 0}, {"33.26.05", "Talun", 10, 0}, {"33.26.06", "Doro", 14, 0},
		{"33.26.07", "Karanganyar", 15, 0}, {"33.26.08", "Kajen", 25, 1}, {"33.26.09", "Kesesi", 23, 0},
		{"33.26.10", "Sragi", 17, 1}, {"33.26.11", "Bojong", 22, 0}, {"33.26.12", "Wonopringgo", 14, 0},
		{"33.26.13", "Kedungwuni", 19, 3}, {"33.26.14", "Buaran", 10, 3}, {"33.26.15", "Tirto", 16, 0},
		{"33.26.16", "Wiradesa", 16, 5}, {"33.26.17", "Siwalan", 13, 0}, {"33.26.18", "Karangdadap", 11, 0},
		{"33.26.19", "Wonokerto", 11, 0},
	}
	if len(ds.Districts) != len(tests) {
		t.Fatalf("%d districts, want %d", len(ds.Districts), len(tests))
	}
	if len(ds.Villages) != 285 {
		t.Errorf("%d villages, want 285", len(ds.Villages))
	}
	kelurahan := 0
	seen := map[string]bool{}
	for _, v := range ds.Villages {
		if seen[v.Code] {
			t.Errorf("village code %s twice", v.Code)
		}
		seen[v.Code] = true
		if v.Kelurahan {
			kelurahan++
		}
		if data.DistrictCodeOf(v.Code) != v.DistrictCode {
			t.Errorf("village %s has district %s", v.Code, v.DistrictCode)
		}
		want := "2"
		if v.Kelurahan {
			want = "1"
		}
		if last := v.Code[len(v.DistrictCode)+1:]; len(last) != 4 || !strings.HasPrefix(last, want) {
			t.Errorf("village %s (kelurahan %v): number %s", v.Code, v.Kelurahan, last)
		}
	}
	if kelurahan != 13 {
		t.Errorf("%d kelurahan, want 13", kelurahan)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := ds.Districts[i]
			if d.Code != tc.code || d.Name != tc.name {
				t.Fatalf("district %d is %s %s", i, d.Code, d.Name)
			}
			if len(d.Geometry) != 1 {
				t.Errorf("district is %d pieces, want one", len(d.Geometry))
			}
			n, kel := 0, 0
			names := map[string]bool{}
			for _, v := range ds.Villages {
				if v.DistrictCode != tc.code {
					continue
				}
				n++
				if v.Kelurahan {
					kel++
				}
				if names[v.Name] {
					t.Errorf("two villages named %s", v.Name)
				}
				names[v.Name] = true
			}
			if n != tc.villages || kel != tc.kelurahan {
				t.Errorf("%d villages (%d kelurahan), want %d (%d)", n, kel, tc.villages, tc.kelurahan)
			}
		})
	}
}

func TestPilotVillages(t *testing.T) {
	ds, gy := small(t)
	byCode := villageIndex(ds)
	tests := []struct {
		code, name, district, zone string
		kind                       data.ZoneKind
	}{
		{"33.26.14.2009", "Kertijayan", "33.26.14", "urban-kertijayan", data.ZoneUrban},
		{"33.26.15.2014", "Mulyorejo", "33.26.15", "coastal-mulyorejo", data.ZoneCoastal},
		{"33.26.02.2008", "Botosari", "33.26.02", "forest-botosari", data.ZoneForest},
	}
	if len(ds.Zones) != len(tests) {
		t.Fatalf("%d zones, want %d", len(ds.Zones), len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vi, ok := byCode[tc.code]
			if !ok {
				t.Fatalf("no village %s", tc.code)
			}
			v := ds.Villages[vi]
			if v.Name != tc.name || v.DistrictCode != tc.district || v.Kelurahan {
				t.Errorf("village %s is %s in %s (kelurahan %v)", tc.code, v.Name, v.DistrictCode, v.Kelurahan)
			}
			z := ds.Zones[i]
			if z.ID != tc.zone || z.Kind != tc.kind || z.Name == "" {
				t.Errorf("zone %d is %q %q %q", i, z.ID, z.Kind, z.Name)
			}
			if !slices.Contains(z.VillageCodes, tc.code) || len(z.VillageCodes) < 2 {
				t.Errorf("zone %s villages %v: want the pilot and its neighbours", z.ID, z.VillageCodes)
			}
			for _, c := range gy.villages[vi].cells {
				if !planar.MultiPolygonContains(z.Geometry, gy.grid.centre[c]) {
					t.Fatalf("cell %s of %s is outside zone %s", geo.CellString(gy.grid.cells[c]), tc.name, z.ID)
				}
			}
			// The zone is exactly the pilot and the villages sharing an edge with it.
			var want []string
			for _, c := range gy.villages[vi].cells {
				for _, j := range gy.grid.nbr[c] {
					if j >= 0 && int(gy.villageOf[j]) != vi {
						want = append(want, ds.Villages[gy.villageOf[j]].Code)
					}
				}
			}
			want = append(want, tc.code)
			slices.Sort(want)
			want = slices.Compact(want)
			if !slices.Equal(z.VillageCodes, want) {
				t.Errorf("zone %s villages %v, want %v", z.ID, z.VillageCodes, want)
			}
		})
	}
	var mulyorejo []string
	for _, v := range ds.Villages {
		if v.Name == "Mulyorejo" {
			mulyorejo = append(mulyorejo, v.Code)
		}
	}
	if len(mulyorejo) != 2 || mulyorejo[0] == mulyorejo[1] || data.DistrictCodeOf(mulyorejo[0]) != "33.26.09" {
		t.Errorf("villages named Mulyorejo: %v, want one in Kesesi and one in Tirto", mulyorejo)
	}
}

func TestPolygonsValid(t *testing.T) {
	ds, _ := small(t)
	check := func(what, code string, mp orb.MultiPolygon) {
		if len(mp) == 0 {
			t.Errorf("%s %s has no geometry", what, code)
		}
		for i, p := range mp {
			if err := geo.ValidatePolygon(p); err != nil {
				t.Errorf("%s %s polygon %d: %v", what, code, i, err)
			}
		}
	}
	for _, v := range ds.Villages {
		check("village", v.Code, v.Geometry)
		if len(v.Geometry) != 1 {
			t.Errorf("village %s is %d pieces, want one", v.Code, len(v.Geometry))
		}
	}
	for _, d := range ds.Districts {
		check("district", d.Code, d.Geometry)
	}
	for _, z := range ds.Zones {
		check("zone", z.ID, z.Geometry)
	}
}

// TestVillagesTileRegency samples a dense grid: every point on a regency
// cell lies in exactly one village, and every point well inside the outline
// lies on a regency cell.
func TestVillagesTileRegency(t *testing.T) {
	ds, gy := small(t)
	bounds := make([]orb.Bound, len(ds.Villages))
	for i, v := range ds.Villages {
		bounds[i] = v.Geometry.Bound()
	}
	b := outline.Bound()
	border := orb.LineString(outline)
	const step = 0.0013 // about 140 m, finer than a cell
	points, multiple, missing, elsewhere, gaps := 0, 0, 0, 0, 0
	for lat := b.Min[1] + step/3; lat < b.Max[1]; lat += step {
		for lon := b.Min[0] + step/7; lon < b.Max[0]; lon += step {
			p := orb.Point{lon, lat}
			ci, onCell := gy.grid.index[geo.Cell(p, cellRes)]
			if !onCell {
				if planar.RingContains(outline, p) && distToLineKm(p, border) > 0.5 {
					gaps++
				}
				continue
			}
			points++
			n := 0
			for i := range ds.Villages {
				if bounds[i].Contains(p) && planar.MultiPolygonContains(ds.Villages[i].Geometry, p) {
					n++
					if i != int(gy.villageOf[ci]) {
						elsewhere++
					}
				}
			}
			switch {
			case n == 0:
				missing++
			case n > 1:
				multiple++
			}
		}
	}
	if points < 30000 {
		t.Fatalf("only %d sample points", points)
	}
	// H3 draws cell edges as great-circle arcs, the polygons as straight
	// lines in lon/lat: a point within centimetres of a border can fall on
	// the other side of it. That is a handful of points, never a pattern.
	if frac := float64(multiple+missing+elsewhere) / float64(points); frac > 1e-3 {
		t.Errorf("of %d points %d lie in several villages, %d in none, %d in another village than their H3 cell's",
			points, multiple, missing, elsewhere)
	}
	if gaps > 0 {
		t.Errorf("%d points well inside the outline lie in no village", gaps)
	}
}

func TestCoastalDistrictsTouchSea(t *testing.T) {
	ds, _ := small(t)
	// A district reaches the sea when its boundary comes within a cell of
	// the shoreline.
	tests := []struct {
		name  string
		coast bool
	}{
		{"Wonokerto", true}, {"Siwalan", true}, {"Tirto", true},
		{"Kajen", false}, {"Kedungwuni", false}, {"Petungkriyono", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(ds.Districts, func(d data.District) bool { return d.Name == tc.name })
			if i < 0 {
				t.Fatalf("no district %s", tc.name)
			}
			best := 1e9
			for _, p := range ds.Districts[i].Geometry {
				for _, q := range p[0] {
					best = min(best, distToLineKm(q, shoreline))
				}
			}
			if got := best < 0.35; got != tc.coast {
				t.Errorf("nearest point to the shore %.2f km; coastal = %v, want %v", best, got, tc.coast)
			}
		})
	}
}

func TestHouseholdsInTheirVillages(t *testing.T) {
	ds, _ := small(t)
	byCode := villageIndex(ds)
	polys := make([]orb.MultiPolygon, len(ds.Villages))
	for i, v := range ds.Villages {
		polys[i] = v.Geometry
	}
	idx := geo.NewPolygonIndex(polys)
	type first struct {
		loc  orb.Point
		head string
	}
	firsts := map[string]first{}
	perRound := map[data.Round]int{}
	for _, h := range ds.Households {
		perRound[h.Round]++
		vi, ok := byCode[h.VillageCode]
		if !ok {
			t.Fatalf("household %s: unknown village %s", h.ID, h.VillageCode)
		}
		if got := idx.Find(h.Loc); got != vi {
			t.Fatalf("household %s at %v: in village index %d, want %s", h.ID, h.Loc, got, h.VillageCode)
		}
		if !strings.HasPrefix(h.ID, digits(h.VillageCode)+"-") {
			t.Errorf("household %s in village %s", h.ID, h.VillageCode)
		}
		f, seen := firsts[h.ID]
		if !seen {
			firsts[h.ID] = first{h.Loc, h.HeadName}
		} else if f.loc != h.Loc || f.head != h.HeadName {
			t.Errorf("household %s moved or changed head between rounds", h.ID)
		}
	}
	if len(firsts) != smallHouseholds {
		t.Errorf("%d distinct households, want %d", len(firsts), smallHouseholds)
	}
	for _, r := range RoundDates(DefaultRounds) {
		if perRound[r] != smallHouseholds {
			t.Errorf("round %s has %d households, want %d", r, perRound[r], smallHouseholds)
		}
	}
}

// TestLiftedShares is the headline: the labs lift about 70% of their
// baseline poor, the rest of the regency far fewer, and some households fall
// into poverty.
func TestLiftedShares(t *testing.T) {
	ds, _ := small(t)
	inLab := map[string]bool{}
	for _, z := range ds.Zones {
		for _, c := range z.VillageCodes {
			inLab[c] = true
		}
	}
	rounds := RoundDates(DefaultRounds)
	base := map[string]data.PovertyStatus{}
	poorAt := map[data.Round]int{}
	for _, h := range ds.Households {
		if h.Round == rounds[0] {
			base[h.ID] = h.Status
		}
		if h.Status.IsPoor() {
			poorAt[h.Round]++
		}
	}
	var labPoor, labLifted, outPoor, outLifted, fell int
	for _, h := range ds.Households {
		if h.Round != rounds[len(rounds)-1] {
			continue
		}
		switch {
		case base[h.ID].IsPoor() && inLab[h.VillageCode]:
			labPoor++
			if !h.Status.IsPoor() {
				labLifted++
			}
		case base[h.ID].IsPoor():
			outPoor++
			if !h.Status.IsPoor() {
				outLifted++
			}
		case h.Status.IsPoor():
			fell++
		}
	}
	lab, out := float64(labLifted)/float64(labPoor), float64(outLifted)/float64(outPoor)
	t.Logf("lifted: labs %d/%d = %.3f, elsewhere %d/%d = %.3f; %d fell into poverty", labLifted, labPoor, lab, outLifted, outPoor, out, fell)
	if lab < 0.65 || lab > 0.75 {
		t.Errorf("labs lifted %.3f of their baseline poor, want 0.65-0.75", lab)
	}
	if out > 0.35 || out < 0.1 {
		t.Errorf("elsewhere %.3f lifted, want 0.1-0.35", out)
	}
	if fell == 0 {
		t.Error("no household fell into poverty")
	}
	// BPS: 12.6% in 2017, 10.2% in 2020.
	if rate := float64(poorAt[rounds[0]]) / smallHouseholds; rate < 0.12 || rate > 0.132 {
		t.Errorf("baseline poverty rate %.3f, want about 0.126", rate)
	}
	if rate := float64(poorAt[rounds[len(rounds)-1]]) / smallHouseholds; rate < 0.085 || rate > 0.115 {
		t.Errorf("poverty rate %.3f at the last round, want about 0.10", rate)
	}
}

// decileBands are the welfare deciles each status may have.
var decileBands = map[data.PovertyStatus][2]int{
	data.Extreme: {1, 1}, data.Poor: {1, 3}, data.Vulnerable: {3, 5}, data.NonPoor: {4, 10},
}

// TestHouseholdInvariants checks every row against the data contract and
// the programmes' logic.
func TestHouseholdInvariants(t *testing.T) {
	ds, _ := small(t)
	prev := map[string]*data.Household{}
	for i := range ds.Households {
		h := &ds.Households[i]
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("household %s round %s: "+format, append([]any{h.ID, h.Round}, args...)...)
		}
		if h.Members < 1 || h.ChronicIll > h.Members || h.Disabled > h.Members || h.ChildrenSchoolAge >= h.Members {
			fail("members %d, ill %d, disabled %d, school age %d", h.Members, h.ChronicIll, h.Disabled, h.ChildrenSchoolAge)
		}
		if h.ChronicIllTreated > h.ChronicIll || h.DisabledAssisted > h.Disabled || h.ChildrenOutOfSchool > h.ChildrenSchoolAge {
			fail("treated %d/%d, assisted %d/%d, out of school %d/%d", h.ChronicIllTreated, h.ChronicIll,
				h.DisabledAssisted, h.Disabled, h.ChildrenOutOfSchool, h.ChildrenSchoolAge)
		}
		if band := decileBands[h.Status]; h.WelfareDecile < band[0] || h.WelfareDecile > band[1] {
			fail("decile %d with status %s", h.WelfareDecile, h.Status)
		}
		if _, ok := data.Occupations[h.Occupation]; !ok {
			fail("occupation %q", h.Occupation)
		}
		if _, ok := data.WaterSources[h.WaterSource]; !ok {
			fail("water source %q", h.WaterSource)
		}
		if h.Status.IsPoor() && (len(h.Causes) < 1 || len(h.Causes) > 3) {
			fail("poor with causes %v", h.Causes)
		}
		for _, c := range h.Causes {
			if _, ok := data.Causes[c]; !ok {
				fail("cause %q", c)
			}
		}
		for _, p := range h.Programs {
			if !slices.Contains(data.Programs, p) {
				fail("programme %q", p)
			}
		}
		if (h.HouseRepaired == data.FlagYes) != slices.Contains(h.Programs, "rtlh") {
			fail("repaired %s with programmes %v", h.HouseRepaired, h.Programs)
		}
		if h.HouseRepaired == data.FlagYes && h.HouseUninhabitable == data.FlagYes {
			fail("repaired house still uninhabitable")
		}
		if h.Latrine == data.LatrineUnknown || h.Electricity == data.FlagUnknown || h.HealthKm < 0 || h.HeadName == "" {
			fail("missing answers: latrine %q electricity %q health_km %v head %q", h.Latrine, h.Electricity, h.HealthKm, h.HeadName)
		}
		if p := prev[h.ID]; p != nil {
			if p.HouseRepaired == data.FlagYes && h.HouseRepaired != data.FlagYes {
				fail("repair undone")
			}
			if p.Latrine == data.LatrineOwn && h.Latrine != data.LatrineOwn {
				fail("latrine lost")
			}
			for _, sticky := range []string{"rtlh", "jamban", "kudu_sekolah"} {
				if slices.Contains(p.Programs, sticky) && !slices.Contains(h.Programs, sticky) {
					fail("programme %s dropped", sticky)
				}
			}
			if slices.Contains(h.Programs, "jamban") && !slices.Contains(p.Programs, "jamban") && p.Latrine == data.LatrineOwn {
				fail("jamban programme without a new latrine")
			}
			if slices.Contains(h.Programs, "kudu_sekolah") && !slices.Contains(p.Programs, "kudu_sekolah") &&
				h.ChildrenOutOfSchool >= p.ChildrenOutOfSchool {
				fail("kudu_sekolah without a child back in school")
			}
		} else if h.HouseRepaired == data.FlagYes || slices.ContainsFunc(h.Programs, func(p string) bool {
			return p == "rtlh" || p == "jamban" || p == "kudu_sekolah"
		}) {
			fail("programme results at baseline: %v", h.Programs)
		}
		prev[h.ID] = h
	}
}

// TestProgrammesReachLabsMore compares the change from the first to the
// last round inside and outside the labs. The small dataset has only a
// couple of hundred lab households, too few to compare rates, so this test
// makes a larger one.
func TestProgrammesReachLabsMore(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20000 households")
	}
	_, gy := small(t)
	ds := gy.dataset(Options{Households: 20000, Rounds: DefaultRounds, Seed: DefaultSeed})
	inLab := map[string]bool{}
	for _, z := range ds.Zones {
		for _, c := range z.VillageCodes {
			inLab[c] = true
		}
	}
	rounds := RoundDates(DefaultRounds)
	type sums struct{ ill, treated, noLatrine, rtlh, repaired int }
	var s [2][2]sums // [lab][first, last]
	for _, h := range ds.Households {
		r := -1
		switch h.Round {
		case rounds[0]:
			r = 0
		case rounds[len(rounds)-1]:
			r = 1
		default:
			continue
		}
		l := 0
		if inLab[h.VillageCode] {
			l = 1
		}
		x := &s[l][r]
		x.ill += h.ChronicIll
		x.treated += h.ChronicIllTreated
		if h.Latrine == data.LatrineNone {
			x.noLatrine++
		}
		if h.HouseUninhabitable == data.FlagYes {
			x.rtlh++
		}
		if h.HouseRepaired == data.FlagYes {
			x.repaired++
		}
	}
	for l, name := range []string{"outside", "labs"} {
		first, last := s[l][0], s[l][1]
		if float64(last.treated)/float64(last.ill) <= float64(first.treated)/float64(first.ill) {
			t.Errorf("%s: treated share did not rise (%d/%d to %d/%d)", name, first.treated, first.ill, last.treated, last.ill)
		}
		if last.noLatrine >= first.noLatrine || last.rtlh >= first.rtlh || last.repaired == 0 {
			t.Errorf("%s: no latrine %d to %d, uninhabitable %d to %d, repaired %d", name, first.noLatrine, last.noLatrine,
				first.rtlh, last.rtlh, last.repaired)
		}
	}
	labGain := float64(s[1][1].repaired) / float64(s[1][0].rtlh)
	outGain := float64(s[0][1].repaired) / float64(s[0][0].rtlh)
	if labGain <= 2*outGain {
		t.Errorf("labs repaired %.2f of their uninhabitable houses, elsewhere %.2f: want the labs far ahead", labGain, outGain)
	}
}

// TestPlaces checks that the setting shows: fishers on the coast, forest
// workers upland, denser towns.
func TestPlaces(t *testing.T) {
	ds, gy := small(t)
	byCode := villageIndex(ds)
	var occ [numSettings]map[string]int
	var hh [numSettings]int
	var cells [numSettings]int
	for s := range occ {
		occ[s] = map[string]int{}
	}
	for _, v := range gy.villages {
		cells[v.setting] += len(v.cells)
	}
	first := RoundDates(1)[0]
	for _, h := range ds.Households {
		if h.Round != first {
			continue
		}
		s := gy.villages[byCode[h.VillageCode]].setting
		occ[s][h.Occupation]++
		hh[s]++
	}
	tests := []struct {
		name    string
		setting setting
		jobs    []string
		share   float64
	}{
		{"coast", coast, []string{"fisher", "fish_processing"}, 0.25},
		{"upland", upland, []string{"forest_worker", "farmer", "farm_labourer"}, 0.5},
		{"town", town, []string{"factory_worker", "batik_worker", "informal", "trader"}, 0.5},
		{"lowland", lowland, []string{"farmer", "farm_labourer"}, 0.3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for _, j := range tc.jobs {
				n += occ[tc.setting][j]
			}
			if share := float64(n) / float64(hh[tc.setting]); share < tc.share {
				t.Errorf("%v make up %.2f of households, want at least %.2f", tc.jobs, share, tc.share)
			}
		})
	}
	density := func(s setting) float64 { return float64(hh[s]) / float64(cells[s]) }
	if density(town) < 5*density(upland) {
		t.Errorf("town %.2f households a cell, upland %.2f: towns should be far denser", density(town), density(upland))
	}
}

func TestRounds(t *testing.T) {
	_, gy := small(t)
	got := RoundDates(5)
	want := []data.Round{"2017-12-01", "2019-06-01", "2020-06-01", "2021-06-01", "2022-06-01"}
	if !slices.Equal(got, want) {
		t.Errorf("RoundDates(5) = %v, want %v", got, want)
	}
	tests := []struct {
		name   string
		rounds int
	}{{"baseline only", 1}, {"two", 2}, {"five", 5}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := gy.dataset(Options{Households: 500, Rounds: tc.rounds, Seed: DefaultSeed})
			if len(ds.Households) != 500*tc.rounds {
				t.Fatalf("%d rows, want %d", len(ds.Households), 500*tc.rounds)
			}
			for i, h := range ds.Households {
				if h.Round != want[i/500] {
					t.Fatalf("row %d in round %s, want %s", i, h.Round, want[i/500])
				}
			}
		})
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, opt := range []Options{{Households: -1}, {Rounds: -2}, {Households: MaxHouseholds + 1}} {
		if _, err := Generate(opt); err == nil {
			t.Errorf("Generate(%+v) succeeded", opt)
		}
	}
}

// TestFilesLoadBack reads the written files with the importer and gets the
// dataset back unchanged.
func TestFilesLoadBack(t *testing.T) {
	ds, _ := small(t)
	dir := t.TempDir()
	if err := WriteFiles(context.Background(), ds, dir); err != nil {
		t.Fatal(err)
	}
	got, err := data.LoadFiles(context.Background(), data.Files{
		Households: filepath.Join(dir, HouseholdsFile), Villages: filepath.Join(dir, VillagesFile),
		Zones: filepath.Join(dir, ZonesFile), Districts: filepath.Join(dir, DistrictsFile),
	}, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Households) != len(ds.Households) || len(got.Villages) != len(ds.Villages) {
		t.Fatalf("read %d households, %d villages; wrote %d, %d", len(got.Households), len(got.Villages),
			len(ds.Households), len(ds.Villages))
	}
	for i := range ds.Households {
		a, b := ds.Households[i], got.Households[i]
		b.Line, b.BaselineStatus = 0, 0
		if !equalHousehold(a, b) {
			t.Fatalf("household row %d:\nwrote %+v\nread  %+v", i, a, b)
		}
	}
	for i := range ds.Villages {
		if !orb.Equal(ds.Villages[i].Geometry, got.Villages[i].Geometry) || ds.Villages[i].Name != got.Villages[i].Name {
			t.Fatalf("village %s changed on the way through the file", ds.Villages[i].Code)
		}
	}
}

func equalHousehold(a, b data.Household) bool {
	if !slices.Equal(a.Causes, b.Causes) || !slices.Equal(a.Programs, b.Programs) {
		return false
	}
	a.Causes, b.Causes, a.Programs, b.Programs = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

func TestWriteFilesCancelled(t *testing.T) {
	ds, _ := small(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if err := WriteFiles(ctx, ds, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteFiles with a cancelled context: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("cancelled WriteFiles left %d files", len(entries))
	}
}

func BenchmarkGenerateFull(b *testing.B) {
	for b.Loop() {
		ds, err := Generate(Options{Households: 300000, Rounds: 3})
		if err != nil {
			b.Fatal(err)
		}
		if len(ds.Households) != 900000 {
			b.Fatalf("%d rows", len(ds.Households))
		}
	}
}
