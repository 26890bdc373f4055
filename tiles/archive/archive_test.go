package archive_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"labmap/api"
	"labmap/data"
	"labmap/data/demo"
	"labmap/data/memory"
	"labmap/internal/tooltest"
	"labmap/tiles"
	"labmap/tiles/archive"

	"github.com/paulmach/orb/maptile"
)

// demoStore is the default demo dataset, built once for the package.
var demoStore = sync.OnceValues(func() (*memory.Store, error) {
	ds, err := demo.Generate(demo.Options{Households: demo.DefaultHouseholds, Seed: 1})
	if err != nil {
		return nil, err
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		return nil, err
	}
	return memory.New(ds, memory.Options{})
})

func store(t *testing.T) *memory.Store {
	t.Helper()
	s, err := demoStore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func export(t *testing.T, layers string, area archive.Area, zmin, zmax int, newWriter func(archive.Metadata) archive.Writer) (archive.Plan, archive.Stats) {
	t.Helper()
	ctx := context.Background()
	ls, err := tiles.ParseLayers(layers)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := archive.NewPlan(ctx, store(t), ls, area, zmin, zmax, "", "id")
	if err != nil {
		t.Fatal(err)
	}
	st, err := plan.Run(ctx, tiles.NewService(store(t), 32<<20), newWriter(plan.Metadata))
	if err != nil {
		t.Fatal(err)
	}
	if st.Tiles == 0 {
		t.Fatal("nothing exported")
	}
	return plan, st
}

// TestMBTilesGDAL writes MBTiles and reads them with GDAL: the MBTiles
// driver must see the layers and the zoom range as vector tiles, and
// GDAL's SQLite driver must count the tiles written, per zoom.
func TestMBTilesGDAL(t *testing.T) {
	ogrinfo := tooltest.Require(t, "ogrinfo", "gdal-bin")
	for _, tc := range []struct {
		name       string
		layers     string
		area       archive.Area
		zmin, zmax int
	}{
		{"zone, the web map's layers", "hexagons,villages,districts,zones", archive.Area{Zone: "urban-kertijayan"}, 8, 15},
		{"regency, villages only", "villages", archive.Area{}, 8, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.mbtiles")
			perZoom := map[int]int{}
			_, st := export(t, tc.layers, tc.area, tc.zmin, tc.zmax, func(md archive.Metadata) archive.Writer {
				w, err := archive.NewMBTiles(context.Background(), path, md)
				if err != nil {
					t.Fatal(err)
				}
				return countingWriter{w, perZoom}
			})
			out := run(t, ogrinfo, "-ro", "-so", path)
			var layers []string
			for _, line := range strings.Split(out, "\n") {
				if n, name, ok := strings.Cut(line, ": "); ok {
					if _, err := strconv.Atoi(n); err == nil {
						layers = append(layers, strings.Fields(name)[0])
					}
				}
			}
			if want := strings.Split(tc.layers, ","); !slices.Equal(layers, want) {
				t.Errorf("GDAL's layers = %v, want %v\n%s", layers, want, out)
			}
			for _, want := range []string{fmt.Sprintf("minzoom=%d", tc.zmin), fmt.Sprintf("maxzoom=%d", tc.zmax), "format=pbf"} {
				if !strings.Contains(out, "  "+want+"\n") {
					t.Errorf("GDAL's metadata lacks %s:\n%s", want, out)
				}
			}
			// Every zoom written decodes as vector tiles with features; one
			// zoom below is refused (GDAL overzooms past the last).
			for z := tc.zmin; z <= tc.zmax; z++ {
				first := strings.Split(tc.layers, ",")[0]
				o := run(t, ogrinfo, "-ro", "-so", "-oo", fmt.Sprintf("ZOOM_LEVEL=%d", z), path, first)
				if !strings.Contains(o, "Feature Count: ") || strings.Contains(o, "Feature Count: 0\n") {
					t.Errorf("zoom %d: GDAL reads no features of %s:\n%s", z, first, o)
				}
			}
			if o, err := exec.Command(ogrinfo, "-ro", "-so", "-oo", fmt.Sprintf("ZOOM_LEVEL=%d", tc.zmin-1), path, "villages").CombinedOutput(); err == nil {
				t.Errorf("zoom %d below the archive opened:\n%s", tc.zmin-1, o)
			}
			// GDAL's SQLite driver takes the file by another extension.
			copyPath := strings.TrimSuffix(path, ".mbtiles") + ".sqlite"
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(copyPath, b, 0o644); err != nil {
				t.Fatal(err)
			}
			o := run(t, ogrinfo, "-ro", copyPath, "-sql", "SELECT zoom_level AS z, COUNT(*) AS n FROM tiles GROUP BY zoom_level ORDER BY zoom_level")
			got := map[int]int{}
			var z int
			for _, line := range strings.Split(o, "\n") {
				line = strings.TrimSpace(line)
				if v, ok := strings.CutPrefix(line, "z (Integer) = "); ok {
					z, _ = strconv.Atoi(v)
				} else if v, ok := strings.CutPrefix(line, "n (Integer) = "); ok {
					got[z], _ = strconv.Atoi(v)
				}
			}
			total := 0
			for z := tc.zmin; z <= tc.zmax; z++ {
				if got[z] != perZoom[z] || got[z] == 0 {
					t.Errorf("zoom %d: GDAL counts %d tiles, %d were written", z, got[z], perZoom[z])
				}
				total += got[z]
			}
			if total != st.Tiles {
				t.Errorf("GDAL counts %d tiles, the export wrote %d", total, st.Tiles)
			}
		})
	}
}

