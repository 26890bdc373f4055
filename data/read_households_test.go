package data

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/unicode"
)

const fullHeader = "household_id,round,lon,lat,village_code,head_name,members,poverty_status,occupation,welfare_decile," +
	"causes,house_uninhabitable,house_repaired,latrine,water_source,electricity,chronic_ill,chronic_ill_treated," +
	"disabled,disabled_assisted,children_school_age,children_out_of_school,health_km,programs"

// goodHouseholdsCSV exercises every column; minimal rows leave optional
// columns empty.
const goodHouseholdsCSV = fullHeader + "\n" +
	"H1,2023-03-01,109.612345,-6.912345,33.26.14.2009,Siti Aminah,4,poor,fisher,2,low_income;debt,ya,tidak,shared,river,1,2,1,1,0,3,1,2.5,pkh;bpnt\n" +
	"H2,2023-03-01,109.5,-7.0,,,1,non_poor,,,,,,,,,,,,,,,,\n" +
	"H1,2024-03-01,109.612345,-6.912345,33.26.14.2009,\"Aminah, Siti\",4,VULNERABLE,Fisher,10,Debt,TRUE,Yes,own,piped,0,0,0,0,0,0,0,0,\n"

func wantGoodHouseholds() []Household {
	return []Household{
		{ID: "H1", Round: "2023-03-01", Loc: orb.Point{109.612345, -6.912345}, Members: 4, Status: Poor,
			VillageCode: "33.26.14.2009", HeadName: "Siti Aminah", Occupation: "fisher", WelfareDecile: 2,
			Causes: []string{"low_income", "debt"}, HouseUninhabitable: FlagYes, HouseRepaired: FlagNo,
			Latrine: LatrineShared, WaterSource: "river", Electricity: FlagYes, ChronicIll: 2, ChronicIllTreated: 1,
			Disabled: 1, DisabledAssisted: 0, ChildrenSchoolAge: 3, ChildrenOutOfSchool: 1, HealthKm: 2.5,
			Programs: []string{"pkh", "bpnt"}, Line: 2},
		{ID: "H2", Round: "2023-03-01", Loc: orb.Point{109.5, -7}, Members: 1, Status: NonPoor, HealthKm: -1, Line: 3},
		{ID: "H1", Round: "2024-03-01", Loc: orb.Point{109.612345, -6.912345}, Members: 4, Status: Vulnerable,
			VillageCode: "33.26.14.2009", HeadName: "Aminah, Siti", Occupation: "fisher", WelfareDecile: 10,
			Causes: []string{"debt"}, HouseUninhabitable: FlagYes, HouseRepaired: FlagYes, Latrine: LatrineOwn,
			WaterSource: "piped", Electricity: FlagNo, HealthKm: 0, Line: 4},
	}
}

