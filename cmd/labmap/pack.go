package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"labmap/api"
	"labmap/data"
	"labmap/report/pack"
	"labmap/tiles"
)

const packSummary = `Write the offline meeting pack of a lab zone (or the whole region): a folder,
or a zip of one, that opens by double-clicking index.html with no server and
no network. It holds the web map read-only with the zone's tiles for z8-15
in one PMTiles archive, the figures the API answers, the PDF report and a
CSV of the villages. The data comes from PostGIS with --database-url, from
--households/--villages, or from the built-in demo dataset, as for serve.`

func runPack(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pack", packSummary, stderr)
	zone := fs.String("zone", "", "lab zone id (see /api/zones), or regency for the whole region")
	out := fs.String("out", "", "folder to write (it must not exist or be empty), or FILE.zip")
	round := fs.String("round", "", "survey round (YYYY-MM-DD); default the latest")
	source := readSourceFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *zone == "" || *out == "" {
		fmt.Fprintln(stderr, "labmap pack: --zone and --out are required")
		return errUsage
	}
	var r data.Round
	var err error
	if *round != "" {
		if r, err = data.ParseRound(*round); err != nil {
			return fmt.Errorf("--round: %w", err)
		}
	}
	isZip := strings.EqualFold(filepath.Ext(*out), ".zip")
	if isZip {
		if _, err := os.Stat(*out); err == nil {
			return fmt.Errorf("--out: %s exists; remove it or name a new file", *out)
		}
	} else if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return fmt.Errorf("--out: %s is a folder that is not empty", *out)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--out: %w", err)
	}
	store, log, err := source.open(ctx, stderr, "packs")
	if err != nil {
		return err
	}
	defer store.Close()

	src := pack.Source{
		Store: store,
		API:   api.New(store, log, api.Options{MinHouseholds: *source.minHouseholds}),
		Tiles: tiles.NewService(store, 64<<20),
	}
	p, err := pack.Build(ctx, src, pack.Options{Zone: *zone, Round: r, MinHouseholds: *source.minHouseholds})
	if err != nil {
		if errors.Is(err, pack.ErrUnknownZone) {
			return fmt.Errorf("--zone: %w", err)
		}
		return err
	}
	if isZip {
		// Written beside the target and renamed at the end, so a failed
		// pack leaves no half-written zip under the name asked for.
		tmp, err := os.CreateTemp(filepath.Dir(*out), ".labmap-pack-*.zip")
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer os.Remove(tmp.Name())
		if err := p.WriteZip(tmp); err != nil {
			tmp.Close()
			return fmt.Errorf("--out: %w", err)
		}
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	} else if err := p.WriteDir(*out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(stdout, "wrote the offline pack %s (%d files, %d bytes, %d tiles at z%d-%d) to %s; open index.html\n",
		p.Name, len(p.Files), p.Size(), p.Tiles.Tiles, pack.MinZoom, pack.MaxZoom, *out)
	return nil
}
