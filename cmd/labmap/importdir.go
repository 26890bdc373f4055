package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"labmap/data"
	"labmap/data/demo"
	"labmap/data/postgis"
)

// regencyDir is one regency of a directory written by `labmap demo
// --province`: DIR/<code>/ with the files of demo.WriteFiles.
type regencyDir struct {
	code  string
	files data.Files
	// region names the regency, from the index's name and name_en
	// columns; the generator's index (with a seed column) marks its
	// households synthetic.
	region data.Region
}

// readRegencyDirs lists the regencies of DIR/regencies.csv.
func readRegencyDirs(dir string) ([]regencyDir, error) {
	index := filepath.Join(dir, demo.IndexFile)
	f, err := os.Open(index)
	if err != nil {
		return nil, fmt.Errorf("import --dir: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("import --dir: %s: %w", index, err)
	}
	if len(rows) < 2 || len(rows[0]) == 0 || rows[0][0] != "code" {
		return nil, fmt.Errorf("import --dir: %s lists no regencies (want a header starting with code, then a row per regency)", index)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[strings.TrimSpace(c)] = i
	}
	field := func(r []string, name string) string {
		if i, ok := col[name]; ok && i < len(r) {
			return strings.TrimSpace(r[i])
		}
		return ""
	}
	_, generated := col["seed"]
	var out []regencyDir
	for i, r := range rows[1:] {
		code := strings.TrimSpace(r[0])
		if code == "" || strings.ContainsAny(code, `/\`) || code == "." || code == ".." {
			return nil, fmt.Errorf("import --dir: %s line %d: code %q is not a regency code", index, i+2, r[0])
		}
		rd := filepath.Join(dir, code)
		fs := data.Files{
			Households: filepath.Join(rd, demo.HouseholdsFile), Villages: filepath.Join(rd, demo.VillagesFile),
			Districts: filepath.Join(rd, demo.DistrictsFile),
		}
		if _, err := os.Stat(filepath.Join(rd, demo.ZonesFile)); err == nil {
			fs.Zones = filepath.Join(rd, demo.ZonesFile)
		}
		out = append(out, regencyDir{code, fs, data.Region{
			Name: data.Text{ID: field(r, "name"), EN: field(r, "name_en")}, Synthetic: generated}})
	}
	return out, nil
}

// roundsOf lists the rounds of a households file, to create the
// partitions before the regencies start.
func roundsOf(ctx context.Context, path string, opt data.ReadOptions) ([]data.Round, error) {
	f, err := data.OpenInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rounds []data.Round
	err = data.ScanHouseholds(f, path, opt, func(h *data.Household) error {
		if !slices.Contains(rounds, h.Round) {
			rounds = append(rounds, h.Round)
		}
		return ctx.Err()
	})
	return rounds, err
}

// importDir imports every regency of dir, each on its own connection in
// its own transaction, jobs at a time. Each regency's import is its own:
// when one fails, those already committed stay, those running are
// cancelled (and roll back), the rest are not started.
func importDir(ctx context.Context, url, dir string, jobs, k int, opt data.ReadOptions, log *slog.Logger, stdout io.Writer) error {
	regs, err := readRegencyDirs(dir)
	if err != nil {
		return err
	}
	start := time.Now()
	// Partitions first, in one short transaction: regencies of one
	// province that each found a round partition missing would queue on
	// its creation instead of running side by side.
	rounds, err := roundsOf(ctx, regs[0].files.Households, opt)
	if err != nil {
		return fmt.Errorf("import --dir: %w", err)
	}
	var provinces []string
	for _, r := range regs {
		p, _, _ := strings.Cut(r.code, ".")
		if !slices.Contains(provinces, p) {
			provinces = append(provinces, p)
		}
	}
	if err := postgis.EnsurePartitions(ctx, url, provinces, rounds); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan regencyDir)
	rows := 0
	for range max(1, min(jobs, len(regs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				t := time.Now()
				res, err := postgis.Import(ctx, url, r.files, postgis.ImportOptions{Read: opt, Log: log.With("regency", r.code), Region: r.region, SkipDisclosure: true})
				mu.Lock()
				if err != nil {
					if context.Cause(ctx) == nil {
						cancel(fmt.Errorf("regency %s (%s, %s): %w", r.code, r.files.Households, r.files.Villages, err))
					}
				} else {
					rows += res.Rows
					fmt.Fprintf(stdout, "regency %s: %d rows in %s; dataset version %d\n", r.code, res.Rows, time.Since(t).Round(time.Millisecond), res.DatasetVersion)
				}
				mu.Unlock()
			}
		}()
	}
send:
	for _, r := range regs {
		select {
		case next <- r:
		case <-ctx.Done():
			break send
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("import cancelled; the regencies reported imported stay imported, the others are unchanged")
		}
		return fmt.Errorf("import --dir: %w (the regencies reported imported stay imported; the others are unchanged)", err)
	}
	// The rule once, for the version the last regency committed, rather
	// than over the growing province after every regency.
	t := time.Now()
	if err := postgis.DecideDisclosure(ctx, url, k); err != nil {
		return fmt.Errorf("import --dir: every regency is imported; %w", err)
	}
	fmt.Fprintf(stdout, "imported %d regencies, %d rows, in %s with %d jobs (disclosure rule decided in %s)\n",
		len(regs), rows, time.Since(start).Round(time.Millisecond), jobs, time.Since(t).Round(time.Millisecond))
	return nil
}
