// Package archive writes labmap's vector tiles into single-file archives
// for offline use: MBTiles 1.3 (SQLite; what GDAL and QGIS 3.22 open as
// vector tiles) and PMTiles v3 (one file a web page reads by byte ranges,
// used by the offline meeting pack). Tiles come from the server's own tile
// service, so an archived tile is byte-for-byte the server's answer.
package archive

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"labmap/data"
	"labmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Writer takes tiles one at a time; Close finishes the archive.
type Writer interface {
	// Add stores the uncompressed MVT of tile z/x/y.
	Add(z, x, y int, mvt []byte) error
	Close() error
}

// Metadata describes an archive's contents, written into its metadata
// table (MBTiles) or JSON (PMTiles).
type Metadata struct {
	Name         string
	Description  string
	Attribution  string
	Version      string
	Bounds       orb.Bound
	MinZoom      int
	MaxZoom      int
	VectorLayers []tiles.VectorLayer
}

// vectorLayers gives each layer the archive's zoom range, which readers
// such as GDAL take as the zooms the layer has tiles at.
func (m Metadata) vectorLayers() []tiles.VectorLayer {
	out := make([]tiles.VectorLayer, len(m.VectorLayers))
	for i, l := range m.VectorLayers {
		l.MinZoom, l.MaxZoom = m.MinZoom, m.MaxZoom
		out[i] = l
	}
	return out
}

func (m Metadata) pmtilesJSON() map[string]any {
	return map[string]any{
		"name": m.Name, "description": m.Description, "attribution": m.Attribution, "version": m.Version,
		"type": "overlay", "format": "pbf", "vector_layers": m.vectorLayers(),
	}
}

// Source renders the uncompressed MVT of one tile.
type Source func(ctx context.Context, z, x, y int) ([]byte, error)

// ServiceSource renders tiles through svc as the server's /tiles endpoint
// does for the same layers and round, so archived tiles equal its answers.
func ServiceSource(svc *tiles.Service, layers []tiles.Layer, round data.Round) Source {
	return func(ctx context.Context, z, x, y int) ([]byte, error) {
		req := tiles.Request{Layers: layers, Z: z, X: x, Y: y, Round: round}
		if err := req.Validate(); err != nil {
			return nil, err
		}
		t, err := svc.Tile(ctx, req)
		if err != nil {
			return nil, err
		}
		return t.Raw, nil
	}
}

// Grid lists the tiles covering bounds at zooms zmin..zmax, zoom by zoom.
func Grid(bounds orb.Bound, zmin, zmax int) []maptile.Tile {
	var list []maptile.Tile
	for z := zmin; z <= zmax; z++ {
		lo := maptile.At(orb.Point{bounds.Min[0], bounds.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{bounds.Max[0], bounds.Min[1]}, maptile.Zoom(z))
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				list = append(list, maptile.New(x, y, maptile.Zoom(z)))
			}
		}
	}
	return list
}

// Stats counts what an export wrote.
type Stats struct {
	Tiles int   // tiles stored
	Empty int   // tiles without features, left out as the formats allow
	Bytes int64 // uncompressed MVT bytes stored
}

// Export renders every tile of the grid with src, on as many goroutines as
// there are CPUs, and adds the non-empty ones to w (from one goroutine, so
// writers need no locking). It does not close w.
func Export(ctx context.Context, src Source, grid []maptile.Tile, w Writer) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		t   maptile.Tile
		mvt []byte
		err error
	}
	jobs := make(chan maptile.Tile)
	results := make(chan result)
	var wg sync.WaitGroup
	for range max(runtime.NumCPU(), 1) {
		wg.Go(func() {
			for t := range jobs {
				mvt, err := src(ctx, int(t.Z), int(t.X), int(t.Y))
				select {
				case results <- result{t, mvt, err}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, t := range grid {
			select {
			case jobs <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var st Stats
	var firstErr error
	for r := range results {
		if firstErr != nil {
			continue
		}
		switch {
		case r.err != nil:
			firstErr = fmt.Errorf("tile %d/%d/%d: %w", r.t.Z, r.t.X, r.t.Y, r.err)
			cancel()
		case len(r.mvt) == 0:
			st.Empty++
		default:
			if err := w.Add(int(r.t.Z), int(r.t.X), int(r.t.Y), r.mvt); err != nil {
				firstErr = err
				cancel()
				continue
			}
			st.Tiles++
			st.Bytes += int64(len(r.mvt))
		}
	}
	if firstErr != nil {
		return st, firstErr
	}
	return st, ctx.Err()
}

// ParseFormat reads an archive format name.
func ParseFormat(s string) (string, error) {
	switch strings.ToLower(s) {
	case "mbtiles", "pmtiles":
		return strings.ToLower(s), nil
	}
	return "", errors.New(strconv.Quote(s) + " is not an archive format (mbtiles, pmtiles)")
}
