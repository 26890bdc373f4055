package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"labmap/api"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/data/postgis"
)

const serveSummary = `Serve labmap over HTTP. With --database-url it serves what was imported into
PostGIS; with --households/--villages it loads those files into memory; with
neither it builds the synthetic Pekalongan dataset in memory, so a newcomer
sees a working server at once.`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveSummary, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dbURL := fs.String("database-url", "", "PostgreSQL/PostGIS connection URL; empty means the in-memory store")
	files := inputFlags(fs)
	minHouseholds := fs.Int("min-households", data.DefaultMinHouseholds, "areas with fewer households show no figures (suppression threshold k)")
	demoHouseholds := fs.Int("demo-households", demo.DefaultHouseholds, "households per round in the built-in demo dataset")
	seed := fs.Uint64("seed", 1, "seed of the built-in demo dataset")
	basemapURL := fs.String("basemap-url", "", "optional raster basemap tile URL with {z}/{x}/{y} (e.g. an OpenStreetMap server); off by default, so the map makes no request to another host")
	tileCacheMB := fs.Int("tile-cache-mb", 256, "memory for cached vector tiles, in MiB; 0 turns the cache off")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	tokensFile := fs.String("tokens-file", "", "DEMO ONLY, in-memory store: a JSON file of token hashes (labmap token create --tokens-file); with --database-url tokens are in PostGIS")
	dbMaxConns := fs.Int("db-max-conns", postgis.DefaultMaxConns(), "PostGIS: connections for data queries; /healthz and /readyz have one more of their own, and the NOTIFY listener another")
	dbVersionInterval := fs.Duration("db-version-interval", postgis.DefaultVersionInterval, "PostGIS: how often the dataset version is read besides NOTIFY, so a new import shows within it even when a NOTIFY is lost")
	var replicaURLs []string
	fs.Func("replica-url", "PostGIS: a streaming replica to send aggregate reads to (repeatable; imports, LISTEN, tokens and households stay on --database-url)", func(v string) error {
		replicaURLs = append(replicaURLs, v)
		return nil
	})
	ops := addOpsFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	if err := ops.check(); err != nil {
		return err
	}
	if *tileCacheMB < 0 {
		return fmt.Errorf("--tile-cache-mb: %d is negative", *tileCacheMB)
	}
	if *minHouseholds < 1 {
		return fmt.Errorf("--min-households: %d is below 1", *minHouseholds)
	}
	if len(replicaURLs) > 0 && *dbURL == "" {
		return errors.New("--replica-url needs --database-url (the replicas are of the PostGIS primary)")
	}

	var store data.Store
	if *dbURL != "" {
		if files.Households != "" || files.Villages != "" {
			return errors.New("--database-url serves what was imported; load files with `labmap import` instead of --households/--villages")
		}
		store, err = postgis.Open(ctx, *dbURL, postgis.Options{MinHouseholds: *minHouseholds, Log: log, MaxConns: *dbMaxConns, VersionInterval: *dbVersionInterval, ReplicaURLs: replicaURLs})
	} else {
		store, err = serveMemory(ctx, log, files, *demoHouseholds, *seed, *minHouseholds, *tokensFile)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	st, _ := store.Status(ctx)
	tokens, err := serveTokens(store, *tokensFile, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	opt := api.Options{MinHouseholds: *minHouseholds, TileCacheBytes: *tileCacheMB << 20, BasemapURL: *basemapURL, Tokens: tokens}
	ops.apply(&opt, store)
	srv := api.NewHTTPServer(api.New(store, log, opt), ops.limits(), log)
	log.Info("listening", "addr", "http://"+ln.Addr().String(), "store", st.Store, "min_households", *minHouseholds, ops.logAttr(opt))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// serveMemory is the in-memory store of `labmap serve`. With a tokens file
// it also keeps the dataset's households and serves them to staff tokens;
// without one it keeps none, so no token can reach a household.
func serveMemory(ctx context.Context, log *slog.Logger, files *inputFiles, demoHouseholds int, seed uint64, k int, tokensFile string) (data.Store, error) {
	store, ds, err := loadMemoryDataset(ctx, log, files, demoHouseholds, seed, k)
	if err != nil {
		return nil, err
	}
	if tokensFile == "" {
		return store, nil
	}
	log.Warn("DEMO household layer: staff tokens of the tokens file see households; the audit is this log and an in-memory list, lost on restart")
	return memory.WithHouseholds(store, ds, log), nil
}

// loadMemory builds the in-memory store from files, or from the built-in
// demo dataset when no files are given.
func loadMemory(ctx context.Context, log *slog.Logger, files *inputFiles, demoHouseholds int, seed uint64, k int) (*memory.Store, error) {
	store, _, err := loadMemoryDataset(ctx, log, files, demoHouseholds, seed, k)
	return store, err
}

// loadMemoryDataset is loadMemory that also returns the dataset the store
// was built from, for the household layer, which the store does not keep.
func loadMemoryDataset(ctx context.Context, log *slog.Logger, files *inputFiles, demoHouseholds int, seed uint64, k int) (*memory.Store, data.Dataset, error) {
	start := time.Now()
	var ds data.Dataset
	var err error
	source := "built-in demo"
	if files.Households != "" || files.Villages != "" {
		if files.Households == "" || files.Villages == "" {
			return nil, data.Dataset{}, errors.New("--households and --villages go together (and --zones, --districts optionally)")
		}
		if ds, err = data.LoadFiles(ctx, files.Files, files.opt); err != nil {
			return nil, data.Dataset{}, err
		}
		data.LogCoverage(log, files.Villages, ds.Coverage)
		ds.Region = files.region()
		source = files.Households
	} else {
		if ds, err = demo.Generate(demo.Options{Households: demoHouseholds, Seed: seed}); err != nil {
			return nil, data.Dataset{}, fmt.Errorf("build demo dataset: %w", err)
		}
		if err := data.CheckDataset(&ds, "demo households"); err != nil {
			return nil, data.Dataset{}, fmt.Errorf("check demo dataset: %w", err)
		}
	}
	store, err := memory.New(ds, memory.Options{MinHouseholds: k})
	if err != nil {
		return nil, data.Dataset{}, err
	}
	st, _ := store.Status(ctx)
	log.Info("dataset loaded", "store", st.Store, "source", source, "villages", len(ds.Villages),
		"zones", len(ds.Zones), "rows", len(ds.Households), "households", st.Households,
		"dataset_version", st.DatasetVersion, "took", time.Since(start).Round(time.Millisecond))
	return store, ds, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
