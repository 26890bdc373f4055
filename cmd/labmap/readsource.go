package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/postgis"
)

// readSource is where a command that only reads (export, report, pack,
// tiles export) takes its data from: an imported PostGIS database, or input
// files or the built-in demo dataset loaded into the memory store.
type readSource struct {
	dbURL          *string
	files          *inputFiles
	minHouseholds  *int
	demoHouseholds *int
	seed           *uint64
	logLevel       *string
}

// readSourceFlags registers the flags of a readSource on fs.
func readSourceFlags(fs *flag.FlagSet) *readSource {
	return &readSource{
		dbURL:          fs.String("database-url", "", "PostgreSQL/PostGIS connection URL; empty means the in-memory store"),
		files:          inputFlags(fs),
		minHouseholds:  fs.Int("min-households", data.DefaultMinHouseholds, "areas with fewer households show no figures (suppression threshold k)"),
		demoHouseholds: fs.Int("demo-households", demo.DefaultHouseholds, "households per round in the built-in demo dataset"),
		seed:           fs.Uint64("seed", 1, "seed of the built-in demo dataset"),
		logLevel:       fs.String("log-level", "warn", "log level: debug, info, warn or error"),
	}
}

// k is the suppression threshold the flags give, checked.
func (s *readSource) k() (int, error) {
	if *s.minHouseholds < 1 {
		return 0, fmt.Errorf("--min-households: %d is below 1", *s.minHouseholds)
	}
	return *s.minHouseholds, nil
}

// open opens the store the flags name and the command's logger; verb says
// what the command does with the data ("exports", "reports"), for the
// error when both a database and files are given. The caller closes the
// store.
func (s *readSource) open(ctx context.Context, stderr io.Writer, verb string) (data.Store, *slog.Logger, error) {
	k, err := s.k()
	if err != nil {
		return nil, nil, err
	}
	log, err := newLogger(stderr, *s.logLevel)
	if err != nil {
		return nil, nil, err
	}
	if *s.dbURL != "" {
		if s.files.Households != "" || s.files.Villages != "" {
			return nil, nil, fmt.Errorf("--database-url %s what was imported; give either it or --households/--villages", verb)
		}
		st, err := postgis.Open(ctx, *s.dbURL, postgis.Options{MinHouseholds: k, Log: log})
		return st, log, err
	}
	st, err := loadMemory(ctx, log, s.files, *s.demoHouseholds, *s.seed, k)
	return st, log, err
}

// checkNewFile refuses an output path that exists: the commands never
// overwrite a file.
func checkNewFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("--out: %s exists; remove it or name a new file", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}
