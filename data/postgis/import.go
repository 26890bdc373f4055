package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"labmap/data"
	"labmap/geo"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// ImportOptions configures an import.
type ImportOptions struct {
	Read data.ReadOptions
	Log  *slog.Logger
	// Progress, when not nil, receives a one-line progress display (rows/s,
	// ETA) redrawn with carriage returns while the households stream in.
	Progress io.Writer
}

// ImportResult summarises a committed import.
type ImportResult struct {
	Rows           int
	Rounds         []data.Round
	Households     int // distinct households in the whole database after the import
	DatasetVersion int64
}

// householdCols is the COPY column order of the staging table.
var householdCols = []string{
	"household_id", "round", "geom", "members", "poverty_status", "village_code", "head_name", "occupation",
	"welfare_decile", "causes", "house_uninhabitable", "house_repaired", "latrine", "water_source", "electricity",
	"chronic_ill", "chronic_ill_treated", "disabled", "disabled_assisted", "children_school_age",
	"children_out_of_school", "health_km", "programs", "h3_r6", "h3_r7", "h3_r8", "h3_r9", "h3_r10", "line",
}

// Import loads the files into the database in ONE transaction: areas are
// replaced, the rounds present in the households file replace those rounds,
// households stream in through COPY with their H3 cells computed here,
// households without a village code are joined with ST_Covers, and every
// aggregate is rebuilt. Any failure — a bad row, a lost connection, a killed
// process — leaves the database as it was. Concurrent imports queue on an
// advisory lock. A committed import bumps the dataset version and sends
// NOTIFY labmap_dataset with the new version.
func Import(ctx context.Context, url string, files data.Files, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if files.Households == "" || files.Villages == "" {
		return res, errors.New("import: --households and --villages are required")
	}
	areas, err := data.LoadAreas(ctx, files, opt.Read)
	if err != nil {
		return res, err
	}
	hf, err := os.Open(files.Households)
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	defer hf.Close()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return res, fmt.Errorf("import: connect: %w", classify(err))
	}
	defer conn.Close(context.Background())
	if err := checkSchemaVersion(ctx, conn); err != nil {
		return res, fmt.Errorf("import: %w", err)
	}

	start := time.Now()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, lockImport).Scan(&got); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if !got {
			log.Info("another import is running; waiting for it to finish")
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockImport); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
			log.Info("the other import finished; going on")
		}
		if err := replaceAreas(ctx, tx, areas); err != nil {
			return err
		}
		rows, cells, err := copyHouseholds(ctx, tx, hf, files.Households, opt)
		if err != nil {
			return err
		}
		res.Rows = rows
		log.Info("households copied", "rows", rows, "took", time.Since(start).Round(time.Millisecond))
		if err := checkVillages(ctx, tx, files, opt.Read); err != nil {
			return err
		}
		if err := replaceRounds(ctx, tx, &res); err != nil {
			return err
		}
		if err := addCells(ctx, tx, cells); err != nil {
			return err
		}
		t := time.Now()
		if err := rebuildAggregates(ctx, tx); err != nil {
			return fmt.Errorf("aggregate: %w", err)
		}
		log.Info("aggregates rebuilt", "took", time.Since(t).Round(time.Millisecond))
		err = tx.QueryRow(ctx, `UPDATE dataset_state SET version = version + 1, imported_at = now(),
			households = (SELECT count(DISTINCT household_id) FROM households)
			RETURNING version, households`).Scan(&res.DatasetVersion, &res.Households)
		if err != nil {
			return fmt.Errorf("bump dataset version: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify('labmap_dataset', $1)`, strconv.FormatInt(res.DatasetVersion, 10)); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		return nil
	})
	if err != nil {
		var ie *data.InputError
		if errors.As(err, &ie) {
			return ImportResult{}, err
		}
		return ImportResult{}, fmt.Errorf("import %s: %w", files.Households, classify(err))
	}
	return res, nil
}

