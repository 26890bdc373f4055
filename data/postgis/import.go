package postgis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
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
	// ClearZones removes every zone when no zones file is given; without
	// it the zones the database holds are kept (see keepAreas).
	ClearZones bool
	// Region names the region the files cover; its empty fields come from
	// the files' dataset and then from data.RegionOf (see writeRegion).
	Region data.Region
	// MinHouseholds is the threshold k the import decides the disclosure
	// rule for (see decideDisclosure); zero means data.DefaultMinHouseholds.
	// Servers with another threshold run the rule themselves.
	MinHouseholds int
	// SkipDisclosure leaves the rule to the servers: for imports that will
	// be followed by others at once (import --dir decides once at the end).
	SkipDisclosure bool
}

// ImportResult summarises a committed import.
type ImportResult struct {
	Rows           int
	Rounds         []data.Round
	Households     int // distinct households in the whole database after the import
	DatasetVersion int64
}

// householdCols is the COPY column order of households.
var householdCols = []string{
	"household_id", "round", "geom", "members", "poverty_status", "village_code", "head_name", "occupation",
	"welfare_decile", "causes", "house_uninhabitable", "house_repaired", "latrine", "water_source", "electricity",
	"chronic_ill", "chronic_ill_treated", "disabled", "disabled_assisted", "children_school_age",
	"children_out_of_school", "health_km", "programs", "h3_r6", "h3_r7", "h3_r8", "h3_r9", "h3_r10", "imported_in",
}

