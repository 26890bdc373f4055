package demo

import (
	"bytes"
	"context"
	"errors"
	"math"
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

// readGz reads a gzipped villages file the way an import would.
func readGz(t *testing.T, path string) []data.Village {
	t.Helper()
	fh, err := data.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	vs, err := data.ReadVillages(fh, path, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return vs
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
	if !reflect.DeepEqual(ds.Villages, big.Villages) || !reflect.DeepEqual(ds.Zones, big.Zones) ||
		!reflect.DeepEqual(ds.Districts, big.Districts) || ds.Region != big.Region {
		t.Error("the areas depend on the number of households")
	}
}

// TestVillagesAreTheFile: the villages are the committed file's, read by
// the importer's reader, with their real codes, names and raw geometry.
func TestVillagesAreTheFile(t *testing.T) {
	ds, _ := small(t)
	file := readGz(t, BoundariesFile)
	if len(file) != len(ds.Villages) {
		t.Fatalf("%d villages, the file has %d", len(ds.Villages), len(file))
	}
	byCode := villageIndex(ds)
	for _, f := range file {
		i, ok := byCode[f.Code]
		if !ok {
			t.Errorf("village %s (%s) of the file is missing", f.Code, f.Name)
			continue
		}
		v := ds.Villages[i]
		if v.Name != f.Name || v.Kelurahan != f.Kelurahan || v.DistrictCode != f.DistrictCode || !orb.Equal(v.Geometry, f.Geometry) {
			t.Errorf("village %s: got %s kelurahan=%v, the file has %s kelurahan=%v (or another geometry)",
				f.Code, v.Name, v.Kelurahan, f.Name, f.Kelurahan)
		}
	}
	if !slices.IsSortedFunc(ds.Villages, func(a, b data.Village) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("villages are not in code order")
	}
}

func TestRegion(t *testing.T) {
	ds, _ := small(t)
	r := ds.Region
	if r.Code != "33.26" || r.Name.ID != "Kabupaten Pekalongan" || r.Name.EN != "Pekalongan Regency" || !r.Synthetic {
		t.Errorf("region %+v", r)
	}
	for _, want := range []string{"cahyadsn/wilayah_boundaries", "MIT", "Kepmendagri 300.2.2-2430/2025"} {
		if !strings.Contains(r.Source, want) {
			t.Errorf("source %q does not mention %q", r.Source, want)
		}
	}
}

func TestReadSource(t *testing.T) {
	tests := []struct {
		name, file, want, err string
	}{
		{"all fields", `{"type":"FeatureCollection","labmap:source":{"source":"s 1","license":"MIT","basis":"law"},"features":[]}`,
			"s 1 (MIT; law)", ""},
		{"source only", `{"type":"FeatureCollection","labmap:source":{"source":"s 1"},"features":[]}`, "s 1", ""},
		{"after the features", `{"type":"FeatureCollection","features":[{"type":"Feature"}],"labmap:source":{"source":"s"}}`, "s", ""},
		{"missing", `{"type":"FeatureCollection","features":[]}`, "", `no "labmap:source" member`},
		{"empty source", `{"labmap:source":{"license":"MIT"}}`, "", `"source" is empty`},
		{"not an object", `[1]`, "", "not a GeoJSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readSource(strings.NewReader(tc.file))
			if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("readSource = %q, %v; want %q, error containing %q", got, err, tc.want, tc.err)
			}
		})
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
	for _, v := range ds.Villages {
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
			if d.Geometry != nil {
				t.Error("district has a geometry; the import dissolves it from the villages")
			}
			n, kel := 0, 0
			for _, v := range ds.Villages {
				if v.DistrictCode == tc.code {
					n++
					if v.Kelurahan {
						kel++
					}
				}
			}
			if n != tc.villages || kel != tc.kelurahan {
				t.Errorf("%d villages (%d kelurahan), want %d (%d)", n, kel, tc.villages, tc.kelurahan)
			}
		})
	}
	var mulyorejo []string
	for _, v := range ds.Villages {
		if v.Name == "Mulyorejo" {
			mulyorejo = append(mulyorejo, v.Code)
		}
	}
	if !slices.Equal(mulyorejo, []string{"33.26.09.2020", "33.26.15.2014"}) {
		t.Errorf("villages named Mulyorejo: %v, want 33.26.09.2020 (Kesesi) and 33.26.15.2014 (Tirto)", mulyorejo)
	}
}

