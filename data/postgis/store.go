// Package postgis is the PostGIS data.Store, the system of record: embedded
// SQL migrations, an atomic streaming import, aggregates computed in SQL from
// the indicator registry, and queries through a pgx pool that survives the
// database going away and coming back.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"labmap/data"
	"labmap/geo"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
)

// Options configures the PostGIS store.
type Options struct {
	// MinHouseholds is the suppression threshold k; zero means data.DefaultMinHouseholds.
	MinHouseholds int
	// PrimaryOnly turns complementary suppression off: only areas under k
	// households and sensitive counts of 1..k-1 are hidden, so differences
	// between published figures can reveal hidden ones. For fixtures too
	// small to publish anything otherwise; never for a public server.
	PrimaryOnly bool
	Log         *slog.Logger
	// MaxConns bounds the pool of data queries; zero means DefaultMaxConns.
	// Health checks have a connection of their own beside it, and so does
	// the NOTIFY listener: the store holds at most MaxConns+2.
	MaxConns int
	// VersionInterval is how often the dataset version is read again besides
	// NOTIFY, and how long the listener may hear nothing before it checks its
	// connection; zero means DefaultVersionInterval.
	VersionInterval time.Duration
	// ReplicaURLs are streaming replicas of the database (--replica-url):
	// aggregate reads go to the first that is up and has replayed the
	// served dataset version, else to the primary. Imports, migrations,
	// LISTEN, tokens and the household layer (whose audit row is written
	// in the read's transaction) stay on the primary.
	ReplicaURLs []string
}

// DefaultVersionInterval bounds how long an import can go unnoticed when
// its NOTIFY is lost: tiles carry the new version at most this long after.
const DefaultVersionInterval = 2 * time.Second

// DefaultMaxConns is the data pool's size unless configured: one connection
// per CPU labmap may use, and at least 4, as pgx chooses.
func DefaultMaxConns() int { return max(4, runtime.GOMAXPROCS(0)) }

// healthTimeout bounds a health or readiness query: a database that takes
// longer is reported down rather than keeping a probe waiting.
const healthTimeout = 2 * time.Second

// Store reads aggregates from PostGIS through a connection pool.
type Store struct {
	pool *pgxpool.Pool
	// health is one connection for Ready, Health and the version check,
	// so that they never queue behind data queries.
	health   *pgxpool.Pool
	interval time.Duration // Options.VersionInterval
	k        int
	primary  bool // Options.PrimaryOnly
	log      *slog.Logger
	schemaOK atomic.Bool

	version      atomic.Int64 // from the NOTIFY listener, valid while versionKnown
	versionKnown atomic.Bool
	// With replicas (replicas.go), version is the served version: the one
	// the read source has replayed, valid once servedKnown; latest is the
	// primary's, heardNew wakes the follower when it changes.
	replicas     []*readSource
	primarySrc   *readSource
	latest       atomic.Int64
	servedKnown  atomic.Bool
	heardNew     chan struct{}
	fastPoll     atomic.Int64 // nanoseconds; defaultFastPoll, tests may slow it
	rounds       atomic.Pointer[roundsEntry]
	outlineCache outlineCache
	counts       countCache
	// zoneMemberCache holds the areas' zones for Features (zonemembers.go).
	zoneMemberCache zoneMemberCache
	// disclosures holds the disclosure rule's outcome per round (disclosure.go).
	disclosures disclosureCache
	stop        context.CancelFunc
	stopped     chan struct{}
}

