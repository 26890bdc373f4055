package postgis

import (
	"context"

	"labmap/data"
)

// StatsUnsuppressed answers a query with suppression off (k = 1), so tests
// can compare every figure with the SQL columns.
func StatsUnsuppressed(ctx context.Context, s *Store, q data.StatsQuery) ([]data.AreaStats, error) {
	c := &Store{pool: s.pool, k: 1, log: s.log}
	return c.Stats(ctx, q)
}