// TestZones: each lab is its real pilot village and the real villages
// around it, and no village is in two labs.
func TestZones(t *testing.T) {
	ds, gy := small(t)
	tests := []struct {
		id, pilot, name string
		kind            data.ZoneKind
		villages        []string
	}{
		{"urban-kertijayan", "33.26.14.2009", "Kertijayan", data.ZoneUrban, []string{"33.26.14.1002", "33.26.14.1008",
			"33.26.14.2001", "33.26.14.2003", "33.26.14.2007", "33.26.14.2009", "33.26.14.2010"}},
		{"coastal-mulyorejo", "33.26.15.2014", "Mulyorejo", data.ZoneCoastal, []string{"33.26.15.2012", "33.26.15.2013",
			"33.26.15.2014", "33.26.15.2015", "33.26.19.2001", "33.26.19.2013"}},
		{"forest-botosari", "33.26.02.2008", "Botosari", data.ZoneForest, []string{"33.26.02.2005", "33.26.02.2007",
			"33.26.02.2008", "33.26.02.2009", "33.26.02.2015", "33.26.03.2001"}},
	}
	if len(ds.Zones) != len(tests) {
		t.Fatalf("%d zones, want %d", len(ds.Zones), len(tests))
	}
	byCode := villageIndex(ds)
	seen := map[string]string{}
	for i, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			z := ds.Zones[i]
			if z.ID != tc.id || z.Kind != tc.kind || z.Geometry != nil {
				t.Errorf("zone %d is %s (%s), geometry %v", i, z.ID, z.Kind, z.Geometry != nil)
			}
			if v := ds.Villages[byCode[tc.pilot]]; v.Name != tc.name {
				t.Errorf("pilot %s is %s, want %s", tc.pilot, v.Name, tc.name)
			}
			if !slices.Equal(z.VillageCodes, tc.villages) {
				t.Errorf("villages %v, want %v", z.VillageCodes, tc.villages)
			}
			pilot := newShape(ds.Villages[byCode[tc.pilot]].Geometry)
			for _, c := range z.VillageCodes {
				if other, dup := seen[c]; dup {
					t.Errorf("village %s is in %s and %s", c, other, z.ID)
				}
				seen[c] = z.ID
				if gy.villages[byCode[c]].zone != i {
					t.Errorf("village %s does not know it is in %s", c, z.ID)
				}
				if s := newShape(ds.Villages[byCode[c]].Geometry); !pilot.nearKm(&s, zoneReachKm) {
					t.Errorf("village %s is more than %.1f km from %s", c, zoneReachKm, tc.name)
				}
			}
		})
	}
}

// TestShoreline: the shore found in the data is the Java Sea coast west of
// Kota Pekalongan, checked against the city's own real boundaries.
func TestShoreline(t *testing.T) {
	_, gy := small(t)
	sl := gy.shoreline
	west, east := sl[0], sl[len(sl)-1]
	if km := distKm(west, east); km < 7 {
		t.Errorf("shoreline %v to %v is %.1f km long, want the 8 km of coast", west, east, km)
	}
	for _, p := range sl {
		if p[1] < -6.87 {
			t.Errorf("shore point %v lies south of the coast", p)
		}
	}
	kota := readGz(t, filepath.Join("..", "testdata", "kota-pekalongan-villages.geojson.gz"))
	nearest := math.Inf(1)
	for _, v := range kota {
		s := newShape(v.Geometry)
		for _, p := range sl {
			if s.contains(p) {
				t.Errorf("shore point %v lies in Kota Pekalongan (%s %s)", p, v.Code, v.Name)
			}
		}
		for _, poly := range v.Geometry {
			nearest = min(nearest, lineKm(east, orb.LineString(poly[0])))
		}
	}
	if nearest > 0.5 {
		t.Errorf("the shore ends %.2f km from Kota Pekalongan, want it to end where the city begins", nearest)
	}
}

