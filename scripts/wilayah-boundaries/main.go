// Command wilayah-boundaries converts the village (desa/kelurahan) boundaries
// of one regency or city, or of a whole province, from
// cahyadsn/wilayah_boundaries (MIT, © Cahya DSN; boundaries per Kepmendagri
// No 300.2.2-2430 Tahun 2025), published as SQL INSERT statements with
// [lat, lng] paths, into a gzipped GeoJSON FeatureCollection that labmap
// imports: [lon, lat] positions, properties code, name and kelurahan. The
// geometry is converted as it is, overlaps and invalid rings included:
// cleaning it is the import's job, so that every file goes through the same
// code path.
//
// One regency, from its village file:
//
//	go run ./scripts/wilayah-boundaries -prefix 33.26 \
//	    -in wilayah_boundaries/db/kel/33/wilayah_boundaries_kel_33.26.sql \
//	    -out data/demo/pekalongan-villages.geojson.gz
//
// A whole province, from a checkout (or `git archive` export) of the
// source: every regency and city listed in db/kab, its villages from
// db/kel/PP, and the names of the province, its regencies and its kecamatan
// (db/prov, db/kab, db/kec) in a "labmap:names" member ahead of the
// features:
//
//	go run ./scripts/wilayah-boundaries -province 33 -src wilayah_boundaries \
//	    -commit 3c5a7960f4d227a38489094d84252bdbb3f978a5 \
//	    -out data/demo/jawa-tengah-villages.geojson.gz
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "", "the source SQL file of one regency (db/kel/PP/wilayah_boundaries_kel_PP.RR.sql)")
	out := flag.String("out", "", "the gzipped GeoJSON to write")
	prefix := flag.String("prefix", "", "with -in: keep only village codes that start with this regency code, e.g. 33.26")
	province := flag.String("province", "", "convert every regency and city of this province, e.g. 33 (needs -src)")
	src := flag.String("src", "", "with -province: a checkout of cahyadsn/wilayah_boundaries (its db folder is read)")
	commit := flag.String("commit", "", "the source commit, recorded in the file")
	flag.Parse()
	var err error
	switch {
	case *out == "":
		flag.Usage()
		os.Exit(2)
	case *province != "" && *src != "" && *in == "" && *prefix == "":
		err = convertProvince(*src, *province, *out, *commit)
	case *province == "" && *src == "" && *in != "" && *prefix != "":
		err = convert(*in, *out, *prefix, *commit)
	default:
		fmt.Fprintln(os.Stderr, "wilayah-boundaries: give either -in and -prefix (one regency) or -province and -src (a province)")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wilayah-boundaries:", err)
		os.Exit(1)
	}
}

// row matches one VALUES tuple: ('33.26.01.2001','Klesem',lat,lng,'[[[lat,lng],...]]').
var row = regexp.MustCompile(`\('(\d\d\.\d\d\.\d\d\.\d{4})','((?:[^']|'')*)',(-?[0-9.]+),(-?[0-9.]+),'(\[[^']*\])'\)`)

// nameRow matches the code and name at the head of a province, regency or
// kecamatan tuple: ('33.26','Kabupaten Pekalongan',lat,lng,'.
var nameRow = regexp.MustCompile(`\('(\d\d(?:\.\d\d){0,2})','((?:[^']|'')*)',-?[0-9.]+,-?[0-9.]+,'`)

// collection writes one FeatureCollection: the head with its foreign
// members, then features as they are added.
type collection struct {
	fh *os.File
	zw *gzip.Writer
	w  *bufio.Writer
	n  int
}

func create(out, commit string, names map[string]string) (*collection, error) {
	fh, err := os.Create(out)
	if err != nil {
		return nil, err
	}
	zw, _ := gzip.NewWriterLevel(fh, gzip.BestCompression)
	c := &collection{fh: fh, zw: zw, w: bufio.NewWriter(zw)}
	// source, license and basis make the map's attribution line, so they stay short.
	meta := map[string]string{
		"source":  "cahyadsn/wilayah_boundaries",
		"commit":  commit,
		"license": "MIT",
		"basis":   "Kepmendagri 300.2.2-2430/2025",
	}
	mb, _ := json.Marshal(meta)
	fmt.Fprintf(c.w, "{\"type\":\"FeatureCollection\",\"labmap:source\":%s,", mb)
	if names != nil {
		// Sorted keys, one member: the province, regency and kecamatan
		// names a reader needs before the first feature.
		nb, _ := json.Marshal(names)
		fmt.Fprintf(c.w, "\"labmap:names\":%s,", nb)
	}
	c.w.WriteString("\"features\":[\n")
	return c, nil
}

