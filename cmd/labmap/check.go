package main

import (
	"context"
	"fmt"
	"io"

	"labmap/data"
)

const checkSummary = `Check input files the way an import would, without a database: read and
cross-check them, clean the villages into a partition and print the full
cleaning report (repairs, overlaps with their pairs and areas, gaps). Exits 0
when the files would import, non-zero with the problems otherwise.`

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", checkSummary, stderr)
	files := inputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if files.Villages == "" {
		fmt.Fprintln(stderr, "labmap check: --villages is required (--households, --zones and --districts are optional)")
		return errUsage
	}
	return checkFiles(ctx, files, stdout)
}

// checkFiles loads the files as an import would (with the households when
// given) and writes the cleaning report and a summary to w; the error is
// what would make the import refuse them.
func checkFiles(ctx context.Context, files *inputFiles, w io.Writer) error {
	var ds data.Dataset
	var err error
	if files.Households != "" {
		ds, err = data.LoadFiles(ctx, files.Files, files.opt)
	} else {
		ds, err = data.LoadAreas(ctx, files.Files, files.opt)
	}
	if err != nil {
		return err
	}
	if err := data.WriteCoverage(w, files.Villages, ds); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	rows := ""
	if files.Households != "" {
		rows = fmt.Sprintf(", %d household rows", len(ds.Households))
	}
	if _, err := fmt.Fprintf(w, "\nThe files would import: %d villages, %d districts, %d zones%s.\n",
		len(ds.Villages), len(ds.Districts), len(ds.Zones), rows); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