// TestSettings: villages of the coastal kecamatan on the shore are coast,
// the pilots have their labs' settings, inland villages are not coast.
func TestSettings(t *testing.T) {
	ds, gy := small(t)
	byCode := villageIndex(ds)
	tests := []struct {
		code, name string
		want       setting
	}{
		{"33.26.15.2014", "Mulyorejo", coast},
		{"33.26.15.2015", "Jeruksari", coast},
		{"33.26.17.2011", "Depok", coast},
		{"33.26.19.2012", "Api-Api", coast},
		{"33.26.15.2001", "Wuled", town},
		{"33.26.17.2001", "Mejasem", lowland},
		{"33.26.09.2020", "Mulyorejo", lowland},
		{"33.26.14.2009", "Kertijayan", town},
		{"33.26.02.2008", "Botosari", upland},
		{"33.26.04.2001", "", upland},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			v := gy.villages[byCode[tc.code]]
			if tc.name != "" && v.Name != tc.name {
				t.Fatalf("village %s is %s, want %s", tc.code, v.Name, tc.name)
			}
			if v.setting != tc.want {
				t.Errorf("%s %s is setting %d, want %d", v.Code, v.Name, v.setting, tc.want)
			}
		})
	}
	for i := range gy.villages {
		v := &gy.villages[i]
		onShore := gy.shoreKmOf(v) < 0.3
		if districts[v.district].setting == coast && onShore && v.setting != coast {
			t.Errorf("%s %s touches the shore but is not coast", v.Code, v.Name)
		}
		if v.setting == coast && districts[v.district].setting != coast {
			t.Errorf("%s %s is coast outside the coastal kecamatan", v.Code, v.Name)
		}
	}
}

// TestHouseholdsInTheirVillages checks every household against the raw
// polygons with orb's own test: inside its village and inside no other,
// so that no overlap of the file makes it ambiguous.
func TestHouseholdsInTheirVillages(t *testing.T) {
	ds, _ := small(t)
	byCode := villageIndex(ds)
	bounds := make([]orb.Bound, len(ds.Villages))
	for i, v := range ds.Villages {
		bounds[i] = v.Geometry.Bound()
	}
	type first struct {
		loc  orb.Point
		head string
	}
	firsts := map[string]first{}
	perRound := map[data.Round]int{}
	perVillage := map[string]int{}
	for _, h := range ds.Households {
		perRound[h.Round]++
		vi, ok := byCode[h.VillageCode]
		if !ok {
			t.Fatalf("household %s: unknown village %s", h.ID, h.VillageCode)
		}
		if !strings.HasPrefix(h.ID, digits(h.VillageCode)+"-") {
			t.Errorf("household %s in village %s", h.ID, h.VillageCode)
		}
		f, seen := firsts[h.ID]
		if seen {
			if f.loc != h.Loc || f.head != h.HeadName {
				t.Errorf("household %s moved or changed head between rounds", h.ID)
			}
			continue
		}
		firsts[h.ID] = first{h.Loc, h.HeadName}
		perVillage[h.VillageCode]++
		if !planar.MultiPolygonContains(ds.Villages[vi].Geometry, h.Loc) {
			t.Errorf("household %s at %v lies outside its village %s", h.ID, h.Loc, h.VillageCode)
		}
		for j, v := range ds.Villages {
			if j != vi && bounds[j].Contains(h.Loc) && planar.MultiPolygonContains(v.Geometry, h.Loc) {
				t.Errorf("household %s of %s at %v lies in village %s too", h.ID, h.VillageCode, h.Loc, v.Code)
			}
		}
	}
	if len(firsts) != smallHouseholds {
		t.Errorf("%d distinct households, want %d", len(firsts), smallHouseholds)
	}
	if len(perVillage) != len(ds.Villages) {
		t.Errorf("households in %d villages, want all %d", len(perVillage), len(ds.Villages))
	}
	for _, r := range RoundDates(DefaultRounds) {
		if perRound[r] != smallHouseholds {
			t.Errorf("round %s has %d households, want %d", r, perRound[r], smallHouseholds)
		}
	}
}

