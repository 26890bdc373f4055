package data

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// peopleCSV is a households file as a field team types it, in UTF-8; the
// tests below save it the ways spreadsheets do.
const peopleCSV = "household_id,round,lon,lat,village_code,head_name,members,poverty_status\n" +
	"H1,2023-03-01,109.6,-6.9,33.26.14.2009,Kertijayan – Buaran,4,poor\n" +
	"H2,2023-03-01,109.61,-6.91,3326142009,José Sémbiring,2,extreme\n"

func wantPeople(firstLine int) []Household {
	return []Household{
		{ID: "H1", Round: "2023-03-01", Loc: orb.Point{109.6, -6.9}, VillageCode: "33.26.14.2009", HeadName: "Kertijayan – Buaran",
			Members: 4, Status: Poor, HealthKm: -1, Line: firstLine},
		{ID: "H2", Round: "2023-03-01", Loc: orb.Point{109.61, -6.91}, VillageCode: "33.26.14.2009", HeadName: "José Sémbiring",
			Members: 2, Status: Extreme, HealthKm: -1, Line: firstLine + 1},
	}
}

func windows1252(t testing.TB, s string) string {
	t.Helper()
	out, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func utf16(t testing.TB, s string, e unicode.Endianness, bom unicode.BOMPolicy) string {
	t.Helper()
	out, err := unicode.UTF16(e, bom).NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// semicolons writes peopleCSV as Excel in an Indonesian locale does: fields
// separated by ";" and decimal commas.
func semicolons(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		f := strings.Split(l, ",")
		for i := range f {
			if strings.HasPrefix(f[i], "109.") || strings.HasPrefix(f[i], "-6.") {
				f[i] = strings.Replace(f[i], ".", ",", 1)
			}
		}
		out = append(out, strings.Join(f, ";"))
	}
	return strings.Join(out, "\n")
}

func TestReadHouseholdsAsPeopleHaveThem(t *testing.T) {
	tests := []struct {
		name  string
		input string
		opt   ReadOptions
		first int // line of the first household
	}{
		{"UTF-8", peopleCSV, ReadOptions{}, 2},
		{"UTF-16LE with BOM", utf16(t, peopleCSV, unicode.LittleEndian, unicode.UseBOM), ReadOptions{}, 2},
		{"UTF-16BE with BOM", utf16(t, peopleCSV, unicode.BigEndian, unicode.UseBOM), ReadOptions{}, 2},
		{"UTF-16LE without BOM", utf16(t, peopleCSV, unicode.LittleEndian, unicode.IgnoreBOM), ReadOptions{}, 2},
		{"Excel Unicode text: UTF-16LE, tabs", utf16(t, strings.ReplaceAll(peopleCSV, ",", "\t"), unicode.LittleEndian, unicode.UseBOM), ReadOptions{}, 2},
		{"Windows-1252 with --encoding", windows1252(t, peopleCSV), ReadOptions{Encoding: "windows-1252"}, 2},
		{"cp1252 alias, CRLF", windows1252(t, strings.ReplaceAll(peopleCSV, "\n", "\r\n")), ReadOptions{Encoding: "CP1252"}, 2},
		{"UTF-8 BOM wins over --encoding", "\xEF\xBB\xBF" + peopleCSV, ReadOptions{Encoding: "windows-1252"}, 2},
		{"semicolons and decimal commas", semicolons(peopleCSV), ReadOptions{}, 2},
		{"Excel sep= line", "sep=;\r\n" + strings.ReplaceAll(semicolons(peopleCSV), "\n", "\r\n"), ReadOptions{}, 3},
		{"quoted sep= line, tabs", "\"sep=\t\"\n" + strings.ReplaceAll(peopleCSV, ",", "\t"), ReadOptions{}, 3},
		{"pipes", strings.ReplaceAll(peopleCSV, ",", "|"), ReadOptions{}, 2},
		{"Windows-1252 and semicolons", windows1252(t, semicolons(peopleCSV)), ReadOptions{Encoding: "windows-1252"}, 2},
		{"Excel leftovers: empty columns, blank rows, spaces",
			"household_id;round;lon;lat;village_code;head_name;members;poverty_status;;\n" +
				" H1 ; 2023-03-01 ;109,6; -6,9 ;33.26.14.2009; Kertijayan – Buaran ;4;POOR;;\n" +
				";;;;;;;;;\n" +
				"H2;2023-03-01;109.61;-6.91; 3326142009 ;José Sémbiring; 2 ;extreme;;\n\n\n",
			ReadOptions{}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadHouseholds(strings.NewReader(tc.input), "hh.csv", tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			want := wantPeople(tc.first)
			if tc.name == "Excel leftovers: empty columns, blank rows, spaces" {
				want[1].Line = 4
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestReadHouseholdsAsPeopleHaveThemBad(t *testing.T) {
	const header = "household_id,round,lon,lat,village_code,head_name,members,poverty_status\n"
	tests := []struct {
		name  string
		input string
		opt   ReadOptions
		want  string
	}{
		{"Windows-1252 read as UTF-8: first bad line only",
			windows1252(t, header+"H0,2023-03-01,109.6,-6.9,,Siti,4,poor\nH1,2023-03-01,109.6,-6.9,,Kertijayan – Buaran,4,poor\n"+
				"H2,2023-03-01,109.6,-6.9,,José,4,poor\nH3,2023-03-01,109.6,-6.9,,André,4,poor\n"), ReadOptions{},
			`hh.csv: line 3, field head_name: "Kertijayan \x96 Buaran" is not valid UTF-8 (byte 0x96); read as Windows-1252 it is "Kertijayan – Buaran": ` +
				`the file looks like Windows-1252 (Excel's "CSV" on Windows): read it with --encoding windows-1252, or save it as "CSV UTF-8" (the same on 2 more lines after it, not listed)`},
		{"not UTF-8 nor Windows-1252", header + "H1,2023-03-01,109.6,-6.9,,Ab\x81c,4,poor\n", ReadOptions{},
			`hh.csv: line 2, field head_name: "Ab\x81c" is not valid UTF-8 (byte 0x81): save the file as UTF-8 ("CSV UTF-8" in Excel) or name its encoding with --encoding`},
		{"mangled earlier: U+FFFD", header + "H1,2023-03-01,109.6,-6.9,,Kertijayan � Buaran,4,poor\n", ReadOptions{},
			`hh.csv: line 2, field head_name: "Kertijayan � Buaran" holds U+FFFD, the replacement character: an earlier conversion lost a character here; ` +
				`correct the value in the source and export it again as UTF-8`},
		{"Windows-1252 in a semicolon file after sep=", windows1252(t, "sep=;\n"+semicolons(header+"H1,2023-03-01,109.6,-6.9,,Kertijayan – Buaran,4,poor\n")), ReadOptions{},
			`hh.csv: line 3, field head_name: "Kertijayan \x96 Buaran" is not valid UTF-8 (byte 0x96); read as Windows-1252 it is "Kertijayan – Buaran": ` +
				`the file looks like Windows-1252 (Excel's "CSV" on Windows): read it with --encoding windows-1252, or save it as "CSV UTF-8"`},
		{"unknown encoding", header, ReadOptions{Encoding: "ebcdic"},
			`hh.csv: encoding "ebcdic" is not one of utf-8, windows-1252, utf-16`},
		{"delimiter not found", "household_id:round:lon:lat:members:poverty_status\nH1:2023-03-01:109.6:-6.9:4:poor\n", ReadOptions{},
			`hh.csv: line 1: the header has no known column: split at "," (comma), the delimiter found, it reads as 1 column, "household_id:round:lon:lat:members:pover..."; ` +
				`labmap finds a comma, semicolon, tab or | delimiter (or takes Excel's sep= first line) and needs the columns household_id, round, lon, lat, members, poverty_status: ` +
				`save the file with one of those delimiters and name its columns as the data contract does`},
		{"columns named otherwise, semicolons", "id_ruta;putaran;bujur;lintang;anggota;status;desa\nH1;2023-03-01;109,6;-6,9;4;miskin;x\n", ReadOptions{},
			`hh.csv: line 1: the header has no known column: split at ";" (semicolon), the delimiter found, it reads as 7 columns, "id_ruta", "putaran", "bujur", "lintang", "anggota", "status", ...; ` +
				`labmap finds a comma, semicolon, tab or | delimiter (or takes Excel's sep= first line) and needs the columns household_id, round, lon, lat, members, poverty_status: ` +
				`save the file with one of those delimiters and name its columns as the data contract does`},
		{"sep= line shifts line numbers", "sep=;\nhousehold_id;round;lon;lat;members;poverty_status\nH1;2023-03-01;109,6;-6,9;4;rich\n", ReadOptions{},
			`hh.csv: line 3, field poverty_status: "rich" is not one of extreme, poor, vulnerable, non_poor`},
		{"thousands separator is not a decimal comma", "household_id;round;lon;lat;members;poverty_status;health_km\nH1;2023-03-01;109,6;-6,9;4;poor;1.234,5\n", ReadOptions{},
			`hh.csv: line 2, field health_km: "1.234,5" is not a number`},
		{"decimal comma in a comma file", header + `H1,2023-03-01,"109,6",-6.9,,,4,poor` + "\n", ReadOptions{},
			`hh.csv: line 2, field lon: "109,6" is not a number: use a decimal point, not a comma`},
		{"village code of another shape", header + "H1,2023-03-01,109.6,-6.9,33.26.14.29,,4,poor\n", ReadOptions{},
			`hh.csv: line 2, field village_code: "33.26.14.29" is not a Kemendagri village code: expected PP.RR.DD.VVVV in digits, as 33.26.14.2009 (or 3326142009 without dots)`},
		{"village code with dashes", header + "H1,2023-03-01,109.6,-6.9,33-26-14-2009,,4,poor\n", ReadOptions{},
			`hh.csv: line 2, field village_code: "33-26-14-2009" is not a Kemendagri village code: expected PP.RR.DD.VVVV in digits, as 33.26.14.2009 (or 3326142009 without dots)`},
		{"village code rounded by Excel", header + "H1,2023-03-01,109.6,-6.9,3.32614E+09,,4,poor\n", ReadOptions{},
			`hh.csv: line 2, field village_code: "3.32614E+09" is not a Kemendagri village code: expected PP.RR.DD.VVVV in digits, as 33.26.14.2009 (or 3326142009 without dots); ` +
				`a spreadsheet has turned the code into a rounded number: format the column as text and enter the codes again`},
		{"value in a column without a name", "household_id,round,lon,lat,members,poverty_status,\nH1,2023-03-01,109.6,-6.9,4,poor,oops\n", ReadOptions{},
			`hh.csv: line 2, field column 7: "oops" is in a column without a name in the header; name the column or delete the value`},
		{"Excel booleans checked still", "household_id,round,lon,lat,members,poverty_status,electricity\nH1,2023-03-01,109.6,-6.9,4,poor,WAHR\n", ReadOptions{},
			`hh.csv: line 2, field electricity: "WAHR" is not one of true, false (also 1/0, yes/no, ya/tidak; empty when unknown)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadHouseholds(strings.NewReader(tc.input), "hh.csv", tc.opt)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", err, tc.want)
			}
			var ie *InputError
			if tc.opt.Encoding == "" && !errors.As(err, &ie) {
				t.Errorf("error %T is not an *InputError", err)
			}
		})
	}
}

// The streaming scan (PostGIS import) must refuse the same rows before it
// hands any bad one on: PostgreSQL would stop the COPY with SQLSTATE 22021.
func TestScanHouseholdsNeverPassesBadText(t *testing.T) {
	in := windows1252(t, peopleCSV)
	var passed []string
	err := ScanHouseholds(strings.NewReader(in), "hh.csv", ReadOptions{}, func(h *Household) error {
		passed = append(passed, h.HeadName)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "line 2, field head_name") {
		t.Fatalf("err = %v", err)
	}
	if len(passed) != 0 {
		t.Errorf("rows handed on: %q", passed)
	}
}

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]string{"": "", "UTF8": EncodingUTF8, "latin1": EncodingWindows1252, "utf-16le": EncodingUTF16} {
		if got, err := ParseEncoding(in); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeCodes(t *testing.T) {
	tests := []struct {
		in, village, district string
	}{
		{"33.26.14.2009", "33.26.14.2009", ""},
		{"3326142009", "33.26.14.2009", ""},
		{"33.26.14", "", "33.26.14"},
		{"332614", "", "33.26.14"},
		{"33.26.14.29", "", ""},
		{"33.26.142009", "", ""},
		{"332614200", "", ""},
		{"33.2a.14.2009", "", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		v, vok := NormalizeVillageCode(tc.in)
		d, dok := NormalizeDistrictCode(tc.in)
		if v != tc.village || vok != (tc.village != "") || d != tc.district || dok != (tc.district != "") {
			t.Errorf("%q: village %q %v, district %q %v; want %q, %q", tc.in, v, vok, d, dok, tc.village, tc.district)
		}
	}
}