type countingWriter struct {
	archive.Writer
	perZoom map[int]int
}

func (c countingWriter) Add(z, x, y int, mvt []byte) error {
	c.perZoom[z]++
	return c.Writer.Add(z, x, y, mvt)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestPMTilesMatchServer writes PMTiles, checks the header and reads every
// tile back through the directories: each must equal the server's
// /tiles answer byte for byte, and a tile the archive lacks must be one
// the server answers empty.
func TestPMTilesMatchServer(t *testing.T) {
	srv := httptest.NewServer(api.New(store(t), slog.New(slog.DiscardHandler), api.Options{TileCacheBytes: 32 << 20}))
	defer srv.Close()
	for _, tc := range []struct {
		name       string
		layers     string
		area       archive.Area
		zmin, zmax int
	}{
		{"zone z8-15", "hexagons,villages,districts,zones", archive.Area{Zone: "coastal-mulyorejo"}, 8, 15},
		{"regency z6-10", "villages,districts,zones", archive.Area{}, 6, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			plan, st := export(t, tc.layers, tc.area, tc.zmin, tc.zmax, func(md archive.Metadata) archive.Writer { return archive.NewPMTiles(&buf, md) })
			a := readPMTiles(t, buf.Bytes())
			if a.minZoom != tc.zmin || a.maxZoom != tc.zmax {
				t.Errorf("header zooms %d-%d, want %d-%d", a.minZoom, a.maxZoom, tc.zmin, tc.zmax)
			}
			b := plan.Metadata.Bounds
			for i, want := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
				if math.Abs(a.bounds[i]-want) > 1e-7 {
					t.Errorf("header bounds[%d] = %v, want %v", i, a.bounds[i], want)
				}
			}
			if a.addressed != st.Tiles {
				t.Errorf("header addresses %d tiles, %d were written", a.addressed, st.Tiles)
			}
			var layers []string
			for _, l := range a.metadata.VectorLayers {
				layers = append(layers, l.ID)
			}
			if want := strings.Split(tc.layers, ","); !slices.Equal(layers, want) {
				t.Errorf("metadata vector_layers %v, want %v", layers, want)
			}
			found := 0
			for _, tl := range archive.Grid(b, tc.zmin, tc.zmax) {
				server := serverTile(t, srv.URL, tc.layers, tl, plan.Round)
				got, ok := a.tile(t, archive.TileID(int(tl.Z), int(tl.X), int(tl.Y)))
				switch {
				case !ok && len(server) > 0:
					t.Errorf("tile %d/%d/%d: missing; the server has %d bytes", tl.Z, tl.X, tl.Y, len(server))
				case ok && !bytes.Equal(got, server):
					t.Errorf("tile %d/%d/%d: %d bytes differ from the server's %d", tl.Z, tl.X, tl.Y, len(got), len(server))
				case ok:
					found++
				}
			}
			if found != st.Tiles {
				t.Errorf("read back %d tiles, wrote %d", found, st.Tiles)
			}
		})
	}
}