// querier is what a pool, a connection and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Open prepares a pool for url without requiring the database to be up: a
// server must start, report itself down and recover on its own. When the
// database is reachable and its schema is behind, Open fails with a message
// that says to run `labmap migrate`.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	if opt.MaxConns < 0 {
		return nil, fmt.Errorf("--db-max-conns: %d is negative", opt.MaxConns)
	}
	if opt.MaxConns == 0 {
		opt.MaxConns = DefaultMaxConns()
	}
	if opt.VersionInterval < 0 {
		return nil, fmt.Errorf("--db-version-interval: %v is negative", opt.VersionInterval)
	}
	if opt.VersionInterval == 0 {
		opt.VersionInterval = DefaultVersionInterval
	}
	cfg.HealthCheckPeriod = 5 * time.Second
	cfg.ConnConfig.ConnectTimeout = 3 * time.Second
	cfg.MaxConns = int32(min(opt.MaxConns, 1<<20))
	hcfg := cfg.Copy()
	hcfg.MaxConns, hcfg.MinConns = 1, 1
	// Named, so that an operator can tell the connections apart in
	// pg_stat_activity (and a test can find the listener's).
	nameConn(cfg.ConnConfig, "labmap")
	nameConn(hcfg.ConnConfig, "labmap health")
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	health, err := pgxpool.NewWithConfig(ctx, hcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open health connection: %w", err)
	}
	replicas, err := openReplicas(ctx, opt.ReplicaURLs, cfg.MaxConns)
	if err != nil {
		pool.Close()
		health.Close()
		return nil, err
	}
	s := &Store{pool: pool, health: health, interval: opt.VersionInterval, k: opt.MinHouseholds, primary: opt.PrimaryOnly, log: opt.Log, stopped: make(chan struct{}),
		replicas: replicas, primarySrc: &readSource{name: sourceName(url), pool: pool, primary: true}, heardNew: make(chan struct{}, 1)}
	s.fastPoll.Store(int64(defaultFastPoll))
	if s.k <= 0 {
		s.k = data.DefaultMinHouseholds
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	lctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	listenCfg := cfg.ConnConfig.Copy()
	nameConn(listenCfg, "labmap listener")
	done := make(chan struct{}, 2)
	go func() { s.listen(lctx, listenCfg); done <- struct{}{} }()
	if s.replicated() {
		go func() { s.follow(lctx); done <- struct{}{} }()
	} else {
		go func() { s.recheckVersion(lctx); done <- struct{}{} }()
	}
	go func() { <-done; <-done; close(s.stopped) }()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.ready(cctx); err != nil {
		if errors.Is(err, data.ErrUnavailable) {
			s.log.Warn("database unreachable at start; serving 503 until it is back", "err", err)
			return s, nil
		}
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the listener and closes the pools.
func (s *Store) Close() error {
	s.stop()
	<-s.stopped
	s.pool.Close()
	s.health.Close()
	closeSources(s.replicas)
	return nil
}

// nameConn sets application_name; the data pool ("labmap") keeps a name
// the URL chose.
func nameConn(c *pgx.ConnConfig, name string) {
	if c.RuntimeParams == nil {
		c.RuntimeParams = map[string]string{}
	}
	if _, chosen := c.RuntimeParams["application_name"]; chosen && name == "labmap" {
		return
	}
	c.RuntimeParams["application_name"] = name
}

// ready checks the schema until it has once been found right: a database
// that was down at start may turn out to need migrating. Connection failures
// come back marked data.ErrUnavailable; a schema that is behind comes back
// unmarked, so that Open can refuse to start on it.
func (s *Store) ready(ctx context.Context) error {
	if s.schemaOK.Load() {
		return nil
	}
	if err := checkSchema(ctx, s.pool); err != nil {
		return classify(err)
	}
	s.schemaOK.Store(true)
	return nil
}

// classify marks errors that mean "the database cannot be reached" with
// data.ErrUnavailable, so the API answers 503 rather than 500.
func classify(err error) error {
	if err == nil || errors.Is(err, data.ErrUnavailable) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, crash, starting up
			pgErr.Code == "53300": // too many connections
			return fmt.Errorf("%w: %w", data.ErrUnavailable, err)
		}
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || pgconn.Timeout(err) ||
		pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") {
		return fmt.Errorf("%w: %w", data.ErrUnavailable, err)
	}
	return err
}

func isUndefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}

