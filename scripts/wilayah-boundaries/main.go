// Command wilayah-boundaries converts the village (desa/kelurahan) boundaries
// of one regency or city from cahyadsn/wilayah_boundaries (MIT; boundaries
// per Kepmendagri No 300.2.2-2430 Tahun 2025), published as SQL INSERT
// statements with [lat, lng] paths, into a gzipped GeoJSON FeatureCollection
// that labmap imports: [lon, lat] positions, properties code, name and
// kelurahan. The geometry is converted as it is, overlaps and invalid rings
// included: cleaning it is the import's job, so that every file goes through
// the same code path.
//
//	go run ./scripts/wilayah-boundaries -prefix 33.26 \
//	    -in wilayah_boundaries/db/kel/33/wilayah_boundaries_kel_33.26.sql \
//	    -out data/demo/pekalongan-villages.geojson.gz
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "", "the source SQL file (db/kel/PP/wilayah_boundaries_kel_PP.RR.sql)")
	out := flag.String("out", "", "the gzipped GeoJSON to write")
	prefix := flag.String("prefix", "", "keep only village codes that start with this regency code, e.g. 33.26")
	commit := flag.String("commit", "", "the source commit, recorded in the file")
	flag.Parse()
	if *in == "" || *out == "" || *prefix == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := convert(*in, *out, *prefix, *commit); err != nil {
		fmt.Fprintln(os.Stderr, "wilayah-boundaries:", err)
		os.Exit(1)
	}
}

// row matches one VALUES tuple: ('33.26.01.2001','Klesem',lat,lng,'[[[lat,lng],...]]').
var row = regexp.MustCompile(`\('(\d\d\.\d\d\.\d\d\.\d{4})','((?:[^']|'')*)',(-?[0-9.]+),(-?[0-9.]+),'(\[[^']*\])'\)`)

func convert(in, out, prefix, commit string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	defer fh.Close()
	zw, _ := gzip.NewWriterLevel(fh, gzip.BestCompression)
	w := bufio.NewWriter(zw)
	// source, license and basis make the map's attribution line, so they stay short.
	meta := map[string]string{
		"source":  "cahyadsn/wilayah_boundaries",
		"commit":  commit,
		"license": "MIT",
		"basis":   "Kepmendagri 300.2.2-2430/2025",
	}
	mb, _ := json.Marshal(meta)
	fmt.Fprintf(w, "{\"type\":\"FeatureCollection\",\"labmap:source\":%s,\"features\":[\n", mb)
	n := 0
	for _, m := range row.FindAllStringSubmatch(string(src), -1) {
		code, name, path := m[1], strings.ReplaceAll(m[2], "''", "'"), m[5]
		if !strings.HasPrefix(code, prefix+".") {
			continue
		}
		var raw any
		if err := json.Unmarshal([]byte(path), &raw); err != nil {
			return fmt.Errorf("%s: village %s: path: %w", in, code, err)
		}
		typ := "Polygon"
		if depth(raw) == 4 {
			typ = "MultiPolygon"
		}
		coords, err := swap(raw)
		if err != nil {
			return fmt.Errorf("%s: village %s: %w", in, code, err)
		}
		props, _ := json.Marshal(map[string]any{"code": code, "name": name, "kelurahan": code[9] == '1'})
		if n > 0 {
			w.WriteString(",\n")
		}
		fmt.Fprintf(w, `{"type":"Feature","properties":%s,"geometry":{"type":%q,"coordinates":%s}}`, props, typ, coords)
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s: no village with a code under %s", in, prefix)
	}
	w.WriteString("\n]}\n")
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d villages under %s\n", out, n, prefix)
	return fh.Close()
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