// checkSchemaVersion insists on the schema this build needs; the aggregate
// registry may differ, since the import rebuilds the aggregates anyway.
func checkSchemaVersion(ctx context.Context, conn *pgx.Conn) error {
	err := checkSchema(ctx, conn)
	if err == nil || errors.Is(err, errRegistryChanged) {
		return nil
	}
	return err
}

func replaceAreas(ctx context.Context, tx pgx.Tx, ds data.Dataset) error {
	if _, err := tx.Exec(ctx, `DELETE FROM zone_villages; DELETE FROM zones; DELETE FROM villages; DELETE FROM districts`); err != nil {
		return fmt.Errorf("clear areas: %w", err)
	}
	vrows := make([][]any, len(ds.Villages))
	for i, v := range ds.Villages {
		g, err := multiPolygonEWKB(v.Geometry)
		if err != nil {
			return fmt.Errorf("village %s: encode geometry: %w", v.Code, err)
		}
		vrows[i] = []any{v.Code, v.Name, v.DistrictCode, v.Kelurahan, i, g}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"villages"}, []string{"code", "name", "district_code", "kelurahan", "ord", "geom"}, pgx.CopyFromRows(vrows)); err != nil {
		return fmt.Errorf("copy villages: %w", err)
	}
	drows := make([][]any, len(ds.Districts))
	for i, d := range ds.Districts {
		g, err := multiPolygonEWKB(d.Geometry)
		if err != nil {
			return fmt.Errorf("district %s: encode geometry: %w", d.Code, err)
		}
		drows[i] = []any{d.Code, d.Name, i, g}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"districts"}, []string{"code", "name", "ord", "geom"}, pgx.CopyFromRows(drows)); err != nil {
		return fmt.Errorf("copy districts: %w", err)
	}
	var zrows, zvrows [][]any
	for i, z := range ds.Zones {
		g, err := multiPolygonEWKB(z.Geometry)
		if err != nil {
			return fmt.Errorf("zone %s: encode geometry: %w", z.ID, err)
		}
		zrows = append(zrows, []any{z.ID, z.Name, string(z.Kind), i, g})
		for j, c := range z.VillageCodes {
			zvrows = append(zvrows, []any{z.ID, c, j})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"zones"}, []string{"id", "name", "kind", "ord", "geom"}, pgx.CopyFromRows(zrows)); err != nil {
		return fmt.Errorf("copy zones: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"zone_villages"}, []string{"zone_id", "village_code", "ord"}, pgx.CopyFromRows(zvrows)); err != nil {
		return fmt.Errorf("copy zone villages: %w", err)
	}
	return nil
}

// householdSource feeds COPY from the rows a scanning goroutine sends.
type householdSource struct {
	rows <-chan []any
	cur  []any
}

func (s *householdSource) Next() bool {
	var ok bool
	s.cur, ok = <-s.rows
	return ok
}
func (s *householdSource) Values() ([]any, error) { return s.cur, nil }
func (s *householdSource) Err() error             { return nil }

