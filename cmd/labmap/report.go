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
	"labmap/report"
)

const reportSummary = `Write the printable report of a poverty lab zone, or of the whole regency
(--zone regency), as an A4 landscape PDF: the same file as
/reports/{zone}.pdf. It holds only public, suppressed figures. The data comes
from PostGIS with --database-url, from --households/--villages, or from the
built-in demo dataset, as for serve. With --out ending in .png it writes the
map alone, as /maps/{zone}.png does.`

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", reportSummary, stderr)
	zone := fs.String("zone", report.Regency, "lab zone id (see /api/zones), or regency")
	round := fs.String("round", "", "survey round (YYYY-MM-DD); default the latest")
	indicator := fs.String("indicator", "", "indicator mapped; default "+report.DefaultIndicator)
	lang := fs.String("lang", "id", "language: id or en")
	out := fs.String("out", "", "file to write (.pdf, or .png for the map alone)")
	width := fs.Int("width", 0, "PNG width in pixels; default 1600")
	height := fs.Int("height", 0, "PNG height in pixels; default 1000")
	source := readSourceFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "labmap report: --out is required")
		return errUsage
	}
	k, err := source.k()
	if err != nil {
		return err
	}
	opt := report.Options{Zone: *zone, Indicator: *indicator, Lang: *lang, Width: *width, Height: *height, MinHouseholds: k}
	if *round != "" {
		r, err := data.ParseRound(*round)
		if err != nil {
			return fmt.Errorf("--round: %w", err)
		}
		opt.Round = r
	}
	write := report.WritePDF
	switch ext := strings.ToLower(filepath.Ext(*out)); ext {
	case ".pdf":
	case ".png":
		write = report.WritePNG
	default:
		return fmt.Errorf("--out: %s should end in .pdf or .png", *out)
	}
	store, _, err := source.open(ctx, stderr, "reports")
	if err != nil {
		return err
	}
	defer store.Close()

	// Written beside the target and renamed at the end, so a failed report
	// leaves no half-written file under the name asked for.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".labmap-report-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(ctx, store, opt, tmp); err != nil {
		tmp.Close()
		return optionError(err)
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
	fmt.Fprintf(stdout, "wrote the report of %s to %s\n", *zone, *out)
	return nil
}

// optionError names the flag behind a report's refusal, as the flags are
// spelled on the command line.
func optionError(err error) error {
	if errors.Is(err, report.ErrUnknownZone) {
		return fmt.Errorf("--zone: %w", err)
	}
	return err
}
