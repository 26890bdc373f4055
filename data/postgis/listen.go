package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"labmap/data"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var _ data.Store = (*Store)(nil)

// errListenerStalled says the listener's connection stopped answering
// without closing: a NOTIFY sent to it would never arrive.
var errListenerStalled = errors.New("dataset listener stalled")

// listen keeps the dataset version current from NOTIFY labmap_dataset, on a
// connection of its own, so that tile caches can key every request on the
// version without a round trip. While the connection is down the version is
// unknown and Version asks the database instead; after every (re)connect the
// version is read once, so an import committed meanwhile is not missed. A
// connection that stalls (a dropped NAT mapping, a hung proxy) is found by
// its keep-alive and replaced.
func (s *Store) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, cfg)
		s.versionKnown.Store(false)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errListenerStalled) {
			s.log.Warn("dataset listener stalled; replacing its connection", "err", err)
			backoff = 200 * time.Millisecond
		} else {
			s.log.Debug("dataset listener disconnected; retrying", "err", err, "in", backoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// keepAliveTimeout is how long the listener's connection may take to answer
// a keep-alive before it counts as stalled: generous, since a false alarm
// costs a reconnect and a WARN line, and at least a second.
func (s *Store) keepAliveTimeout() time.Duration { return max(2*s.interval, time.Second) }

func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		// Bounded: Close writes to a connection that may be stalled.
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	var v int64
	err = s.withDeadline(ctx, func(ctx context.Context) error {
		if _, err := conn.Exec(ctx, "LISTEN labmap_dataset"); err != nil {
			return err
		}
		return conn.QueryRow(ctx, "SELECT version FROM dataset_state").Scan(&v)
	})
	if err != nil {
		return err
	}
	if s.replicated() {
		// The served version follows the replicas (replicas.go).
		s.heard(v)
	} else {
		s.version.Store(v)
	}
	s.versionKnown.Store(true)
	for {
		wctx, cancel := context.WithTimeout(ctx, s.interval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			v, err := strconv.ParseInt(n.Payload, 10, 64)
			if err != nil {
				return errors.New("labmap_dataset notification without a version: " + n.Payload)
			}
			if s.replicated() {
				s.heard(v)
				continue
			}
			// Only forward: recheckVersion may already have stored a later
			// version than a notification still in flight.
			for old := s.version.Load(); v > old && !s.version.CompareAndSwap(old, v); old = s.version.Load() {
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded):
			// A quiet interval: make sure the connection still answers.
			if err := s.withDeadline(ctx, func(ctx context.Context) error {
				_, err := conn.Exec(ctx, "SELECT 1")
				return err
			}); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("%w: no answer to a keep-alive within %v: %w", errListenerStalled, s.keepAliveTimeout(), err)
			}
		default:
			return err
		}
	}
}

// withDeadline runs fn with the keep-alive timeout.
func (s *Store) withDeadline(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.keepAliveTimeout())
	defer cancel()
	return fn(ctx)
}

// recheckVersion reads the dataset version every interval on the health
// connection, whatever the listener hears: an import whose NOTIFY is lost
// (the listener stalled, a pooler that drops LISTEN) shows within one
// interval.
func (s *Store) recheckVersion(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		old := s.version.Load()
		qctx, cancel := context.WithTimeout(ctx, max(s.interval, healthTimeout))
		var v int64
		err := s.health.QueryRow(qctx, "SELECT version FROM dataset_state").Scan(&v)
		cancel()
		if err != nil {
			// The listener and Version see to an unreachable database.
			s.log.Debug("dataset version check failed", "err", err)
			continue
		}
		// Unless a notification came meanwhile: then it is the newer.
		s.version.CompareAndSwap(old, v)
	}
}

// Version is the dataset version: from the listener and the periodic check
// while the listener is connected, else from the database. With replicas it
// is the version the read source has replayed, and a caller that finds it
// unchanged after its reads has read that version only (readReplicated).
func (s *Store) Version(ctx context.Context) (int64, error) {
	if s.known() {
		return s.version.Load(), nil
	}
	st, err := s.Status(ctx)
	return st.DatasetVersion, err
}

// known reports whether the version field can be trusted without asking
// the database, so that caches may key on it.
func (s *Store) known() bool {
	if s.replicated() {
		return s.servedKnown.Load()
	}
	return s.versionKnown.Load()
}
