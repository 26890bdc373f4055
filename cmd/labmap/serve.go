package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"labmap/api"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
)

const serveSummary = `Serve labmap over HTTP. With no --database-url and no input files it builds the
synthetic Pekalongan dataset in memory, so a newcomer sees a working server at once.`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveSummary, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dbURL := fs.String("database-url", "", "PostgreSQL/PostGIS connection URL; empty means the in-memory store")
	files := inputFlags(fs)
	minHouseholds := fs.Int("min-households", data.DefaultMinHouseholds, "areas with fewer households show no figures (suppression threshold k)")
	demoHouseholds := fs.Int("demo-households", demo.DefaultHouseholds, "households per round in the built-in demo dataset")
	seed := fs.Uint64("seed", 1, "seed of the built-in demo dataset")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	if *minHouseholds < 1 {
		return fmt.Errorf("--min-households: %d is below 1", *minHouseholds)
	}
	if *dbURL != "" {
		return errors.New("--database-url: this build has only the in-memory store; the PostGIS store is not part of it yet")
	}

	start := time.Now()
	var ds data.Dataset
	source := "built-in demo"
	if files.Households != "" || files.Villages != "" {
		if files.Households == "" || files.Villages == "" {
			return errors.New("--households and --villages go together (and --zones, --districts optionally)")
		}
		ds, err = data.LoadFiles(ctx, files.Files, files.opt)
		if err != nil {
			return err
		}
		source = files.Households
	} else {
		ds, err = demo.Generate(demo.Options{Households: *demoHouseholds, Seed: *seed})
		if err != nil {
			return fmt.Errorf("build demo dataset: %w", err)
		}
		if err := data.CheckDataset(&ds, "demo households"); err != nil {
			return fmt.Errorf("check demo dataset: %w", err)
		}
	}
	store, err := memory.New(ds, memory.Options{MinHouseholds: *minHouseholds})
	if err != nil {
		return err
	}
	defer store.Close()
	st, _ := store.Status(ctx)
	log.Info("dataset loaded", "store", st.Store, "source", source, "villages", len(ds.Villages),
		"zones", len(ds.Zones), "rows", len(ds.Households), "households", st.Households,
		"dataset_version", st.DatasetVersion, "took", time.Since(start).Round(time.Millisecond))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler:           api.New(store, log, api.Options{MinHouseholds: *minHouseholds}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", "http://"+ln.Addr().String(), "store", st.Store, "min_households", *minHouseholds)

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

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
