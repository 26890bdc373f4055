package pack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"labmap/api"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/report/pack"
	"labmap/tiles"
)

// TestBuild builds packs from the demo dataset through the real API
// handler: what each holds, its size bound, and the errors for a zone or
// round the dataset lacks.
func TestBuild(t *testing.T) {
	ds, err := demo.Generate(demo.Options{Households: demo.DefaultHouseholds, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		t.Fatal(err)
	}
	store, err := memory.New(ds, memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := pack.Source{Store: store, API: api.New(store, slog.New(slog.DiscardHandler), api.Options{}), Tiles: tiles.NewService(store, 32<<20)}
	for _, tc := range []struct {
		name     string
		opt      pack.Options
		wantErr  error
		wantName string
	}{
		{"zone", pack.Options{Zone: "urban-kertijayan"}, nil, "labmap-urban-kertijayan-2020-06-01"},
		{"regency at the baseline", pack.Options{Zone: "regency", Round: "2017-12-01"}, nil, "labmap-regency-2017-12-01"},
		{"unknown zone", pack.Options{Zone: "nowhere"}, pack.ErrUnknownZone, ""},
		{"round not surveyed", pack.Options{Zone: "urban-kertijayan", Round: "1999-01-01"}, pack.ErrInvalidOption, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := pack.Build(context.Background(), src, tc.opt)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				if _, statErr := os.Stat("../../api/web/dist/offline.html"); statErr != nil && os.Getenv("CI") != "true" {
					t.Skipf("the web map is not built (scripts/build-web): %v", err)
				}
				t.Fatal(err)
			}
			if p.Name != tc.wantName {
				t.Errorf("name %q, want %q", p.Name, tc.wantName)
			}
			if p.Tiles.Tiles == 0 {
				t.Error("no tiles")
			}
			if p.Size() >= 20<<20 {
				t.Errorf("the pack is %d bytes, over 20 MB", p.Size())
			}
			dir := t.TempDir()
			if err := p.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			var zbuf bytes.Buffer
			if err := p.WriteZip(&zbuf); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if len(zr.File) != len(p.Files) {
				t.Errorf("the zip has %d files, the pack %d", len(zr.File), len(p.Files))
			}
			for _, f := range p.Files {
				b, err := os.ReadFile(filepath.Join(dir, f.Name))
				if err != nil || !bytes.Equal(b, f.Body) {
					t.Errorf("%s: the folder's copy differs (%v)", f.Name, err)
				}
			}
		})
	}
}