// copyHouseholds streams the households file into a staging table: the file
// is never held in memory, only the H3 cells of each distinct location.
func copyHouseholds(ctx context.Context, tx pgx.Tx, f *os.File, name string, opt ImportOptions) (int, map[uint64]struct{}, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE staging_households (LIKE households INCLUDING DEFAULTS, line integer) ON COMMIT DROP;
		ALTER TABLE staging_households ALTER village_code DROP NOT NULL, ALTER baseline_status DROP NOT NULL`); err != nil {
		return 0, nil, fmt.Errorf("create staging table: %w", err)
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	counted := &countingReader{r: f}
	prog := newProgress(opt.Progress, size)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan []any, 1024)
	scanErr := make(chan error, 1)
	cells := make(map[uint64]struct{})
	go func() {
		defer close(ch)
		cache := make(map[orb.Point]geo.CellSet)
		dates := make(map[data.Round]time.Time)
		rows := 0
		err := data.ScanHouseholds(counted, name, opt.Read, func(h *data.Household) error {
			cs, ok := cache[h.Loc]
			if !ok {
				cs = geo.Cells(h.Loc)
				cache[h.Loc] = cs
				for _, c := range cs {
					cells[c] = struct{}{}
				}
			}
			d, ok := dates[h.Round]
			if !ok {
				d, _ = time.Parse(time.DateOnly, string(h.Round))
				dates[h.Round] = d
			}
			row, err := householdRow(h, d, cs)
			if err != nil {
				return err
			}
			select {
			case ch <- row:
			case <-ctx.Done():
				return ctx.Err()
			}
			rows++
			if rows%4096 == 0 {
				prog.update(rows, counted.n.Load())
			}
			return nil
		})
		prog.done(rows)
		scanErr <- err
	}()
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"staging_households"}, householdCols, &householdSource{rows: ch})
	cancel()
	for range ch { // let the scanner finish if COPY stopped early
	}
	if serr := <-scanErr; serr != nil && !errors.Is(serr, context.Canceled) {
		return 0, nil, serr
	}
	if err != nil {
		return 0, nil, fmt.Errorf("copy households: %w", err)
	}
	return int(n), cells, nil
}

func nullable[T comparable](v T, zero T) any {
	if v == zero {
		return nil
	}
	return v
}

func flag(f data.Flag) any {
	switch f {
	case data.FlagYes:
		return true
	case data.FlagNo:
		return false
	}
	return nil
}

func householdRow(h *data.Household, round time.Time, cs geo.CellSet) ([]any, error) {
	g, err := pointEWKB(h.Loc)
	if err != nil {
		return nil, fmt.Errorf("household %s: encode point: %w", h.ID, err)
	}
	var decile, health any
	if h.WelfareDecile > 0 {
		decile = int16(h.WelfareDecile)
	}
	if h.HealthKm >= 0 {
		health = float32(h.HealthKm)
	}
	causes, programs := h.Causes, h.Programs
	if causes == nil {
		causes = []string{}
	}
	if programs == nil {
		programs = []string{}
	}
	return []any{
		h.ID, round, g, int32(h.Members), h.Status.String(), nullable(h.VillageCode, ""), nullable(h.HeadName, ""),
		nullable(h.Occupation, ""), decile, causes, flag(h.HouseUninhabitable), flag(h.HouseRepaired),
		nullable(h.Latrine.String(), ""), nullable(h.WaterSource, ""), flag(h.Electricity),
		int32(h.ChronicIll), int32(h.ChronicIllTreated), int32(h.Disabled), int32(h.DisabledAssisted),
		int32(h.ChildrenSchoolAge), int32(h.ChildrenOutOfSchool), health, programs,
		int64(cs[0]), int64(cs[1]), int64(cs[2]), int64(cs[3]), int64(cs[4]), int32(h.Line),
	}, nil
}

// checkVillages rejects unknown village codes and joins households that
// have none to the village that covers their point (the first in the
// villages file when a point lies on a shared border, as in the memory store).
func checkVillages(ctx context.Context, tx pgx.Tx, files data.Files, ropt data.ReadOptions) error {
	max := ropt.MaxErrors
	if max <= 0 {
		max = data.DefaultMaxErrors
	}
	ie := &data.InputError{File: files.Households}
	rows, err := tx.Query(ctx, `SELECT line, village_code FROM staging_households s
		WHERE village_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM villages v WHERE v.code = s.village_code)
		ORDER BY line LIMIT $1`, max+1)
	if err != nil {
		return fmt.Errorf("check village codes: %w", err)
	}
	var line int
	var code string
	_, err = pgx.ForEachRow(rows, []any{&line, &code}, func() error {
		ie.Problems = append(ie.Problems, data.Problem{Line: line, Field: "village_code",
			Msg: fmt.Sprintf("%q names no village in %s", code, files.Villages)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("check village codes: %w", err)
	}
	if len(ie.Problems) > 0 {
		return trim(ie, max)
	}
	if _, err := tx.Exec(ctx, `UPDATE staging_households s SET village_code = (
			SELECT v.code FROM villages v WHERE ST_Covers(v.geom, s.geom) ORDER BY v.ord LIMIT 1)
		WHERE s.village_code IS NULL`); err != nil {
		return fmt.Errorf("join households to villages: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT line, ST_X(geom), ST_Y(geom) FROM staging_households
		WHERE village_code IS NULL ORDER BY line LIMIT $1`, max+1)
	if err != nil {
		return fmt.Errorf("check joined villages: %w", err)
	}
	var lon, lat float64
	_, err = pgx.ForEachRow(rows, []any{&line, &lon, &lat}, func() error {
		ie.Problems = append(ie.Problems, data.Problem{Line: line, Field: "lon/lat",
			Msg: fmt.Sprintf("(%s, %s) lies outside every village in %s; give a village_code or check the coordinates",
				strconv.FormatFloat(lon, 'f', -1, 64), strconv.FormatFloat(lat, 'f', -1, 64), files.Villages)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("check joined villages: %w", err)
	}
	if len(ie.Problems) > 0 {
		return trim(ie, max)
	}
	return nil
}

func trim(ie *data.InputError, max int) error {
	if len(ie.Problems) > max {
		ie.Problems, ie.More = ie.Problems[:max], true
	}
	return ie
}

// replaceRounds swaps the staged rounds in and recomputes baseline statuses:
// a new earliest round changes the baseline of every later row.
func replaceRounds(ctx context.Context, tx pgx.Tx, res *ImportResult) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT to_char(round, 'YYYY-MM-DD') FROM staging_households ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("list rounds: %w", err)
	}
	rounds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list rounds: %w", err)
	}
	for _, r := range rounds {
		res.Rounds = append(res.Rounds, data.Round(r))
	}
	cols := ""
	for i, c := range householdCols[:len(householdCols)-1] { // all but line
		if i > 0 {
			cols += ", "
		}
		cols += c
	}
	_, err = tx.Exec(ctx, `DELETE FROM households WHERE round IN (SELECT DISTINCT round FROM staging_households);
		INSERT INTO households (`+cols+`, baseline_status) SELECT `+cols+`, poverty_status FROM staging_households;
		WITH first AS (
			SELECT DISTINCT ON (household_id) household_id, poverty_status
			FROM households ORDER BY household_id, round)
		UPDATE households h SET baseline_status = f.poverty_status
		FROM first f WHERE f.household_id = h.household_id AND h.baseline_status <> f.poverty_status`)
	if err != nil {
		return fmt.Errorf("replace rounds %v: %w", rounds, err)
	}
	return nil
}

// addCells stores the boundary and centre of every H3 cell not yet known.
func addCells(ctx context.Context, tx pgx.Tx, cells map[uint64]struct{}) error {
	known := make(map[uint64]bool, len(cells))
	rows, err := tx.Query(ctx, `SELECT cell FROM h3_cells`)
	if err != nil {
		return fmt.Errorf("list cells: %w", err)
	}
	var c int64
	if _, err := pgx.ForEachRow(rows, []any{&c}, func() error { known[uint64(c)] = true; return nil }); err != nil {
		return fmt.Errorf("list cells: %w", err)
	}
	var out [][]any
	for cell := range cells {
		if known[cell] {
			continue
		}
		center, err := pointEWKB(geo.CellCenter(cell))
		if err != nil {
			return err
		}
		poly, err := polygonEWKB(geo.CellPolygon(cell))
		if err != nil {
			return err
		}
		out = append(out, []any{int64(cell), int16(geo.Resolution(cell)), geo.CellString(cell), center, poly})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"h3_cells"}, []string{"cell", "res", "h3", "center", "geom"}, pgx.CopyFromRows(out)); err != nil {
		return fmt.Errorf("copy cells: %w", err)
	}
	return nil
}
