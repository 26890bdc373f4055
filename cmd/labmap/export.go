package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"labmap/api"
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
	source := readSourceFlags(fs)
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
	k, err := source.k()
	if err != nil {
		return err
	}
	if err := checkNewFile(*out); err != nil {
		return err
	}
	store, log, err := source.open(ctx, stderr, "exports")
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
	exp, err := api.ExportGeoPackage(ctx, store, log, api.Options{MinHouseholds: k}, *collection, params, tmpPath)
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
