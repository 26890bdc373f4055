package postgis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

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
	e.d, e.err = s.protectRound(context.WithoutCancel(ctx), db, round)
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
func (s *Store) protectRound(ctx context.Context, db querier, round data.Round) (*data.Disclosure, error) {
	ms := data.ProtectedMeasures()
	cols := make([]string, len(ms))
	for i, m := range ms {
		cols[i] = "a." + measureCol(m)
	}
	sumCols := strings.Join(cols, ", ")
	rs := &data.RoundSums{ZoneVillages: map[string][]string{}, ZoneHexagons: map[string]*[len(geo.Resolutions)][]data.AreaSums{}}
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
		*rs = data.RoundSums{ZoneVillages: map[string][]string{}, ZoneHexagons: map[string]*[len(geo.Resolutions)][]data.AreaSums{}}
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
			return err
		}
		if err := read("SELECT a.code, left(a.code, 2), "+sumCols+" FROM agg_regencies a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
			rs.Regencies = append(rs.Regencies, data.AreaSums{Code: k[0], Parent: k[1], Sums: sums})
		}); err != nil {
			return err
		}
		if err := read("SELECT a.code, "+sumCols+" FROM agg_districts a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
			rs.Districts = append(rs.Districts, data.AreaSums{Code: k[0], Sums: sums})
		}); err != nil {
			return err
		}
		if err := read("SELECT a.code, a.district_code, "+sumCols+" FROM agg_villages a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
			rs.Villages = append(rs.Villages, data.AreaSums{Code: k[0], Parent: k[1], Sums: sums})
		}); err != nil {
			return err
		}
		if err := read("SELECT a.code, "+sumCols+" FROM agg_zones a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
			rs.Zones = append(rs.Zones, data.AreaSums{Code: k[0], Sums: sums})
		}); err != nil {
			return err
		}
		if err := read("SELECT a.res::text, a.code, "+sumCols+" FROM agg_hexagons a WHERE a.round = $1", func(k []string, sums *[data.NumMeasures]int64) {
			r, _ := strconv.Atoi(k[0])
			rs.Hexagons[r-geo.MinRes] = append(rs.Hexagons[r-geo.MinRes], data.AreaSums{Code: k[1], Sums: sums})
		}); err != nil {
			return err
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
			return err
		}
		rows, err := tx.Query(ctx, `SELECT zone_id, village_code FROM zone_villages WHERE $1::text IS NOT NULL`, string(round))
		if err != nil {
			return err
		}
		var zone, village string
		_, err = pgx.ForEachRow(rows, []any{&zone, &village}, func() error {
			rs.ZoneVillages[zone] = append(rs.ZoneVillages[zone], village)
			return nil
		})
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
	return data.Protect(rs, s.k)
}