func serverTile(t *testing.T, base, layers string, tl maptile.Tile, round data.Round) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt?round=%s", base, layers, tl.Z, tl.X, tl.Y, round), nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", req.URL, resp.StatusCode, err)
	}
	return b
}

// pmtiles is an archive read as the v3 spec describes it, independently of
// the writer's code.
type pmtiles struct {
	raw              []byte
	rootOff, rootLen uint64
	leafOff, dataOff uint64
	minZoom, maxZoom int
	bounds           [4]float64
	addressed        int
	metadata         struct {
		VectorLayers []tiles.VectorLayer `json:"vector_layers"`
	}
}

type dirEntry struct{ id, off, length, run uint64 }

func readPMTiles(t *testing.T, raw []byte) *pmtiles {
	t.Helper()
	if len(raw) < 127 || string(raw[:7]) != "PMTiles" || raw[7] != 3 {
		t.Fatalf("not a PMTiles v3 header: % x", raw[:min(len(raw), 8)])
	}
	le := binary.LittleEndian
	u := func(i int) uint64 { return le.Uint64(raw[8+8*i:]) }
	a := &pmtiles{raw: raw, rootOff: u(0), rootLen: u(1), leafOff: u(4), dataOff: u(6), addressed: int(u(8))}
	if raw[96] != 1 || raw[97] != 2 || raw[98] != 2 || raw[99] != 1 {
		t.Errorf("clustered/compression/tile type = %d/%d/%d/%d, want 1 (clustered), 2, 2 (gzip), 1 (mvt)", raw[96], raw[97], raw[98], raw[99])
	}
	if a.rootOff+a.rootLen > 16384 {
		t.Errorf("root directory ends at %d, past the first 16 KiB", a.rootOff+a.rootLen)
	}
	a.minZoom, a.maxZoom = int(raw[100]), int(raw[101])
	for i := range 4 {
		a.bounds[i] = float64(int32(le.Uint32(raw[102+4*i:]))) / 1e7
	}
	meta := archive.Gunzip(t, raw[u(2):u(2)+u(3)])
	if err := json.Unmarshal(meta, &a.metadata); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return a
}

func (a *pmtiles) dir(t *testing.T, off, length uint64) []dirEntry {
	raw := archive.Gunzip(t, a.raw[off:off+length])
	r := bytes.NewReader(raw)
	next := func() uint64 {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			t.Fatalf("directory at %d: %v", off, err)
		}
		return v
	}
	es := make([]dirEntry, next())
	var id uint64
	for i := range es {
		id += next()
		es[i].id = id
	}
	for i := range es {
		es[i].run = next()
	}
	for i := range es {
		es[i].length = next()
	}
	for i := range es {
		if v := next(); v == 0 && i > 0 {
			es[i].off = es[i-1].off + es[i-1].length
		} else {
			es[i].off = v - 1
		}
	}
	return es
}

// tile finds id by the spec's lookup: the last entry at or before it,
// descending into a leaf when that entry is one.
func (a *pmtiles) tile(t *testing.T, id uint64) ([]byte, bool) {
	off, length := a.rootOff, a.rootLen
	for depth := 0; depth < 4; depth++ {
		es := a.dir(t, off, length)
		i, _ := slices.BinarySearchFunc(es, id, func(e dirEntry, id uint64) int {
			switch {
			case e.id < id:
				return -1
			case e.id > id:
				return 1
			}
			return 0
		})
		if i == len(es) || es[i].id != id {
			i--
		}
		if i < 0 {
			return nil, false
		}
		e := es[i]
		if e.run == 0 {
			off, length = a.leafOff+e.off, e.length
			continue
		}
		if id >= e.id+e.run {
			return nil, false
		}
		return archive.Gunzip(t, a.raw[a.dataOff+e.off:a.dataOff+e.off+e.length]), true
	}
	t.Fatal("directories nest deeper than 4")
	return nil, false
}
