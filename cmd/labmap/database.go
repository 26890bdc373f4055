package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"labmap/data"
	"labmap/data/postgis"
)

const migrateSummary = `Apply the database migrations this labmap needs (each in its own transaction),
then rebuild the aggregate tables if they were built from other indicators.`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", migrateSummary, stderr)
	dbURL := fs.String("database-url", "", "PostgreSQL/PostGIS connection URL (required)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dbURL == "" {
		fmt.Fprintln(stderr, "labmap migrate: --database-url is required")
		return errUsage
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	applied, err := postgis.Migrate(ctx, *dbURL, log)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "schema is up to date (version %d)\n", postgis.SchemaVersion())
	} else {
		fmt.Fprintf(stdout, "applied migrations %v; schema is at version %d\n", applied, postgis.SchemaVersion())
	}
	return nil
}

const importSummary = `Import households, villages, zones and districts into PostGIS in one transaction.
The import replaces only its region (the villages' common code prefix: a regency, a
province, or everything for a file spanning provinces): the region's villages, districts
and zones, and the rounds in the households file of the region's households; other
regions stay as they are. Without --zones the region's zones are kept (--clear-zones
removes them); without --districts the districts keep their names. Nothing changes
unless everything succeeds. --dir imports a directory of regencies in parallel.`

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", importSummary, stderr)
	dbURL := fs.String("database-url", "", "PostgreSQL/PostGIS connection URL (required)")
	files := inputFlags(fs)
	quiet := fs.Bool("quiet", false, "no progress display")
	dryRun := fs.Bool("dry-run", false, "check the files and print the villages' cleaning report as labmap check does; touch no database")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	clearZones := fs.Bool("clear-zones", false, "remove the region's lab zones (without --zones the database's zones are kept)")
	dir := fs.String("dir", "", "import every regency of a directory written by `labmap demo --province` (DIR/regencies.csv), each in its own transaction")
	jobs := fs.Int("jobs", 4, "with --dir: how many regencies are imported at once, each on its own connection")
	minHouseholds := fs.Int("min-households", data.DefaultMinHouseholds,
		"the suppression threshold k of the servers: the import decides the disclosure rule for it, so they need not at their first request")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *minHouseholds < 1 {
		return fmt.Errorf("--min-households: %d is below 1", *minHouseholds)
	}
	if *dir != "" {
		if *dbURL == "" || files.Households != "" || files.Villages != "" || *dryRun || *jobs < 1 {
			fmt.Fprintln(stderr, "labmap import: --dir needs --database-url and --jobs >= 1, and no --households, --villages or --dry-run")
			return errUsage
		}
		log, err := newLogger(stderr, *logLevel)
		if err != nil {
			return err
		}
		return importDir(ctx, *dbURL, *dir, *jobs, *minHouseholds, files.opt, log, stdout)
	}
	if *dryRun {
		if files.Households == "" || files.Villages == "" {
			fmt.Fprintln(stderr, "labmap import: --households and --villages are required")
			return errUsage
		}
		return checkFiles(ctx, files, stdout)
	}
	if *dbURL == "" || files.Households == "" || files.Villages == "" {
		fmt.Fprintln(stderr, "labmap import: --database-url, --households and --villages are required")
		return errUsage
	}
	if *clearZones && files.Zones != "" {
		fmt.Fprintln(stderr, "labmap import: --clear-zones removes the zones and --zones replaces them: give one or the other")
		return errUsage
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	opt := postgis.ImportOptions{Read: files.opt, Log: log, ClearZones: *clearZones, Region: files.region(), MinHouseholds: *minHouseholds}
	if !*quiet && isTerminal(stderr) {
		opt.Progress = stderr
	}
	start := time.Now()
	res, err := postgis.Import(ctx, *dbURL, files.Files, opt)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("import cancelled; the database is unchanged")
		}
		return err
	}
	fmt.Fprintf(stdout, "imported %d rows (rounds %v) in %s; %d households in the database; dataset version %d\n",
		res.Rows, res.Rounds, time.Since(start).Round(time.Millisecond), res.Households, res.DatasetVersion)
	return nil
}

// isTerminal reports whether w is a character device, where a redrawn
// progress line makes sense (not a file or a pipe).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
