package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"labmap/api"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/postgis"
)

const exportSummary = `Export an OGC API collection to a file for desktop GIS. --format gpkg writes
an OGC GeoPackage with every matching feature (no paging), typed columns and
a QGIS style per indicator in layer_styles (--indicator is the one QGIS
applies on opening): the same file as /collections/{id}/items?f=gpkg. The
data comes from PostGIS with --database-url, from --households/--villages,
or from the built-in demo dataset, as for serve.`

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", exportSummary, stderr)
	format := fs.String("format", "gpkg", "output format: gpkg (OGC GeoPackage)")
	out := fs.String("out", "", "file to write; it must not exist yet")
	collection := fs.String("collection", "villages", "collection to export: zones, districts, villages, hexagons_r6 … hexagons_r10")
	round := fs.String("round", "", "survey round (YYYY-MM-DD); default the latest")
	indicator := fs.String("indicator", "", "indicator whose style QGIS applies on opening; default poverty_rate")
	filter := fs.String("filter", "", "CQL2 text filter, as the items endpoint's filter=")
	bbox := fs.String("bbox", "", "only areas meeting minlon,minlat,maxlon,maxlat")
	lang := fs.String("lang", "id", "language of the style labels and layer title: id or en")
	dbURL := fs.String("database-url", "", "PostgreSQL/PostGIS connection URL; empty means the in-memory store")
	files := inputFlags(fs)
	minHouseholds := fs.Int("min-households", data.DefaultMinHouseholds, "areas with fewer households show no figures (suppression threshold k)")
	demoHouseholds := fs.Int("demo-households", demo.DefaultHouseholds, "households per round in the built-in demo dataset")
	seed := fs.Uint64("seed", 1, "seed of the built-in demo dataset")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "labmap export: --out is required")
		return errUsage
	}
	if *format != "gpkg" {
		return fmt.Errorf("--format: %q is not supported (gpkg)", *format)
	}
	if *minHouseholds < 1 {
		return fmt.Errorf("--min-households: %d is below 1", *minHouseholds)
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("--out: %s exists; remove it or name a new file", *out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--out: %w", err)
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}

	var store data.Store
	if *dbURL != "" {
		if files.Households != "" || files.Villages != "" {
			return errors.New("--database-url exports what was imported; give either it or --households/--villages")
		}
		store, err = postgis.Open(ctx, *dbURL, postgis.Options{MinHouseholds: *minHouseholds, Log: log})
	} else {
		store, err = loadMemory(ctx, log, files, *demoHouseholds, *seed, *minHouseholds)
	}
	if err != nil {
		return err
	}
	defer store.Close()

	params := url.Values{}
	for name, v := range map[string]string{"round": *round, "indicator": *indicator, "filter": *filter, "bbox": *bbox, "lang": *lang} {
		if v != "" {
			params.Set(name, v)
		}
	}
	// Written beside the target and renamed at the end, so a failed export
	// leaves no half-written file under the name asked for.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".labmap-export-*.gpkg")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath)
	exp, err := api.ExportGeoPackage(ctx, store, log, api.Options{MinHouseholds: *minHouseholds}, *collection, params, tmpPath)
	if err != nil {
		return err
	}
	// CreateTemp made it private; an export is an ordinary file to share.
	if err := os.Chmod(tmpPath, 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := os.Rename(tmpPath, *out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	shown := string(exp.Round)
	if shown == "" {
		shown = "none matched"
	}
	fmt.Fprintf(stdout, "wrote %d features of %s (round %s) with %d styles to %s\n", exp.Features, exp.Layer, shown, exp.Styles, *out)
	return nil
}
