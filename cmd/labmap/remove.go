package main

import (
	"context"
	"fmt"
	"io"

	"labmap/data"
	"labmap/data/postgis"
)

const removeSummary = `Remove a region — a province, regency or district, by its code — from PostGIS in one
transaction: its households of every round, its villages, districts and zones, and its
regency and province when nothing else is left in them. Other regions' rows stay as
they were; the hexagons the region's households held are recomputed from the
households left in them, and the database then is what an import of everything but
the region would have made. Servers move to the new version as after an import.

  labmap remove --database-url URL --region 33.25`

func runRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("remove", removeSummary, stderr)
	dbURL := fs.String("database-url", "", "PostgreSQL/PostGIS connection URL (required)")
	region := fs.String("region", "", "the code of the region to remove: 33 (a province), 33.25 (a regency), 33.25.01 (a district) (required)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	minHouseholds := fs.Int("min-households", data.DefaultMinHouseholds,
		"the suppression threshold k of the servers: the removal decides the disclosure rule for it, as an import does")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dbURL == "" || *region == "" {
		fmt.Fprintln(stderr, "labmap remove: --database-url and --region are required")
		return errUsage
	}
	if *minHouseholds < 1 {
		return fmt.Errorf("--min-households: %d is below 1", *minHouseholds)
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	res, err := postgis.RemoveRegion(ctx, *dbURL, *region, postgis.ImportOptions{Log: log, MinHouseholds: *minHouseholds})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed region %s; %d households remain; dataset version %d\n", *region, res.Households, res.DatasetVersion)
	return nil
}
