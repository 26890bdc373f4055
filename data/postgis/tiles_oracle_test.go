package postgis_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"labmap/data"
	"labmap/geo"
	"labmap/tiles"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/maptile"
)

// The oracle tolerance, in tile grid units (1/4096 of a tile side): a
// feature's symmetric difference with the exact polygon cut to the buffered
// tile may be at most the larger of 1% of the exact area and 2.5 units per
// unit of exact perimeter plus 2 units². Simplification moves a boundary by
// at most 2 units and snapping by at most half a unit, so an honest feature
// stays within 2.5 units of the truth along its whole boundary; the 2 units²
// pay for the 1x1 square that stands for an area collapsed on the grid.
const (
	oracleShift   = 2.5
	oracleFixed   = 2
	oracleRelArea = 0.01
)

// oracleTable maps a tile layer to the PostGIS table holding its exact
// geometry and the column its code comes from.
var oracleTable = map[data.Level][2]string{
	data.LevelVillage:  {"villages", "code"},
	data.LevelDistrict: {"districts", "code"},
	data.LevelZone:     {"zones", "id"},
}

// TestTileOracle compares every village, district and zone tile with
// PostGIS's exact ST_Intersection of the stored geometry and the buffered
// tile envelope, and checks the village layer as a coverage: no overlap
// between neighbours and no gap the true coverage lacks. The default dataset
// is checked at z6-z14 over the lab zones and at z0-z13 over the whole
// regency; Kota Pekalongan, a second real file with its own MultiPolygons
// and no zones, at z0-z14 over the city.
func TestTileOracle(t *testing.T) {
	t.Parallel() // its own database: it runs beside the others while they wait on PostgreSQL
	t.Run("default", func(t *testing.T) {
		url := migrated(t)
		importFiles(t, url, files(t))
		checkTileOracle(t, url, 13, 14)
	})
	t.Run("kota-pekalongan", func(t *testing.T) {
		const vf = "../testdata/kota-pekalongan-villages.geojson.gz"
		areas, err := data.LoadAreas(context.Background(), data.Files{Villages: vf}, data.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// One household per village, at a point inside it,
		// so that every village has figures and the tiles carry them all.
		var csv strings.Builder
		csv.WriteString("household_id,round,lon,lat,members,poverty_status,village_code\n")
		for i, v := range areas.Villages {
			p, ok := geo.PointOnSurface(v.Geometry)
			if !ok {
				t.Fatalf("village %s has no point on its surface", v.Code)
			}
			fmt.Fprintf(&csv, "H%d,2023-03-01,%s,%s,3,poor,%s\n", i, strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64), v.Code)
		}
		hf := filepath.Join(t.TempDir(), "households.csv")
		if err := os.WriteFile(hf, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		url := migrated(t)
		importFiles(t, url, data.Files{Households: hf, Villages: vf})
		checkTileOracle(t, url, 14, 0)
	})
}

// checkTileOracle runs the oracle over the imported dataset at url: every
// tile of the dataset's extent at z0..extentZoom and of each lab zone at
// z6..zoneZoom (none when zoneZoom is 0).
func checkTileOracle(t *testing.T, url string, extentZoom, zoneZoom int) {
	ctx := context.Background()
	pg := openStore(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	ext, err := pg.Extent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	zones, err := pg.Zones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[maptile.Tile]bool{}
	var list []maptile.Tile
	add := func(b orb.Bound, z0, z1 int) {
		for z := z0; z <= z1; z++ {
			lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
			hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
			for x := lo.X; x <= hi.X; x++ {
				for y := lo.Y; y <= hi.Y; y++ {
					tl := maptile.New(x, y, maptile.Zoom(z))
					if !seen[tl] {
						seen[tl] = true
						list = append(list, tl)
					}
				}
			}
		}
	}
	// The issue asked for z0-z8 over the whole regency; z9-z13 cost little
	// more and hold the worst tiles it reported (villages/11/1648/1064).
	add(ext, 0, extentZoom)
	for _, z := range zones {
		if zoneZoom > 0 {
			add(z.Geometry.Bound(), 6, zoneZoom)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].Z < list[j].Z || list[i].Z == list[j].Z && (list[i].X < list[j].X || list[i].X == list[j].X && list[i].Y < list[j].Y)
	})

	svc := tiles.NewService(pg, 0)
	var areaLayers []tiles.Layer
	for _, l := range tiles.Layers {
		if _, ok := oracleTable[l.Level]; ok {
			areaLayers = append(areaLayers, l)
		}
	}
	type count struct{ features, wrong, missing, invalid int }
	counts := map[string]*count{}
	var failures []string
	fail := func(format string, args ...any) {
		if len(failures) < 40 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	largest := 0
	for _, tl := range list {
		z, x, y := int(tl.Z), int(tl.X), int(tl.Y)
		got, err := svc.Tile(ctx, tiles.Request{Layers: areaLayers, Z: z, X: x, Y: y})
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, len(got.Raw))
		layers, err := mvt.Unmarshal(got.Raw)
		if err != nil {
			t.Fatalf("tile %d/%d/%d does not decode: %v", z, x, y, err)
		}
		for i, l := range areaLayers {
			key := fmt.Sprintf("%s z%02d", l.Name, z)
			if counts[key] == nil {
				counts[key] = &count{}
			}
			c := counts[key]
			codes, wkbs := []string{}, [][]byte{}
			for _, f := range layers[i].Features {
				code, _ := f.Properties["code"].(string)
				mp := tileMultiPolygon(f.Geometry)
				for _, p := range mp {
					if err := geo.ValidatePolygon(p); err != nil {
						c.invalid++
						fail("tile %s/%d/%d/%d %s: invalid polygon: %v", l.Name, z, x, y, code, err)
					}
					if len(p) > 0 && signed(p[0]) <= 0 {
						c.invalid++
						fail("tile %s/%d/%d/%d %s: exterior ring is not clockwise on screen", l.Name, z, x, y, code)
					}
				}
				b, err := wkb.Marshal(toMercator(mp, z, x, y))
				if err != nil {
					t.Fatal(err)
				}
				codes, wkbs = append(codes, code), append(wkbs, b)
			}
			c.features += len(codes)
			rows, err := compareWithPostGIS(ctx, conn, oracleTable[l.Level], z, x, y, codes, wkbs)
			if err != nil {
				t.Fatalf("tile %s/%d/%d/%d: %v", l.Name, z, x, y, err)
			}
			for _, r := range rows {
				switch {
				case !r.drawn && r.inTile:
					c.missing++
					fail("tile %s/%d/%d/%d %s: missing, the area covers %.1f units² of the tile", l.Name, z, x, y, r.code, r.area)
				case r.drawn && r.symDiff > r.tolerance():
					c.wrong++
					fail("tile %s/%d/%d/%d %s: drawn %.1f units² differ from the exact %.1f units² by %.1f (tolerance %.1f)", l.Name, z, x, y, r.code, r.drawnArea, r.area, r.symDiff, r.tolerance())
				}
			}
			if l.Level == data.LevelVillage && len(codes) > 0 {
				overlap, gap, tol, err := coverageWithPostGIS(ctx, conn, z, x, y, codes, wkbs)
				if err != nil {
					t.Fatalf("tile %s/%d/%d/%d coverage: %v", l.Name, z, x, y, err)
				}
				if overlap > tol || gap > tol {
					c.wrong++
					fail("tile %s/%d/%d/%d: villages overlap by %.1f units² and leave %.1f units² of gap the true coverage lacks (tolerance %.1f)", l.Name, z, x, y, overlap, gap, tol)
				}
			}
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bad := false
	for _, k := range keys {
		c := counts[k]
		t.Logf("%s: %d features, %d wrong, %d missing, %d invalid", k, c.features, c.wrong, c.missing, c.invalid)
		bad = bad || c.wrong+c.missing+c.invalid > 0
	}
	t.Logf("%d tiles compared; largest %d bytes", len(list), largest)
	for _, f := range failures {
		t.Error(f)
	}
	if bad && len(failures) == 0 {
		t.Error("tiles differ from the oracle")
	}
	if largest > 500<<10 {
		t.Errorf("largest tile is %d bytes, over 500 KB", largest)
	}
}

type oracleRow struct {
	code                     string
	drawn, inTile            bool
	area, perimeter, symDiff float64
	drawnArea                float64
	collapsed                bool
}

func (r oracleRow) tolerance() float64 {
	return math.Max(oracleRelArea*r.area, oracleShift*r.perimeter+oracleFixed)
}

// compareWithPostGIS returns, for every area drawn in the tile or meeting
// it, the exact area and perimeter of its part in the buffered tile and the
// symmetric difference with what the tile draws, all in tile units.
func compareWithPostGIS(ctx context.Context, conn *pgx.Conn, table [2]string, z, x, y int, codes []string, wkbs [][]byte) ([]oracleRow, error) {
	q := fmt.Sprintf(`
WITH env AS (SELECT ST_TileEnvelope($3, $4, $5) AS tile, ST_Expand(ST_TileEnvelope($3, $4, $5), $6 * (ST_XMax(ST_TileEnvelope($3, $4, $5)) - ST_XMin(ST_TileEnvelope($3, $4, $5)))) AS buf,
                    ((ST_XMax(ST_TileEnvelope($3, $4, $5)) - ST_XMin(ST_TileEnvelope($3, $4, $5))) / %d)^2 AS unit2),
f AS (SELECT code, ST_MakeValid(ST_SetSRID(ST_GeomFromWKB(w), 3857)) AS g FROM unnest($1::text[], $2::bytea[]) AS t(code, w)),
a AS (SELECT t.%s AS code, ST_Intersection(ST_Transform(t.geom, 3857), env.buf) AS truth,
             ST_Intersects(ST_Transform(t.geom, 3857), env.tile) AS in_tile
      FROM %s t, env WHERE t.geom IS NOT NULL AND ST_Transform(t.geom, 3857) && env.buf)
SELECT coalesce(a.code, f.code), f.code IS NOT NULL, coalesce(a.in_tile, false),
       coalesce(ST_Area(a.truth), 0) / env.unit2, coalesce(ST_Perimeter(a.truth), 0) / sqrt(env.unit2),
       ST_Area(coalesce(ST_SymDifference(a.truth, f.g), a.truth, f.g)) / env.unit2,
       coalesce(ST_Area(f.g), 0) / env.unit2
FROM a FULL JOIN f USING (code), env`, tiles.Extent, table[1], table[0])
	buffer := float64(tiles.Buffer) / tiles.Extent
	rows, err := conn.Query(ctx, q, codes, wkbs, z, x, y, buffer)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (oracleRow, error) {
		var r oracleRow
		err := row.Scan(&r.code, &r.drawn, &r.inTile, &r.area, &r.perimeter, &r.symDiff, &r.drawnArea)
		return r, err
	})
}

// coverageWithPostGIS measures how much the drawn villages overlap one
// another and how much of the true villages' union within the buffered tile
// they leave uncovered, in tile units, with the tolerance for both: the
// oracle tolerance along the true union's boundary plus 2 units² per
// feature (a collapsed village's square may sit on its neighbour).
func coverageWithPostGIS(ctx context.Context, conn *pgx.Conn, z, x, y int, codes []string, wkbs [][]byte) (overlap, gap, tol float64, err error) {
	q := fmt.Sprintf(`
WITH env AS (SELECT ST_Expand(ST_TileEnvelope($3, $4, $5), $6 * (ST_XMax(ST_TileEnvelope($3, $4, $5)) - ST_XMin(ST_TileEnvelope($3, $4, $5)))) AS buf,
                    ((ST_XMax(ST_TileEnvelope($3, $4, $5)) - ST_XMin(ST_TileEnvelope($3, $4, $5))) / %d)^2 AS unit2),
f AS (SELECT ST_MakeValid(ST_SetSRID(ST_GeomFromWKB(w), 3857)) AS g FROM unnest($1::text[], $2::bytea[]) AS t(code, w)),
fu AS (SELECT ST_Union(g) AS u, sum(ST_Area(g)) AS s FROM f),
tu AS (SELECT ST_Intersection(ST_Union(ST_Transform(v.geom, 3857)), env.buf) AS u FROM villages v, env WHERE ST_Transform(v.geom, 3857) && env.buf GROUP BY env.buf)
SELECT (fu.s - ST_Area(fu.u)) / env.unit2, ST_Area(ST_Difference(tu.u, fu.u)) / env.unit2, ST_Perimeter(tu.u) / sqrt(env.unit2)
FROM fu, tu, env`, tiles.Extent)
	var perim float64
	err = conn.QueryRow(ctx, q, codes, wkbs, z, x, y, float64(tiles.Buffer)/tiles.Extent).Scan(&overlap, &gap, &perim)
	return overlap, gap, oracleShift*perim + oracleFixed*float64(len(codes)), err
}

func tileMultiPolygon(g orb.Geometry) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

func signed(r orb.Ring) float64 {
	s := 0.0
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}

// toMercator places tile coordinates in EPSG:3857 metres.
func toMercator(mp orb.MultiPolygon, z, x, y int) orb.MultiPolygon {
	const half = 20037508.342789244
	size := 2 * half / float64(uint64(1)<<z) / tiles.Extent
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for k, r := range p {
			out[i][k] = make(orb.Ring, len(r))
			for j, pt := range r {
				out[i][k][j] = orb.Point{-half + (float64(x)*tiles.Extent+pt[0])*size, half - (float64(y)*tiles.Extent+pt[1])*size}
			}
		}
	}
	return out
}
