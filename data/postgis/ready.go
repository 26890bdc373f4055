package postgis

import (
	"context"
	"errors"

	"labmap/data"
)

var (
	_ data.Readiness  = (*Store)(nil)
	_ data.Pooled     = (*Store)(nil)
	_ data.ReadRouted = (*Store)(nil)
)

// Ready checks, on the health connection, that the database answers and
// that its schema and aggregates are the ones this build needs. It checks
// every time: a database restored from an old backup is not ready however
// right it was at start.
func (s *Store) Ready(ctx context.Context) error {
	return s.onHealth(ctx, func(ctx context.Context) error { return checkSchema(ctx, s.health) })
}

// Health is Status read on the health connection, which no data query
// uses, so that /healthz answers at once under any load.
func (s *Store) Health(ctx context.Context) (data.Status, error) {
	st := data.Status{Store: "postgis"}
	err := s.onHealth(ctx, func(ctx context.Context) error {
		var err error
		st, err = status(ctx, s.health)
		return err
	})
	return st, err
}

// onHealth runs fn within healthTimeout, once more when the connection it
// got had died with a restart of the database.
func (s *Store) onHealth(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if err = classify(fn(ctx)); err == nil || !errors.Is(err, data.ErrUnavailable) || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil && !errors.Is(err, data.ErrUnavailable) {
		err = errors.Join(data.ErrUnavailable, err)
	}
	return err
}

// PoolStats reports the data pool (the health connection is not in it).
func (s *Store) PoolStats() data.PoolStats {
	st := s.pool.Stat()
	return data.PoolStats{
		Acquired: st.AcquiredConns(), Idle: st.IdleConns(), Total: st.TotalConns(), Max: st.MaxConns(),
		Waits: st.EmptyAcquireCount(), WaitTime: st.EmptyAcquireWaitTime(), Canceled: st.CanceledAcquireCount(),
	}
}