// TestExclusiveInOverlaps makes sure the file does overlap, so that the
// test above tests something: some point of some village lies in another.
func TestExclusiveInOverlaps(t *testing.T) {
	_, gy := small(t)
	overlapping := 0
	for i := range gy.villages {
		v := &gy.villages[i]
		for _, poly := range v.Geometry {
			for _, p := range poly[0] {
				for _, j := range v.rivals {
					o := &gy.villages[j]
					if o.shape.contains(p) && !gy.exclusive(i, p) {
						overlapping++
					}
				}
			}
		}
	}
	if overlapping == 0 {
		t.Error("no vertex of any village lies in another: the overlaps this generator avoids are not there")
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
	var area [numSettings]float64
	for s := range occ {
		occ[s] = map[string]int{}
	}
	for _, v := range gy.villages {
		area[v.setting] += v.areaKm2
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
	density := func(s setting) float64 { return float64(hh[s]) / area[s] }
	if density(town) < 5*density(upland) {
		t.Errorf("town %.1f households a km², upland %.1f: towns should be far denser", density(town), density(upland))
	}
	kel, desa := 0.0, 0.0
	var kelArea, desaArea float64
	for i, v := range gy.villages {
		n := 0.0
		for _, h := range ds.Households {
			if h.Round == first && h.VillageCode == v.Code {
				n++
			}
		}
		if v.Kelurahan {
			kel, kelArea = kel+n, kelArea+gy.villages[i].areaKm2
		} else {
			desa, desaArea = desa+n, desaArea+gy.villages[i].areaKm2
		}
	}
	if kel/kelArea < 3*desa/desaArea {
		t.Errorf("kelurahan %.1f households a km², desa %.1f: kelurahan should be dense", kel/kelArea, desa/desaArea)
	}
}

// TestCheckDataset: the generated dataset passes the import's checks, which
// clean the raw villages and dissolve the kecamatan and labs from them.
func TestCheckDataset(t *testing.T) {
	ds, err := Generate(Options{Households: 1000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]string, len(ds.Households))
	for i, h := range ds.Households {
		codes[i] = h.VillageCode
	}
	if err := data.CheckDataset(&ds, "demo households"); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Districts {
		if len(d.Geometry) == 0 {
			t.Errorf("district %s %s has no geometry after the check", d.Code, d.Name)
		}
	}
	for _, z := range ds.Zones {
		if len(z.Geometry) == 0 {
			t.Errorf("zone %s has no geometry after the check", z.ID)
		}
	}
	for i, h := range ds.Households {
		if h.VillageCode != codes[i] {
			t.Fatalf("household %s moved from %s to %s", h.ID, codes[i], h.VillageCode)
		}
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
// dataset back: the households unchanged, the villages as the real file has
// them.
func TestFilesLoadBack(t *testing.T) {
	ds, _ := small(t)
	dir := t.TempDir()
	if err := WriteFiles(context.Background(), ds, dir); err != nil {
		t.Fatal(err)
	}
	files := data.Files{
		Households: filepath.Join(dir, HouseholdsFile), Villages: filepath.Join(dir, VillagesFile),
		Zones: filepath.Join(dir, ZonesFile), Districts: filepath.Join(dir, DistrictsFile),
	}
	fh, err := os.Open(files.Villages)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := data.ReadVillages(fh, files.Villages, data.ReadOptions{})
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := range ds.Villages {
		a, b := ds.Villages[i], raw[i]
		if a.Code != b.Code || a.Name != b.Name || !sameArea(a.Geometry, b.Geometry) {
			t.Fatalf("village %s changed on the way through the file", a.Code)
		}
	}
	got, err := data.LoadFiles(context.Background(), files, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Households) != len(ds.Households) || len(got.Villages) != len(ds.Villages) || len(got.Zones) != len(ds.Zones) {
		t.Fatalf("read %d households, %d villages, %d zones; wrote %d, %d, %d", len(got.Households), len(got.Villages),
			len(got.Zones), len(ds.Households), len(ds.Villages), len(ds.Zones))
	}
	for i := range ds.Households {
		a, b := ds.Households[i], got.Households[i]
		b.Line, b.BaselineStatus = 0, 0
		if !equalHousehold(a, b) {
			t.Fatalf("household row %d:\nwrote %+v\nread  %+v", i, a, b)
		}
	}
	for i, z := range ds.Zones {
		if !slices.Equal(z.VillageCodes, got.Zones[i].VillageCodes) {
			t.Errorf("zone %s: read villages %v, wrote %v", z.ID, got.Zones[i].VillageCodes, z.VillageCodes)
		}
	}
}

// sameArea compares geometries up to ring orientation, which a writer may
// change for RFC 7946: the same rings, vertex for vertex, either way round.
func sameArea(a, b orb.MultiPolygon) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for k := range a[i] {
			r, s := a[i][k], b[i][k]
			if !orb.Equal(r, s) && !orb.Equal(r, reversed(s)) {
				return false
			}
		}
	}
	return true
}

func reversed(r orb.Ring) orb.Ring {
	out := slices.Clone(r)
	slices.Reverse(out)
	return out
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

// BenchmarkGenerateDefault is what `labmap serve` builds at every start.
func BenchmarkGenerateDefault(b *testing.B) {
	for b.Loop() {
		ds, err := Generate(Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(ds.Households) != DefaultHouseholds*DefaultRounds {
			b.Fatalf("%d rows", len(ds.Households))
		}
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

// TestRasterAgrees: the raster's quick answers are exactly the
// point-in-polygon answers, at random points and at every vertex of a
// village and its rivals, where boundaries are.
func TestRasterAgrees(t *testing.T) {
	_, gy := small(t)
	rnd := newRand(1, 99, 0)
	quick := 0
	for i := range gy.villages {
		v := &gy.villages[i]
		b := v.shape.bound
		pts := make([]orb.Point, 0, 1000)
		for k := 0; k < 300; k++ {
			pts = append(pts, roundPoint(orb.Point{b.Min[0] + rnd.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rnd.Float64()*(b.Max[1]-b.Min[1])}))
		}
		for _, j := range append([]int{i}, v.rivals...) {
			for _, poly := range gy.villages[j].Geometry {
				for _, ring := range poly {
					pts = append(pts, ring...)
				}
			}
		}
		for _, p := range pts {
			if gy.rasters[i].state(p) != cellMixed {
				quick++
			}
			if got, want := gy.exclusive(i, p), gy.exclusiveSlow(i, p); got != want {
				t.Fatalf("village %s at %v: raster says %v, polygons %v", v.Code, p, got, want)
			}
		}
	}
	if quick == 0 {
		t.Error("the raster never answered")
	}
}

func BenchmarkExclusive(b *testing.B) {
	_, gy := small(b)
	rnd := newRand(1, 98, 0)
	pts := make([]orb.Point, 4096)
	vis := make([]int, len(pts))
	for k := range pts {
		vis[k] = rnd.IntN(len(gy.villages))
		bd := gy.villages[vis[k]].shape.bound
		pts[k] = orb.Point{bd.Min[0] + rnd.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rnd.Float64()*(bd.Max[1]-bd.Min[1])}
	}
	for _, bc := range []struct {
		name string
		fn   func(int, orb.Point) bool
	}{{"raster", gy.exclusive}, {"polygons", gy.exclusiveSlow}} {
		b.Run(bc.name, func(b *testing.B) {
			k := 0
			for b.Loop() {
				bc.fn(vis[k%len(pts)], pts[k%len(pts)])
				k++
			}
		})
	}
}