// addVillages converts the villages of one SQL file whose codes lie under
// prefix, in the file's order, and returns how many it added.
func (c *collection) addVillages(in, prefix string) (int, error) {
	src, err := os.ReadFile(in)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range row.FindAllStringSubmatch(string(src), -1) {
		code, name, path := m[1], strings.ReplaceAll(m[2], "''", "'"), m[5]
		if !strings.HasPrefix(code, prefix+".") {
			continue
		}
		var raw any
		if err := json.Unmarshal([]byte(path), &raw); err != nil {
			return n, fmt.Errorf("%s: village %s: path: %w", in, code, err)
		}
		typ := "Polygon"
		if depth(raw) == 4 {
			typ = "MultiPolygon"
		}
		raw, dropped := dropCollapsed(raw)
		if raw == nil {
			return n, fmt.Errorf("%s: village %s: its outline has no area at 1e-6 degrees", in, code)
		}
		for _, d := range dropped {
			fmt.Fprintf(os.Stderr, "%s: village %s (%s): dropped %s, which has no area at 1e-6 degrees\n", in, code, name, d)
		}
		coords, err := swap(raw)
		if err != nil {
			return n, fmt.Errorf("%s: village %s: %w", in, code, err)
		}
		props, _ := json.Marshal(map[string]any{"code": code, "name": name, "kelurahan": code[9] == '1'})
		if c.n > 0 {
			c.w.WriteString(",\n")
		}
		fmt.Fprintf(c.w, `{"type":"Feature","properties":%s,"geometry":{"type":%q,"coordinates":%s}}`, props, typ, coords)
		c.n++
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%s: no village with a code under %s", in, prefix)
	}
	return n, nil
}

func (c *collection) close() error {
	c.w.WriteString("\n]}\n")
	if err := c.w.Flush(); err != nil {
		c.fh.Close()
		return err
	}
	if err := c.zw.Close(); err != nil {
		c.fh.Close()
		return err
	}
	return c.fh.Close()
}

func convert(in, out, prefix, commit string) error {
	c, err := create(out, commit, nil)
	if err != nil {
		return err
	}
	n, err := c.addVillages(in, prefix)
	if err != nil {
		c.fh.Close()
		return err
	}
	if err := c.close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d villages under %s\n", out, n, prefix)
	return nil
}

// convertProvince writes every village of every regency and city of the
// province that db/kab lists, regency by regency in code order, with the
// names of the province, regencies and kecamatan. A regency listed without
// a village file, or a village file of no listed regency, is an error: the
// file must be the whole province.
func convertProvince(src, province, out, commit string) error {
	db := filepath.Join(src, "db")
	names := map[string]string{}
	provFiles, err := filepath.Glob(filepath.Join(db, "prov", "*.sql"))
	if err != nil {
		return err
	}
	for _, f := range provFiles {
		if err := readNames(f, province, names); err != nil {
			return err
		}
	}
	if names[province] == "" {
		return fmt.Errorf("%s: no province %s in db/prov", src, province)
	}
	if err := readNames(filepath.Join(db, "kab", "wilayah_boundaries_kab_"+province+".sql"), province+".", names); err != nil {
		return err
	}
	if err := readNames(filepath.Join(db, "kec", "wilayah_boundaries_kec_"+province+".sql"), province+".", names); err != nil {
		return err
	}
	var regencies []string
	for code := range names {
		if strings.Count(code, ".") == 1 {
			regencies = append(regencies, code)
		}
	}
	slices.Sort(regencies)
	if len(regencies) == 0 {
		return fmt.Errorf("%s: no regency of province %s in db/kab", src, province)
	}
	kel, err := filepath.Glob(filepath.Join(db, "kel", province, "wilayah_boundaries_kel_"+province+".*.sql"))
	if err != nil {
		return err
	}
	for _, f := range kel {
		code := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "wilayah_boundaries_kel_"), ".sql")
		if _, ok := slices.BinarySearch(regencies, code); !ok {
			return fmt.Errorf("%s: villages of %s, a regency db/kab does not list", f, code)
		}
	}
	c, err := create(out, commit, names)
	if err != nil {
		return err
	}
	for _, r := range regencies {
		f := filepath.Join(db, "kel", province, "wilayah_boundaries_kel_"+r+".sql")
		n, err := c.addVillages(f, r)
		if err != nil {
			c.fh.Close()
			return fmt.Errorf("regency %s (%s): %w", r, names[r], err)
		}
		fmt.Fprintf(os.Stderr, "%s %s: %d villages\n", r, names[r], n)
	}
	if err := c.close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d villages in %d regencies and cities of %s (%s)\n", out, c.n, len(regencies), province, names[province])
	return nil
}

