package data

import (
	"context"
	"errors"
	"strings"

	"labmap/data/cql"

	"github.com/paulmach/orb"
)

// Level is a kind of area that indicators are aggregated into.
type Level string

// Aggregation levels.
const (
	LevelProvince Level = "province"
	LevelRegency  Level = "regency"
	LevelDistrict Level = "district"
	LevelVillage  Level = "village"
	LevelZone     Level = "zone"
	LevelHexagon  Level = "hexagon"
)

// Levels lists the levels /api/stats accepts.
var Levels = []Level{LevelProvince, LevelRegency, LevelDistrict, LevelVillage, LevelZone, LevelHexagon}

// DefaultMinHouseholds is the suppression threshold k: areas with fewer
// households show no figures.
const DefaultMinHouseholds = 5

// ErrInvalidQuery marks a query that names a round, zone, level or
// resolution the dataset does not have; the API answers it with 400.
var ErrInvalidQuery = errors.New("invalid query")

// AreaStats is the aggregate of one area at one round. When Suppressed is
// true, Households and Values carry nothing.
type AreaStats struct {
	Level      Level
	Code       string // village/district/regency/province code, zone id, or H3 index in hex
	Name       string
	Parent     string // district of a village, regency of a district, province of a regency, kind of a zone
	Round      Round
	Households int
	Suppressed bool
	Values     []Value // indexed like Indicators
}

// StatsQuery selects the areas of one level at one round, optionally only
// those in one lab zone. Res is the H3 resolution for LevelHexagon.
type StatsQuery struct {
	Level Level
	Res   int
	Round Round // empty means the latest round
	Zone  string
	// Unsuppressed asks for every figure as it is, without the disclosure
	// rule: for the analyst role only, never for a public answer. A cache
	// keyed on the query keeps the two apart by this field.
	Unsuppressed bool
}

// RoundInfo describes one survey round in the dataset.
type RoundInfo struct {
	Round      Round `json:"round"`
	Households int   `json:"households"`
	Baseline   bool  `json:"baseline"`
}

// Status is a store's health and the identity of the data it serves.
type Status struct {
	Store          string // "memory" or "postgis"
	DatasetVersion int64
	Households     int // distinct households across all rounds
	Region         Region
}

// Area is an area's aggregate with its outline, for maps.
type Area struct {
	AreaStats
	Geometry orb.MultiPolygon
	// Zones are the ids of the lab zones the area belongs to, in zone order:
	// a village's zones, every zone of a district's villages, a zone itself,
	// and for a hexagon the zones with households of their villages in the
	// cell at that round. FeatureStore.Features fills it; maps do not need it.
	Zones []string
}

// AreaQuery selects like StatsQuery, and only areas whose bounding box
// meets Bound.
type AreaQuery struct {
	StatsQuery
	Bound orb.Bound
}

// Store is the seam between the HTTP layer and where the data lives. The
// PostGIS store and the in-memory store implement it and must agree figure
// for figure.
type Store interface {
	Status(ctx context.Context) (Status, error)
	Rounds(ctx context.Context) ([]RoundInfo, error)
	Zones(ctx context.Context) ([]Zone, error)
	Stats(ctx context.Context, q StatsQuery) ([]AreaStats, error)
	// Areas is Stats with outlines, limited to a bounding box; areas
	// without an outline (the regency) are left out.
	Areas(ctx context.Context, q AreaQuery) ([]Area, error)
	// Extent is the bounding box of all villages.
	Extent(ctx context.Context) (orb.Bound, error)
	// Version is the dataset version, answered without a round trip to a
	// database when the store can: caches key on it for every request.
	Version(ctx context.Context) (int64, error)
	Close() error
}

// NewAreaStats builds an area's published row from its measure sums,
// suppressing the whole area when it has fewer than k households. Both stores
// call it, so suppression is decided in one place.
func NewAreaStats(level Level, code, name, parent string, round Round, sums *[NumMeasures]int64, dominantCause string, k int) AreaStats {
	a := AreaStats{Level: level, Code: code, Name: name, Parent: parent, Round: round}
	n := sums[MHouseholds]
	if n < int64(k) {
		a.Suppressed = true
		return a
	}
	a.Households = int(n)
	a.Values = Evaluate(sums, dominantCause, k)
	return a
}

// ErrUnavailable marks a failure to reach the store's database; the API
// answers it with 503 and the store recovers when the database returns.
var ErrUnavailable = errors.New("store unavailable")

// StatsOf strips the outlines from areas.
func StatsOf(areas []Area) []AreaStats {
	out := make([]AreaStats, len(areas))
	for i := range areas {
		out[i] = areas[i].AreaStats
	}
	return out
}

// FeatureQuery selects areas for OGC API Features: the areas of one level
// and round that meet a bounding box and a filter, sorted and paged.
type FeatureQuery struct {
	StatsQuery
	Bound  *orb.Bound // CRS84; only areas whose outline intersects it
	Filter cql.Expr   // nil for none; checked against Queryables(level)
	SortBy []SortKey
	Limit  int // 0 means no limit
	Offset int
	// After, when set, starts the page just after this position of the
	// order (keyset paging: a seek, not a skip, so a deep page costs what
	// the first does); Offset then skips from there.
	After *Cursor
	// OnLast, when set, is handed the position of the last area the page
	// sent, once the page is done, to make the next page's cursor.
	OnLast func(Cursor)
}

// Cursor is a position in the order of a feature query: the values of the
// sort keys of one area, indexed like SortBy, and its code, the tie-breaker
// that makes the order total.
type Cursor struct {
	Values []cql.Value
	Code   string
}

// After reports whether an area whose sort key values are vals and whose
// code is code comes after c in the order of keys: each key ascending or
// descending, nulls last either way, then the code in byte order.
func (c *Cursor) After(keys []SortKey, vals []cql.Value, code string) bool {
	return ComparePosition(keys, vals, code, c.Values, c.Code) > 0
}

// ComparePosition orders two positions in the order of keys (see
// Cursor.After); both stores sort with it or its SQL twin.
func ComparePosition(keys []SortKey, av []cql.Value, acode string, bv []cql.Value, bcode string) int {
	for i, k := range keys {
		x, y := av[i], bv[i]
		if c := CompareValues(x, y); c != 0 {
			if k.Desc && x.Kind != cql.KindNull && y.Kind != cql.KindNull {
				return -c
			}
			return c
		}
	}
	return strings.Compare(acode, bcode)
}

// SortKey orders features by one queryable; missing values sort last.
type SortKey struct {
	Property string
	Desc     bool
}

// FeatureStore is a Store that also answers feature queries, streaming the
// page to fn and returning how many areas match in all.
type FeatureStore interface {
	Features(ctx context.Context, q FeatureQuery, fn func(a *Area) error) (matched int, err error)
}
