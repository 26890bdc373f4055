package postgis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"labmap/data"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// readSource is a database reads may go to: a streaming replica, or the
// primary when no replica can serve.
type readSource struct {
	name    string // host:port, for logs and metrics (never the password)
	pool    *pgxpool.Pool
	primary bool
	// up is false from a failed query or poll until a poll answers again;
	// replayed is the dataset version the source last showed.
	up       atomic.Bool
	replayed atomic.Int64
	seen     atomic.Bool // up once: the first answer is not a return
	warned   atomic.Bool // said down before it was ever up
}

// errBehind says a read source's snapshot is older than the version the
// store already serves: reading it would go back in time.
var errBehind = errors.New("read source is behind the served dataset version")

// defaultFastPoll is how often replicas are polled while the primary has a
// version the served replica has not replayed yet: a replica usually
// replays an import within milliseconds of its commit.
const defaultFastPoll = 25 * time.Millisecond

// openReplicas opens a pool per replica URL, named like the primary's.
func openReplicas(ctx context.Context, urls []string, maxConns int32) ([]*readSource, error) {
	var out []*readSource
	for i, u := range urls {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			closeSources(out)
			return nil, fmt.Errorf("--replica-url %d: %w", i+1, err)
		}
		cfg.HealthCheckPeriod = 5 * time.Second
		cfg.ConnConfig.ConnectTimeout = 3 * time.Second
		cfg.MaxConns = maxConns
		nameConn(cfg.ConnConfig, "labmap")
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			closeSources(out)
			return nil, fmt.Errorf("--replica-url %d: open pool: %w", i+1, err)
		}
		src := &readSource{name: sourceName(u), pool: pool}
		out = append(out, src)
	}
	return out, nil
}

func closeSources(srcs []*readSource) {
	for _, s := range srcs {
		s.pool.Close()
	}
}

// sourceName is host:port of a connection URL, or "replica" when it is
// not a URL (a key=value string).
func sourceName(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "replica"
}

// replicated reports whether reads go to replicas.
func (s *Store) replicated() bool { return len(s.replicas) > 0 }

// pick is the source a read goes to: the first replica that is up and has
// replayed at least the served version, else the primary.
func (s *Store) pick() *readSource {
	v := s.version.Load()
	for _, r := range s.replicas {
		if r.up.Load() && r.replayed.Load() >= v {
			return r
		}
	}
	return s.primarySrc
}

// advance moves the served version forward to v, never back.
func (s *Store) advance(v int64) {
	for old := s.version.Load(); v > old && !s.version.CompareAndSwap(old, v); old = s.version.Load() {
	}
}

// recoveryConflict reports a hot standby's cancellation of a query that
// conflicted with WAL replay (serialization failure or deadlock codes).
func recoveryConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// markDown takes a replica out of rotation, logging once on the way out (or
// once at start, for a replica that never answered).
func (s *Store) markDown(src *readSource, err error) {
	if src.primary {
		return
	}
	if src.up.CompareAndSwap(true, false) || (!src.seen.Load() && !src.warned.Swap(true)) {
		s.log.Warn("replica unavailable: reads go to another replica or the primary until it answers again", "replica", src.name, "err", err)
	}
}

// markUp returns a replica to rotation, logging once on the way back.
func (s *Store) markUp(src *readSource) {
	if !src.up.CompareAndSwap(false, true) {
		return
	}
	if src.seen.Swap(true) {
		s.log.Info("replica available again", "replica", src.name, "dataset_version", src.replayed.Load())
	} else {
		s.log.Info("reading from replica", "replica", src.name, "dataset_version", src.replayed.Load())
	}
}

