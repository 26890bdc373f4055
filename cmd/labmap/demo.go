package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"labmap/data/demo"
)

const demoSummary = `Write the default dataset: households.csv (synthetic households), villages.geojson
(the real village boundaries of Kabupaten Pekalongan, as the source publishes
them), zones.geojson (the three labs as village lists) and districts.geojson
(kecamatan names; their outlines are dissolved from the villages at import).
The same seed always gives the same bytes.

With --province 33, write all of Jawa Tengah instead: one directory per
regency and city (DIR/33.01 ... DIR/33.76), each with the same files (zones
only for 33.26, Pekalongan's labs) and importable on its own, the households
per round spread over the regencies, each regency generated from its own
seed, and DIR/regencies.csv listing them. The real boundaries of the province
are read from --boundaries (not embedded in the binary).`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", demoSummary, stderr)
	households := fs.Int("households", demo.DefaultHouseholds, "households per round (300000 is the whole regency)")
	rounds := fs.Int("rounds", 3, "survey rounds, from the 2017-12-01 baseline")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "output directory (created if missing)")
	province := fs.String("province", "", "write a whole province, regency by regency: 33 (Jawa Tengah) is the one with boundaries")
	boundaries := fs.String("boundaries", filepath.Join("data", "demo", demo.ProvinceFile), "with --province: the province's village boundaries, as scripts/wilayah-boundaries -province writes them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "labmap demo: --out is required")
		return errUsage
	}
	if *households < 1 || *rounds < 1 {
		return fmt.Errorf("--households and --rounds must be at least 1")
	}
	start := time.Now()
	if *province != "" {
		return runDemoProvince(ctx, *province, *boundaries, demo.ProvinceOptions{Households: *households, Rounds: *rounds, Seed: *seed}, *out, stdout, start)
	}
	ds, err := demo.Generate(demo.Options{Households: *households, Rounds: *rounds, Seed: *seed})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	if err := demo.WriteFiles(ctx, ds, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d villages, %d districts, %d zones and %d household rows to %s in %s\n",
		len(ds.Villages), len(ds.Districts), len(ds.Zones), len(ds.Households), *out, time.Since(start).Round(time.Millisecond))
	return nil
}

// runDemoProvince writes the province whose boundaries file is at path.
func runDemoProvince(ctx context.Context, code, path string, opt demo.ProvinceOptions, out string, stdout io.Writer, start time.Time) error {
	p, err := demo.ReadProvince(ctx, path)
	if err != nil {
		return fmt.Errorf("--boundaries: %w", err)
	}
	if p.Code != code {
		return fmt.Errorf("--province %s: %s holds province %s (%s) only", code, path, p.Code, p.Name)
	}
	read := time.Since(start)
	rs, err := demo.WriteProvince(ctx, p, opt, out)
	if err != nil {
		return err
	}
	villages := 0
	for _, r := range rs {
		villages += r.Villages
	}
	fmt.Fprintf(stdout, "wrote %s (%s): %d regencies and cities, %d villages, %d households x %d rounds to %s in %s (boundaries read in %s)\n",
		p.Code, p.Name, len(rs), villages, opt.Households, opt.Rounds, out,
		time.Since(start).Round(time.Millisecond), read.Round(time.Millisecond))
	return nil
}