// Import loads the files into the database in ONE transaction. Its scope is
// the region its villages share (see scope): the region's areas are
// replaced, the rounds present in the households file replace those rounds
// of the region's households, households stream in through COPY into a
// staging table with their H3 cells computed here, households without a
// village code are joined with ST_Covers there, and the rows land in their
// province and round partitions. Then the region's aggregates are refreshed
// (refreshScope), or every aggregate is rebuilt for an import spanning
// provinces or changing the set of rounds. Any failure — a bad row, a lost
// connection, a killed process — leaves the database as it was. Imports of
// disjoint regions run side by side until their final phase, which they
// take one at a time (see lockScope). A committed import bumps the dataset
// version and sends NOTIFY labmap_dataset with the new version.
func Import(ctx context.Context, url string, files data.Files, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if files.Households == "" || files.Villages == "" {
		return res, errors.New("import: --households and --villages are required")
	}
	if opt.ClearZones && files.Zones != "" {
		return res, fmt.Errorf("import: --clear-zones removes the zones and --zones %s replaces them: give one or the other", files.Zones)
	}
	areas, err := data.LoadAreas(ctx, files, opt.Read)
	if err != nil {
		return res, err
	}
	data.LogCoverage(log, files.Villages, areas.Coverage)
	hf, err := data.OpenInput(files.Households)
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

	given := importRegion(opt.Region, areas.Region)
	sc, err := importScope(given.Code, areas.Villages, files.Villages)
	if err != nil {
		return res, err
	}
	start := time.Now()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := lockScope(ctx, tx, sc, log); err != nil {
			return err
		}
		// Index builds get the memory that rebuildAggregates also sets.
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL jit = off`); err != nil {
			return fmt.Errorf("tune session: %w", err)
		}
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT nextval('household_import_seq')`).Scan(&seq); err != nil {
			return fmt.Errorf("number the import: %w", err)
		}
		before, err := scopeAreas(ctx, tx, sc)
		if err != nil {
			return err
		}
		if err := keepAreas(ctx, tx, &areas, files, opt.ClearZones, sc); err != nil {
			return err
		}
		if err := noteRegionBoxes(ctx, tx, sc); err != nil {
			return err
		}
		if err := replaceAreas(ctx, tx, areas, sc); err != nil {
			return err
		}
		if err := noteRegionBoxes(ctx, tx, sc); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_households ON COMMIT DROP AS SELECT * FROM households WITH NO DATA;
			CREATE TEMP TABLE import_cells (res smallint, cell bigint, PRIMARY KEY (res, cell)) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("stage households: %w", err)
		}
		check := data.NewVillageCheck(areas.Villages, files.Villages)
		cp, err := copyHouseholds(ctx, tx, hf, files, opt, seq, check)
		if err != nil {
			return err
		}
		res.Rows = cp.rows
		res.Rounds = cp.rounds
		log.Info("households copied", "rows", cp.rows, "took", time.Since(start).Round(time.Millisecond))
		t := time.Now()
		if err := joinVillages(ctx, tx, files, opt.Read, sc, cp.unplaced); err != nil {
			return err
		}
		log.Debug("households without a village code joined", "rows", len(cp.unplaced), "took", time.Since(t).Round(time.Millisecond))
		t = time.Now()
		if err := replaceHouseholds(ctx, tx, sc, cp.rounds); err != nil {
			return err
		}
		log.Debug("rounds replaced", "rounds", cp.rounds, "took", time.Since(t).Round(time.Millisecond))
		codes := before.villages
		for _, v := range areas.Villages {
			codes = append(codes, v.Code)
		}
		slices.Sort(codes)
		codes = slices.Compact(codes)
		exec := stepper(ctx, tx, log)
		if sc != "" {
			// What the region's households now hold; those of the replaced
			// rows were noted as they were deleted.
			if err := noteCells(exec, "note the region's cells", `(SELECT * FROM households WHERE province = $1 AND village_code = ANY($2)) h`, sc.province(), codes); err != nil {
				return err
			}
			if err := sumScope(exec, sc.province(), codes); err != nil {
				return err
			}
		}

		zones := before.zones
		for _, z := range areas.Zones {
			zones = append(zones, z.ID)
		}
		slices.Sort(zones)
		if res.DatasetVersion, res.Households, err = finishRegion(ctx, tx, log, finish{
			scope: sc, given: given, villages: areas.Villages, districts: areas.Districts,
			zones: slices.Compact(zones), cells: cp.cells, opt: opt,
		}); err != nil {
			return err
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

// finish is what the final phase of an import or a removal of one region
// needs.
type finish struct {
	scope     scope
	given     data.Region // the region the import names; empty for a removal
	villages  []data.Village
	districts []data.District
	zones     []string // the region's zones before and after
	cells     map[uint64]struct{}
	opt       ImportOptions
}

// finishRegion is the final phase of an import or a removal of one region,
// once the region's own rows are in place: one import at a time, each
// seeing the others' committed rows, for what regions share — hexagon
// cells on a border, the regencies and provinces, the roll-ups, the
// dataset version. It refreshes or rebuilds the aggregates, bumps the
// version, decides the disclosure rule, writes the change log and sends
// NOTIFY, and returns the new version and the database's household count.
func finishRegion(ctx context.Context, tx pgx.Tx, log *slog.Logger, f finish) (version int64, households int, err error) {
	t := time.Now()
	var got bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM dataset_state FOR UPDATE SKIP LOCKED)`).Scan(&got); err != nil {
		return 0, 0, fmt.Errorf("lock the dataset version: %w", err)
	}
	if !got {
		log.Info("another import is finishing; waiting for it")
		if _, err := tx.Exec(ctx, `SELECT version FROM dataset_state FOR UPDATE`); err != nil {
			return 0, 0, fmt.Errorf("lock the dataset version: %w", err)
		}
	}
	if err := addCells(ctx, tx, f.cells); err != nil {
		return 0, 0, err
	}
	if _, err := writeDatasetRegion(ctx, tx, f.given, f.villages); err != nil {
		return 0, 0, err
	}
	// The regencies are named by this import's own region: the
	// dataset's may be the province the database now covers.
	own := data.Region{Code: data.RegionOf(f.given, f.villages).Code, Name: f.given.Name}
	if err := refreshAdminAreas(ctx, tx, own, f.districts); err != nil {
		return 0, 0, err
	}
	if len(f.villages) == 0 {
		// A removal writes no regency of its province, which may keep
		// others: its outline loses the region.
		if err := redrawRemaining(ctx, tx, f.scope.province()); err != nil {
			return 0, 0, err
		}
	}
	full, added, err := needsFullRebuild(ctx, tx, f.scope)
	if err != nil {
		return 0, 0, err
	}
	if full {
		if err := rebuildAggregates(ctx, tx, log); err != nil {
			return 0, 0, fmt.Errorf("aggregate: %w", err)
		}
		log.Info("aggregates rebuilt", "took", time.Since(t).Round(time.Millisecond))
	} else {
		if err := refreshScope(ctx, tx, log, refresh{scope: f.scope, zones: f.zones, added: added}); err != nil {
			return 0, 0, fmt.Errorf("aggregate: %w", err)
		}
		log.Info("aggregates of the region refreshed", "region", string(f.scope), "took", time.Since(t).Round(time.Millisecond))
	}
	err = tx.QueryRow(ctx, `UPDATE dataset_state SET version = version + 1, imported_at = now(),
		households = (SELECT coalesce(sum(households), 0) FROM regencies)
		RETURNING version, households`).Scan(&version, &households)
	if err != nil {
		return 0, 0, fmt.Errorf("bump dataset version: %w", err)
	}
	k := cmp.Or(f.opt.MinHouseholds, data.DefaultMinHouseholds)
	var moved []data.AreaKey
	compared := false
	if !f.opt.SkipDisclosure {
		t = time.Now()
		if moved, compared, err = decideDisclosure(ctx, tx, version, k); err != nil {
			return 0, 0, err
		}
		log.Info("disclosure rule decided", "took", time.Since(t).Round(time.Millisecond), "moved", len(moved))
	}
	// A rule left undecided is decided by each instance over the whole
	// database, so the log cannot say what it moved.
	if err := recordChanges(ctx, tx, version, k, f.scope, full || !compared, moved); err != nil {
		return 0, 0, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify('labmap_dataset', $1)`, strconv.FormatInt(version, 10)); err != nil {
		return 0, 0, fmt.Errorf("notify: %w", err)
	}
	return version, households, nil
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

