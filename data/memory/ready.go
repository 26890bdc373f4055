package memory

import (
	"context"

	"labmap/data"
)

var _ data.Readiness = (*Store)(nil)

// Ready is always nil: the data is in this process, so the store is ready
// as soon as it exists.
func (s *Store) Ready(ctx context.Context) error { return nil }

// Health is Status, which never waits for anything.
func (s *Store) Health(ctx context.Context) (data.Status, error) { return s.Status(ctx) }