// readReplicated runs fn in a read-only REPEATABLE READ transaction on the
// chosen source, after reading the dataset version in that same snapshot.
// A snapshot newer than the served version moves the store to it before fn
// runs, so a caller that reads Version before and after its reads and finds
// it unchanged has read exactly that version. A snapshot older than the
// served version (a lagging replica) is not used: the read goes to the next
// source. A source that cannot be reached is marked down and the read goes
// on to the next; the primary is the last resort.
func (s *Store) readReplicated(ctx context.Context, fn func(q querier) error) error {
	var err error
	for attempt := 0; attempt < len(s.replicas)+3; attempt++ {
		src := s.pick()
		err = classify(s.readOn(ctx, src, fn))
		switch {
		case err == nil || ctx.Err() != nil:
			return err
		case errors.Is(err, errBehind), !src.primary && recoveryConflict(err):
			// A standby cancels a read whose snapshot its replay of an
			// import must overrun: the read is retried, on a newer snapshot.
			continue
		case errors.Is(err, data.ErrUnavailable):
			s.markDown(src, err)
			continue
		}
		return err
	}
	return err
}

// readOn is one attempt of readReplicated on src.
func (s *Store) readOn(ctx context.Context, src *readSource, fn func(q querier) error) error {
	tx, err := src.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	// Read-only: ending it by rollback costs the same as a commit.
	defer tx.Rollback(context.WithoutCancel(ctx))
	var v int64
	if err := tx.QueryRow(ctx, "SELECT version FROM dataset_state").Scan(&v); err != nil {
		return err
	}
	src.replayed.Store(max(src.replayed.Load(), v))
	s.advance(v)
	if s.version.Load() != v {
		// Another read moved the store past this snapshot meanwhile.
		return errBehind
	}
	return fn(tx)
}

// follow keeps the served version in step with the replicas: each interval,
// and quickly while the primary (heard by NOTIFY on the primary, or read on
// its health connection) has a version the served replica lacks, it polls
// every replica's dataset version in its own snapshot. The store moves to a
// new version once the replica it reads from has replayed it; with no
// replica up it follows the primary. Polls also bring a down replica back.
func (s *Store) follow(ctx context.Context) {
	for {
		s.pollSources(ctx)
		wait := s.interval
		if s.latest.Load() > s.version.Load() && !s.pick().primary {
			wait = min(wait, time.Duration(s.fastPoll.Load()))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.heardNew:
		case <-time.After(wait):
		}
	}
}

// pollSources reads the primary's and every replica's dataset version once.
func (s *Store) pollSources(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, max(s.interval, healthTimeout))
	defer cancel()
	var v int64
	err := s.health.QueryRow(qctx, "SELECT version FROM dataset_state").Scan(&v)
	s.primarySrc.up.Store(err == nil)
	if err == nil {
		s.primarySrc.replayed.Store(max(s.primarySrc.replayed.Load(), v))
		s.heard(v)
	} else {
		s.log.Debug("dataset version check on the primary failed", "err", err)
	}
	for _, r := range s.replicas {
		var rv int64
		if err := r.pool.QueryRow(qctx, "SELECT version FROM dataset_state").Scan(&rv); err != nil {
			if ctx.Err() == nil {
				s.markDown(r, classify(err))
			}
			continue
		}
		r.replayed.Store(max(r.replayed.Load(), rv))
		s.markUp(r)
	}
	src := s.pick()
	if src.primary {
		s.advance(s.latest.Load())
	} else {
		s.advance(src.replayed.Load())
	}
	s.servedKnown.Store(true)
}

// heard records a version the primary has: from its NOTIFY or a poll. In
// replica mode it is the target the replicas are polled towards.
func (s *Store) heard(v int64) {
	for old := s.latest.Load(); v > old; old = s.latest.Load() {
		if s.latest.CompareAndSwap(old, v) {
			// Only a new version wakes the follower: a poll that heard
			// what was known must not start another at once.
			select {
			case s.heardNew <- struct{}{}:
			default:
			}
			return
		}
	}
}

// ReadSources reports the databases reads may go to, replicas first in the
// order given and the primary last, for metrics; nil without replicas.
func (s *Store) ReadSources() []data.ReadSource {
	if !s.replicated() {
		return nil
	}
	cur := s.pick()
	out := make([]data.ReadSource, 0, len(s.replicas)+1)
	for _, r := range append(append([]*readSource(nil), s.replicas...), s.primarySrc) {
		out = append(out, data.ReadSource{Name: r.name, Primary: r.primary, Up: r.up.Load(),
			Version: r.replayed.Load(), Serving: r == cur})
	}
	return out
}
