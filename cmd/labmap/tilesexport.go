package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"labmap/data"
	"labmap/tiles"
	"labmap/tiles/archive"
)

const tilesExportSummary = `Write the vector tiles of a lab zone, a bounding box or the whole region into
one file for offline use: --format mbtiles (MBTiles 1.3; QGIS 3.22 and GDAL
open it as vector tiles) or pmtiles (PMTiles v3, one file a web page reads).
The tiles are rendered as the server renders /tiles/{layers}/{z}/{x}/{y}.mvt,
byte for byte; empty tiles are left out. The data comes from PostGIS with
--database-url, from --households/--villages, or from the built-in demo.`

// defaultExportLayers are the layers the web map draws (its TILE_LAYERS).
const defaultExportLayers = "hexagons,villages,districts,zones"

func runTilesExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tiles export", tilesExportSummary, stderr)
	format := fs.String("format", "", "archive format: mbtiles or pmtiles")
	out := fs.String("out", "", "file to write; it must not exist yet")
	zone := fs.String("zone", "", "lab zone id: its bounding box (see /api/zones)")
	bbox := fs.String("bbox", "", "minlon,minlat,maxlon,maxlat; default the data's extent")
	zoom := fs.String("zoom", "8-15", "zoom or zoom range, e.g. 8-15")
	layers := fs.String("layers", defaultExportLayers, "comma-separated layers (hexagons, villages, districts, zones)")
	round := fs.String("round", "", "survey round (YYYY-MM-DD); default the latest")
	lang := fs.String("lang", "id", "language of the layer descriptions: id or en")
	source := readSourceFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || *format == "" {
		fmt.Fprintln(stderr, "labmap tiles export: --format and --out are required")
		return errUsage
	}
	f, err := archive.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	ls, err := tiles.ParseLayers(*layers)
	if err != nil {
		return fmt.Errorf("--layers: %w", err)
	}
	zmin, zmax, err := parseZoomRange(*zoom)
	if err != nil {
		return err
	}
	if zmax > tiles.MaxZoom {
		return fmt.Errorf("--zoom: %q goes past %d, the last zoom tiles are made for", *zoom, tiles.MaxZoom)
	}
	area := archive.Area{Zone: *zone}
	if *bbox != "" {
		if *zone != "" {
			return errors.New("--zone and --bbox: give one of them")
		}
		if area.Bounds, err = parseBBox(*bbox); err != nil {
			return err
		}
	}
	var r data.Round
	if *round != "" {
		if r, err = data.ParseRound(*round); err != nil {
			return fmt.Errorf("--round: %w", err)
		}
	}
	if *lang != "id" && *lang != "en" {
		return fmt.Errorf("--lang: %q is not id or en", *lang)
	}
	if err := checkNewFile(*out); err != nil {
		return err
	}
	store, _, err := source.open(ctx, stderr, "exports")
	if err != nil {
		return err
	}
	defer store.Close()

	plan, err := archive.NewPlan(ctx, store, ls, area, zmin, zmax, r, *lang)
	if err != nil {
		return err
	}
	// Written beside the target and renamed at the end, so a failed export
	// leaves no half-written file under the name asked for.
	tmpPath := filepath.Join(filepath.Dir(*out), ".labmap-tiles-"+filepath.Base(*out))
	os.Remove(tmpPath)
	defer os.Remove(tmpPath)
	var w archive.Writer
	if f == "mbtiles" {
		if w, err = archive.NewMBTiles(ctx, tmpPath, plan.Metadata); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	} else {
		file, err := os.Create(tmpPath)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer file.Close()
		w = archive.NewPMTiles(file, plan.Metadata)
	}
	st, err := plan.Run(ctx, tiles.NewService(store, 64<<20), w)
	if err != nil {
		if c, ok := w.(io.Closer); ok && f == "mbtiles" {
			c.Close()
		}
		return err
	}
	if err := os.Rename(tmpPath, *out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d tiles of %s (round %s, z%d-%d; %d empty left out) to %s\n",
		st.Tiles, strings.Join(layerNames(ls), ","), plan.Round, zmin, zmax, st.Empty, *out)
	return nil
}

func layerNames(ls []tiles.Layer) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Name
	}
	return out
}
