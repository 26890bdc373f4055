package postgis

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"labmap/data"
	"labmap/geo"

	"github.com/jackc/pgx/v5"
)

// The disclosure rule (data.Protect) decides what the public sees of a
// round from every level's rows at once: hiding one village can hide a
// sibling, a hexagon its zone's part. The aggregates are computed in SQL;
// the rule runs in Go over the rows read back, so both stores share it.
// It is decided once per dataset version and round, then every Stats,
// Areas (tiles) and Features call applies the same outcome.

// disclosureCache holds the outcome per round for one dataset version.
type disclosureCache struct {
	mu      sync.Mutex
	version int64
	rounds  map[data.Round]*disclosureEntry
}

// disclosureEntry is one round's outcome; done closes when it is decided,
// so concurrent requests wait for one computation instead of repeating it.
type disclosureEntry struct {
	done chan struct{}
	d    *data.Disclosure
	err  error
}

// audience is the threshold and disclosure outcome a query is answered
// with: the store's own for the public, none for a query that asks for
// unsuppressed figures (the analyst role).
func (s *Store) audience(ctx context.Context, db querier, q data.StatsQuery, round data.Round) (int, *data.Disclosure, error) {
	if q.Unsuppressed {
		return 0, nil, nil
	}
	disc, err := s.disclosure(ctx, db, round)
	return s.k, disc, err
}

