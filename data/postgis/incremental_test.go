package postgis_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"labmap/data"
	"labmap/data/postgis"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// splitRegencies splits the demo regency in two: districts 01-09 stay
// regency 33.26 (A), districts 10-19 become regency 33.27 (B). The two
// share a border, so some H3 cells hold households of both.
func splitRegencies(t *testing.T) (a, b data.Files) {
	t.Helper()
	f := files(t)
	dir := t.TempDir()
	inB := func(code string) bool { return strings.HasPrefix(code, "33.26.1") }
	recode := func(code string) string {
		if inB(code) {
			return "33.27" + code[len("33.26"):]
		}
		return code
	}
	split := func(name, src string, keep func(code string) bool) (string, string) {
		var fc struct {
			Type     string           `json:"type"`
			Features []map[string]any `json:"features"`
		}
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &fc); err != nil {
			t.Fatal(err)
		}
		var pa, pb []map[string]any
		for _, ft := range fc.Features {
			props := ft["properties"].(map[string]any)
			code := props["code"].(string)
			for _, k := range []string{"code", "district_code"} {
				if v, ok := props[k].(string); ok {
					props[k] = recode(v)
				}
			}
			if inB(code) {
				pb = append(pb, ft)
			} else {
				pa = append(pa, ft)
			}
		}
		write := func(sub string, fs []map[string]any) string {
			p := filepath.Join(dir, sub, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": fs})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		return write("a", pa), write("b", pb)
	}
	a.Villages, b.Villages = split("villages.geojson", f.Villages, nil)
	a.Districts, b.Districts = split("districts.geojson", f.Districts, nil)
	rows := readCSV(t, f.Households)
	var ra, rb [][]string
	ra, rb = append(ra, rows[0]), append(rb, rows[0])
	vc := column(t, rows[0], "village_code")
	for _, r := range rows[1:] {
		if inB(r[vc]) {
			r[vc] = recode(r[vc])
			rb = append(rb, r)
		} else {
			ra = append(ra, r)
		}
	}
	a.Households = writeCSV(t, filepath.Join(dir, "a", "households.csv"), ra)
	b.Households = writeCSV(t, filepath.Join(dir, "b", "households.csv"), rb)
	return a, b
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func writeCSV(t *testing.T, path string, rows [][]string) string {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// editHouseholds writes a copy of f's households with edit applied to
// every row (return false to drop it).
func editHouseholds(t *testing.T, f data.Files, edit func(header, row []string) bool) data.Files {
	t.Helper()
	rows := readCSV(t, f.Households)
	out := [][]string{rows[0]}
	for _, r := range rows[1:] {
		if edit(rows[0], r) {
			out = append(out, r)
		}
	}
	v := f
	v.Households = writeCSV(t, filepath.Join(t.TempDir(), "households.csv"), out)
	return v
}

// aggTables are every aggregate table and its row order.
var aggTables = map[string]string{
	"agg_villages":       "round, code",
	"agg_village_causes": "round, code, cause",
	"agg_districts":      "round, code",
	"agg_zones":          "round, code",
	"agg_hexagons":       "round, res, cell",
	"hexagon_zones":      "zone_id, round, res, cell",
	"agg_provinces":      "round, code",
	"agg_regencies":      "round, code",
}

// digests is the md5 of the ordered rows of each query.
func digests(t *testing.T, url string, queries map[string]string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	out := map[string]string{}
	for name, q := range queries {
		var s *string
		if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if s == nil {
			t.Fatalf("%s: no rows", name)
		}
		out[name] = *s
	}
	return out
}

func aggDigests(t *testing.T, url string) map[string]string {
	qs := map[string]string{}
	for table, order := range aggTables {
		qs[table] = "SELECT coalesce(md5(string_agg(a::text, '|' ORDER BY " + order + ")), '') || ' ' || count(*) FROM " + table + " a"
	}
	return digests(t, url, qs)
}

func sameDigests(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s differs: %s, want %s", what, k, got[k], w)
		}
	}
}

func importLogged(t *testing.T, url string, f data.Files) string {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := postgis.Import(context.Background(), url, f, postgis.ImportOptions{Log: log}); err != nil {
		t.Fatalf("import %s: %v", f.Households, err)
	}
	return buf.String()
}

// TestImportRegionLeavesOthersUntouched imports regency B beside A and then
// B again with other data: A's households, villages and districts, their
// aggregate rows and every hexagon without B's households stay the same
// rows, not rewritten (same xmin).
func TestImportRegionLeavesOthersUntouched(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	a, b := splitRegencies(t)
	url := migrated(t)
	importFiles(t, url, a)
	importFiles(t, url, b)
	aRows := map[string]string{
		"households":    `SELECT md5(string_agg(h::text || h.xmin::text || h.ctid::text, '|' ORDER BY round, household_id)) FROM households h WHERE village_code LIKE '33.26.%'`,
		"villages":      `SELECT md5(string_agg(v::text || v.xmin::text, '|' ORDER BY code)) FROM villages v WHERE code LIKE '33.26.%'`,
		"districts":     `SELECT md5(string_agg(d::text || d.xmin::text, '|' ORDER BY code)) FROM districts d WHERE code LIKE '33.26.%'`,
		"agg_villages":  `SELECT md5(string_agg(a::text || a.xmin::text, '|' ORDER BY round, code)) FROM agg_villages a WHERE code LIKE '33.26.%'`,
		"agg_districts": `SELECT md5(string_agg(a::text || a.xmin::text, '|' ORDER BY round, code)) FROM agg_districts a WHERE code LIKE '33.26.%'`,
	}
	// Hexagons of no household of B, before or after (the re-import only
	// drops some of B's households, so B's cells now are all there are).
	var bCells string
	if err := pgxQueryRow(t, url, `SELECT array_agg(DISTINCT c)::text FROM households h
		CROSS JOIN LATERAL unnest(ARRAY[h.h3_r6, h.h3_r7, h.h3_r8, h.h3_r9, h.h3_r10]) c WHERE h.village_code LIKE '33.27.%'`, &bCells); err != nil {
		t.Fatal(err)
	}
	aRows["agg_hexagons"] = `SELECT md5(string_agg(a::text || a.xmin::text, '|' ORDER BY round, res, cell)) FROM agg_hexagons a
		WHERE a.cell <> ALL('` + bCells + `'::bigint[])`
	before := digests(t, url, aRows)
	b2 := poorer(t, b)
	log := importLogged(t, url, b2)
	if !strings.Contains(log, "aggregates of the region refreshed") {
		t.Fatalf("the re-import of B rebuilt every aggregate:\n%s", log)
	}
	after := digests(t, url, aRows)
	sameDigests(t, "after re-importing B", after, before)
	var shared int
	if err := pgxQueryRow(t, url, `SELECT count(DISTINCT h3_r6) FROM households a WHERE village_code LIKE '33.26.%'
		AND h3_r6 IN (SELECT h3_r6 FROM households WHERE village_code LIKE '33.27.%')`, &shared); shared == 0 || err != nil {
		t.Fatalf("A and B share no res-6 cell (err %v): the test would not see border cells", err)
	}
}

// poorer is f with a tenth of its households gone and a tenth of the
// others extremely poor.
func poorer(t *testing.T, f data.Files) data.Files {
	return editHouseholds(t, f, func(h, r []string) bool {
		id := r[column(t, h, "household_id")]
		if strings.HasSuffix(id, "7") {
			return false
		}
		if strings.HasSuffix(id, "3") {
			r[column(t, h, "poverty_status")] = "extreme"
		}
		return true
	})
}

// villagesBox is the extent of the villages whose code starts with prefix.
func villagesBox(t *testing.T, url, prefix string) orb.Bound {
	t.Helper()
	var b orb.Bound
	if err := pgxQueryRow(t, url, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom) e FROM villages WHERE starts_with(code, '`+prefix+`')) x`,
		&b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1]); err != nil {
		t.Fatal(err)
	}
	return b
}

func pgxQueryRow(t *testing.T, url, q string, dst ...any) error {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, q).Scan(dst...)
}

// TestIncrementalEqualsFullRebuild is the oracle: after a sequence of
// imports of single regencies, each refreshing only its own aggregates,
// every aggregate table equals row for row what the full rebuild gives
// from the same households.
func TestIncrementalEqualsFullRebuild(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	a, b := splitRegencies(t)
	url := migrated(t)
	importFiles(t, url, a)
	importFiles(t, url, b)
	// B with its baseline round changed (every "lifted" figure moves) and
	// some households gone; then A with one round only.
	b2 := editHouseholds(t, b, func(h, r []string) bool {
		id := r[column(t, h, "household_id")]
		if strings.HasSuffix(id, "1") && r[column(t, h, "round")] == "2017-12-01" {
			r[column(t, h, "poverty_status")] = "poor"
		}
		return !strings.HasSuffix(id, "5")
	})
	a2 := editHouseholds(t, a, func(h, r []string) bool {
		if r[column(t, h, "round")] != "2020-06-01" {
			return false
		}
		if strings.HasSuffix(r[column(t, h, "household_id")], "2") {
			r[column(t, h, "poverty_status")] = "non_poor"
		}
		return true
	})
	// B with a third round no other region has: every other area gains
	// an empty row for it, without a full rebuild.
	b3 := withRound(t, b2, "2020-06-01", "2023-01-01", func(h, r []string) {
		if strings.HasSuffix(r[column(t, h, "household_id")], "4") {
			r[column(t, h, "poverty_status")] = "non_poor"
		}
	})
	for _, f := range []data.Files{b2, a2, b3} {
		if log := importLogged(t, url, f); !strings.Contains(log, "aggregates of the region refreshed") {
			t.Fatalf("import of %s rebuilt every aggregate:\n%s", f.Households, log)
		}
	}
	var empty bool
	if err := pgxQueryRow(t, url, `SELECT bool_and(households = 0) AND count(*) > 0 FROM agg_villages
		WHERE round = '2023-01-01' AND code LIKE '33.26.%'`, &empty); err != nil || !empty {
		t.Fatalf("A's villages have no empty rows of the new round (err %v)", err)
	}
	incremental := aggDigests(t, url)
	if err := postgis.RebuildAll(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	sameDigests(t, "incremental vs full rebuild", incremental, aggDigests(t, url))
}

// withRound writes a copy of f's households with the rows of round from
// repeated as round to, edited by edit.
func withRound(t *testing.T, f data.Files, from, to string, edit func(header, row []string)) data.Files {
	t.Helper()
	rows := readCSV(t, f.Households)
	out := slices.Clone(rows)
	for _, r := range rows[1:] {
		if r[column(t, rows[0], "round")] == from {
			c := slices.Clone(r)
			c[column(t, rows[0], "round")] = to
			edit(rows[0], c)
			out = append(out, c)
		}
	}
	v := f
	v.Households = writeCSV(t, filepath.Join(t.TempDir(), "households.csv"), out)
	return v
}

// TestParallelRegionImports imports A and B at once and one after the
// other: the aggregates are the same.
func TestParallelRegionImports(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	a, b := splitRegencies(t)
	serial := migrated(t)
	importFiles(t, serial, a)
	importFiles(t, serial, b)
	parallel := migrated(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, f := range []data.Files{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = postgis.Import(context.Background(), parallel, f, postgis.ImportOptions{Log: quiet})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sameDigests(t, "parallel vs serial", aggDigests(t, parallel), aggDigests(t, serial))
}

// TestFailedRegionImportChangesNothing fails an import of B after its
// households were replaced (one of its household ids is A's): nothing
// changes, A's rows and B's included.
func TestFailedRegionImportChangesNothing(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	a, b := splitRegencies(t)
	url := migrated(t)
	importFiles(t, url, a)
	importFiles(t, url, b)
	before := snapshot(t, url)
	aggBefore := aggDigests(t, url)
	aID := readCSV(t, a.Households)[1][0]
	bad := editHouseholds(t, b, func(h, r []string) bool {
		if strings.HasSuffix(r[column(t, h, "household_id")], "1") {
			r[column(t, h, "household_id")] = aID
		}
		return true
	})
	_, err := postgis.Import(context.Background(), url, bad, postgis.ImportOptions{Log: quiet})
	if err == nil || !strings.Contains(err.Error(), aID) {
		t.Fatalf("import of B reusing A's household id %s: %v", aID, err)
	}
	if after := snapshot(t, url); after != before {
		t.Errorf("a failed import changed the database:\n%s\n%s", before, after)
	}
	sameDigests(t, "after a failed import", aggDigests(t, url), aggBefore)
}
