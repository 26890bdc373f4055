package postgis

import (
	"context"
	"errors"
	"strconv"
	"time"

	"labmap/data"

	"github.com/jackc/pgx/v5"
)

var _ data.Store = (*Store)(nil)

// listen keeps the dataset version current from NOTIFY labmap_dataset, on a
// connection of its own, so that tile caches can key every request on the
// version without a round trip. While the connection is down the version is
// unknown and Version asks the database instead; after every (re)connect the
// version is read once, so an import committed meanwhile is not missed.
func (s *Store) listen(ctx context.Context, url string) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, url)
		s.versionKnown.Store(false)
		if ctx.Err() != nil {
			return
		}
		s.log.Debug("dataset listener disconnected; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN labmap_dataset"); err != nil {
		return err
	}
	var v int64
	if err := conn.QueryRow(ctx, "SELECT version FROM dataset_state").Scan(&v); err != nil {
		return err
	}
	s.version.Store(v)
	s.versionKnown.Store(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		v, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			return errors.New("labmap_dataset notification without a version: " + n.Payload)
		}
		s.version.Store(v)
	}
}

// Version is the dataset version: from the listener when it is connected,
// else from the database.
func (s *Store) Version(ctx context.Context) (int64, error) {
	if s.versionKnown.Load() {
		return s.version.Load(), nil
	}
	st, err := s.Status(ctx)
	return st.DatasetVersion, err
}
