package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"labmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

const tilesSeedSummary = `Pre-warm a running labmap server's tile cache before a meeting or for a slow
link: request every tile of the layer over the zoom range and area, as a map would.`

func runTiles(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "export" {
		return runTilesExport(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "seed" {
		fmt.Fprintln(stderr, "Usage: labmap tiles seed|export [flags]   (labmap tiles seed -h for the flags)")
		return errUsage
	}
	fs := newFlagSet("tiles seed", tilesSeedSummary, stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "base URL of the running labmap server")
	layer := fs.String("layer", "villages", "layer or comma-separated layers (hexagons, villages, districts, zones)")
	zoom := fs.String("zoom", "8-14", "zoom or zoom range, e.g. 8-14")
	bbox := fs.String("bbox", "", "minlon,minlat,maxlon,maxlat; default the data's extent from the server")
	round := fs.String("round", "", "survey round (default the latest)")
	concurrency := fs.Int("concurrency", 4, "requests in flight")
	quiet := fs.Bool("quiet", false, "no progress display")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if _, err := tiles.ParseLayers(*layer); err != nil {
		return fmt.Errorf("--layer: %w", err)
	}
	zmin, zmax, err := parseZoomRange(*zoom)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(*server, "/")
	var b orb.Bound
	if *bbox != "" {
		if b, err = parseBBox(*bbox); err != nil {
			return err
		}
	} else if b, err = serverBounds(ctx, base, *layer); err != nil {
		return err
	}
	var list []maptile.Tile
	for z := zmin; z <= zmax; z++ {
		lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				list = append(list, maptile.New(x, y, maptile.Zoom(z)))
			}
		}
	}
	query := ""
	if *round != "" {
		query = "?round=" + url.QueryEscape(*round)
	}
	var done, bytes, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	jobs := make(chan maptile.Tile)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 60 * time.Second}
	for range max(*concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				u := fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt%s", base, *layer, t.Z, t.X, t.Y, query)
				n, err := fetchTile(ctx, client, u)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
				bytes.Add(n)
				done.Add(1)
			}
		}()
	}
	start := time.Now()
	showProgress := !*quiet && isTerminal(stderr)
	stopProgress := make(chan struct{})
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-tick.C:
				if showProgress {
					d := done.Load()
					rate := float64(d) / time.Since(start).Seconds()
					eta := time.Duration(float64(int64(len(list))-d)/math.Max(rate, 1e-9)) * time.Second
					fmt.Fprintf(stderr, "\rseeding: %d/%d tiles, %.0f tiles/s, ETA %s   ", d, len(list), rate, eta.Round(time.Second))
				}
			}
		}
	}()
	for _, t := range list {
		if ctx.Err() != nil {
			break
		}
		jobs <- t
	}
	close(jobs)
	wg.Wait()
	close(stopProgress)
	if showProgress {
		fmt.Fprintln(stderr)
	}
	fmt.Fprintf(stdout, "seeded %d tiles of %s at z%d-%d (%d bytes) in %s; %d failed\n",
		done.Load(), *layer, zmin, zmax, bytes.Load(), time.Since(start).Round(time.Millisecond), failed.Load())
	if failed.Load() > 0 {
		return fmt.Errorf("%d tiles failed; first: %w", failed.Load(), firstErr)
	}
	return ctx.Err()
}

func fetchTile(ctx context.Context, client *http.Client, u string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return n, err
}

func parseZoomRange(s string) (int, int, error) {
	lo, hi, found := strings.Cut(s, "-")
	if !found {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || a < 0 || b > 22 || a > b {
		return 0, 0, fmt.Errorf("--zoom: %q is not a zoom or a range like 8-14 within 0-22", s)
	}
	return a, b, nil
}

func parseBBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, fmt.Errorf("--bbox: %q needs four numbers minlon,minlat,maxlon,maxlat", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Bound{}, fmt.Errorf("--bbox: %q is not a number", p)
		}
		v[i] = f
	}
	if v[0] >= v[2] || v[1] >= v[3] || v[0] < -180 || v[2] > 180 || v[1] < -85.06 || v[3] > 85.06 {
		return orb.Bound{}, fmt.Errorf("--bbox: %q is not minlon,minlat,maxlon,maxlat in range", s)
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// serverBounds reads the data's extent from the server's TileJSON.
func serverBounds(ctx context.Context, base, layer string) (orb.Bound, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/tiles/"+layer+".json", nil)
	if err != nil {
		return orb.Bound{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return orb.Bound{}, fmt.Errorf("--server: %w", err)
	}
	defer resp.Body.Close()
	var tj struct {
		Bounds []float64 `json:"bounds"`
	}
	if resp.StatusCode != http.StatusOK {
		return orb.Bound{}, fmt.Errorf("--server: GET %s/tiles/%s.json: %s", base, layer, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tj); err != nil || len(tj.Bounds) != 4 {
		return orb.Bound{}, errors.New("--server: the TileJSON has no bounds")
	}
	return orb.Bound{Min: orb.Point{tj.Bounds[0], tj.Bounds[1]}, Max: orb.Point{tj.Bounds[2], tj.Bounds[3]}}, nil
}