// read runs a read-only query function, retrying when the connection it got
// was dead (a pool keeps idle connections that a database restart has cut).
func (s *Store) read(ctx context.Context, fn func(q querier) error) error {
	if err := s.ready(ctx); err != nil {
		if errors.Is(err, data.ErrUnavailable) {
			return err
		}
		// The database answers but cannot be served: as unavailable as a
		// dead one, and the log says what to do about it.
		s.log.Error("database not ready", "err", err)
		return fmt.Errorf("%w: %v", data.ErrUnavailable, err)
	}
	if s.replicated() {
		return s.readReplicated(ctx, fn)
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = classify(fn(s.pool))
		if err == nil {
			err = classify(s.catchUp(ctx))
		}
		if err == nil || !errors.Is(err, data.ErrUnavailable) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// catchUp reads the dataset version after a read on the primary alone and
// moves the store to it. An import commits before its NOTIFY reaches the
// listener: a read in between may have had the new figures while Version
// still said the old one, and a caller that checks Version after its reads
// (tiles, /api/stats) must then see the move and read again rather than
// label new figures with the old version. It is one query on no connection
// held across fn, so nested reads cannot exhaust a small pool.
func (s *Store) catchUp(ctx context.Context) error {
	var v int64
	if err := s.pool.QueryRow(ctx, "SELECT version FROM dataset_state").Scan(&v); err != nil {
		return fmt.Errorf("dataset version after a read: %w", err)
	}
	s.advance(v)
	return nil
}

// Status reports the dataset version, household count and the region the
// last import stored, or ErrUnavailable.
func (s *Store) Status(ctx context.Context) (data.Status, error) {
	var st data.Status
	err := s.read(ctx, func(q querier) error {
		var err error
		st, err = status(ctx, q)
		return err
	})
	st.Store = "postgis"
	return st, err
}

func status(ctx context.Context, q querier) (data.Status, error) {
	st := data.Status{Store: "postgis"}
	r := &st.Region
	err := q.QueryRow(ctx, `SELECT version, households, region_code, region_name_id, region_name_en, region_synthetic, region_source
		FROM dataset_state`).Scan(&st.DatasetVersion, &st.Households, &r.Code, &r.Name.ID, &r.Name.EN, &r.Synthetic, &r.Source)
	return st, err
}

// Rounds lists the survey rounds, oldest first.
func (s *Store) Rounds(ctx context.Context) ([]data.RoundInfo, error) {
	var out []data.RoundInfo
	err := s.read(ctx, func(q querier) error {
		out = out[:0]
		rows, err := q.Query(ctx, `SELECT to_char(round, 'YYYY-MM-DD'), sum(m_households)::bigint FROM agg_provinces GROUP BY round ORDER BY round`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r data.RoundInfo
			var n int64
			if err := rows.Scan(&r.Round, &n); err != nil {
				return err
			}
			r.Households = int(n)
			r.Baseline = len(out) == 0
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// Zones lists the lab zones with their villages and polygons.
func (s *Store) Zones(ctx context.Context) ([]data.Zone, error) {
	var out []data.Zone
	err := s.read(ctx, func(q querier) error {
		out = out[:0]
		rows, err := q.Query(ctx, `SELECT z.id, z.name, z.kind, ST_AsBinary(z.geom),
			coalesce((SELECT array_agg(zv.village_code ORDER BY zv.ord) FROM zone_villages zv WHERE zv.zone_id = z.id), '{}')
			FROM zones z ORDER BY z.ord, z.id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var z data.Zone
			var wkb []byte
			if err := rows.Scan(&z.ID, &z.Name, &z.Kind, &wkb, &z.VillageCodes); err != nil {
				return err
			}
			if wkb != nil {
				if z.Geometry, err = multiPolygonFromWKB(wkb); err != nil {
					return fmt.Errorf("zone %s: %w", z.ID, err)
				}
			}
			out = append(out, z)
		}
		return rows.Err()
	})
	return out, err
}

// levelSQL gives a level's aggregate table (aliased a), its area columns
// (code, name, parent) and the condition for its round ($1), zone ($2, ”
// for none) and H3 resolution ($3). Hexagons of one zone come from their
// own table: their figures count only the zone's households.
func levelSQL(level data.Level, zoned bool) (table, keys, filter string, ok bool) {
	switch level {
	case data.LevelProvince:
		return "agg_provinces a", "a.code, a.name, ''",
			`a.round = $1 AND ($2 = '' OR a.code IN (SELECT left(zv.village_code, 2) FROM zone_villages zv WHERE zv.zone_id = $2))
			AND $3::int IS NOT NULL`, true
	case data.LevelRegency:
		return "agg_regencies a", "a.code, a.name, left(a.code, 2)",
			`a.round = $1 AND ($2 = '' OR a.code IN (SELECT left(zv.village_code, 5) FROM zone_villages zv WHERE zv.zone_id = $2))
			AND $3::int IS NOT NULL`, true
	case data.LevelDistrict:
		return "agg_districts a", "a.code, a.name, left(a.code, 5)",
			`a.round = $1 AND ($2 = '' OR a.code IN (SELECT v.district_code FROM villages v JOIN zone_villages zv ON zv.village_code = v.code WHERE zv.zone_id = $2))
			AND $3::int IS NOT NULL`, true
	case data.LevelVillage:
		return "agg_villages a", "a.code, a.name, a.district_code",
			"a.round = $1 AND ($2 = '' OR a.code IN (SELECT village_code FROM zone_villages WHERE zone_id = $2)) AND $3::int IS NOT NULL", true
	case data.LevelZone:
		return "agg_zones a", "a.code, a.name, a.kind", "a.round = $1 AND ($2 = '' OR a.code = $2) AND $3::int IS NOT NULL", true
	case data.LevelHexagon:
		if zoned {
			return "hexagon_zones a", "a.code, a.code, ''", "a.zone_id = $2 AND a.round = $1 AND a.res = $3", true
		}
		return "agg_hexagons a", "a.code, a.code, ''", "a.round = $1 AND a.res = $3 AND $2::text IS NOT NULL", true
	}
	return "", "", "", false
}

// measureCols selects every measure sum and the dominant cause of a.
func measureCols() string {
	ms := make([]string, data.NumMeasures)
	for i := range ms {
		ms[i] = "a." + measureCol(i)
	}
	return strings.Join(ms, ", ") + ", coalesce(a.dominant_cause, '')"
}

// outlineKeyCol names the column that finds an area's outline: the H3 cell
// of a hexagon, the code of anything else.
func outlineKeyCol(level data.Level) string {
	if level == data.LevelHexagon {
		return "a.cell::text"
	}
	return "a.code"
}

// statsSQL is the query per level: area columns, then every measure sum and
// the dominant cause, then (for maps) the key of the outline. $1 is the
// round, $2 the zone (” for none), $3 the H3 resolution; with a bound,
// $4..$7 are its corners and only areas whose outline's box meets it are
// returned. The outline itself is not selected: outlines change only with an
// import, so they come from a per-version cache (see outlines.go) and a
// tile's query returns figures only.
func statsSQL(level data.Level, zoned, withBound bool) (string, bool) {
	table, keys, filter, ok := levelSQL(level, zoned)
	if !ok {
		return "", false
	}
	if !withBound {
		return "SELECT " + keys + ", " + measureCols() + " FROM " + table + " WHERE " + filter, true
	}
	return "SELECT " + keys + ", " + measureCols() + ", " + outlineKeyCol(level) + " FROM " + table + " WHERE " + filter +
		" AND a.geom && ST_MakeEnvelope($4, $5, $6, $7, 4326)", true
}

// Stats answers one level's aggregates at one round, evaluated and
// suppressed by the same Go code as the memory store.
func (s *Store) Stats(ctx context.Context, q data.StatsQuery) ([]data.AreaStats, error) {
	areas, err := s.collect(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	return data.StatsOf(areas), nil
}

// Areas answers like Stats, with outlines, for the areas whose outline's
// bounding box meets q.Bound (the && operator on the GiST index).
func (s *Store) Areas(ctx context.Context, q data.AreaQuery) ([]data.Area, error) {
	return s.collect(ctx, q.StatsQuery, &q.Bound)
}

func (s *Store) collect(ctx context.Context, q data.StatsQuery, bound *orb.Bound) ([]data.Area, error) {
	sql, ok := statsSQL(q.Level, q.Zone != "", bound != nil)
	if !ok {
		return nil, fmt.Errorf("%w: level %q is not one of %v", data.ErrInvalidQuery, q.Level, data.Levels)
	}
	if q.Level == data.LevelHexagon && (q.Res < geo.MinRes || q.Res > geo.MaxRes) {
		return nil, fmt.Errorf("%w: H3 resolution %d is not aggregated (use %d to %d)", data.ErrInvalidQuery, q.Res, geo.MinRes, geo.MaxRes)
	}
	var out []data.Area
	var outlines *outlineSet
	if bound != nil {
		var err error
		if outlines, err = s.levelOutlines(ctx, q.Level); err != nil {
			return nil, err
		}
	}
	err := s.read(ctx, func(db querier) error {
		out = out[:0]
		round, err := s.resolveRound(ctx, db, q.Round)
		if err != nil {
			return err
		}
		if err := s.checkZone(ctx, db, q.Zone); err != nil {
			return err
		}
		k, disc, err := s.audience(ctx, db, q, round)
		if err != nil {
			return err
		}
		args := []any{string(round), q.Zone, q.Res}
		if bound != nil {
			args = append(args, bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1])
		}
		rows, err := db.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		return scanAreas(rows, q, round, k, disc, bound != nil, outlines, func(a *data.Area) error {
			out = append(out, *a)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// Extent is the bounding box of all villages.
func (s *Store) Extent(ctx context.Context) (orb.Bound, error) {
	var b orb.Bound
	err := s.read(ctx, func(q querier) error {
		var minX, minY, maxX, maxY *float64
		if err := q.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
			FROM (SELECT ST_Extent(geom) AS e FROM villages) x`).Scan(&minX, &minY, &maxX, &maxY); err != nil {
			return err
		}
		if minX != nil {
			b = orb.Bound{Min: orb.Point{*minX, *minY}, Max: orb.Point{*maxX, *maxY}}
		}
		return nil
	})
	return b, err
}

// resolveRound turns an empty round into the latest and checks a given one.
// The list of rounds changes only with an import, so it is kept per dataset
// version while the NOTIFY listener vouches for the version: a tile then
// costs one query, not two.
func (s *Store) resolveRound(ctx context.Context, db querier, r data.Round) (data.Round, error) {
	var rounds []string
	if c := s.rounds.Load(); c != nil && s.known() && c.version == s.version.Load() {
		rounds = c.rounds
	} else {
		v := s.version.Load()
		rows, err := db.Query(ctx, `SELECT DISTINCT to_char(round, 'YYYY-MM-DD') FROM agg_provinces ORDER BY 1`)
		if err != nil {
			return "", err
		}
		if rounds, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return "", err
		}
		if s.known() {
			s.rounds.Store(&roundsEntry{version: v, rounds: rounds})
		}
	}
	if len(rounds) == 0 {
		return "", fmt.Errorf("%w: the dataset has no rounds (nothing imported yet)", data.ErrInvalidQuery)
	}
	if r == "" {
		return data.Round(rounds[len(rounds)-1]), nil
	}
	if !slices.Contains(rounds, string(r)) {
		return "", fmt.Errorf("%w: round %s is not in the dataset (rounds: %v)", data.ErrInvalidQuery, r, rounds)
	}
	return r, nil
}

// roundsEntry is the list of rounds of one dataset version.
type roundsEntry struct {
	version int64
	rounds  []string
}

// scanAreas reads rows of area columns, measure sums, dominant cause and (with
// outlines) the outline key, and hands each area to fn as the public may see
// it (disc decides). Areas without an outline are skipped when outlines are
// wanted: maps cannot draw them.
func scanAreas(rows pgx.Rows, q data.StatsQuery, round data.Round, k int, disc *data.Disclosure, withOutline bool, outlines *outlineSet, fn func(a *data.Area) error) error {
	level := q.Level
	defer rows.Close()
	var sums [data.NumMeasures]int64
	dest := make([]any, 0, 5+data.NumMeasures)
	var code, name, parent, cause, outlineKey string
	dest = append(dest, &code, &name, &parent)
	for i := range sums {
		dest = append(dest, &sums[i])
	}
	dest = append(dest, &cause)
	if withOutline {
		dest = append(dest, &outlineKey)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		a := data.Area{AreaStats: data.NewAreaStats(level, code, name, parent, round, &sums, cause, k)}
		if !disc.Publish(&a.AreaStats, q.Res, q.Zone) {
			continue
		}
		if withOutline {
			var err error
			if a.Geometry, err = outlines.of(level, outlineKey); err != nil {
				return err
			}
			if len(a.Geometry) == 0 {
				continue
			}
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	return rows.Err()
}
