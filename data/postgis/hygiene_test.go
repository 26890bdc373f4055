package postgis_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"labmap/data"
	"labmap/data/postgis"
)

// respell rewrites the demo households file as a spreadsheet saves it:
// every record goes through edit (header included, index 0), then the file
// is written with the delimiter comma and encoded by enc.
func respell(t *testing.T, f data.Files, prefix string, comma rune, enc func(string) (string, error), edit func(i int, rec []string)) data.Files {
	t.Helper()
	b, err := os.ReadFile(f.Households)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(prefix)
	w := csv.NewWriter(&buf)
	w.Comma = comma
	for i, rec := range recs {
		if edit != nil {
			edit(i, rec)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	out := buf.String()
	if enc != nil {
		if out, err = enc(out); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "households.csv")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	v := f
	v.Households = path
	return v
}

// rewriteVillages copies the villages file with a regular expression
// replaced (as regexp.ReplaceAllString does).
func rewriteVillages(t *testing.T, f data.Files, from, to string) data.Files {
	t.Helper()
	b, err := os.ReadFile(f.Villages)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(from)
	if !re.Match(b) {
		t.Fatalf("villages file has no %s", from)
	}
	path := filepath.Join(t.TempDir(), "villages.geojson")
	if err := os.WriteFile(path, re.ReplaceAll(b, []byte(to)), 0o644); err != nil {
		t.Fatal(err)
	}
	v := f
	v.Villages = path
	return v
}

func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, c := range header {
		if c == name {
			return i
		}
	}
	t.Fatalf("no column %s", name)
	return -1
}

// TestImportFilesAsPeopleHaveThem imports the demo households as
// spreadsheets save them and requires the database to hold exactly what the
// plain file gives; then refused files must leave it exactly as it was.
func TestImportFilesAsPeopleHaveThem(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	ctx := context.Background()
	url := migrated(t)
	f := files(t)
	importFiles(t, url, f)
	plain := snapshot(t, url)

	var header []string
	undot := func(i int, rec []string) {
		if i == 0 {
			header = rec
			return
		}
		c := column(t, header, "village_code")
		rec[c] = strings.ReplaceAll(rec[c], ".", "")
	}
	// Indonesian Excel: ";" between fields, decimal commas.
	indonesian := func(i int, rec []string) {
		undot(i, rec)
		if i == 0 {
			return
		}
		for _, name := range []string{"lon", "lat", "health_km"} {
			c := column(t, header, name)
			rec[c] = strings.Replace(rec[c], ".", ",", 1)
		}
	}
	cp1252 := charmap.Windows1252.NewEncoder().String
	utf16 := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String

	good := []struct {
		name string
		f    data.Files
		opt  data.ReadOptions
	}{
		{"Windows-1252, sep=;, decimal commas, codes without dots", respell(t, f, "sep=;\r\n", ';', cp1252, indonesian), data.ReadOptions{Encoding: "windows-1252"}},
		{"UTF-16 with tabs (Excel Unicode text)", respell(t, f, "", '\t', utf16, undot), data.ReadOptions{}},
		{"village codes without dots in the villages file", rewriteVillages(t, rewriteVillages(t, f,
			`"code":"(\d\d)\.(\d\d)\.(\d\d)\.(\d{4})"`, `"code":"$1$2$3$4"`),
			`"district_code":"(\d\d)\.(\d\d)\.(\d\d)"`, `"district_code":"$1$2$3"`), data.ReadOptions{}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := postgis.Import(ctx, url, tc.f, postgis.ImportOptions{Log: quiet, Read: tc.opt}); err != nil {
				t.Fatal(err)
			}
			if got := snapshot(t, url); withoutVersion(got) != withoutVersion(plain) {
				t.Errorf("the database differs from the plain import:\n%s\n%s", got, plain)
			}
		})
	}

	before := snapshot(t, url)
	setAt := func(line int, col, value string) func(int, []string) {
		return func(i int, rec []string) {
			if i == 0 {
				header = rec
			}
			if i == line-1 {
				rec[column(t, header, col)] = value
			}
		}
	}
	bad := []struct {
		name string
		f    data.Files
		want []string
	}{
		{"Windows-1252 without --encoding", respell(t, f, "", ',', nil, setAt(4501, "head_name", "Kertijayan \x96 Buaran")),
			[]string{`households.csv: line 4501, field head_name: "Kertijayan \x96 Buaran" is not valid UTF-8 (byte 0x96); read as Windows-1252 it is "Kertijayan – Buaran": ` +
				`the file looks like Windows-1252 (Excel's "CSV" on Windows): read it with --encoding windows-1252, or save it as "CSV UTF-8"`}},
		{"name mangled by an earlier conversion", respell(t, f, "", ';', nil, setAt(6001, "head_name", "Kertijayan \ufffd Buaran")),
			[]string{`households.csv: line 6001, field head_name: "Kertijayan � Buaran" holds U+FFFD`}},
		{"delimiter not found", respell(t, f, "", ':', nil, nil),
			[]string{`households.csv: line 1: the header has no known column: split at "," (comma), the delimiter found, it reads as 1 column, "household_id:round:lon:lat:village_code:..."; ` +
				"labmap finds a comma, semicolon, tab or | delimiter (or takes Excel's sep= first line)"}},
		{"village code of another shape", respell(t, f, "sep=;\n", ';', nil, setAt(7001, "village_code", "33.26.14.29")),
			[]string{`households.csv: line 7002, field village_code: "33.26.14.29" is not a Kemendagri village code: expected PP.RR.DD.VVVV in digits, as 33.26.14.2009 (or 3326142009 without dots)`}},
		{"villages file with other property names", rewriteVillages(t, f, `"code":`, `"KDEPUM":`),
			[]string{`field code: no feature has the property "code" (feature 1 has the properties KDEPUM, district_code, kelurahan, name): name the property that holds the village code with --village-code-field, e.g. --village-code-field KDEPUM`}},
		{"village name not UTF-8", rewriteVillages(t, f, `"name":"`, `"name":"`+"\xe9"),
			[]string{`field name: "\xe9`, "is not valid UTF-8 (byte 0xE9)", "GeoJSON must be UTF-8"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := postgis.Import(ctx, url, tc.f, postgis.ImportOptions{Log: quiet})
			var ie *data.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not say\n%s", err, w)
				}
			}
			if strings.Contains(err.Error(), "SQLSTATE") {
				t.Errorf("a database error reached the user: %v", err)
			}
			if after := snapshot(t, url); after != before {
				t.Fatalf("a refused import changed the database")
			}
		})
	}
}