// disclosure returns the outcome of the rule for round at the current
// dataset version; nil with Options.PrimaryOnly.
func (s *Store) disclosure(ctx context.Context, db querier, round data.Round) (*data.Disclosure, error) {
	if s.primary {
		return nil, nil
	}
	v, err := s.Version(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.disclosures
	c.mu.Lock()
	if c.version != v || c.rounds == nil {
		c.version, c.rounds = v, map[data.Round]*disclosureEntry{}
	}
	e, ok := c.rounds[round]
	if !ok {
		e = &disclosureEntry{done: make(chan struct{})}
		c.rounds[round] = e
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.d, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// The computation must not fail for everyone waiting because the
	// request that started it went away.
	e.d, e.err = s.protectRound(context.WithoutCancel(ctx), db, v, round)
	if e.err != nil {
		c.mu.Lock()
		if c.rounds[round] == e {
			delete(c.rounds, round)
		}
		c.mu.Unlock()
	}
	close(e.done)
	return e.d, e.err
}

// protectRound reads every level's sums of one round, in one snapshot, and
// runs the rule over them.
//
// db is the caller's read: within a replica's snapshot the rule reads in a
// savepoint of it, on the connection the caller already holds. A second
// connection would deadlock a busy pool: every connection held by a read
// waiting for this one computation, which waits for a connection.
func (s *Store) protectRound(ctx context.Context, db querier, version int64, round data.Round) (*data.Disclosure, error) {
	var d *data.Disclosure
	body := func(db querier) error {
		// One snapshot: with replicas db already is one (a savepoint in it
		// costs nothing); else a transaction of its own on the pool.
		var tx pgx.Tx
		var err error
		if outer, ok := db.(pgx.Tx); ok {
			tx, err = outer.Begin(ctx)
		} else {
			tx, err = s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		}
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		// The import that wrote this version may have decided the rule
		// already; the same snapshot holds its outcome.
		if d, err = loadDecided(ctx, tx, version, round, s.k); err != nil || d != nil {
			return err
		}
		rs, err := readRoundSums(ctx, tx, round)
		if err != nil {
			return err
		}
		d, err = data.Protect(rs, s.k)
		return err
	}
	var err error
	if outer, ok := db.(pgx.Tx); ok {
		err = body(outer)
	} else {
		err = s.read(ctx, body)
	}
	if err != nil {
		return nil, fmt.Errorf("disclosure of round %s: %w", round, err)
	}
	return d, nil
}

// readRoundSums reads every level's sums of one round in tx, as the rule
// takes them.
func readRoundSums(ctx context.Context, tx pgx.Tx, round data.Round) (*data.RoundSums, error) {
	ms := data.ProtectedMeasures()
	cols := make([]string, len(ms))
	for i, m := range ms {
		cols[i] = "a." + measureCol(m)
	}
	sumCols := strings.Join(cols, ", ")
	rs := &data.RoundSums{ZoneVillages: map[string][]string{}, ZoneHexagons: map[string]*[len(geo.Resolutions)][]data.AreaSums{}}
	read := func(sql string, fn func(key []string, sums *[data.NumMeasures]int64)) error {
		rows, err := tx.Query(ctx, sql, string(round))
		if err != nil {
			return err
		}
		defer rows.Close()
		nkeys := len(rows.FieldDescriptions()) - len(ms)
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return err
			}
			key := make([]string, nkeys)
			for i := range key {
				key[i] = fmt.Sprint(vals[i])
			}
			sums := new([data.NumMeasures]int64)
			for i, m := range ms {
				n, ok := vals[nkeys+i].(int64)
				if !ok {
					return fmt.Errorf("disclosure: %s is %T, not a bigint", measureCol(m), vals[nkeys+i])
				}
				sums[m] = n
			}
			fn(key, sums)
		}
		return rows.Err()
	}
	total := new([data.NumMeasures]int64)
	rs.Total = data.AreaSums{Sums: total}
	if err := read("SELECT a.code, "+sumCols+" FROM agg_provinces a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
		rs.Provinces = append(rs.Provinces, data.AreaSums{Code: k[0], Sums: sums})
		for i := range sums {
			total[i] += sums[i]
		}
	}); err != nil {
		return nil, err
	}
	if err := read("SELECT a.code, left(a.code, 2), "+sumCols+" FROM agg_regencies a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
		rs.Regencies = append(rs.Regencies, data.AreaSums{Code: k[0], Parent: k[1], Sums: sums})
	}); err != nil {
		return nil, err
	}
	if err := read("SELECT a.code, "+sumCols+" FROM agg_districts a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
		rs.Districts = append(rs.Districts, data.AreaSums{Code: k[0], Sums: sums})
	}); err != nil {
		return nil, err
	}
	if err := read("SELECT a.code, a.district_code, "+sumCols+" FROM agg_villages a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
		rs.Villages = append(rs.Villages, data.AreaSums{Code: k[0], Parent: k[1], Sums: sums})
	}); err != nil {
		return nil, err
	}
	if err := read("SELECT a.code, "+sumCols+" FROM agg_zones a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
		rs.Zones = append(rs.Zones, data.AreaSums{Code: k[0], Sums: sums})
	}); err != nil {
		return nil, err
	}
	if err := read("SELECT a.res::text, a.code, "+sumCols+" FROM agg_hexagons a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
		r, _ := strconv.Atoi(k[0])
		rs.Hexagons[r-geo.MinRes] = append(rs.Hexagons[r-geo.MinRes], data.AreaSums{Code: k[1], Sums: sums})
	}); err != nil {
		return nil, err
	}
	if err := read("SELECT a.zone_id, a.res::text, a.code, "+sumCols+" FROM hexagon_zones a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
		zh := rs.ZoneHexagons[k[0]]
		if zh == nil {
			zh = new([len(geo.Resolutions)][]data.AreaSums)
			rs.ZoneHexagons[k[0]] = zh
		}
		r, _ := strconv.Atoi(k[1])
		zh[r-geo.MinRes] = append(zh[r-geo.MinRes], data.AreaSums{Code: k[2], Sums: sums})
	}); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT zone_id, village_code FROM zone_villages WHERE $1::text IS NOT NULL`, string(round))
	if err != nil {
		return nil, err
	}
	var zone, village string
	_, err = pgx.ForEachRow(rows, []any{&zone, &village}, func() error {
		rs.ZoneVillages[zone] = append(rs.ZoneVillages[zone], village)
		return nil
	})
	return rs, err
}

// decideDisclosure runs the rule over every round at the dataset version
// the import in tx is committing, and keeps the outcome beside it for the
// threshold k: an instance at that version then loads it (loadDecided)
// instead of running the rule over the whole database at its first
// request, during which every request would wait. Older outcomes go.
//
// It returns the rows whose outcome differs from the previous version's,
// for the change log; compared is false when there was no previous outcome
// to compare with (a new round, another threshold, a first import).
func decideDisclosure(ctx context.Context, tx pgx.Tx, version int64, k int) (moved []data.AreaKey, compared bool, err error) {
	rows, err := tx.Query(ctx, `SELECT to_char(r.round, 'YYYY-MM-DD') FROM `+roundsList)
	if err != nil {
		return nil, false, fmt.Errorf("decide disclosure: %w", err)
	}
	rounds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, false, fmt.Errorf("decide disclosure: %w", err)
	}
	compared = true
	changed := map[data.AreaKey]bool{}
	decided := make([]*data.Disclosure, len(rounds))
	for i, r := range rounds {
		rs, err := readRoundSums(ctx, tx, data.Round(r))
		if err != nil {
			return nil, false, fmt.Errorf("decide disclosure of round %s: %w", r, err)
		}
		if decided[i], err = data.Protect(rs, k); err != nil {
			return nil, false, fmt.Errorf("decide disclosure of round %s: %w", r, err)
		}
		old, err := loadDecided(ctx, tx, version-1, data.Round(r), k)
		if err != nil {
			return nil, false, fmt.Errorf("decide disclosure of round %s: read the previous outcome: %w", r, err)
		}
		if old == nil {
			compared = false
			continue
		}
		for _, key := range data.MovedMasks(old, decided[i]) {
			changed[key] = true
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM disclosure_masks; DELETE FROM disclosure_decided`); err != nil {
		return nil, false, fmt.Errorf("decide disclosure: %w", err)
	}
	for i, r := range rounds {
		day, err := time.Parse(time.DateOnly, r)
		if err != nil {
			return nil, false, fmt.Errorf("decide disclosure of round %s: %w", r, err)
		}
		var out [][]any
		for _, m := range decided[i].Masks() {
			out = append(out, []any{version, day, int32(k), string(m.Key.Level), int16(m.Key.Res), m.Key.Zone, m.Key.Code, int64(m.Mask)})
		}
		if _, err := tx.Exec(ctx, `INSERT INTO disclosure_decided (version, round, k, registry_hash) VALUES ($1, $2, $3, $4)`,
			version, r, k, registryHash()); err != nil {
			return nil, false, fmt.Errorf("decide disclosure of round %s: %w", r, err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"disclosure_masks"},
			[]string{"version", "round", "k", "level", "res", "zone", "code", "mask"}, pgx.CopyFromRows(out)); err != nil {
			return nil, false, fmt.Errorf("decide disclosure of round %s: %w", r, err)
		}
	}
	for key := range changed {
		moved = append(moved, key)
	}
	return moved, compared, nil
}