func TestReadHouseholdsGood(t *testing.T) {
	tests := []struct {
		name  string
		input string
		opt   ReadOptions
		want  []Household
	}{
		{"every column", goodHouseholdsCSV, ReadOptions{}, wantGoodHouseholds()},
		{"BOM and CRLF", "\xEF\xBB\xBF" + strings.ReplaceAll(goodHouseholdsCSV, "\n", "\r\n"), ReadOptions{}, wantGoodHouseholds()},
		{"required columns only, other order",
			"poverty_status,members,lat,lon,round,household_id\nextreme,3,-6.9,109.6,2023-03-01,H9\n", ReadOptions{},
			[]Household{{ID: "H9", Round: "2023-03-01", Loc: orb.Point{109.6, -6.9}, Members: 3, Status: Extreme, HealthKm: -1, Line: 2}}},
		{"header names trimmed and case-folded",
			" Household_ID ,ROUND,lon,lat,members,poverty_status\nH9,2023-03-01,109.6,-6.9,3,poor\n", ReadOptions{},
			[]Household{{ID: "H9", Round: "2023-03-01", Loc: orb.Point{109.6, -6.9}, Members: 3, Status: Poor, HealthKm: -1, Line: 2}}},
		{"unknown column ignored",
			"household_id,round,lon,lat,members,poverty_status,colour\nH9,2023-03-01,109.6,-6.9,3,poor,red\n",
			ReadOptions{IgnoreUnknown: true},
			[]Household{{ID: "H9", Round: "2023-03-01", Loc: orb.Point{109.6, -6.9}, Members: 3, Status: Poor, HealthKm: -1, Line: 2}}},
		{"line numbers count physical lines of quoted fields",
			"household_id,round,lon,lat,members,poverty_status,head_name\nH1,2023-03-01,109.6,-6.9,3,poor,\"two\nlines\"\nH2,2023-03-01,109.6,-6.9,3,poor,x\n",
			ReadOptions{},
			[]Household{
				{ID: "H1", Round: "2023-03-01", Loc: orb.Point{109.6, -6.9}, Members: 3, Status: Poor, HeadName: "two\nlines", HealthKm: -1, Line: 2},
				{ID: "H2", Round: "2023-03-01", Loc: orb.Point{109.6, -6.9}, Members: 3, Status: Poor, HeadName: "x", HealthKm: -1, Line: 4},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadHouseholds(strings.NewReader(tc.input), "hh.csv", tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// row builds a data line for fullHeader from a valid household, with some
// columns replaced.
func row(over map[string]string) string {
	vals := map[string]string{
		"household_id": "H1", "round": "2023-03-01", "lon": "109.6", "lat": "-6.9", "members": "4", "poverty_status": "poor",
	}
	for k, v := range over {
		vals[k] = v
	}
	var out []string
	for _, c := range strings.Split(fullHeader, ",") {
		out = append(out, vals[c])
	}
	return strings.Join(out, ",")
}

func TestReadHouseholdsBad(t *testing.T) {
	const minHeader = "household_id,round,lon,lat,members,poverty_status"
	full := func(rows ...string) string { return fullHeader + "\n" + strings.Join(rows, "\n") + "\n" }
	tests := []struct {
		name  string
		input string
		want  []string // substrings of the error: location, field, reason
	}{
		{"missing required column", "household_id,round,lon,lat,poverty_status\nH1,2023-03-01,109.6,-6.9,poor\n",
			[]string{"line 1", "field members", "required column is missing"}},
		{"unknown column", minHeader + ",colour\nH1,2023-03-01,109.6,-6.9,4,poor,red\n",
			[]string{"line 1", "field colour", "unknown column", "--ignore-unknown"}},
		{"duplicate column", minHeader + ",lon\nH1,2023-03-01,109.6,-6.9,4,poor,109.6\n",
			[]string{"line 1", "field lon", "appears twice (columns 3 and 7)"}},
		{"empty file", "", []string{"hh.csv: ", "empty", "no data rows"}},
		{"header only", minHeader + "\n", []string{"line 1", "no data rows"}},
		{"not a number", full(row(map[string]string{"lon": "abc"})), []string{"line 2", "field lon", `"abc" is not a number`}},
		{"decimal comma", full(row(map[string]string{"lat": `"-6,9"`})), []string{"line 2", "field lat", "decimal point"}},
		{"lon out of range", full(row(map[string]string{"lon": "200"})), []string{"line 2", "field lon", "out of range", "[-180,180]"}},
		{"lat out of range", full(row(map[string]string{"lon": "120", "lat": "95"})), []string{"line 2", "field lat", "out of range", "[-90,90]"}},
		{"swapped in Indonesia", full(row(map[string]string{"lon": "-6.91", "lat": "109.64"})),
			[]string{"line 2", "fields lon/lat", "(-6.91, 109.64) looks swapped", "Indonesia"}},
		{"swapped elsewhere", full(row(map[string]string{"lon": "48.85", "lat": "-120.3"})),
			[]string{"line 2", "fields lon/lat", "looks swapped"}},
		{"null island", full(row(map[string]string{"lon": "0", "lat": "0"})), []string{"line 2", "fields lon/lat", "GPS"}},
		{"empty lon", full(row(map[string]string{"lon": ""})), []string{"line 2", "field lon", "is empty"}},
		{"bad round", full(row(map[string]string{"round": "2023-13-01"})), []string{"line 2", "field round", "ISO date"}},
		{"unknown poverty status", full(row(map[string]string{"poverty_status": "rich"})),
			[]string{"line 2", "field poverty_status", `"rich" is not one of extreme, poor, vulnerable, non_poor`}},
		{"unknown latrine", full(row(map[string]string{"latrine": "pit"})), []string{"line 2", "field latrine", "not one of own, shared, none"}},
		{"unknown occupation", full(row(map[string]string{"occupation": "astronaut"})),
			[]string{"line 2", "field occupation", `"astronaut" is not one of`, "fisher"}},
		{"unknown water source", full(row(map[string]string{"water_source": "well"})),
			[]string{"line 2", "field water_source", `"well" is not one of`, "piped"}},
		{"unknown cause", full(row(map[string]string{"causes": "low_income;bad_luck"})),
			[]string{"line 2", "field causes", `"bad_luck" is not one of`, "low_income"}},
		{"cause twice", full(row(map[string]string{"causes": "debt;debt"})), []string{"line 2", "field causes", "listed twice"}},
		{"unknown programme", full(row(map[string]string{"programs": "pkh;xyz"})),
			[]string{"line 2", "field programs", `"xyz" is not one of`, "pkh"}},
		{"bad flag", full(row(map[string]string{"electricity": "maybe"})), []string{"line 2", "field electricity", `"maybe" is not one of true, false`}},
		{"welfare decile out of range", full(row(map[string]string{"welfare_decile": "11"})),
			[]string{"line 2", "field welfare_decile", "between 1 and 10"}},
		{"duplicate household and round", full(row(nil), row(nil)),
			[]string{"line 3", "fields household_id/round", "appears twice", "first on line 2"}},
		{"treated more than ill", full(row(map[string]string{"chronic_ill": "1", "chronic_ill_treated": "2"})),
			[]string{"line 2", "field chronic_ill_treated", "more than chronic_ill (1)"}},
		{"assisted more than disabled", full(row(map[string]string{"disabled": "0", "disabled_assisted": "1"})),
			[]string{"line 2", "field disabled_assisted", "more than disabled (0)"}},
		{"out of school more than school age", full(row(map[string]string{"children_school_age": "2", "children_out_of_school": "3"})),
			[]string{"line 2", "field children_out_of_school", "more than children_school_age (2)"}},
		{"members zero", full(row(map[string]string{"members": "0"})), []string{"line 2", "field members", "at least 1"}},
		{"members not whole", full(row(map[string]string{"members": "2.5"})), []string{"line 2", "field members", "not a whole number"}},
		{"negative count", full(row(map[string]string{"disabled": "-1"})), []string{"line 2", "field disabled", "negative"}},
		{"negative health distance", full(row(map[string]string{"health_km": "-3"})), []string{"line 2", "field health_km", "negative"}},
		{"empty household id", full(row(map[string]string{"household_id": ""})), []string{"line 2", "field household_id", "is empty"}},
		{"wrong number of fields", minHeader + "\nH1,2023-03-01,109.6\n", []string{"line 2", "has 3 fields but the header has 6 columns"}},
		{"stray quote", minHeader + "\nH1,2023-03-01,109.6,-6.9,4,po\"or\n", []string{"line 2", "column", "quote"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs, err := ReadHouseholds(strings.NewReader(tc.input), "hh.csv", ReadOptions{})
			if err == nil {
				t.Fatalf("no error; read %+v", hs)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not an *InputError", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "hh.csv: ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if hs != nil {
				t.Errorf("households returned with an error: %+v", hs)
			}
		})
	}
}

func TestReadHouseholdsManyProblems(t *testing.T) {
	input := fullHeader + "\n" +
		row(map[string]string{"lon": "abc"}) + "\n" +
		row(map[string]string{"household_id": "H2"}) + "\n" +
		row(map[string]string{"household_id": "H3", "poverty_status": "rich", "members": "0"}) + "\n" +
		row(map[string]string{"household_id": "H4", "lon": "-6.91", "lat": "109.64"}) + "\n" +
		row(map[string]string{"household_id": "H5", "latrine": "pit"}) + "\n"

	t.Run("all reported", func(t *testing.T) {
		_, err := ReadHouseholds(strings.NewReader(input), "households.csv", ReadOptions{})
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *InputError", err)
		}
		wantLines := []int{2, 4, 4, 5, 6}
		var gotLines []int
		for _, p := range ie.Problems {
			gotLines = append(gotLines, p.Line)
		}
		if !reflect.DeepEqual(gotLines, wantLines) || ie.More {
			t.Errorf("problems on lines %v (more %v), want %v", gotLines, ie.More, wantLines)
		}
		want := "households.csv: 5 problems:\n" +
			"  line 2, field lon: \"abc\" is not a number\n" +
			"  line 4, field members: must be at least 1, got 0\n" +
			"  line 4, field poverty_status: \"rich\" is not one of extreme, poor, vulnerable, non_poor\n" +
			"  line 5, fields lon/lat: (-6.91, 109.64) looks swapped: lat must be in [-90,90] and this pair reads as lat,lon (read the other way it lies in Indonesia); swap the two columns\n" +
			"  line 6, field latrine: \"pit\" is not one of own, shared, none (or empty when unknown)"
		if err.Error() != want {
			t.Errorf("got\n%s\nwant\n%s", err, want)
		}
	})
	t.Run("MaxErrors truncates", func(t *testing.T) {
		_, err := ReadHouseholds(strings.NewReader(input), "households.csv", ReadOptions{MaxErrors: 2})
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *InputError", err)
		}
		if len(ie.Problems) != 2 || !ie.More {
			t.Errorf("%d problems, more %v; want 2 and more", len(ie.Problems), ie.More)
		}
		if !strings.HasSuffix(err.Error(), "\n  ... and more") {
			t.Errorf("error does not end with ... and more:\n%s", err)
		}
	})
	t.Run("single problem on one line", func(t *testing.T) {
		_, err := ReadHouseholds(strings.NewReader(fullHeader+"\n"+row(map[string]string{"lon": "abc"})+"\n"), "households.csv", ReadOptions{})
		want := `households.csv: line 2, field lon: "abc" is not a number`
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
}

// A broken reader is not an input problem: its error comes back wrapped.
func TestReadHouseholdsReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := ioErrReader{data: []byte(fullHeader + "\n" + row(nil) + "\n"), err: boom}
	_, err := ReadHouseholds(&r, "hh.csv", ReadOptions{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "hh.csv") {
		t.Errorf("got %v, want a wrapped %v naming the file", err, boom)
	}
}

type ioErrReader struct {
	data []byte
	err  error
}

func (r *ioErrReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestHouseholdsRoundTrip(t *testing.T) {
	hs := wantGoodHouseholds()
	hs = append(hs, Household{ID: "H3", Round: "2024-03-01", Loc: orb.Point{-0.000001, 0.5}, Members: 12, Status: Extreme,
		HeadName: "Ahmad \"Pak\" Dahlan\nRT 02", Occupation: "batik_worker", WelfareDecile: 1,
		Causes: []string{"illness", "disability", "no_land"}, HouseUninhabitable: FlagNo, Latrine: LatrineNone,
		WaterSource: "unprotected_well", Electricity: FlagYes, ChronicIll: 3, ChronicIllTreated: 3, Disabled: 2,
		DisabledAssisted: 1, ChildrenSchoolAge: 4, ChildrenOutOfSchool: 4, HealthKm: 12.3, Programs: Programs})
	var buf bytes.Buffer
	if err := WriteHouseholds(&buf, hs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadHouseholds(&buf, "hh.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	line := 2
	for i := range hs {
		hs[i].Line = line
		line += 1 + strings.Count(hs[i].HeadName, "\n")
	}
	if !reflect.DeepEqual(got, hs) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, hs)
	}
}

// genHouseholdsCSV builds a realistic file of n rows: two rounds, a few
// hundred villages, every column filled.
func genHouseholdsCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString(fullHeader + "\n")
	occ := sortedKeys(Occupations)
	causes := []string{"low_income", "low_income;debt", "illness;low_education", "", "no_land"}
	statuses := []string{"extreme", "poor", "vulnerable", "non_poor"}
	for i := 0; i < n; i++ {
		round := "2023-03-01"
		if i%2 == 1 {
			round = "2024-03-01"
		}
		fmt.Fprintf(&b, "HH%07d,%s,%.6f,%.6f,33.26.%02d.%04d,Nama Kepala %d,%d,%s,%s,%d,%s,true,false,own,piped,yes,1,0,0,0,2,1,%.1f,pkh;bpnt\n",
			i/2, round, 109.4+float64(i%1000)*0.0003, -7.1+float64(i%997)*0.0003, i%19+1, 2000+i%300, i, 1+i%7,
			statuses[i%4], occ[i%len(occ)], 1+i%10, causes[i%len(causes)], float64(i%50)/10)
	}
	return b.Bytes()
}

func BenchmarkReadHouseholds(b *testing.B) {
	const rows = 900_000
	input := genHouseholdsCSV(rows)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		hs, err := ReadHouseholds(bytes.NewReader(input), "bench.csv", ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(hs) != rows {
			b.Fatalf("%d rows", len(hs))
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func FuzzReadHouseholds(f *testing.F) {
	f.Add([]byte(goodHouseholdsCSV))
	f.Add([]byte("\xEF\xBB\xBF" + strings.ReplaceAll(goodHouseholdsCSV, "\n", "\r\n")))
	f.Add([]byte("household_id,round,lon,lat,members,poverty_status\nH1,2023-03-01,109.6,-6.9,4,poor\nH1,2023-03-01,-6.9,109.6,0,rich\n"))
	f.Add(genHouseholdsCSV(20))
	f.Add([]byte("sep=;\n" + semicolons(peopleCSV)))
	f.Add([]byte(windows1252(f, peopleCSV)))
	f.Add([]byte(utf16(f, peopleCSV, unicode.LittleEndian, unicode.UseBOM)))
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := ReadHouseholds(bytes.NewReader(data), "fuzz.csv", ReadOptions{IgnoreUnknown: len(data)%2 == 0})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("error %v is not an *InputError with problems", err)
			}
			_ = err.Error()
			return
		}
		for _, h := range hs {
			if h.ID == "" || h.Round == "" || h.Members < 1 || h.Status < Extreme || h.Status > NonPoor || h.Line < 2 ||
				h.ChronicIllTreated > h.ChronicIll || h.DisabledAssisted > h.Disabled || h.ChildrenOutOfSchool > h.ChildrenSchoolAge ||
				h.Loc.Lon() < -180 || h.Loc.Lon() > 180 || h.Loc.Lat() < -90 || h.Loc.Lat() > 90 ||
				h.WelfareDecile < 0 || h.WelfareDecile > 10 || (h.HealthKm < 0 && h.HealthKm != -1) {
				t.Fatalf("accepted an invalid household %+v", h)
			}
			// Text reaches PostgreSQL, which refuses what is not UTF-8, and the map.
			for _, s := range []string{h.ID, h.HeadName, h.VillageCode} {
				if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
					t.Fatalf("accepted text that is not clean UTF-8: %q", s)
				}
			}
			if c, ok := NormalizeVillageCode(h.VillageCode); h.VillageCode != "" && (!ok || c != h.VillageCode) {
				t.Fatalf("accepted village code %q", h.VillageCode)
			}
		}
		if err := WriteHouseholds(&bytes.Buffer{}, hs); err != nil {
			t.Fatalf("cannot write what was read: %v", err)
		}
	})
}
