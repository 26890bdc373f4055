package main

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTilesExportAndPackCommands runs `labmap tiles export` and `labmap
// pack` as a user would: bad flags are refused naming the flag, good ones
// write their file (whose contents the tiles/archive and api tests check).
func TestTilesExportAndPackCommands(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stderr   string // part of the error, naming the flag
		out      string // the file written
		contains string // what stdout says
	}{
		{"unknown format", []string{"tiles", "export", "--format", "geojson", "--out", "x"}, 1, "--format", "", ""},
		{"zone and bbox", []string{"tiles", "export", "--format", "mbtiles", "--zone", "urban-kertijayan", "--bbox", "109,-7,110,-6", "--out", "x"}, 1, "--zone and --bbox", "", ""},
		{"zoom past the tiles", []string{"tiles", "export", "--format", "pmtiles", "--zoom", "8-18", "--out", "x"}, 1, "--zoom", "", ""},
		{"unknown layer", []string{"tiles", "export", "--format", "pmtiles", "--layers", "villages,roads", "--out", "x"}, 1, "--layers", "", ""},
		{"unknown zone", []string{"tiles", "export", "--format", "pmtiles", "--zone", "nowhere", "--out", filepath.Join(dir, "n.pmtiles")}, 1, `zone "nowhere"`, "", ""},
		{"no out", []string{"tiles", "export", "--format", "pmtiles"}, 2, "--out", "", ""},
		{"mbtiles of a zone", []string{"tiles", "export", "--format", "mbtiles", "--zone", "urban-kertijayan", "--zoom", "10-12", "--out", filepath.Join(dir, "z.mbtiles")}, 0, "", "z.mbtiles", "tiles of hexagons,villages,districts,zones"},
		{"pmtiles of a bbox", []string{"tiles", "export", "--format", "pmtiles", "--bbox", "109.6,-6.95,109.7,-6.9", "--zoom", "9", "--layers", "villages", "--out", filepath.Join(dir, "b.pmtiles")}, 0, "", "b.pmtiles", "tiles of villages"},
		{"pack of an unknown zone", []string{"pack", "--zone", "nowhere", "--out", filepath.Join(dir, "p0")}, 1, "--zone", "", ""},
		{"pack with a bad round", []string{"pack", "--zone", "urban-kertijayan", "--round", "June", "--out", filepath.Join(dir, "p1")}, 1, "--round", "", ""},
		{"pack as a zip", []string{"pack", "--zone", "urban-kertijayan", "--out", filepath.Join(dir, "p.zip")}, 0, "", "p.zip", "open index.html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if tc.stderr != "" && !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr does not name %s: %s", tc.stderr, stderr.String())
			}
			if tc.contains != "" && !strings.Contains(stdout.String(), tc.contains) {
				t.Errorf("stdout lacks %q: %s", tc.contains, stdout.String())
			}
			if tc.out == "" {
				return
			}
			b, err := os.ReadFile(filepath.Join(dir, tc.out))
			if err != nil {
				t.Fatal(err)
			}
			switch filepath.Ext(tc.out) {
			case ".mbtiles":
				if !bytes.HasPrefix(b, []byte("SQLite format 3\x00")) {
					t.Errorf("%s is not SQLite", tc.out)
				}
			case ".pmtiles":
				if !bytes.HasPrefix(b, []byte("PMTiles\x03")) {
					t.Errorf("%s is not PMTiles v3", tc.out)
				}
			case ".zip":
				zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Fatal(err)
				}
				names := map[string]bool{}
				for _, f := range zr.File {
					names[filepath.Base(f.Name)] = true
				}
				for _, want := range []string{"index.html", "pack-data.js", "pack-tiles.js", "offline.js"} {
					if !names[want] {
						t.Errorf("the pack lacks %s: %v", want, names)
					}
				}
			}
			// The file exists now: a second run refuses to overwrite it.
			var again bytes.Buffer
			if code := run(context.Background(), tc.args, &again, &again); code == 0 || !strings.Contains(again.String(), "exists") {
				t.Errorf("a second run over %s: exit %d, %s", tc.out, code, again.String())
			}
		})
	}
}