// loadDecided is the outcome decideDisclosure kept for this version, round
// and threshold under this build's registry, or nil when there is none.
func loadDecided(ctx context.Context, tx pgx.Tx, version int64, round data.Round, k int) (*data.Disclosure, error) {
	var found bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM disclosure_decided
		WHERE version = $1 AND round = $2::date AND k = $3 AND registry_hash = $4)`,
		version, string(round), k, registryHash()).Scan(&found); err != nil || !found {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT level, res, zone, code, mask FROM disclosure_masks
		WHERE version = $1 AND round = $2::date AND k = $3`, version, string(round), k)
	if err != nil {
		return nil, err
	}
	var ms []data.AreaMask
	var level, zone, code string
	var res int16
	var mask int64
	if _, err := pgx.ForEachRow(rows, []any{&level, &res, &zone, &code, &mask}, func() error {
		ms = append(ms, data.AreaMask{Key: data.AreaKey{Level: data.Level(level), Res: int(res), Zone: zone, Code: code}, Mask: uint32(mask)})
		return nil
	}); err != nil {
		return nil, err
	}
	return data.DisclosureOf(ms), nil
}

// DecideDisclosure decides the rule for the database's current version in
// a transaction of its own, as an import does before it commits: for a
// series of imports run with SkipDisclosure (import --dir). It waits for
// an import finishing meanwhile, so the outcome is that of the version it
// finds.
func DecideDisclosure(ctx context.Context, url string, k int) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("decide disclosure: connect: %w", classify(err))
	}
	defer conn.Close(context.Background())
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var version int64
		if err := tx.QueryRow(ctx, `SELECT version FROM dataset_state FOR UPDATE`).Scan(&version); err != nil {
			return fmt.Errorf("decide disclosure: %w", err)
		}
		_, _, err := decideDisclosure(ctx, tx, version, cmp.Or(k, data.DefaultMinHouseholds))
		return err
	})
}
