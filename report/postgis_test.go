package report

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/data/postgis"
	"labmap/data/postgis/pgtest"
)

// TestStoresAgree renders the fixture's map from PostGIS and from the memory
// store, both loaded from the same files, and wants the same PNG, byte for
// byte: a report reads only what both stores publish alike.
func TestStoresAgree(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := demo.WriteFiles(ctx, fixtureDataset(), dir); err != nil {
		t.Fatal(err)
	}
	files := data.Files{Households: filepath.Join(dir, demo.HouseholdsFile), Villages: filepath.Join(dir, demo.VillagesFile),
		Zones: filepath.Join(dir, demo.ZonesFile), Districts: filepath.Join(dir, demo.DistrictsFile)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	url := pgtest.NewDatabase(t)
	if _, err := postgis.Migrate(ctx, url, quiet); err != nil {
		t.Fatal(err)
	}
	if _, err := postgis.Import(ctx, url, files, postgis.ImportOptions{Log: quiet}); err != nil {
		t.Fatal(err)
	}
	pg, err := postgis.Open(ctx, url, postgis.Options{PrimaryOnly: true, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	ds, err := data.LoadFiles(ctx, files, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := memory.New(ds, memory.Options{PrimaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Options{{Zone: "forest-uji", Width: 800, Height: 500}, {Zone: Regency, Lang: "en", Width: 600, Height: 600}} {
		var a, b bytes.Buffer
		if err := WritePNG(ctx, mem, opt, &a); err != nil {
			t.Fatal(err)
		}
		if err := WritePNG(ctx, pg, opt, &b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%+v: the stores' maps differ (%d and %d bytes)", opt, a.Len(), b.Len())
		}
	}
}