// scopeHeld is what a region held before its import.
type scopeHeld struct {
	villages []string // village codes
	zones    []string // zones with a village in the region
}

func scopeAreas(ctx context.Context, tx pgx.Tx, sc scope) (scopeHeld, error) {
	var h scopeHeld
	err := tx.QueryRow(ctx, `SELECT
		coalesce((SELECT array_agg(code ORDER BY code) FROM villages WHERE `+sqlHolds("code", 1)+`), '{}'),
		coalesce((SELECT array_agg(DISTINCT zone_id) FROM zone_villages WHERE `+sqlHolds("village_code", 1)+`), '{}')`,
		string(sc)).Scan(&h.villages, &h.zones)
	if err != nil {
		return h, fmt.Errorf("read the region's areas: %w", err)
	}
	return h, nil
}

// replaceAreas replaces the region's villages, districts and zones (a zone
// is the region's when one of its villages is).
func replaceAreas(ctx context.Context, tx pgx.Tx, ds data.Dataset, sc scope) error {
	for _, q := range []string{
		`DELETE FROM zones WHERE id IN (SELECT zone_id FROM zone_villages WHERE ` + sqlHolds("village_code", 1) + `)`,
		`DELETE FROM villages WHERE ` + sqlHolds("code", 1),
		`DELETE FROM districts WHERE ` + sqlHolds("code", 1),
	} {
		if _, err := tx.Exec(ctx, q, string(sc)); err != nil {
			return fmt.Errorf("clear areas: %w", err)
		}
	}
	vrows := make([][]any, len(ds.Villages))
	for i, v := range ds.Villages {
		g, err := multiPolygonEWKB(v.Geometry)
		if err != nil {
			return fmt.Errorf("village %s: encode geometry: %w", v.Code, err)
		}
		// The file's geometry, when cleaning changed it, stays for audit.
		src, err := multiPolygonEWKB(v.Source)
		if err != nil {
			return fmt.Errorf("village %s: encode source geometry: %w", v.Code, err)
		}
		vrows[i] = []any{v.Code, v.Name, v.DistrictCode, v.Kelurahan, i, g, src}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"villages"}, []string{"code", "name", "district_code", "kelurahan", "ord", "geom", "source_geom"}, pgx.CopyFromRows(vrows)); err != nil {
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
	byCode := make(map[string]int, len(ds.Villages))
	for i, v := range ds.Villages {
		byCode[v.Code] = i
	}
	var zrows, zvrows [][]any
	for i, z := range ds.Zones {
		g, err := multiPolygonEWKB(z.Geometry)
		if err != nil {
			return fmt.Errorf("zone %s: encode geometry: %w", z.ID, err)
		}
		zrows = append(zrows, []any{z.ID, z.Name, string(z.Kind), i, g, outlineFromVillages(&z, ds.Villages, byCode)})
		for j, c := range z.VillageCodes {
			zvrows = append(zvrows, []any{z.ID, c, j})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"zones"}, []string{"id", "name", "kind", "ord", "geom", "outline_from_villages"}, pgx.CopyFromRows(zrows)); err != nil {
		return fmt.Errorf("copy zones: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"zone_villages"}, []string{"zone_id", "village_code", "ord"}, pgx.CopyFromRows(zvrows)); err != nil {
		return fmt.Errorf("copy zone villages: %w", err)
	}
	return nil
}

// replaceHouseholds moves the staged rows into households: the rounds of
// the file replace those rounds of the region's households. The H3 cells
// of the rows replaced are noted for the hexagon refresh.
func replaceHouseholds(ctx context.Context, tx pgx.Tx, sc scope, rounds []data.Round) error {
	rs := make([]string, len(rounds))
	for i, r := range rounds {
		rs[i] = string(r)
	}
	if _, err := tx.Exec(ctx, `UPDATE import_households SET province = labmap_province(village_code)`); err != nil {
		return fmt.Errorf("stage households: %w", err)
	}
	if err := ensureHouseholdPartitions(ctx, tx, "import_households"); err != nil {
		return err
	}
	cells := hexGrouping(", ", func(r int) string { return fmt.Sprintf("(%[1]d, d.h3_r%[1]d)", r) })
	if _, err := tx.Exec(ctx, `WITH d AS (DELETE FROM households WHERE round = ANY($1::date[])
			AND ($2 = '' OR province = $3) AND `+sqlHolds("village_code", 2)+` RETURNING *)
		INSERT INTO import_cells SELECT DISTINCT x.res, x.cell FROM d CROSS JOIN LATERAL (VALUES `+cells+`) x(res, cell)
		ON CONFLICT DO NOTHING`, rs, string(sc), sc.province()); err != nil {
		return fmt.Errorf("replace rounds %v: %w", rs, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO households SELECT * FROM import_households`); err != nil {
		return fmt.Errorf("store households: %w", err)
	}
	// The primary key holds the province, so it no longer sees the same
	// household_id in one round of two provinces; this does, through the
	// household_id index.
	var id, round, village string
	err := tx.QueryRow(ctx, `SELECT h.household_id, to_char(h.round, 'YYYY-MM-DD'), h.village_code FROM households h
		JOIN import_households s USING (household_id, round)
		WHERE h.imported_in <> s.imported_in OR h.village_code <> s.village_code LIMIT 1`).Scan(&id, &round, &village)
	if err == nil {
		return fmt.Errorf("household %s of round %s is also in village %s, outside this import: a household_id names one household in a round", id, round, village)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("check household ids: %w", err)
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

// householdKey names a row for the village join's error messages.
type householdKey struct {
	id    string
	round data.Round
}

// copied is what streaming the households file learned on the way.
type copied struct {
	rows     int
	rounds   []data.Round
	cells    map[uint64]struct{}
	unplaced map[householdKey]int // rows without a village code, by file line
}

// copyHouseholds streams the households file straight into the households
// table, marked with the version this import will commit: the file is never
// held in memory, only the H3 cells of each distinct location. Village codes
// are checked against the villages file on the way.
func copyHouseholds(ctx context.Context, tx pgx.Tx, f *data.InputFile, files data.Files, opt ImportOptions, version int64, villages *data.VillageCheck) (copied, error) {
	prog := newProgress(opt.Progress, f.Size())
	maxErrors := opt.Read.MaxErrors
	if maxErrors <= 0 {
		maxErrors = data.DefaultMaxErrors
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan []any, 1024)
	scanErr := make(chan error, 1)
	out := copied{cells: make(map[uint64]struct{}), unplaced: make(map[householdKey]int)}
	codeErrs := &data.InputError{File: files.Households}
	go func() {
		defer close(ch)
		cache := make(map[orb.Point]geo.CellSet)
		dates := make(map[data.Round]time.Time)
		err := data.ScanHouseholds(f, files.Households, opt.Read, func(h *data.Household) error {
			if h.VillageCode == "" {
				out.unplaced[householdKey{h.ID, h.Round}] = h.Line
			} else if p, ok := villages.Check(h); !ok {
				if len(codeErrs.Problems) < maxErrors {
					codeErrs.Problems = append(codeErrs.Problems, p)
				} else {
					codeErrs.More = true
				}
				return nil
			}
			cs, ok := cache[h.Loc]
			if !ok {
				cs = geo.Cells(h.Loc)
				cache[h.Loc] = cs
				for _, c := range cs {
					out.cells[c] = struct{}{}
				}
			}
			d, ok := dates[h.Round]
			if !ok {
				d, _ = time.Parse(time.DateOnly, string(h.Round))
				dates[h.Round] = d
				out.rounds = append(out.rounds, h.Round)
			}
			row, err := householdRow(h, d, cs, version)
			if err != nil {
				return err
			}
			select {
			case ch <- row:
			case <-ctx.Done():
				return ctx.Err()
			}
			out.rows++
			if out.rows%4096 == 0 {
				prog.update(out.rows, f.Consumed())
			}
			return nil
		})
		prog.done(out.rows)
		scanErr <- err
	}()
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_households"}, householdCols, &householdSource{rows: ch})
	cancel()
	for range ch { // let the scanner finish if COPY stopped early
	}
	if serr := <-scanErr; serr != nil && !errors.Is(serr, context.Canceled) {
		return out, serr
	}
	if err != nil {
		return out, fmt.Errorf("copy households: %w", err)
	}
	if len(codeErrs.Problems) > 0 {
		return out, codeErrs
	}
	slices.Sort(out.rounds)
	return out, nil
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

func householdRow(h *data.Household, round time.Time, cs geo.CellSet, version int64) ([]any, error) {
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
		h.ID, round, g, int32(h.Members), h.Status.String(), h.VillageCode, nullable(h.HeadName, ""),
		nullable(h.Occupation, ""), decile, causes, flag(h.HouseUninhabitable), flag(h.HouseRepaired),
		nullable(h.Latrine.String(), ""), nullable(h.WaterSource, ""), flag(h.Electricity),
		int32(h.ChronicIll), int32(h.ChronicIllTreated), int32(h.Disabled), int32(h.DisabledAssisted),
		int32(h.ChildrenSchoolAge), int32(h.ChildrenOutOfSchool), health, programs,
		int64(cs[0]), int64(cs[1]), int64(cs[2]), int64(cs[3]), int64(cs[4]), version,
	}, nil
}

// joinVillages puts households that came without a village code into the
// village whose polygon covers their point (ST_Covers on the GiST index; the
// first in the villages file when a point lies on a shared border, as in the
// memory store), and reports by file line those that no village covers.
func joinVillages(ctx context.Context, tx pgx.Tx, files data.Files, ropt data.ReadOptions, sc scope, unplaced map[householdKey]int) error {
	if len(unplaced) == 0 {
		return nil
	}
	max := ropt.MaxErrors
	if max <= 0 {
		max = data.DefaultMaxErrors
	}
	// Only the region's villages: the database holds other regions' too.
	if _, err := tx.Exec(ctx, `UPDATE import_households h SET village_code = coalesce((
			SELECT v.code FROM villages v WHERE ST_Covers(v.geom, h.geom) AND `+sqlHolds("v.code", 1)+` ORDER BY v.ord LIMIT 1), '')
		WHERE h.village_code = ''`, string(sc)); err != nil {
		return fmt.Errorf("join households to villages: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT household_id, to_char(round, 'YYYY-MM-DD'), ST_X(geom), ST_Y(geom) FROM import_households
		WHERE village_code = ''`)
	if err != nil {
		return fmt.Errorf("check joined villages: %w", err)
	}
	var id, round string
	var lon, lat float64
	var problems []data.Problem
	_, err = pgx.ForEachRow(rows, []any{&id, &round, &lon, &lat}, func() error {
		problems = append(problems, data.Problem{Line: unplaced[householdKey{id, data.Round(round)}], Field: "lon/lat",
			Msg: fmt.Sprintf("(%s, %s) lies outside every village in %s; give a village_code or check the coordinates",
				strconv.FormatFloat(lon, 'f', -1, 64), strconv.FormatFloat(lat, 'f', -1, 64), files.Villages)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("check joined villages: %w", err)
	}
	if len(problems) == 0 {
		return nil
	}
	slices.SortFunc(problems, func(a, b data.Problem) int { return a.Line - b.Line })
	ie := &data.InputError{File: files.Households, Problems: problems}
	if len(problems) > max {
		ie.Problems, ie.More = problems[:max], true
	}
	return ie
}

// addCells stores the boundary and centre of every H3 cell not yet known.
func addCells(ctx context.Context, tx pgx.Tx, cells map[uint64]struct{}) error {
	known := make(map[uint64]bool, len(cells))
	ids := make([]int64, 0, len(cells))
	for c := range cells {
		ids = append(ids, int64(c))
	}
	rows, err := tx.Query(ctx, `SELECT cell FROM h3_cells WHERE cell = ANY($1)`, ids)
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
	// Through a staging table: another import may have added some of the
	// same cells since they were listed.
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_h3_cells ON COMMIT DROP AS SELECT * FROM h3_cells WITH NO DATA`); err != nil {
		return fmt.Errorf("stage cells: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_h3_cells"}, []string{"cell", "res", "h3", "center", "geom"}, pgx.CopyFromRows(out)); err != nil {
		return fmt.Errorf("copy cells: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO h3_cells SELECT * FROM import_h3_cells ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("add cells: %w", err)
	}
	return nil
}