// readNames adds the code and name of every tuple in an SQL file whose
// code is prefix or lies under it.
func readNames(path, prefix string, names map[string]string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, m := range nameRow.FindAllStringSubmatch(string(src), -1) {
		if m[1] == prefix || strings.HasPrefix(m[1], prefix) && strings.HasSuffix(prefix, ".") {
			names[m[1]] = strings.ReplaceAll(m[2], "''", "'")
		}
	}
	return nil
}

// dropCollapsed removes the rings that rounding to 1e-6 degrees leaves
// without area (every position on one line): a sliver part of a
// MultiPolygon, or a sliver hole. Rounding made them degenerate, so the
// conversion removes them rather than hand the importer a ring with no
// inside; everything else stays as the source has it. It returns nil when
// nothing with area is left, and names what it dropped.
func dropCollapsed(raw any) (any, []string) {
	parts, multi := []any{raw}, depth(raw) == 4
	if multi {
		parts = raw.([]any)
	}
	var kept []any
	var dropped []string
	for i, p := range parts {
		rings, ok := p.([]any)
		if !ok || len(rings) == 0 {
			kept = append(kept, p)
			continue
		}
		if collapsed(rings[0]) {
			dropped = append(dropped, fmt.Sprintf("polygon %d", i+1))
			continue
		}
		poly := []any{rings[0]}
		for k, h := range rings[1:] {
			if collapsed(h) {
				dropped = append(dropped, fmt.Sprintf("hole %d of polygon %d", k+1, i+1))
				continue
			}
			poly = append(poly, h)
		}
		kept = append(kept, poly)
	}
	switch {
	case len(kept) == 0:
		return nil, dropped
	case !multi:
		return kept[0], dropped
	}
	return kept, dropped
}

// collapsed reports whether every position of a ring, rounded as written,
// lies on one straight line.
func collapsed(ring any) bool {
	ps, ok := ring.([]any)
	if !ok || len(ps) == 0 {
		return false
	}
	at := func(i int) (float64, float64, bool) {
		p, ok := ps[i].([]any)
		if !ok || len(p) != 2 {
			return 0, 0, false
		}
		a, ok1 := p[0].(float64)
		b, ok2 := p[1].(float64)
		return math.Round(a*1e6) / 1e6, math.Round(b*1e6) / 1e6, ok1 && ok2
	}
	ox, oy, ok := at(0)
	if !ok {
		return false
	}
	var dx, dy float64
	for i := 1; i < len(ps); i++ {
		x, y, ok := at(i)
		if !ok {
			return false
		}
		vx, vy := x-ox, y-oy
		if dx == 0 && dy == 0 {
			dx, dy = vx, vy
			continue
		}
		if dx*vy-dy*vx != 0 {
			return false
		}
	}
	return true
}

func depth(x any) int {
	d := 0
	for {
		a, ok := x.([]any)
		if !ok || len(a) == 0 {
			return d
		}
		x, d = a[0], d+1
	}
}

// swap turns the source's [lat, lng] positions into GeoJSON's [lon, lat],
// rounded to 1e-6 degrees (about 10 cm, finer than the source's accuracy).
func swap(x any) (string, error) {
	a, ok := x.([]any)
	if !ok {
		return "", fmt.Errorf("path: %v is not an array", x)
	}
	if len(a) == 2 {
		if lat, ok := a[0].(float64); ok {
			lng, ok := a[1].(float64)
			if !ok {
				return "", fmt.Errorf("path: position %v", a)
			}
			return "[" + num(lng) + "," + num(lat) + "]", nil
		}
	}
	parts := make([]string, len(a))
	for i, e := range a {
		s, err := swap(e)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return "[" + strings.Join(parts, ",") + "]", nil
}

func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}
